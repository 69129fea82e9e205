/* json_lua: JSON <-> Lua values with cJSON, and the `json` module.
 *
 * Decoding pushes Lua values for a cJSON tree the caller owns. Encoding
 * writes the text straight into a capped buffer (struct buf) inside a
 * protected call, with no tree and no allocation per value (a cJSON tree was
 * three dozen mallocs for a small response); the buffer belongs to the
 * caller of the protected call, so when anything raises (a function in the
 * value, a cycle, NaN, a memory error) it is reset or freed there and the
 * error re-raised; no C memory outlives an error.
 *
 * Choices the header leaves open:
 * - Strings and keys are written by json_write, the runtime's one escaper
 *   (every byte kept, a NUL as \u0000, invalid UTF-8 as U+FFFD: see
 *   json_write.h); a key with invalid UTF-8 is repaired before it is
 *   written (utf8_repair), so two keys repaired into the same text are
 *   the same name twice. Numbers are number_text's: integers exact, floats
 *   the shortest of %.14g..%.17g that reads back exactly, ".0" added when
 *   that text would read as an integer (1.0 -> 1.0, -0.0 -> -0.0).
 * - A table marked with json.array encodes as an array of its positive
 *   integer keys 1..max, holes as null; any other key in it is an error.
 * - Paths in error messages use Lua's 1-based indices: $.items[3].f.
 * - The module functions raise plain string errors ("json.encode: ..."), so
 *   pcall(json.decode, s) gives a message a handler can print; the C entry
 *   points raise the typed errors of lrt_error. */
#include "json_lua.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "error_types.h"
#include "heap.h"
#include "json_tree.h"
#include "json_write.h"
#include "lrt_error.h"
#include "number_text.h"
#include "utf8.h"

/* json.null: one address shared by every state. */
static char JSON_NULL;
/* Registry key of the json.array marker metatable. */
static const char JSON_ARRAY_MT_KEY = 0;

/* Largest text json.encode returns (responses have their own, smaller cap). */
#define JSON_LUA_MODULE_MAX_TEXT ((size_t)256 * 1024 * 1024)

/* Holes a json.array may have beyond as many as it has elements. */
#define JSON_LUA_MAX_HOLES 1024

/* Longest key shown in an error path before it is cut. */
#define JSON_LUA_PATH_KEY_MAX 64

void json_lua_push_null(lua_State *L)
{
  lua_pushlightuserdata(L, &JSON_NULL);
}

static int is_null(lua_State *L, int idx)
{
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA &&
         lua_touserdata(L, idx) == (const void *)&JSON_NULL;
}

void json_lua_push_array_mt(lua_State *L)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &JSON_ARRAY_MT_KEY) == LUA_TTABLE)
    return;
  lua_pop(L, 1); /* nil */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "json.array");
  lua_setfield(L, -2, "__name");
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &JSON_ARRAY_MT_KEY);
}

/* ==== Decoding ==== */

static void push_value(lua_State *L, const cJSON *item, int depth,
                       const char *etype);

void json_lua_push_number(lua_State *L, double d)
{
  lua_Integer i;
  /* lua_numbertointeger rejects values outside lua_Integer; floor() keeps
   * 1.5 a float. cJSON has already rounded the text to a double. */
  if (floor(d) == d && lua_numbertointeger(d, &i))
    lua_pushinteger(L, i);
  else
    lua_pushnumber(L, d);
}

static void push_container(lua_State *L, const cJSON *item, int depth,
                           const char *etype)
{
  if (depth > JSON_LUA_MAX_DEPTH)
    lrt_error_raise(L, etype, "JSON nesting deeper than %d levels",
                    JSON_LUA_MAX_DEPTH);
  /* 3 slots: the table, a key and a value. */
  luaL_checkstack(L, 3, "JSON nesting");
  int n = 0;
  const cJSON *child;
  cJSON_ArrayForEach(child, item) {
    n++;
  }
  if (cJSON_IsArray(item)) {
    lua_createtable(L, n, 0);
    if (n == 0) {
      /* So that [] encodes back as [] and not {}. */
      json_lua_push_array_mt(L);
      lua_setmetatable(L, -2);
      return;
    }
    lua_Integer i = 1;
    cJSON_ArrayForEach(child, item) {
      push_value(L, child, depth + 1, etype);
      lua_rawseti(L, -2, i++);
    }
  } else {
    lua_createtable(L, 0, n);
    cJSON_ArrayForEach(child, item) {
      lua_pushlstring(L, child->string ? child->string : "",
                      json_tree_key_len(child));
      push_value(L, child, depth + 1, etype);
      lua_rawset(L, -3); /* later duplicates win */
    }
  }
}

static void push_value(lua_State *L, const cJSON *item, int depth,
                       const char *etype)
{
  switch (item->type & 0xFF) {
  case cJSON_NULL:
    json_lua_push_null(L);
    break;
  case cJSON_False:
    lua_pushboolean(L, 0);
    break;
  case cJSON_True:
    lua_pushboolean(L, 1);
    break;
  case cJSON_Number:
    json_lua_push_number(L, item->valuedouble);
    break;
  case cJSON_String:
    lua_pushlstring(L, item->valuestring ? item->valuestring : "",
                    json_tree_value_len(item));
    break;
  case cJSON_Array:
  case cJSON_Object:
    push_container(L, item, depth, etype);
    break;
  default:
    lrt_error_raise(L, etype, "unexpected JSON node type %d",
                    item->type & 0xFF);
  }
}

void json_lua_push_typed(lua_State *L, const cJSON *item,
                         const char *error_type)
{
  luaL_checkstack(L, 1, "JSON value");
  push_value(L, item, 1, error_type);
}

void json_lua_push(lua_State *L, const cJSON *item)
{
  json_lua_push_typed(L, item, ERROR_TYPE_INVALID_JSON);
}

/* ==== Encoding ==== */

/* One step of the path from the root to the value being encoded. */
struct enc_frame {
  const void *table; /* the container, for cycle detection */
  int key_idx;       /* absolute index of the key string, 0 for arrays */
  lua_Integer index; /* the 1-based element index when key_idx is 0 */
};

struct enc_ctx {
  const char *what;
  struct buf *out;         /* the text so far; owned by the caller */
  size_t start;            /* where in 'out' this value's text begins */
  int push_text;           /* json.encode: push the text as a Lua string too */
  int array_mt_idx;        /* absolute index of the json.array metatable */
  int depth;               /* frames in use */
  size_t own_max;          /* out->max as the caller set it */
  int out_of_memory;       /* the text passed the memory budget (or malloc) */
  json_lua_key_writer key; /* members only (json_lua_encode_members) */
  void *key_ud;
  int not_object; /* members only, and the value is no object: nothing done */
  struct enc_frame frames[JSON_LUA_MAX_DEPTH + 1];
};

static int is_identifier(const char *s, size_t n)
{
  if (n == 0 || n > JSON_LUA_PATH_KEY_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
      return 0;
  }
  return 1;
}

/* Push "$.a[2]["odd key"]" for the current frames, with 'extra' (a key being
 * added, or NULL) appended. Keys are shown only in part and only printable
 * ASCII, since they may come from an event. */
static void push_path(lua_State *L, struct enc_ctx *ctx, const char *extra)
{
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '$');
  for (int i = 1; i <= ctx->depth; i++) {
    const struct enc_frame *f = &ctx->frames[i];
    if (f->key_idx == 0 && f->index == 0)
      continue; /* the value itself, not yet an element */
    if (f->key_idx == 0) {
      char num[NUMBER_TEXT_MAX];
      number_text_integer((long long)f->index, num, sizeof num);
      luaL_addchar(&b, '[');
      luaL_addstring(&b, num);
      luaL_addchar(&b, ']');
      continue;
    }
    size_t n;
    const char *k = lua_tolstring(L, f->key_idx, &n);
    if (is_identifier(k, n)) {
      luaL_addchar(&b, '.');
      luaL_addlstring(&b, k, n);
      continue;
    }
    luaL_addstring(&b, "[\"");
    for (size_t j = 0; j < n && j < JSON_LUA_PATH_KEY_MAX; j++) {
      char c = k[j];
      luaL_addchar(&b, (c >= 0x20 && c < 0x7F && c != '"') ? c : '?');
    }
    if (n > JSON_LUA_PATH_KEY_MAX)
      luaL_addstring(&b, "...");
    luaL_addstring(&b, "\"]");
  }
  if (extra)
    luaL_addstring(&b, extra);
  luaL_pushresult(&b);
}

/* Raise "<what>: <problem> at <path>" as a plain error; the caller of the
 * protected call turns it into the error its own caller expects. */
static void enc_fail(lua_State *L, struct enc_ctx *ctx, const char *problem)
{
  push_path(L, ctx, NULL);
  lua_pushfstring(L, "%s: %s at %s", ctx->what, problem, lua_tostring(L, -1));
  lua_error(L);
}

static void enc_nomem(lua_State *L, struct enc_ctx *ctx)
{
  ctx->out_of_memory = 1;
  lua_pushfstring(L, "%s: not enough memory", ctx->what);
  lua_error(L);
}

/* Raise the error for a refused append (BUF_ETOOBIG or BUF_ENOMEM). Past
 * the caller's own cap the value is too large; past the budget's (see
 * budget_cap), the memory is gone. */
static void enc_refused(lua_State *L, struct enc_ctx *ctx, int rc)
{
  if (rc == BUF_ETOOBIG && ctx->out->max < ctx->own_max) {
    ctx->out_of_memory = 1;
    lua_pushfstring(L,
                    "%s: not enough memory (the text would pass the memory "
                    "left to the function, %I bytes)",
                    ctx->what, (lua_Integer)(ctx->out->max - ctx->start));
    lua_error(L);
  }
  if (rc == BUF_ETOOBIG) {
    /* The cap as the caller gave it: the buffer's, or for members (a log
     * line's fields) the room they were given. */
    size_t cap = ctx->key ? ctx->own_max - ctx->start : ctx->own_max;
    lua_pushfstring(L, "%s: value too large (over %I bytes)", ctx->what,
                    (lua_Integer)cap);
    lua_error(L);
  }
  enc_nomem(L, ctx);
}

/* Append 'n' bytes of text, or raise. */
static void enc_put(lua_State *L, struct enc_ctx *ctx, const char *p, size_t n)
{
  int rc = buf_append(ctx->out, p, n);
  if (rc != BUF_OK)
    enc_refused(L, ctx, rc);
}

#define ENC_LITERAL(L, ctx, lit) enc_put((L), (ctx), (lit), sizeof(lit) - 1)

/* Write the 'n' bytes at 's' as a JSON string literal (json_write). */
static void enc_string_bytes(lua_State *L, struct enc_ctx *ctx, const char *s,
                             size_t n)
{
  int rc = json_write_string(ctx->out, s, n);
  if (rc != BUF_OK)
    enc_refused(L, ctx, rc);
}

static void enc_string(lua_State *L, struct enc_ctx *ctx, int idx)
{
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  enc_string_bytes(L, ctx, s, n);
}

/* The JSON text of the number at 'idx' into 'text' (NUMBER_TEXT_MAX
 * bytes), or NULL (nothing written) with the problem for NaN and the
 * infinities. Integers never go through a double: beyond 2^53 they stay
 * exact. */
static const char *number_text_of(lua_State *L, int idx, char *text)
{
  if (lua_isinteger(L, idx)) {
    number_text_integer((long long)lua_tointeger(L, idx), text,
                        NUMBER_TEXT_MAX);
    return NULL;
  }
  double d = (double)lua_tonumber(L, idx);
  if (isnan(d))
    return "NaN";
  if (isinf(d))
    return d > 0 ? "infinity" : "-infinity";
  number_text_float(d, text, NUMBER_TEXT_MAX);
  return NULL;
}

static void enc_number(lua_State *L, struct enc_ctx *ctx, int idx)
{
  char text[NUMBER_TEXT_MAX];
  const char *bad = number_text_of(L, idx, text);
  if (bad) {
    lua_pushfstring(L, "cannot encode %s", bad);
    enc_fail(L, ctx, lua_tostring(L, -1));
  }
  enc_put(L, ctx, text, strlen(text));
}

static void enc_value(lua_State *L, struct enc_ctx *ctx, int idx);

/* Push the JSON key text for the key at 'kidx' (a string, or a number turned
 * into its decimal text), or fail for other key types. */
static const char *enc_key(lua_State *L, struct enc_ctx *ctx, int kidx)
{
  char text[NUMBER_TEXT_MAX];
  switch (lua_type(L, kidx)) {
  case LUA_TSTRING:
    lua_pushvalue(L, kidx);
    break;
  case LUA_TNUMBER:
    if (number_text_of(L, kidx, text))
      enc_fail(L, ctx, "cannot encode a NaN or infinite key");
    lua_pushstring(L, text);
    break;
  default:
    lua_pushfstring(L, "cannot encode a key of type %s",
                    luaL_typename(L, kidx));
    enc_fail(L, ctx, lua_tostring(L, -1));
  }
  size_t n;
  const char *k = lua_tolstring(L, -1, &n);
  if (utf8_valid(k, n))
    return k;
  /* Repaired here (as json_write would) so that two keys repaired into the
   * same text are seen as the same key. */
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, utf8_repair(k, n, NULL));
  luaL_pushresultsize(&b, utf8_repair(k, n, out));
  lua_replace(L, -2);
  return lua_tostring(L, -1);
}

/* Classify the table at 'idx': returns the array length (>= 1) for a
 * sequence, 0 for an object, and for a json.array table its largest key
 * (possibly 0) with *marked set. */
static lua_Integer table_shape(lua_State *L, struct enc_ctx *ctx, int idx,
                               int *marked)
{
  *marked = 0;
  if (lua_getmetatable(L, idx)) {
    *marked = lua_rawequal(L, -1, ctx->array_mt_idx);
    lua_pop(L, 1); /* metatable */
  }
  lua_Integer count = 0, max = 0;
  int sequence = 1;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1); /* value */
    if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
      lua_Integer k = lua_tointeger(L, -1);
      if (k > max)
        max = k;
      count++;
    } else if (*marked) {
      lua_pop(L, 1); /* key */
      enc_fail(L, ctx, "cannot encode a json.array with a non-index key");
    } else {
      sequence = 0;
    }
  }
  /* A stray huge index would otherwise mean millions of nulls. */
  if (*marked && max > 2 * count + JSON_LUA_MAX_HOLES)
    enc_fail(L, ctx, "cannot encode a json.array this sparse");
  if (*marked)
    return max;
  return sequence && count == max ? max : 0;
}

static void enc_table(lua_State *L, struct enc_ctx *ctx, int idx)
{
  const void *self = lua_topointer(L, idx);
  for (int i = 1; i <= ctx->depth; i++) {
    if (ctx->frames[i].table == self)
      enc_fail(L, ctx, "cannot encode a table cycle");
  }
  if (ctx->depth >= JSON_LUA_MAX_DEPTH) {
    lua_pushfstring(L, "nesting deeper than %d levels", JSON_LUA_MAX_DEPTH);
    enc_fail(L, ctx, lua_tostring(L, -1));
  }
  /* Per level: key, value, key text, and slack for path and errors. */
  luaL_checkstack(L, 6, "JSON nesting");
  int marked;
  lua_Integer n = table_shape(L, ctx, idx, &marked);
  struct enc_frame *f = &ctx->frames[++ctx->depth];
  f->table = self;
  f->key_idx = 0;
  f->index = 0;
  if (n > 0 || marked) {
    ENC_LITERAL(L, ctx, "[");
    for (lua_Integer i = 1; i <= n; i++) {
      f->index = i;
      if (i > 1)
        ENC_LITERAL(L, ctx, ",");
      lua_rawgeti(L, idx, i);
      enc_value(L, ctx, lua_gettop(L));
      lua_pop(L, 1); /* element */
    }
    ENC_LITERAL(L, ctx, "]");
  } else {
    int first = 1;
    /* The top level of json_lua_encode_members: its members alone, each
     * key written by the caller's writer. */
    int members = ctx->key && ctx->depth == 1;
    if (!members)
      ENC_LITERAL(L, ctx, "{");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      /* stack: key value */
      int kidx = lua_gettop(L) - 1;
      enc_key(L, ctx, kidx);
      /* stack: key value keytext */
      size_t klen;
      const char *k = lua_tolstring(L, -1, &klen);
      f->key_idx = lua_gettop(L);
      if (members) {
        int rc = ctx->key(ctx->out, k, klen, ctx->key_ud);
        if (rc != BUF_OK)
          enc_refused(L, ctx, rc);
      } else {
        if (!first)
          ENC_LITERAL(L, ctx, ",");
        first = 0;
        enc_string_bytes(L, ctx, k, klen);
        ENC_LITERAL(L, ctx, ":");
      }
      enc_value(L, ctx, kidx + 1);
      f->key_idx = 0;
      lua_pop(L, 2); /* keytext, value */
    }
    if (!members)
      ENC_LITERAL(L, ctx, "}");
  }
  ctx->depth--;
}

static void enc_value(lua_State *L, struct enc_ctx *ctx, int idx)
{
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    ENC_LITERAL(L, ctx, "null");
    break;
  case LUA_TBOOLEAN:
    if (lua_toboolean(L, idx))
      ENC_LITERAL(L, ctx, "true");
    else
      ENC_LITERAL(L, ctx, "false");
    break;
  case LUA_TNUMBER:
    enc_number(L, ctx, idx);
    break;
  case LUA_TSTRING:
    enc_string(L, ctx, idx);
    break;
  case LUA_TTABLE:
    enc_table(L, ctx, idx);
    break;
  case LUA_TLIGHTUSERDATA:
    if (is_null(L, idx)) {
      ENC_LITERAL(L, ctx, "null");
      break;
    }
    enc_fail(L, ctx, "cannot encode a light userdata");
    break;
  case LUA_TFUNCTION:
    enc_fail(L, ctx, "cannot encode a function");
    break;
  case LUA_TTHREAD:
    enc_fail(L, ctx, "cannot encode a thread");
    break;
  default:
    enc_fail(L, ctx, "cannot encode a userdata");
  }
}

/* Protected body: [ctx, value] -> the text appended to ctx->out, and pushed
 * as a string when push_text (here, so that a memory error pushing it is
 * caught like any other and the caller still frees the buffer). */
static int enc_main(lua_State *L)
{
  struct enc_ctx *ctx = lua_touserdata(L, 1);
  json_lua_push_array_mt(L);
  ctx->array_mt_idx = lua_gettop(L);
  if (ctx->key) {
    int marked;
    if (lua_type(L, 2) != LUA_TTABLE || table_shape(L, ctx, 2, &marked) > 0 ||
        marked) {
      ctx->not_object = 1;
      return 0;
    }
  }
  enc_value(L, ctx, 2);
  if (!ctx->push_text)
    return 0;
  lua_pushlstring(L, ctx->out->data + ctx->start, ctx->out->len - ctx->start);
  return 1;
}

/* Run enc_main on the value at 'idx', appending to 'out'. Returns the
 * lua_pcall status; on error the message (a string) is on the stack and
 * 'out' is as the caller gave it (what was appended is cut off). */
/* The text is malloc'd outside the Lua heap: under a capped heap (heap.h)
 * it may take only what the budget has left, and half of that when it is
 * to be copied into a Lua string too, so the two never pass the cap
 * together. [-0, +0, -] */
static struct heap *state_heap(lua_State *L);

static size_t budget_cap(lua_State *L, const struct enc_ctx *ctx)
{
  struct heap *heap = state_heap(L);
  if (!heap)
    return ctx->own_max;
  size_t room = heap_room(heap);
  if (ctx->push_text)
    room /= 2;
  if (room > ctx->own_max - ctx->start)
    return ctx->own_max;
  return ctx->start + room;
}

static int enc_run(lua_State *L, int idx, struct enc_ctx *ctx, struct buf *out)
{
  idx = lua_absindex(L, idx);
  ctx->out = out;
  ctx->start = out->len;
  ctx->depth = 0;
  ctx->own_max = out->max;
  ctx->out_of_memory = 0;
  ctx->not_object = 0;
  out->max = budget_cap(L, ctx);
  luaL_checkstack(L, 3, "JSON encode");
  lua_pushcfunction(L, enc_main);
  lua_pushlightuserdata(L, ctx);
  lua_pushvalue(L, idx);
  int status = lua_pcall(L, 2, ctx->push_text ? 1 : 0, 0);
  out->max = ctx->own_max;
  if (status == LUA_ERRMEM)
    ctx->out_of_memory = 1;
  if (status != LUA_OK) {
    out->len = ctx->start;
    if (out->data != NULL)
      out->data[ctx->start] = '\0';
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1); /* not ours: a memory error object, say */
      lua_pushfstring(L, "%s: not enough memory", ctx->what);
    } else if (status == LUA_ERRMEM) {
      lua_pop(L, 1); /* "not enough memory" */
      lua_pushfstring(L, "%s: not enough memory", ctx->what);
    }
  }
  return status;
}

void json_lua_encode(lua_State *L, int idx, struct buf *out,
                     const char *error_type, const char *what)
{
  json_lua_encode_members(L, idx, out, error_type, what, NULL, NULL);
}

int json_lua_encode_members(lua_State *L, int idx, struct buf *out,
                            const char *error_type, const char *what,
                            json_lua_key_writer key, void *ud)
{
  struct enc_ctx ctx;
  ctx.what = what;
  ctx.push_text = 0;
  ctx.key = key;
  ctx.key_ud = ud;
  if (enc_run(L, idx, &ctx, out) != LUA_OK)
    lrt_error_raise(L,
                    ctx.out_of_memory ? ERROR_TYPE_OUT_OF_MEMORY : error_type,
                    "%s", lua_tostring(L, -1));
  return !ctx.not_object;
}

/* ==== The json module ==== */

static int json_encode(lua_State *L)
{
  luaL_checkany(L, 1);
  struct enc_ctx ctx;
  struct buf text;
  ctx.what = "json.encode";
  ctx.push_text = 1;
  ctx.key = NULL;
  ctx.key_ud = NULL;
  buf_init(&text, JSON_LUA_MODULE_MAX_TEXT);
  int status = enc_run(L, 1, &ctx, &text);
  buf_free(&text);
  if (status == LUA_OK)
    return 1;
  /* Typed, so that uncaught it is reported as the memory error it is; its
   * __tostring is the message for a handler's pcall. */
  if (ctx.out_of_memory)
    return lrt_error_raise(L, ERROR_TYPE_OUT_OF_MEMORY, "%s",
                           lua_tostring(L, -1));
  luaL_where(L, 1);
  lua_insert(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

/* Protected body of json.decode: [tree] -> value. */
static int decode_push(lua_State *L)
{
  json_lua_push(L, lua_touserdata(L, 1));
  return 1;
}

/* The heap whose budget the state's allocations count against, or NULL
 * when the state was not made with heap_lua_alloc. [-0, +0, -] */
static struct heap *state_heap(lua_State *L)
{
  void *ud = NULL;
  return lua_getallocf(L, &ud) == heap_lua_alloc ? ud : NULL;
}

static int json_decode(lua_State *L)
{
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  size_t pos = 0;
  const char *why = NULL;
  /* The tree lives in an arena of this call, charged to the budget, and
   * freed before anything here can raise. */
  struct arena arena;
  arena_init(&arena);
  arena_set_budget(&arena, state_heap(L));
  cJSON *tree = json_tree_parse(&arena, text, len, &pos, &why);
  if (!tree) {
    int oom = arena.failed;
    arena_free(&arena);
    if (oom)
      return lrt_error_raise(L, ERROR_TYPE_OUT_OF_MEMORY,
                             "json.decode: not enough memory for a %I-byte "
                             "text",
                             (lua_Integer)len);
    lua_Integer line = 1, col = 1;
    for (size_t i = 0; i < pos; i++) {
      if (text[i] == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    if (len == 0)
      return luaL_error(L, "json.decode: invalid JSON: empty text");
    return luaL_error(L,
                      "json.decode: invalid JSON at byte %I (line %I, "
                      "column %I): %s",
                      (lua_Integer)pos + 1, line, col, why);
  }
  lua_pushcfunction(L, decode_push);
  lua_pushlightuserdata(L, tree);
  int status = lua_pcall(L, 1, 1, 0);
  arena_free(&arena);
  if (status == LUA_OK)
    return 1;
  if (lua_type(L, -1) == LUA_TTABLE) {
    /* a typed error from json_lua_push: keep only its message */
    lua_getfield(L, -1, "message");
    return luaL_error(L, "json.decode: %s", lua_tostring(L, -1));
  }
  return lua_error(L);
}

static int json_array(lua_State *L)
{
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
  }
  json_lua_push_array_mt(L);
  if (lua_getmetatable(L, 1)) {
    luaL_argcheck(L, lua_rawequal(L, -1, -2), 1,
                  "table already has a metatable");
    lua_pop(L, 2); /* both metatables */
    return 1;
  }
  lua_setmetatable(L, 1);
  return 1;
}

static const luaL_Reg json_funcs[] = {{"encode", json_encode},
                                      {"decode", json_decode},
                                      {"array", json_array},
                                      {NULL, NULL}};

int luaopen_json(lua_State *L)
{
  luaL_newlib(L, json_funcs);
  json_lua_push_null(L);
  lua_setfield(L, -2, "null");
  return 1;
}
