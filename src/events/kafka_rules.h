/* kafka_rules: what a Lambda Kafka event is, written once for both of its
 * decoders (kafka_scan.c, the one-pass fast path, and event_kafka.c, the
 * cJSON reference path), so the two cannot drift apart.
 *
 * The eventSource spellings and their normalisation, the record's members
 * and the Lua fields they become, the size of a record table, the integer
 * rule (integral and inside lua_Integer: cJSON's doubles, docs/kafka.md)
 * and the header byte rule (Java's signed bytes, -128..255, each taken
 * & 0xFF). Knows neither cJSON nor the text; only Lua's integer type. */
#ifndef LRT_KAFKA_RULES_H
#define LRT_KAFKA_RULES_H

#include <stddef.h>

#include <lua.h>

/* A record's members as Lambda sends them and the Lua field each becomes,
 * in the order docs/kafka.md lists them: X(id, member, field). A list (not
 * only the table below) so the fast path can compare keys with literals,
 * which the compiler measures at build time. */
#define KAFKA_MEMBERS(X)                                                       \
  X(KAFKA_TOPIC, "topic", "topic")                                             \
  X(KAFKA_PARTITION, "partition", "partition")                                 \
  X(KAFKA_OFFSET, "offset", "offset")                                          \
  X(KAFKA_TIMESTAMP, "timestamp", "timestamp")                                 \
  X(KAFKA_TIMESTAMP_TYPE, "timestampType", "timestamp_type")                   \
  X(KAFKA_KEY, "key", "key")                                                   \
  X(KAFKA_VALUE, "value", "value")                                             \
  X(KAFKA_HEADERS, "headers", "headers")                                       \
  X(KAFKA_KEY_SCHEMA, "keySchemaMetadata", "key_schema_metadata")              \
  X(KAFKA_VALUE_SCHEMA, "valueSchemaMetadata", "value_schema_metadata")

#define KAFKA_FIELD_ID(id, member, field) id,
enum kafka_field {
  KAFKA_MEMBERS(KAFKA_FIELD_ID)
      KAFKA_TOPIC_PARTITION, /* the records map key: no member of its own */
  KAFKA_FIELD_COUNT
};
#undef KAFKA_FIELD_ID

struct kafka_field_name {
  const char *member; /* as Lambda sends it ("timestampType"); NULL: none */
  const char *lua;    /* the record table's field ("timestamp_type") */
};

/* Indexed by enum kafka_field. */
extern const struct kafka_field_name kafka_rules_fields[KAFKA_FIELD_COUNT];

/* The event's own members and the fields they become (event_source,
 * event_source_arn, bootstrap_servers, records), and a schema metadata
 * object's: literals, for the same reason as above. */
#define KAFKA_M_EVENT_SOURCE "eventSource"
#define KAFKA_F_EVENT_SOURCE "event_source"
#define KAFKA_M_EVENT_SOURCE_ARN "eventSourceArn"
#define KAFKA_F_EVENT_SOURCE_ARN "event_source_arn"
#define KAFKA_M_BOOTSTRAP_SERVERS "bootstrapServers"
#define KAFKA_F_BOOTSTRAP_SERVERS "bootstrap_servers"
#define KAFKA_M_RECORDS "records"
#define KAFKA_F_RECORDS "records"
#define KAFKA_M_DATA_FORMAT "dataFormat"
#define KAFKA_F_DATA_FORMAT "data_format"
#define KAFKA_M_SCHEMA_ID "schemaId"
#define KAFKA_F_SCHEMA_ID "schema_id"

/* A record table's size: every record field. */
#define KAFKA_RECORD_FIELDS KAFKA_FIELD_COUNT

/* A header's Lua table {key = name, value = bytes}, and the member names of
 * the simplified {"key": name, "value": v} header form Lambda's docs show. */
#define KAFKA_HEADER_KEY "key"
#define KAFKA_HEADER_VALUE "value"

/* The eventSource as handlers see it for the 'len' bytes at 's' ("aws:kafka"
 * or "SelfManagedKafka"; the old fixture spelling "aws:SelfManagedKafka" is
 * the latter), or NULL when they are not one of Kafka's spellings. Compared
 * with the length: bytes after a \u0000 count. */
const char *kafka_rules_event_source(const char *s, size_t len);

/* 1 with *out set when 'd' is integral and inside lua_Integer, else 0. The
 * bounds are exact powers of two, so the comparisons are exact; NaN fails
 * both. */
int kafka_rules_integer(double d, lua_Integer *out);

/* 1 with *out set to the byte when 'v' is a header byte (-128..255), else 0.
 * Static inline: the scanner applies it to every header byte of a batch
 * (~200,000 in the 6 MB bench event), where a call costs more than the
 * test. */
static inline int kafka_rules_header_byte(lua_Integer v, unsigned char *out)
{
  if (v < -128 || v > 255)
    return 0;
  *out = (unsigned char)(v & 0xFF); /* Java's signed bytes */
  return 1;
}

#endif
