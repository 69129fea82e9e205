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

#endif
