/* event_sns: one SNS notification -> its record table (see
 * event_records.h). The fields live under the record's "Sns" object;
 * attribute values of Type "Binary" are base64 and decoded, the others
 * ("String", "Number", "String.Array") stay the text SNS sent. */

#include "event_records.h"
#include "json_tree.h"

void event_sns_record(struct event_fields *f, const cJSON *rec, int t)
{
  lua_State *L = f->L;
  const cJSON *sns = event_fields_object(f, rec, "Sns", 1);
  event_fields_set_string(f, t, "message", sns, "Message", 1);
  event_fields_set_string(f, t, "subject", sns, "Subject", 0);
  event_fields_set_string(f, t, "message_id", sns, "MessageId", 1);
  event_fields_set_string(f, t, "topic_arn", sns, "TopicArn", 0);
  event_fields_set_string(f, t, "timestamp", sns, "Timestamp", 0);
  event_fields_set_string(f, t, "type", sns, "Type", 0);
  event_fields_set_string(f, t, "event_subscription_arn", rec,
                          "EventSubscriptionArn", 0);
  const cJSON *attrs = event_fields_object(f, sns, "MessageAttributes", 0);
  lua_createtable(L, 0, attrs != NULL ? cJSON_GetArraySize(attrs) : 0);
  for (const cJSON *a = attrs != NULL ? attrs->child : NULL; a != NULL;
       a = a->next) {
    if (!cJSON_IsObject(a))
      event_fields_fail_type(f, "MessageAttributes", "an object of objects", a);
    const cJSON *type = event_fields_string(f, a, "Type", 1);
    const cJSON *value = event_fields_string(f, a, "Value", 0);
    lua_createtable(L, 0, 2);
    event_fields_push_text(L, type);
    lua_setfield(L, -2, "type");
    if (value != NULL && event_fields_text_is(type, "Binary")) {
      lua_pushfstring(L, "message_attributes.%s", a->string);
      if (event_fields_push_base64(f, value->valuestring,
                                   json_tree_value_len(value),
                                   lua_tostring(L, -1)))
        lua_setfield(L, -3, "value");
      lua_pop(L, 1); /* field name */
    } else if (value != NULL) {
      event_fields_push_text(L, value);
      lua_setfield(L, -2, "value");
    }
    event_fields_set_named(L, lua_absindex(L, -2), a);
  }
  lua_setfield(L, t, "message_attributes");
}
