/* event_kafka: a Lambda Kafka event (cJSON tree) -> the Lua `event` table.
 *
 * Implements the rules of docs/kafka.md: the three eventSource spellings,
 * records of every topic-partition flattened in delivery order with the map
 * key each came under kept as record.topic_partition, partition/offset/
 * timestamp as integers, base64 key/value straight into Lua strings (nil when
 * absent or null), signed header bytes, schema metadata. Strings and member
 * names are read with all their bytes (json_tree's lengths; a \u0000 is a
 * byte like any other), so the tree should come from json_tree_parse; a
 * tree cJSON itself parsed reads the same up to any NUL.
 *
 * Knows cJSON's tree, json_tree and Lua; nothing of HTTP. */
#ifndef LRT_EVENT_KAFKA_H
#define LRT_EVENT_KAFKA_H

#include <cjson/cJSON.h>
#include <lua.h>

#include "buf.h"

/* Nonzero when 'root' is an object whose eventSource is "aws:kafka",
 * "SelfManagedKafka" or "aws:SelfManagedKafka". Never raises. */
int event_kafka_is_kafka(const cJSON *root);

/* Push the event table for the Kafka event 'root'; decoded bytes pass
 * through 'scratch', a buffer the caller keeps (event_decode.h). A malformed
 * event raises a {type = "Kafka.InvalidEvent", message = ...} error naming
 * the record (map key and offset where known) and the field.
 * Stack effect: [-0, +1, e]. */
void event_kafka_push(lua_State *L, const cJSON *root, struct buf *scratch);

#endif
