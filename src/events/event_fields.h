/* event_fields: the helpers every non-Kafka event decoder shares.
 *
 * The decoders (event_sqs, event_sns, event_s3, event_dynamodb,
 * event_kinesis, event_eventbridge, event_apigateway) read a cJSON tree the
 * host owns and push Lua values only, so a raise at any point leaks nothing.
 * This file holds the rules written once: how a wrong-shaped field becomes
 * an invocation error naming the record and the field, how a bad value
 * inside a record becomes record.decode_error instead, and how strings and
 * base64 bytes reach Lua (decoded bytes through the decoder's scratch). Strings
 * are bytes: every string and member name reaches Lua with the length json_tree
 * kept, so a \u0000 inside one is a byte like any other, and members are looked
 * up by all their bytes. Knows cJSON and Lua; nothing of HTTP. */
#ifndef LRT_EVENT_FIELDS_H
#define LRT_EVENT_FIELDS_H

#include <cjson/cJSON.h>
#include <lua.h>
#include <stddef.h>

#include "buf.h"

/* Lua stack slots a decoder may use at its deepest point, DynamoDB's
 * nesting aside (it checks per level). */
#define EVENT_FIELDS_STACK_NEED 24

/* Where a decoder is, for messages. */
struct event_fields {
  lua_State *L;
  const char *source;     /* "SQS", "DynamoDB"... as messages name it */
  const char *error_type; /* e.g. "SQS.InvalidEvent" */
  int record;             /* 1-based record index; 0 outside records */
  int record_idx;         /* absolute index of the record table, 0 if none */
  struct buf *scratch;    /* bytes on their way into Lua (event_decode.h) */
};

/* Room for 'n' bytes in f->scratch; raises Runtime.OutOfMemory when memory
 * refuses it. [-0, +0, v] */
char *event_fields_scratch(struct event_fields *f, size_t n);

/* Raise error_type with '<source> event: record #<n>: <field>: <what>'.
 * Event bytes reach the message only as %s arguments. [-0, +0, v] */
void event_fields_fail(struct event_fields *f, const char *field,
                       const char *what);

/* Raise "must be <want> (got <the JSON type of got>)" for 'field'.
 * [-0, +0, v] */
void event_fields_fail_type(struct event_fields *f, const char *field,
                            const char *want, const cJSON *got);

/* Push the string node 'item' whole, a \u0000 included. [-0, +1, m] */
void event_fields_push_text(lua_State *L, const cJSON *item);

/* Push the member name of 'item' whole. [-0, +1, m] */
void event_fields_push_name(lua_State *L, const cJSON *item);

/* t[the member name of 'm'] = the value on top, popped; 't' is absolute.
 * [-1, +0, m] */
void event_fields_set_named(lua_State *L, int t, const cJSON *m);

/* 1 when the string node 'item' is exactly 'want' (all its bytes). */
int event_fields_text_is(const cJSON *item, const char *want);

/* 1 when the member name of 'item' is exactly 'want' (all its bytes). */
int event_fields_name_is(const cJSON *item, const char *want);

/* Member 'name' of 'obj' (its name all of 'name''s bytes), NULL when absent
 * or JSON null. Never raises. */
const cJSON *event_fields_opt(const cJSON *obj, const char *name);

/* Member 'name' of 'obj', which must be an object (or, when 'required' is 0,
 * absent/null: NULL). [-0, +0, v] */
const cJSON *event_fields_object(struct event_fields *f, const cJSON *obj,
                                 const char *name, int required);

/* The string member 'name' of 'obj' (a string node: its bytes are
 * valuestring and json_tree_value_len): NULL when absent or null and not
 * 'required'; otherwise it must be a string. [-0, +0, v] */
const cJSON *event_fields_string(struct event_fields *f, const cJSON *obj,
                                 const char *name, int required);

/* t[key] = the string member 'name' of 'obj' (left nil when absent or null
 * and not 'required'). 't' is an absolute index. [-0, +0, v] */
void event_fields_set_string(struct event_fields *f, int t, const char *key,
                             const cJSON *obj, const char *name, int required);

/* t[key] = the sequence of strings in the array member 'name' ({} marked
 * as a JSON array when absent, null or empty); anything but an array of
 * strings raises. [-0, +0, v] */
void event_fields_set_strings(struct event_fields *f, int t, const char *key,
                              const cJSON *obj, const char *name);

/* t[key] = the JSON value of member 'name' as json_lua decodes it (nil when
 * absent). [-0, +0, e] */
void event_fields_set_json(struct event_fields *f, int t, const char *key,
                           const cJSON *obj, const char *name);

/* Note a bad value for the record at f->record_idx: appends "<field>: <why>"
 * to record.decode_error ("; " between several). [-0, +0, m] */
void event_fields_decode_error(struct event_fields *f, const char *field,
                               const char *why);

/* Push the bytes the padded base64 at 'text' holds and return 1; on
 * bad base64 push nothing, note a decode_error for 'field' (the position
 * only, never the bytes) and return 0. [-0, +(0|1), m] */
int event_fields_push_base64(struct event_fields *f, const char *text,
                             size_t len, const char *field);

/* As event_fields_push_base64 without the decode_error: on bad base64
 * returns 0 with *bad at the offending position (== len when the length is
 * not a multiple of 4). [-0, +(0|1), m] */
int event_fields_decode_base64(struct event_fields *f, const char *text,
                               size_t len, size_t *bad);

/* Push the decode_error text for bad base64 (see above). [-0, +1, m] */
void event_fields_push_base64_why(lua_State *L, size_t bad, size_t len);

/* Push 'text' URL-decoded ('+' a space when 'plus_is_space') and return 1;
 * on a bad % escape push nothing, note a decode_error for 'field' and return
 * 0. [-0, +(0|1), m] */
int event_fields_push_url(struct event_fields *f, const char *text, size_t len,
                          int plus_is_space, const char *field);

#endif
