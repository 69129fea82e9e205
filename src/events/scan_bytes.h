/* scan_bytes: a base64 string's bytes into Lua through the scratch, written
 * once for the one-pass scanners (kafka_scan, records_scan).
 *
 * The bytes are decoded into the decoder's scratch buffer (event_decode.h:
 * the one scratch every decoder uses) and copied once into the Lua string;
 * nothing is left for the collector. Static inline: it runs per value of a
 * 6 MB batch. Knows Lua, base64 and json_scan's scratch. */
#ifndef LRT_SCAN_BYTES_H
#define LRT_SCAN_BYTES_H

#include <stddef.h>

#include <lua.h>

#include "base64.h"
#include "buf.h"
#include "json_scan.h"

/* Push the bytes the base64 text[0..len) holds, which is the event's or
 * (j->in_scratch) the scratch's own, unescaped there by json_scan_str: then
 * the bytes are decoded after it. 0 with nothing pushed when it is not
 * base64 or the scratch refuses the room. [-0, +(0|1), m] */
static inline int scan_push_base64(lua_State *L, struct json_scan *j,
                                   const char *text, size_t len)
{
  size_t skip = j->in_scratch ? len : 0;
  size_t out_len = 0, bad = 0;
  if (buf_reserve(j->scratch, skip + base64_decoded_max(len)) != BUF_OK)
    return 0;
  if (j->in_scratch)
    text = j->scratch->data; /* where it was, unless the room moved it */
  unsigned char *out = (unsigned char *)j->scratch->data + skip;
  if (base64_decode(text, len, out, &out_len, &bad) != 0)
    return 0;
  lua_pushlstring(L, (const char *)out, out_len);
  return 1;
}

/* The scratch room the one-pass decode is given at least: bigger values
 * take the two-pass way, which sizes the scratch for them. */
#define SCAN_BYTES_MIN_ROOM (64u * 1024u)

/* Push the bytes of the base64 JSON string at j->p, and move past it;
 * 'padded': its length must be a multiple of 4 (SQS, Kinesis, DynamoDB).
 * Values are the bulk of a batch, so the string is first decoded in the
 * pass that finds its closing quote (base64_decode_until: the strict
 * alphabet has neither a backslash nor a control character, so if it gets
 * to the quote there was no escape); otherwise it is read as a JSON string,
 * escapes resolved ("\/" for "/"), and decoded after. 0 with nothing
 * pushed when it is not base64. [-0, +(0|1), m] */
static inline int scan_push_base64_string(lua_State *L, struct json_scan *j,
                                          int padded)
{
  json_scan_ws(j);
  if (j->p >= j->end || *j->p != '"')
    return 0;
  const char *start = j->p + 1;
  j->in_scratch = 0; /* the text is the event's */
  if (j->scratch->cap <= SCAN_BYTES_MIN_ROOM &&
      buf_reserve(j->scratch, SCAN_BYTES_MIN_ROOM) != BUF_OK)
    return 0;
  size_t len, out_len;
  if (base64_decode_until(start, (size_t)(j->end - start), '"',
                          (unsigned char *)j->scratch->data,
                          j->scratch->cap - 1, &len, &out_len) == 0 &&
      (!padded || len % 4 == 0)) {
    lua_pushlstring(L, j->scratch->data, out_len);
    j->p = start + len + 1;
    return 1;
  }
  const char *text;
  if (!json_scan_str(j, &text, &len) || (padded && len % 4 != 0))
    return 0;
  return scan_push_base64(L, j, text, len);
}

#endif
