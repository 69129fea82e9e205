/* kafka_schema: schema-aware Kafka keys and values (the contract's
 * "Schema-aware values").
 *
 * The Lua side: kafka.avro(path [, opts]) and kafka.protobuf(path, message
 * [, opts]) load a schema once, at init, into a deserializer (a userdata
 * holding the compiled plan); router.kafka(fn, { value = ..., key = ... })
 * hands its options to kafka_schema_options(). The event side:
 * kafka_schema_apply() runs right after the event table is built (by either
 * decoder), inside the same protected step, and replaces each record's key
 * and value by their decoded Lua values, keeping the bytes in key_bytes /
 * value_bytes, the schema id in key_schema_id / value_schema_id, and what
 * went wrong in decode_error (the record is kept; its value is nil).
 *
 * Knows Lua, the framings (kafka_framing), the decoders (avro_decode,
 * protobuf_decode) and the router's option slot; not cJSON, not HTTP. */
#ifndef LRT_KAFKA_SCHEMA_H
#define LRT_KAFKA_SCHEMA_H

#include <lua.h>

/* Schema files larger than this are refused at init. */
#define KAFKA_SCHEMA_MAX_FILE (16u * 1024u * 1024u)

/* The `lrt.kafka_schema` module: { avro = fn, protobuf = fn }, which
 * lua/kafka.lua re-exports. Stack effect: [-0, +1, m]. */
int luaopen_kafka_schema(lua_State *L);

/* Check the options table of router.kafka at 'idx' and push its normalised
 * form { value = spec, key = spec } (a spec is "bytes", "string", "json", a
 * deserializer, or a table id text -> one of those). A bad option raises an
 * error naming it. Stack effect: [-0, +1, v]. */
void kafka_schema_options(lua_State *L, int idx);

/* Decode the keys and values of the Kafka event table at 'event' as the
 * registered options say; nothing when there are none. Bad records get a
 * decode_error, never an error. Stack effect: [-0, +0, m]. */
void kafka_schema_apply(lua_State *L, int event);

#endif
