/* event_fields: shared decoder helpers. See event_fields.h.
 *
 * Base64 and URL escapes are decoded into the decoder's scratch (the one
 * scratch every decoder uses, event_decode.h), reused value after value,
 * and copied once into the Lua string: nothing is left for the collector.
 * Unlike Kafka's lenient reader, the
 * other sources' base64 must be padded (a length that is a multiple of 4):
 * SQS, SNS, Kinesis, DynamoDB and API Gateway all send it so, and AWS's own
 * sample values that are not base64 ("TestBinary") pass the alphabet test
 * but not this one. */
#include "event_fields.h"

#include <lauxlib.h>
#include <string.h>

#include "base64.h"
#include "error_types.h"
#include "json_lua.h"
#include "json_tree.h"
#include "lrt_error.h"
#include "url_decode.h"

void event_fields_fail(struct event_fields *f, const char *field,
                       const char *what)
{
  if (f->record > 0)
    lrt_error_raise(f->L, f->error_type, "%s event: record #%d: %s: %s",
                    f->source, f->record, field, what);
  lrt_error_raise(f->L, f->error_type, "%s event: %s: %s", f->source, field,
                  what);
}

void event_fields_fail_type(struct event_fields *f, const char *field,
                            const char *want, const cJSON *got)
{
  /* Built on the stack; the raise discards it. */
  lua_pushfstring(f->L, "must be %s (got %s)", want, json_tree_type_name(got));
  event_fields_fail(f, field, lua_tostring(f->L, -1));
}

void event_fields_push_text(lua_State *L, const cJSON *item)
{
  lua_pushlstring(L, item->valuestring, json_tree_value_len(item));
}

void event_fields_push_name(lua_State *L, const cJSON *item)
{
  lua_pushlstring(L, item->string != NULL ? item->string : "",
                  json_tree_key_len(item));
}

void event_fields_set_named(lua_State *L, int t, const cJSON *m)
{
  event_fields_push_name(L, m);
  lua_insert(L, -2);
  lua_rawset(L, t);
}

int event_fields_text_is(const cJSON *item, const char *want)
{
  size_t n = strlen(want);
  return cJSON_IsString(item) && json_tree_value_len(item) == n &&
         memcmp(item->valuestring, want, n) == 0;
}

int event_fields_name_is(const cJSON *item, const char *want)
{
  size_t n = strlen(want);
  return item->string != NULL && json_tree_key_len(item) == n &&
         memcmp(item->string, want, n) == 0;
}

const cJSON *event_fields_opt(const cJSON *obj, const char *name)
{
  const cJSON *item = json_tree_get(obj, name);
  return cJSON_IsNull(item) ? NULL : item;
}

const cJSON *event_fields_object(struct event_fields *f, const cJSON *obj,
                                 const char *name, int required)
{
  const cJSON *item = event_fields_opt(obj, name);
  if (item == NULL && !required)
    return NULL;
  if (!cJSON_IsObject(item))
    event_fields_fail_type(f, name, "an object", item);
  return item;
}

const cJSON *event_fields_string(struct event_fields *f, const cJSON *obj,
                                 const char *name, int required)
{
  const cJSON *item = event_fields_opt(obj, name);
  if (item == NULL && !required)
    return NULL;
  if (!cJSON_IsString(item))
    event_fields_fail_type(f, name, "a string", item);
  return item;
}

void event_fields_set_string(struct event_fields *f, int t, const char *key,
                             const cJSON *obj, const char *name, int required)
{
  const cJSON *s = event_fields_string(f, obj, name, required);
  if (s == NULL)
    return;
  event_fields_push_text(f->L, s);
  lua_setfield(f->L, t, key);
}

void event_fields_set_strings(struct event_fields *f, int t, const char *key,
                              const cJSON *obj, const char *name)
{
  lua_State *L = f->L;
  const cJSON *arr = event_fields_opt(obj, name);
  if (arr != NULL && !cJSON_IsArray(arr))
    event_fields_fail_type(f, name, "an array", arr);
  lua_createtable(L, arr != NULL ? cJSON_GetArraySize(arr) : 0, 0);
  int k = 0;
  for (const cJSON *e = arr != NULL ? arr->child : NULL; e != NULL;
       e = e->next) {
    if (!cJSON_IsString(e))
      event_fields_fail_type(f, name, "an array of strings", e);
    event_fields_push_text(L, e);
    lua_rawseti(L, -2, ++k);
  }
  if (k == 0) {
    json_lua_push_array_mt(L);
    lua_setmetatable(L, -2);
  }
  lua_setfield(L, t, key);
}

void event_fields_set_json(struct event_fields *f, int t, const char *key,
                           const cJSON *obj, const char *name)
{
  const cJSON *item = json_tree_get(obj, name);
  if (item == NULL)
    return;
  json_lua_push_typed(f->L, item, f->error_type);
  lua_setfield(f->L, t, key);
}

void event_fields_decode_error(struct event_fields *f, const char *field,
                               const char *why)
{
  lua_State *L = f->L;
  if (f->record_idx == 0)
    return;
  if (lua_getfield(L, f->record_idx, "decode_error") == LUA_TSTRING)
    lua_pushfstring(L, "%s; %s: %s", lua_tostring(L, -1), field, why);
  else
    lua_pushfstring(L, "%s: %s", field, why);
  lua_setfield(L, f->record_idx, "decode_error");
  lua_pop(L, 1); /* the old value */
}

char *event_fields_scratch(struct event_fields *f, size_t n)
{
  if (buf_reserve(f->scratch, n) != BUF_OK)
    lrt_error_raise(f->L, ERROR_TYPE_OUT_OF_MEMORY,
                    "%s event: no memory for a value of %I bytes", f->source,
                    (lua_Integer)n);
  return f->scratch->data;
}

int event_fields_decode_base64(struct event_fields *f, const char *text,
                               size_t len, size_t *bad)
{
  size_t out_len = 0;
  if (len % 4 != 0) {
    *bad = len;
    return 0;
  }
  unsigned char *out =
      (unsigned char *)event_fields_scratch(f, base64_decoded_max(len));
  if (base64_decode(text, len, out, &out_len, bad) != 0)
    return 0;
  lua_pushlstring(f->L, (const char *)out, out_len);
  return 1;
}

void event_fields_push_base64_why(lua_State *L, size_t bad, size_t len)
{
  if (bad == len)
    lua_pushfstring(L, "not base64 (%I characters, not a multiple of 4)",
                    (lua_Integer)len);
  else
    lua_pushfstring(L, "not base64 (bad character at position %I of %I)",
                    (lua_Integer)bad, (lua_Integer)len);
}

int event_fields_push_base64(struct event_fields *f, const char *text,
                             size_t len, const char *field)
{
  size_t bad = 0;
  if (event_fields_decode_base64(f, text, len, &bad))
    return 1;
  event_fields_push_base64_why(f->L, bad, len);
  event_fields_decode_error(f, field, lua_tostring(f->L, -1));
  lua_pop(f->L, 1); /* the message */
  return 0;
}

int event_fields_push_url(struct event_fields *f, const char *text, size_t len,
                          int plus_is_space, const char *field)
{
  lua_State *L = f->L;
  size_t out_len = 0;
  size_t bad = 0;
  char *out = event_fields_scratch(f, len);
  if (url_decode(text, len, out, &out_len, plus_is_space, &bad) != 0) {
    lua_pushfstring(L, "bad %% escape at position %I", (lua_Integer)bad);
    event_fields_decode_error(f, field, lua_tostring(L, -1));
    lua_pop(L, 1); /* the message */
    return 0;
  }
  lua_pushlstring(L, out, out_len);
  return 1;
}
