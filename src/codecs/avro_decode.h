/* avro_decode: Avro binary -> Lua values, driven by a schema avro-c parsed.
 *
 * avro-c (Debian's libavro-dev) parses and validates the schema text:
 * names, references, unions, defaults. Its schema is then compiled once,
 * at init, into a flat plan (one node per schema node, named types shared,
 * recursion through links), which the decoder walks over the bytes pushing
 * the final Lua values directly: no avro_value_t, no intermediate tree
 * (docs/performance.md has the figures behind that choice). The plan's names
 * (record fields, enum symbols) live as Lua strings in a table the caller
 * keeps beside it, so the decoder never re-hashes a name.
 *
 * Mapping: record -> table by field name, array -> sequence, map -> table,
 * null -> json.null, union -> the branch's value, boolean, int/long ->
 * integer, float/double -> float, string/bytes/fixed -> string, enum -> its
 * symbol. Logical types are read as their underlying type. */
#ifndef LRT_AVRO_DECODE_H
#define LRT_AVRO_DECODE_H

#include <stddef.h>

#include <lua.h>

#include "wire_read.h"

/* Nesting deeper than this (recursive schemas) is a decode error. */
#define AVRO_DECODE_MAX_DEPTH 64

/* Items of a type that takes no bytes (null, empty records) are bounded by
 * this per array or map, not by the payload's length. */
#define AVRO_DECODE_MAX_EMPTY_ITEMS 65536

struct lrt_avro_plan;

/* Parse and compile the schema text. Returns 0 and sets *out (free with
 * lrt_avro_plan_free), or -1 with a message in 'msg'. Never touches Lua. */
int lrt_avro_plan_compile(const char *json, size_t len,
                          struct lrt_avro_plan **out, char *msg, size_t msg_len)
    __attribute__((warn_unused_result));

void lrt_avro_plan_free(struct lrt_avro_plan *p);

/* The plan's names, 1-based, for the Lua names table. */
size_t lrt_avro_plan_name_count(const struct lrt_avro_plan *p);
const char *lrt_avro_plan_name(const struct lrt_avro_plan *p, size_t i);

/* Decode one datum from 'data' (which it must fill exactly). 'names' is the
 * absolute index of the table { [i] = lrt_avro_plan_name(p, i) }. Pushes the
 * value and returns 0; on bad data pushes nothing and returns -1 with 'err'
 * set. Raises only memory errors. Stack effect: [-0, +(0|1), m]. */
int lrt_avro_decode_push(lua_State *L, const struct lrt_avro_plan *p, int names,
                         const unsigned char *data, size_t len,
                         struct wire_error *err);

#endif
