/* dynamodb_scan: the fast path from a DynamoDB Streams event's JSON text to
 * its Lua table.
 *
 * A 6 MB DynamoDB batch is ~5,600 changes with two images each, and on the
 * tree path (json_tree, then event_dynamodb.c and dynamodb_value.c) every
 * attribute value is first a typed object in the tree, then looked up and
 * converted. This reader walks the text once, like sqs_scan and kinesis_scan
 * (and on the same frame, records_scan.h), and turns each typed attribute
 * value into its plain Lua value as it reads it: S a string (a \u0000 kept),
 * N an integer when it is an integer literal within 64 bits, else a float,
 * exactly as dynamodb_value_number() says, B bytes, BOOL a boolean, NULL
 * json.null, M a table, L and SS / NS / BS sequences (empty ones marked as
 * JSON arrays). The table is event_source_push()'s for the same event, field
 * for field, record.raw included (parsed from the text on first use).
 *
 * It takes the shape Lambda sends: {"Records": [...]} alone at the top, the
 * first record's eventSource "aws:dynamodb", a string eventName, a dynamodb
 * object with a string SequenceNumber, Keys / NewImage / OldImage objects
 * (or null), every attribute value an object with exactly one known type of
 * the right JSON type, no record or dynamodb field twice. Anything else
 * declines to the tree path, the reference, which words the error or notes
 * the decode_error: an N that is not a number, a B that is not padded
 * base64, a string with escapes where a number is wanted, nesting deeper
 * than dynamodb_value's limit. test_dynamodb_scan and fuzz_records_scan
 * hold it to the tree path's result. Knows Lua, json_scan and base64; not
 * cJSON, not HTTP. */
#ifndef LRT_DYNAMODB_SCAN_H
#define LRT_DYNAMODB_SCAN_H

#include <stddef.h>

#include <lua.h>

#include "arena.h"
#include "buf.h"

/* As kinesis_scan_push, for DynamoDB Streams: 1 with the event table
 * pushed, 0 with nothing pushed. Raises only memory errors.
 * [-0, +(0|1), m] */
int dynamodb_scan_push(lua_State *L, const char *json, size_t len,
                       struct buf *scratch, struct arena *arena);

#endif
