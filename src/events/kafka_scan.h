/* kafka_scan: the fast path from a Kafka event's JSON text to its Lua table.
 *
 * Lambda's Kafka events have one shape, and a 6 MB batch spends most of its
 * decode time in a general JSON parser building a tree only to walk it once.
 * This reader walks the text itself, in one pass, and pushes exactly the
 * table event_kafka_push() would build from the parsed tree: base64 is
 * decoded straight from the body into the Lua string, an escaped string is
 * resolved in the scratch buffer, nothing else is copied, and nothing is
 * allocated but the Lua values.
 *
 * It takes every valid event of the shape Lambda sends: escapes in any
 * string (resolved as json_text does, a \u0000 kept as a byte), integers of
 * any size or form (1.0, 1e3; past 2^53 rounded to the nearest double as the
 * reference path rounds them), headers as one-member objects of byte arrays,
 * keys in any order. The rest (the other header forms, duplicate keys, and
 * every kind of malformed event) makes it decline, and the caller falls back
 * to json_tree and event_kafka_push(), which is the reference and produces
 * the precise errors. The test suite checks the two agree on every fixture
 * and the fuzz target on arbitrary input. Knows Lua, base64 and json_text;
 * not cJSON, not HTTP. */
#ifndef LRT_KAFKA_SCAN_H
#define LRT_KAFKA_SCAN_H

#include <stddef.h>

#include <lua.h>

#include "arena.h"
#include "buf.h"

enum kafka_scan_result {
  KAFKA_SCAN_PUSHED = 1,  /* the event table is on top of the stack */
  KAFKA_SCAN_DECLINED = 0 /* nothing pushed: use the cJSON path */
};

/* Try the fast path on the event text. 'scratch' is a buffer the caller
 * keeps between invocations (decoded bytes pass through it); 'arena' is
 * unused (Kafka records have no lazy .raw): the signature is every
 * scanner's (event_decode.c). Raises only memory errors.
 * Stack effect: [-0, +(0|1), m]. */
int kafka_scan_push(lua_State *L, const char *json, size_t len,
                    struct buf *scratch, struct arena *arena);

#endif
