/* event_s3: one S3 event notification -> its record table (see
 * event_records.h). S3 sends object keys form-URL-encoded, so the key is
 * decoded ('+' a space, %XX a byte); a malformed escape leaves key nil with
 * a decode_error. size is an integer; the rest are strings as sent. */

#include "event_records.h"
#include "json_tree.h"

void event_s3_record(struct event_fields *f, const cJSON *rec, int t)
{
  lua_State *L = f->L;
  event_fields_set_string(f, t, "event_name", rec, "eventName", 1);
  event_fields_set_string(f, t, "event_time", rec, "eventTime", 0);
  event_fields_set_string(f, t, "aws_region", rec, "awsRegion", 0);
  const cJSON *s3 = event_fields_object(f, rec, "s3", 1);
  const cJSON *bucket = event_fields_object(f, s3, "bucket", 1);
  const cJSON *object = event_fields_object(f, s3, "object", 1);
  event_fields_set_string(f, t, "bucket", bucket, "name", 1);
  const cJSON *key = event_fields_string(f, object, "key", 1);
  if (event_fields_push_url(f, key->valuestring, json_tree_value_len(key), 1,
                            "key"))
    lua_setfield(L, t, "key");
  const cJSON *size = event_fields_opt(object, "size");
  if (size != NULL) {
    double d = size->valuedouble;
    if (!cJSON_IsNumber(size) || !(d >= 0 && d < 9007199254740992.0) ||
        (double)(lua_Integer)d != d)
      event_fields_fail_type(f, "size", "a non-negative integer", size);
    lua_pushinteger(L, (lua_Integer)d);
    lua_setfield(L, t, "size");
  }
  event_fields_set_string(f, t, "etag", object, "eTag", 0);
  event_fields_set_string(f, t, "version_id", object, "versionId", 0);
  event_fields_set_string(f, t, "sequencer", object, "sequencer", 0);
}
