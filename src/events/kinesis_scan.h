/* kinesis_scan: the fast path from a Kinesis Data Streams event's JSON text
 * to its Lua table.
 *
 * Like sqs_scan (and on the same frame, records_scan.h): one pass over the
 * text, no tree, base64 data decoded straight into the Lua string, exactly
 * the table event_source_push() builds with event_kinesis.c, record.raw
 * included (parsed from the text on first use). It takes the shape Lambda
 * sends: {"Records": [...]} alone at the top, the first record's
 * eventSource "aws:kinesis", the kinesis object with string partitionKey,
 * sequenceNumber and padded base64 data, a number (or null)
 * approximateArrivalTimestamp, no field twice. Anything else, a data that
 * is not base64 included, declines to the tree path, which words the error
 * or the decode_error. test_records_scan and fuzz_records_scan hold it to
 * the tree path's result. Knows Lua and base64; not cJSON, not HTTP. */
#ifndef LRT_KINESIS_SCAN_H
#define LRT_KINESIS_SCAN_H

#include <stddef.h>

#include <lua.h>

#include "arena.h"
#include "buf.h"

/* As sqs_scan_push, for Kinesis: 1 with the event table pushed, 0 with
 * nothing pushed. Raises only memory errors. [-0, +(0|1), m] */
int kinesis_scan_push(lua_State *L, const char *json, size_t len,
                      struct buf *scratch, struct arena *arena);

#endif
