/* dynamodb_value: typed attribute values -> Lua. See dynamodb_value.h.
 *
 * Numbers are checked against DynamoDB's grammar here rather than with
 * lua_stringtonumber, which would also take hex, "inf" and surrounding
 * spaces: a number DynamoDB could not have sent is a decode_error, not a
 * guess. Integer literals are parsed with strtoll, whose ERANGE tells the
 * ones past 64 bits (those become doubles via strtod). */
#include "dynamodb_value.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdlib.h>

#include "json_lua.h"
#include "json_tree.h"

int dynamodb_value_number(const char *text, size_t len, int *is_int,
                          long long *i, double *d)
{
  const char *p = text;
  const char *end = text + len;
  int integral = 1;
  /* The text is NUL-terminated (json_tree and cJSON both end strings so),
   * so reading one byte past a digit run never leaves it; 'end' tells a
   * \u0000 inside the text from its end. */
  if (*p == '-')
    p++;
  if (*p < '0' || *p > '9')
    return 0;
  while (*p >= '0' && *p <= '9')
    p++;
  if (*p == '.') {
    integral = 0;
    p++;
    if (*p < '0' || *p > '9')
      return 0;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  if (*p == 'e' || *p == 'E') {
    integral = 0;
    p++;
    if (*p == '+' || *p == '-')
      p++;
    if (*p < '0' || *p > '9')
      return 0;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  if (p != end)
    return 0;
  if (integral) {
    errno = 0;
    long long v = strtoll(text, NULL, 10);
    if (errno == 0) {
      *is_int = 1;
      *i = v;
      return 1;
    }
  }
  *is_int = 0;
  *d = strtod(text, NULL);
  return 1;
}

/* Push "a.b.c" for 'path'. [-0, +1, m] */
static void dynamodb_push_path(lua_State *L, const struct dynamodb_path *p)
{
  const char *names[DYNAMODB_VALUE_MAX_DEPTH + 4];
  int n = 0;
  for (; p != NULL && n < (int)(sizeof names / sizeof names[0]); p = p->up)
    names[n++] = p->name;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = n - 1; i >= 0; i--) {
    luaL_addstring(&b, names[i]);
    if (i > 0)
      luaL_addchar(&b, '.');
  }
  luaL_pushresult(&b);
}

/* Raise for the value at 'path'. [-0, +0, v] */
static void dynamodb_fail(struct event_fields *f,
                          const struct dynamodb_path *path, const char *what)
{
  dynamodb_push_path(f->L, path);
  event_fields_fail(f, lua_tostring(f->L, -1), what);
}

static void dynamodb_fail_type(struct event_fields *f,
                               const struct dynamodb_path *path,
                               const char *want, const cJSON *got)
{
  dynamodb_push_path(f->L, path);
  event_fields_fail_type(f, lua_tostring(f->L, -1), want, got);
}

/* Note a decode_error for the value at 'path'. [-0, +0, m] */
static void dynamodb_decode_error(struct event_fields *f,
                                  const struct dynamodb_path *path,
                                  const char *why)
{
  dynamodb_push_path(f->L, path);
  event_fields_decode_error(f, lua_tostring(f->L, -1), why);
  lua_pop(f->L, 1); /* path */
}

/* Push the number 'item' (a JSON string) holds, or nil with a decode_error.
 * [-0, +1, v] */
static int dynamodb_push_number(struct event_fields *f, const cJSON *item,
                                const struct dynamodb_path *path)
{
  int is_int = 0;
  long long i = 0;
  double d = 0;
  if (!cJSON_IsString(item))
    dynamodb_fail_type(f, path, "a string (N)", item);
  if (!dynamodb_value_number(item->valuestring, json_tree_value_len(item),
                             &is_int, &i, &d)) {
    dynamodb_decode_error(f, path, "N is not a number");
    lua_pushnil(f->L);
    return 0;
  }
  if (is_int)
    lua_pushinteger(f->L, (lua_Integer)i);
  else
    lua_pushnumber(f->L, (lua_Number)d);
  return 1;
}

/* Push the bytes 'item' (a base64 JSON string) holds, or nil. [-0, +1, v] */
static int dynamodb_push_bytes(struct event_fields *f, const cJSON *item,
                               const struct dynamodb_path *path)
{
  if (!cJSON_IsString(item))
    dynamodb_fail_type(f, path, "a string (base64)", item);
  size_t len = json_tree_value_len(item);
  size_t bad = 0;
  if (event_fields_decode_base64(f, item->valuestring, len, &bad))
    return 1;
  event_fields_push_base64_why(f->L, bad, len);
  dynamodb_decode_error(f, path, lua_tostring(f->L, -1));
  lua_pop(f->L, 1); /* message */
  lua_pushnil(f->L);
  return 0;
}

static void dynamodb_mark_empty(lua_State *L, int n)
{
  if (n > 0)
    return;
  json_lua_push_array_mt(L);
  lua_setmetatable(L, -2);
}

/* Push a set (SS, NS, BS) or list (L); 'tag' is the member's name. Any bad
 * element makes the whole value nil, since a sequence with a hole would
 * silently shift the rest. [-0, +1, v] */
static int dynamodb_push_seq(struct event_fields *f, const cJSON *arr, char tag,
                             const struct dynamodb_path *path, int depth)
{
  lua_State *L = f->L;
  if (!cJSON_IsArray(arr))
    dynamodb_fail_type(f, path, "an array", arr);
  int n = cJSON_GetArraySize(arr);
  int ok = 1;
  lua_createtable(L, n, 0);
  int k = 0;
  for (const cJSON *e = arr->child; e != NULL; e = e->next) {
    int good;
    if (tag == 'S') {
      if (!cJSON_IsString(e))
        dynamodb_fail_type(f, path, "an array of strings (SS)", e);
      event_fields_push_text(L, e);
      good = 1;
    } else if (tag == 'N') {
      good = dynamodb_push_number(f, e, path);
    } else if (tag == 'B') {
      good = dynamodb_push_bytes(f, e, path);
    } else {
      good = dynamodb_value_push(f, e, path, depth + 1);
    }
    ok &= good;
    lua_rawseti(L, -2, ++k);
  }
  if (!ok) {
    lua_pop(L, 1); /* the partial sequence */
    lua_pushnil(L);
    return 0;
  }
  dynamodb_mark_empty(L, n);
  return 1;
}

int dynamodb_value_push(struct event_fields *f, const cJSON *av,
                        const struct dynamodb_path *path, int depth)
{
  lua_State *L = f->L;
  if (depth > DYNAMODB_VALUE_MAX_DEPTH)
    dynamodb_fail(f, path, "nesting deeper than 64 levels");
  luaL_checkstack(L, 8, "DynamoDB nesting");
  if (!cJSON_IsObject(av))
    dynamodb_fail_type(f, path, "an attribute value object", av);
  const cJSON *m = av->child;
  if (m == NULL || m->next != NULL)
    dynamodb_fail(f, path, "an attribute value must have exactly one type");
  if (event_fields_name_is(m, "S")) {
    if (!cJSON_IsString(m))
      dynamodb_fail_type(f, path, "a string (S)", m);
    event_fields_push_text(L, m);
    return 1;
  }
  if (event_fields_name_is(m, "N"))
    return dynamodb_push_number(f, m, path);
  if (event_fields_name_is(m, "B"))
    return dynamodb_push_bytes(f, m, path);
  if (event_fields_name_is(m, "BOOL")) {
    if (!cJSON_IsBool(m))
      dynamodb_fail_type(f, path, "a boolean (BOOL)", m);
    lua_pushboolean(L, cJSON_IsTrue(m));
    return 1;
  }
  if (event_fields_name_is(m, "NULL")) {
    if (!cJSON_IsBool(m))
      dynamodb_fail_type(f, path, "a boolean (NULL)", m);
    json_lua_push_null(L);
    return 1;
  }
  if (event_fields_name_is(m, "M")) {
    if (!cJSON_IsObject(m))
      dynamodb_fail_type(f, path, "an object (M)", m);
    dynamodb_value_push_map(f, m, path, depth + 1);
    return 1;
  }
  if (event_fields_name_is(m, "L"))
    return dynamodb_push_seq(f, m, 'L', path, depth);
  if (event_fields_name_is(m, "SS"))
    return dynamodb_push_seq(f, m, 'S', path, depth);
  if (event_fields_name_is(m, "NS"))
    return dynamodb_push_seq(f, m, 'N', path, depth);
  if (event_fields_name_is(m, "BS"))
    return dynamodb_push_seq(f, m, 'B', path, depth);
  lua_pushfstring(L, "unknown attribute type \"%s\"", m->string);
  dynamodb_fail(f, path, lua_tostring(L, -1));
  return 0;
}

void dynamodb_value_push_map(struct event_fields *f, const cJSON *map,
                             const struct dynamodb_path *path, int depth)
{
  lua_State *L = f->L;
  if (depth > DYNAMODB_VALUE_MAX_DEPTH)
    dynamodb_fail(f, path, "nesting deeper than 64 levels");
  luaL_checkstack(L, 8, "DynamoDB nesting");
  lua_createtable(L, 0, cJSON_GetArraySize(map));
  int t = lua_gettop(L);
  for (const cJSON *m = map->child; m != NULL; m = m->next) {
    struct dynamodb_path here = {path, m->string};
    dynamodb_value_push(f, m, &here, depth);
    event_fields_set_named(L, t, m);
  }
}
