/* event_source: which Lambda event source an event is, and its decoding.
 *
 * Detection follows the contract's table ("Every Lambda event source"):
 * Kafka by eventSource; SQS, S3, DynamoDB and Kinesis by
 * Records[1].eventSource, SNS by Records[1].EventSource; EventBridge by
 * top-level source and detail-type; API Gateway REST v1 by httpMethod,
 * resource and a requestContext without elb, connectionId or eventType;
 * HTTP API v2 and Function URLs by version "2.0" with requestContext.http.
 * Everything else (ALB, WebSocket, VPC Lattice, Firehose, CloudWatch Logs,
 * s3:TestEvent...) is EVENT_CUSTOM. An envelope is its outer source: an S3
 * notification inside SQS is SQS. Knows cJSON and Lua. */
#ifndef LRT_EVENT_SOURCE_H
#define LRT_EVENT_SOURCE_H

#include <cjson/cJSON.h>
#include <lua.h>
#include <stddef.h>

#include "buf.h"
#include "event_kind.h"

/* The route kind of the event 'root'. Never raises. */
enum event_kind event_source_detect(const cJSON *root);

/* Push the event table for 'root', detected as 'kind' (not Kafka or
 * custom); decoded bytes pass through 'scratch', a buffer the caller keeps
 * (event_decode.h). The tree must stay alive until event_raw_end() (the
 * lazy .raw reads it). A malformed event raises
 * {type = "<Source>.InvalidEvent"} naming the record and the field.
 * [-0, +1, e] */
void event_source_push(lua_State *L, const cJSON *root, enum event_kind kind,
                       struct buf *scratch);

#endif
