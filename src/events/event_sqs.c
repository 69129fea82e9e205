/* event_sqs: one SQS message -> its record table (see event_records.h).
 *
 * message_attributes keep SQS's dataType and take their value by its
 * prefix ("String.x" and "Number.x" from stringValue, "Binary.x" from
 * binaryValue, decoded): numbers stay text, as SQS keeps them, because
 * Number attributes hold up to 38 digits. The list forms (stringListValues,
 * binaryListValues: reserved by SQS, never filled) stay in record.raw. */
#include <string.h>

#include "event_records.h"
#include "json_tree.h"

/* 1 when the string node 'type' starts with the 6 bytes of 'prefix'. */
static int sqs_type_is(const cJSON *type, const char *prefix)
{
  return json_tree_value_len(type) >= 6 &&
         memcmp(type->valuestring, prefix, 6) == 0;
}

/* Push { data_type, value } for the attribute 'a' named 'name'.
 * [-0, +1, v] */
static void sqs_push_attribute(struct event_fields *f, const cJSON *a,
                               const char *name)
{
  lua_State *L = f->L;
  if (!cJSON_IsObject(a))
    event_fields_fail_type(f, "messageAttributes", "an object of objects", a);
  const cJSON *type = event_fields_string(f, a, "dataType", 1);
  lua_createtable(L, 0, 2);
  int t = lua_gettop(L);
  event_fields_push_text(L, type);
  lua_setfield(L, t, "data_type");
  if (sqs_type_is(type, "Binary")) {
    const cJSON *b64 = event_fields_string(f, a, "binaryValue", 0);
    if (b64 != NULL) {
      lua_pushfstring(L, "message_attributes.%s", name);
      int ok = event_fields_push_base64(
          f, b64->valuestring, json_tree_value_len(b64), lua_tostring(L, -1));
      if (ok) {
        lua_setfield(L, t, "value");
      }
      lua_pop(L, 1); /* field name */
    }
  } else if (sqs_type_is(type, "String") || sqs_type_is(type, "Number")) {
    event_fields_set_string(f, t, "value", a, "stringValue", 0);
  } else {
    lua_pushfstring(L,
                    "attribute \"%s\": dataType must start with String, "
                    "Number or Binary",
                    name);
    event_fields_fail(f, "messageAttributes", lua_tostring(L, -1));
  }
}

void event_sqs_record(struct event_fields *f, const cJSON *rec, int t)
{
  lua_State *L = f->L;
  event_fields_set_string(f, t, "message_id", rec, "messageId", 1);
  event_fields_set_string(f, t, "receipt_handle", rec, "receiptHandle", 0);
  const cJSON *body = event_fields_string(f, rec, "body", 0);
  if (body != NULL)
    event_fields_push_text(L, body);
  else
    lua_pushliteral(L, "");
  lua_setfield(L, t, "body");
  event_fields_set_string(f, t, "md5_of_body", rec, "md5OfBody", 0);
  event_fields_set_string(f, t, "event_source_arn", rec, "eventSourceARN", 0);
  event_fields_set_string(f, t, "aws_region", rec, "awsRegion", 0);
  if (event_fields_object(f, rec, "attributes", 0) != NULL)
    event_fields_set_json(f, t, "attributes", rec, "attributes");
  const cJSON *attrs = event_fields_object(f, rec, "messageAttributes", 0);
  lua_createtable(L, 0, attrs != NULL ? cJSON_GetArraySize(attrs) : 0);
  if (attrs != NULL) {
    for (const cJSON *a = attrs->child; a != NULL; a = a->next) {
      sqs_push_attribute(f, a, a->string);
      event_fields_set_named(L, lua_absindex(L, -2), a);
    }
  }
  lua_setfield(L, t, "message_attributes");
}
