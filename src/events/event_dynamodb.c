/* event_dynamodb: one DynamoDB Streams change -> its record table (see
 * event_records.h). Keys and images go through dynamodb_value, so handlers
 * see plain Lua values; sequence_number stays text (it is 21+ digits). */

#include "dynamodb_value.h"
#include "event_records.h"

static void dynamodb_set_image(struct event_fields *f, int t, const cJSON *d,
                               const char *name, const char *key)
{
  const cJSON *img = event_fields_object(f, d, name, 0);
  if (img == NULL)
    return;
  struct dynamodb_path path = {NULL, key};
  dynamodb_value_push_map(f, img, &path, 1);
  lua_setfield(f->L, t, key);
}

void event_dynamodb_record(struct event_fields *f, const cJSON *rec, int t)
{
  event_fields_set_string(f, t, "event_name", rec, "eventName", 1);
  event_fields_set_string(f, t, "event_id", rec, "eventID", 0);
  event_fields_set_string(f, t, "event_source_arn", rec, "eventSourceARN", 0);
  event_fields_set_string(f, t, "aws_region", rec, "awsRegion", 0);
  const cJSON *d = event_fields_object(f, rec, "dynamodb", 1);
  event_fields_set_string(f, t, "sequence_number", d, "SequenceNumber", 1);
  dynamodb_set_image(f, t, d, "Keys", "keys");
  dynamodb_set_image(f, t, d, "NewImage", "new_image");
  dynamodb_set_image(f, t, d, "OldImage", "old_image");
  if (lua_getfield(f->L, t, "keys") == LUA_TNIL) {
    lua_newtable(f->L);
    lua_setfield(f->L, t, "keys");
  }
  lua_pop(f->L, 1); /* keys or nil */
}
