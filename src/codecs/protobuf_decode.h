/* protobuf_decode: Protobuf wire format -> Lua values, driven by the tables
 * protobuf_desc read from a FileDescriptorSet.
 *
 * Messages become tables keyed by field name (pre-sized to the field count),
 * repeated fields sequences (packed and unpacked both accepted, as parsers
 * must), map fields key -> value tables, enums their value's name (an unknown
 * number stays an integer), int32/int64/sint/sfixed -> integer, uint32/
 * fixed32 -> integer, uint64/fixed64 -> integer below 2^63 and a float from
 * 2^63 on, float/double -> float, bool -> boolean, string/bytes -> string.
 * After a message is read, unset fields get their proto3 default (0, 0.0,
 * false, "", the enum's first value), unset repeated and map fields an empty
 * table; unset message fields and unset members of a oneof (proto3
 * `optional` included) stay nil. Unknown fields and groups are skipped; a
 * message field that occurs twice is merged, as the spec says. */
#ifndef LRT_PROTOBUF_DECODE_H
#define LRT_PROTOBUF_DECODE_H

#include <stddef.h>

#include <lua.h>

#include "protobuf_desc.h"
#include "wire_read.h"

/* Messages nested deeper than this are a decode error. */
#define PROTOBUF_DECODE_MAX_DEPTH 64

/* Decode the message 'msg' (an index into set->messages) from 'data'.
 * 'names' is the absolute index of the table { [i] = set->names[i - 1] }.
 * Pushes the table and returns 0; on bad data pushes nothing and returns -1
 * with 'err' set. Raises only memory errors. Stack effect: [-0, +(0|1), m]. */
int protobuf_decode_push(lua_State *L, const struct pb_set *set, long msg,
                         int names, const unsigned char *data, size_t len,
                         struct wire_error *err);

#endif
