/* event_kinesis: one Kinesis Data Streams record -> its record table (see
 * event_records.h). data is base64 and decoded into a Lua string of bytes;
 * sequence_number stays text (56 digits); approximate_arrival_timestamp is
 * the number as delivered (epoch seconds, integer or float). A DynamoDB
 * change carried by Kinesis stays a Kinesis record: its JSON is in data. */

#include "event_records.h"
#include "json_lua.h"
#include "json_tree.h"

void event_kinesis_record(struct event_fields *f, const cJSON *rec, int t)
{
  lua_State *L = f->L;
  event_fields_set_string(f, t, "event_id", rec, "eventID", 0);
  event_fields_set_string(f, t, "event_source_arn", rec, "eventSourceARN", 0);
  event_fields_set_string(f, t, "aws_region", rec, "awsRegion", 0);
  const cJSON *k = event_fields_object(f, rec, "kinesis", 1);
  event_fields_set_string(f, t, "partition_key", k, "partitionKey", 1);
  event_fields_set_string(f, t, "sequence_number", k, "sequenceNumber", 1);
  const cJSON *ts = event_fields_opt(k, "approximateArrivalTimestamp");
  if (ts != NULL) {
    if (!cJSON_IsNumber(ts))
      event_fields_fail_type(f, "approximateArrivalTimestamp", "a number", ts);
    json_lua_push_typed(L, ts, f->error_type);
    lua_setfield(L, t, "approximate_arrival_timestamp");
  }
  const cJSON *data = event_fields_string(f, k, "data", 1);
  if (event_fields_push_base64(f, data->valuestring, json_tree_value_len(data),
                               "data"))
    lua_setfield(L, t, "data");
}
