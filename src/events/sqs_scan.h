/* sqs_scan: the fast path from an SQS event's JSON text to its Lua table.
 *
 * A 6 MB SQS batch is ~4,500 messages, and the tree path (json_tree, then
 * event_sqs.c) spends its time building a tree only to walk it once and
 * looking each field up by name. This reader walks the text itself, in one
 * pass, and pushes exactly the table event_source_push() builds for the
 * same event: the same fields, the same values, record.raw included (made
 * lazily from the text, see event_raw.h), event.event_source from the first
 * record.
 *
 * It only takes the shape Lambda sends: {"Records": [...]} and nothing else
 * at the top, the first record's eventSource "aws:sqs", string fields as
 * strings, attributes an object of strings, message attributes with a
 * String, Number or Binary dataType and valid base64 binaryValues, no field
 * twice. Anything else, including every malformed event and every bad value
 * the tree path notes in record.decode_error, makes it decline, and the
 * caller takes the tree path, which is the reference and words the errors.
 * test_records_scan checks the two agree on every fixture,
 * fuzz_records_scan on arbitrary input. The frame (the Records loop, .raw,
 * the first eventSource) is records_scan.c's. Knows Lua and base64; not
 * cJSON, not HTTP. */
#ifndef LRT_SQS_SCAN_H
#define LRT_SQS_SCAN_H

#include <stddef.h>

#include <lua.h>

#include "arena.h"
#include "buf.h"

enum sqs_scan_result {
  SQS_SCAN_PUSHED = 1,  /* the event table is on top of the stack */
  SQS_SCAN_DECLINED = 0 /* nothing pushed: use the tree path */
};

/* Try the fast path on the event text, which must stay unchanged until
 * event_raw_end() (record.raw parses it into 'arena' on first use).
 * 'scratch' is a buffer the caller keeps between invocations. Raises only
 * memory errors. Stack effect: [-0, +(0|1), m]. */
int sqs_scan_push(lua_State *L, const char *json, size_t len,
                  struct buf *scratch, struct arena *arena);

#endif
