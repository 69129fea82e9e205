/* kafka_scan: the fast path from a Kafka event's JSON text to its Lua table.
 *
 * Lambda's Kafka events have one shape, and a 6 MB batch spends most of its
 * decode time in a general JSON parser building a tree only to walk it once.
 * This reader walks the text itself, in one pass, and pushes exactly the
 * table event_kafka_push() would build from the cJSON tree: base64 is
 * decoded straight from the body into the Lua string, nothing else is copied,
 * and nothing is allocated but the Lua values.
 *
 * It only takes the shape Lambda sends (strings without escapes; integers
 * without fraction or exponent and within 2^53; headers as one-member objects
 * of byte arrays). Anything else, including every kind of malformed event,
 * makes it decline, and the caller falls back to cJSON and event_kafka_push(),
 * which is the reference and produces the precise errors. The test suite checks
 * the two agree on every fixture and the fuzz target on arbitrary input. Knows
 * Lua and base64; not cJSON, not HTTP. */
#ifndef LRT_KAFKA_SCAN_H
#define LRT_KAFKA_SCAN_H

#include <stddef.h>

#include <lua.h>

#include "buf.h"

enum kafka_scan_result {
  KAFKA_SCAN_PUSHED = 1,  /* the event table is on top of the stack */
  KAFKA_SCAN_DECLINED = 0 /* nothing pushed: use the cJSON path */
};

/* Try the fast path on the event text. 'scratch' is a buffer the caller
 * keeps between invocations (decoded bytes pass through it). Raises only
 * memory errors. Stack effect: [-0, +(0|1), m]. */
int kafka_scan_push(lua_State *L, const char *json, size_t len,
                    struct buf *scratch);

#endif
