/* event_apigateway: an API Gateway request -> the event table (see
 * event_http.h), for REST (v1) and HTTP API / Function URL (v2) payloads.
 *
 * Both payloads become one shape: method, path (as delivered: v1 path, v2
 * rawPath), route_path (the path routes match: v2's rawPath without a
 * leading "/<stage>" when the stage is not $default), stage, query (name ->
 * value as delivered), query_all (name -> list: v1's
 * multiValueQueryStringParameters, v2's rawQueryString split and
 * form-decoded), headers with lower-case names (the first spelling wins
 * when two differ only in case), cookies (v2), body (base64-decoded when
 * isBase64Encoded; a body that is not base64 is nil with a decode_error),
 * request_context as delivered. path_params are filled by the route that
 * matches (lua/lrt_router_http.lua). */
#include <ctype.h>
#include <lauxlib.h>
#include <string.h>

#include "event_http.h"
#include "json_tree.h"

/* Push name -> string for the object member 'name' (nil/absent: {}), names
 * lower-cased when 'lower'. [-0, +1, v] */
static void apigw_push_map(struct event_fields *f, const cJSON *root,
                           const char *name, int lower)
{
  lua_State *L = f->L;
  const cJSON *obj = event_fields_object(f, root, name, 0);
  lua_createtable(L, 0, obj != NULL ? cJSON_GetArraySize(obj) : 0);
  for (const cJSON *m = obj != NULL ? obj->child : NULL; m != NULL;
       m = m->next) {
    if (!cJSON_IsString(m))
      event_fields_fail_type(f, name, "an object of strings", m);
    if (lower) {
      size_t n = json_tree_key_len(m);
      char *p = event_fields_scratch(f, n);
      for (size_t i = 0; i < n; i++)
        p[i] = (char)tolower((unsigned char)m->string[i]);
      lua_pushlstring(L, p, n);
    } else {
      event_fields_push_name(L, m);
    }
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) != LUA_TNIL) {
      lua_pop(L, 2); /* first spelling wins */
      continue;
    }
    lua_pop(L, 1); /* nil */
    event_fields_push_text(L, m);
    lua_rawset(L, -3);
  }
}

/* Push query_all from v1's multiValueQueryStringParameters. [-0, +1, v] */
static void apigw_push_multi(struct event_fields *f, const cJSON *obj)
{
  lua_State *L = f->L;
  lua_createtable(L, 0, cJSON_GetArraySize(obj));
  for (const cJSON *m = obj->child; m != NULL; m = m->next) {
    if (!cJSON_IsArray(m))
      event_fields_fail_type(f, "multiValueQueryStringParameters",
                             "an object of arrays", m);
    lua_createtable(L, cJSON_GetArraySize(m), 0);
    int k = 0;
    for (const cJSON *v = m->child; v != NULL; v = v->next) {
      if (!cJSON_IsString(v))
        event_fields_fail_type(f, "multiValueQueryStringParameters",
                               "an object of arrays of strings", v);
      event_fields_push_text(L, v);
      lua_rawseti(L, -2, ++k);
    }
    event_fields_set_named(L, lua_absindex(L, -2), m);
  }
}

/* Push query_all from a raw query string ("a=1&a=2&b"): names and values
 * form-decoded, in order; a pair with a bad escape is skipped with a
 * decode_error. [-0, +1, m] */
static void apigw_push_raw_query(struct event_fields *f, const char *q,
                                 size_t qlen)
{
  lua_State *L = f->L;
  lua_newtable(L);
  int t = lua_gettop(L);
  const char *stop = q + qlen;
  while (q < stop) {
    const char *end = memchr(q, '&', (size_t)(stop - q));
    size_t len = end != NULL ? (size_t)(end - q) : (size_t)(stop - q);
    const char *eq = memchr(q, '=', len);
    size_t nlen = eq != NULL ? (size_t)(eq - q) : len;
    if (len > 0 && event_fields_push_url(f, q, nlen, 1, "rawQueryString")) {
      int ok = eq != NULL ? event_fields_push_url(f, eq + 1, len - nlen - 1, 1,
                                                  "rawQueryString")
                          : (lua_pushliteral(L, ""), 1);
      if (!ok) {
        lua_pop(L, 1); /* name */
      } else {
        lua_pushvalue(L, -2); /* stack: name value name */
        if (lua_rawget(L, t) == LUA_TNIL) {
          lua_pop(L, 1); /* nil */
          lua_newtable(L);
          lua_pushvalue(L, -3);
          lua_pushvalue(L, -2);
          lua_rawset(L, t); /* stack: name value list */
        }
        lua_insert(L, -2); /* stack: name list value */
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        lua_pop(L, 2); /* list, name */
      }
    }
    if (end == NULL)
      break;
    q = end + 1;
  }
}

/* Push query_all derived from query (one value each). [-0, +1, m] */
static void apigw_push_single_lists(lua_State *L, int query)
{
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, query) != 0) {
    lua_createtable(L, 1, 0);
    lua_insert(L, -2);
    lua_rawseti(L, -2, 1); /* stack: all name list */
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4); /* stack: all name */
  }
}

void event_apigateway_fill(struct event_fields *f, const cJSON *root, int t,
                           int v2)
{
  lua_State *L = f->L;
  const cJSON *ctx = event_fields_object(f, root, "requestContext", 1);
  const cJSON *stage = event_fields_string(f, ctx, "stage", 0);
  const cJSON *path_item;
  lua_pushstring(L, v2 ? "2.0" : "1.0");
  lua_setfield(L, t, "version");
  if (v2) {
    const cJSON *http = event_fields_object(f, ctx, "http", 1);
    event_fields_set_string(f, t, "method", http, "method", 1);
    path_item = event_fields_string(f, root, "rawPath", 1);
  } else {
    event_fields_set_string(f, t, "method", root, "httpMethod", 1);
    path_item = event_fields_string(f, root, "path", 1);
  }
  const char *path = path_item->valuestring;
  size_t path_len = json_tree_value_len(path_item);
  event_fields_push_text(L, path_item);
  lua_setfield(L, t, "path");
  size_t skip = 0;
  if (v2 && stage != NULL && !event_fields_text_is(stage, "$default")) {
    size_t n = json_tree_value_len(stage);
    if (path_len > n && path[0] == '/' &&
        memcmp(path + 1, stage->valuestring, n) == 0 &&
        (path_len == n + 1 || path[n + 1] == '/'))
      skip = n + 1;
  }
  if (skip < path_len)
    lua_pushlstring(L, path + skip, path_len - skip);
  else
    lua_pushliteral(L, "/");
  lua_setfield(L, t, "route_path");
  if (stage != NULL) {
    event_fields_push_text(L, stage);
    lua_setfield(L, t, "stage");
  }
  apigw_push_map(f, root, "queryStringParameters", 0);
  int query = lua_gettop(L);
  const cJSON *multi =
      v2 ? NULL
         : event_fields_object(f, root, "multiValueQueryStringParameters", 0);
  const cJSON *raw_q =
      v2 ? event_fields_string(f, root, "rawQueryString", 0) : NULL;
  if (multi != NULL)
    apigw_push_multi(f, multi);
  else if (raw_q != NULL && json_tree_value_len(raw_q) > 0)
    apigw_push_raw_query(f, raw_q->valuestring, json_tree_value_len(raw_q));
  else
    apigw_push_single_lists(L, query);
  lua_setfield(L, t, "query_all");
  lua_setfield(L, t, "query");
  apigw_push_map(f, root, "headers", 1);
  lua_setfield(L, t, "headers");
  if (v2) {
    event_fields_set_strings(f, t, "cookies", root, "cookies");
  }
  const cJSON *b64 = event_fields_opt(root, "isBase64Encoded");
  if (b64 != NULL && !cJSON_IsBool(b64))
    event_fields_fail_type(f, "isBase64Encoded", "a boolean", b64);
  const cJSON *body = event_fields_string(f, root, "body", 0);
  if (body != NULL && cJSON_IsTrue(b64)) {
    if (event_fields_push_base64(f, body->valuestring,
                                 json_tree_value_len(body), "body"))
      lua_setfield(L, t, "body");
  } else if (body != NULL) {
    event_fields_push_text(L, body);
    lua_setfield(L, t, "body");
  }
  lua_newtable(L);
  lua_setfield(L, t, "path_params");
  event_fields_set_json(f, t, "request_context", root, "requestContext");
}
