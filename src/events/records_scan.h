/* records_scan: what the one-pass scanners of {"Records": [...]} events
 * (sqs_scan, kinesis_scan, dynamodb_scan) share: the event's frame, the loop
 * over its records with their lazy .raw, the field names pushed once per event,
 * the strings remembered from one record to the next, and the first record's
 * eventSource (the detection rule).
 *
 * A source gives its field names and one function per record member; every
 * function returns 1 on success and 0 to decline, and a decline anywhere
 * unwinds to records_scan_push(), which restores the stack and leaves the
 * event to the tree path (json_tree + event_source_push), the reference,
 * which words the errors. Only {"Records": [...]} with nothing else at the
 * top is taken, and only when the first record's eventSource is the
 * source's. Knows Lua, json_scan and event_raw; not cJSON. */
#ifndef LRT_RECORDS_SCAN_H
#define LRT_RECORDS_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lua.h>

#include "arena.h"
#include "buf.h"
#include "json_scan.h"
#include "scan_recent.h"

/* Strings remembered from the previous record (an ARN, a region, an
 * attribute name), each at a stack slot, by the source's own numbering. */
#define RECORDS_SCAN_RECENT 24
/* The source's own counters (a size guess), zero at the event's start. */
#define RECORDS_SCAN_HINTS 8

struct records_scan;

struct records_scan_source {
  const char *event_source; /* the first record's eventSource, "aws:sqs" */
  const char *what;         /* "SQS event", for luaL_checkstack */
  const char *const *names; /* field names, pushed once per event */
  int name_count;
  int fields;          /* a record table's usual size */
  size_t record_bytes; /* a typical record's text: the count's first guess */
  /* One member 'key' of the record at 't' (its value next in the text);
   * 'seen' is the source's own bit set, zero at the record's start.
   * 'ev' is the event for the first record, else 0. */
  int (*field)(struct records_scan *s, int t, int ev, const char *key,
               size_t len, int *seen);
  /* After the record's '}': check what is required, set defaults. */
  int (*finish)(struct records_scan *s, int t, int ev, int seen);
};

struct records_scan {
  struct json_scan j;
  lua_State *L;
  const struct records_scan_source *src;
  int keys; /* stack index of src->names[0] */
  struct scan_recent recent[RECORDS_SCAN_RECENT];
  int hint[RECORDS_SCAN_HINTS];
};

/* Bytes looked at for a string's end before json_scan_str takes over (a
 * multiple of 8). */
#define RECORDS_SCAN_SHORT_STR 64

/* The next string, as json_scan_str reads it. Most strings in a record are
 * a member name, a type tag or a short value without escapes: those end at
 * the first quote within RECORDS_SCAN_SHORT_STR bytes, found eight bytes at
 * a time (the first byte that is a quote or a backslash, by the classic
 * has-zero-byte test on the word XORed with each), where json_scan_str's
 * two memchr calls cost more than the search on a few bytes. Anything else
 * (a backslash first, a longer string) is json_scan_str's. Static inline:
 * it runs for every string of a batch. */
static inline __attribute__((always_inline)) int
records_scan_str(struct records_scan *s, const char **out, size_t *len)
{
  struct json_scan *j = &s->j;
  json_scan_ws(j);
  const char *p = j->p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (j->end - p > RECORDS_SCAN_SHORT_STR && *p == '"') {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    for (size_t off = 0; off < RECORDS_SCAN_SHORT_STR; off += 8) {
      uint64_t v;
      memcpy(&v, p + 1 + off, 8);
      uint64_t q = v ^ 0x2222222222222222u; /* '"' bytes become 0 */
      uint64_t b = v ^ 0x5c5c5c5c5c5c5c5cu; /* '\\' bytes become 0 */
      uint64_t m = (((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
      if (m == 0)
        continue;
      /* The lowest flagged byte is exact (a false flag only sits above a
       * true one). */
      size_t at = off + (size_t)__builtin_ctzll(m) / 8;
      if (p[1 + at] != '"')
        break; /* a backslash first */
      *out = p + 1;
      *len = at;
      j->p = p + 2 + at;
      j->in_scratch = 0;
      return 1;
    }
  }
#endif
  return json_scan_str(j, out, len);
}

/* Try the source's fast path on the event text, which must stay unchanged
 * until event_raw_end() (record.raw parses it into 'arena' on first use).
 * Returns 1 with the event table pushed, or 0 with nothing pushed. Raises
 * only memory errors. [-0, +(0|1), m] */
int records_scan_push(lua_State *L, const char *json, size_t len,
                      struct buf *scratch, struct arena *arena,
                      const struct records_scan_source *src);

/* Push field name 'k' of the source. [-0, +1, -] */
void records_scan_push_key(struct records_scan *s, int k);

/* Push 'text', reusing remembered string 'r' when it holds the same bytes
 * (else remembering this one); 'r' < 0 pushes it plainly. [-0, +1, m] */
void records_scan_push_recent(struct records_scan *s, int r, const char *text,
                              size_t len);

/* t[name k] = the string value next (through recent 'r', or -1), or
 * nothing for null. */
int records_scan_set_string(struct records_scan *s, int t, int k, int r);

/* The eventSource member: for the first record ('ev' != 0) it must be the
 * source's and becomes event.event_source; the others' are skipped, as the
 * tree path does not read them. */
int records_scan_event_source(struct records_scan *s, int ev);

/* Push the bytes of a padded base64 string value; 0 when it is not one
 * (the tree path notes that as a decode_error). [-0, +(0|1), m] */
int records_scan_push_base64(struct records_scan *s);

#endif
