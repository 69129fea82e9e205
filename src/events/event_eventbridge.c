/* event_eventbridge: an EventBridge (CloudWatch Events) event -> the event
 * table (see event_http.h). detail is the JSON object as plain Lua values
 * (null is json.null); resources an array of strings. */

#include "event_http.h"
#include "json_lua.h"
#include "json_tree.h"

void event_eventbridge_fill(struct event_fields *f, const cJSON *root, int t)
{
  lua_State *L = f->L;
  event_fields_set_string(f, t, "source", root, "source", 1);
  event_fields_set_string(f, t, "detail_type", root, "detail-type", 1);
  event_fields_set_string(f, t, "id", root, "id", 0);
  event_fields_set_string(f, t, "time", root, "time", 0);
  event_fields_set_string(f, t, "region", root, "region", 0);
  event_fields_set_string(f, t, "account", root, "account", 0);
  event_fields_set_string(f, t, "version", root, "version", 0);
  const cJSON *detail = json_tree_get(root, "detail");
  if (detail != NULL) {
    json_lua_push_typed(L, detail, f->error_type);
    lua_setfield(L, t, "detail");
  }
  event_fields_set_strings(f, t, "resources", root, "resources");
}
