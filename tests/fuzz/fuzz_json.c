/* fuzz_json: libFuzzer target for JSON decoding and encoding.
 *
 * Two paths, both on the reused Lua state:
 * - the runtime's own (json_lua_push of an event tree, json_lua_encode of a
 *   response): a tree that decodes must encode, the text must be JSON, and
 *   decoding and encoding that text again must give the same document (a
 *   fixpoint: the first pass may legitimately change a document, e.g. drop
 *   duplicate keys or repair invalid UTF-8, the second may not);
 * - the `json` module a handler uses (json.decode, json.encode): the same
 *   round-trip property, and a failing json.decode must raise a plain
 *   "json.decode: ..." message.
 * Decoding may only fail with Runtime.InvalidJSON (nesting past the cap) or a
 * memory error. Encoding a decoded value may only fail when the document
 * holds a number literal that overflows a double (1e999): cJSON reads it as
 * an infinity, decoding keeps it, and the encoder refuses infinities.
 * The fixpoint is not asked of a first text that has duplicate keys: two
 * distinct Lua keys may print as one JSON name (keys differing only in
 * invalid UTF-8, repaired to U+FFFD; 1 and "1"), and which one a decoder
 * keeps is its choice. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>

#include "buf.h"
#include "fuzz_common.h"
#include "json_lua.h"
#include "json_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_JSON_MAX_TEXT ((size_t)64 * 1024 * 1024)

static const char MODULE_ROUND_TRIP[] =
    "local json, text = ...\n"
    "local ok, v = pcall(json.decode, text)\n"
    "if not ok then\n"
    "  assert(type(v) == 'string', 'json.decode raised a ' .. type(v))\n"
    "  assert(v:find('^json%.decode: ') or v:find('not enough memory'),\n"
    "         'json.decode error without its prefix: ' .. v)\n"
    "  return nil\n"
    "end\n"
    "local ok1, s1 = pcall(json.encode, v)\n"
    "if not ok1 and s1:find('infinity') then return nil end\n"
    "assert(ok1, s1)\n"
    "local s2 = json.encode(json.decode(s1))\n"
    "return s1, s2\n";

static int push_protected(lua_State *L)
{
  json_lua_push(L, lua_touserdata(L, 1));
  return 1;
}

static int encode_protected(lua_State *L)
{
  json_lua_encode(L, 2, lua_touserdata(L, 1), "Runtime.InvalidResponse",
                  "response");
  return 0;
}

/* Nonzero when the tree holds an infinite (overflowed) number. */
static int has_nonfinite(const cJSON *item)
{
  if (cJSON_IsNumber(item) && !isfinite(item->valuedouble))
    return 1;
  for (const cJSON *c = item->child; c; c = c->next) {
    if (has_nonfinite(c))
      return 1;
  }
  return 0;
}

/* Decode 'tree' and encode the value into 'out'. Returns 1 when both
 * steps succeeded, 0 when decoding failed acceptably. */
static int decode_encode(lua_State *L, const cJSON *tree, struct buf *out)
{
  lua_settop(L, 0);
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, (void *)(uintptr_t)tree);
  int status = lua_pcall(L, 1, 1, 0);
  FUZZ_CHECK(lua_gettop(L) == 1, "decode left %d values", lua_gettop(L));
  if (status != LUA_OK) {
    fuzz_check_typed_error(L, status, "Runtime.InvalidJSON");
    return 0;
  }
  lua_pushcfunction(L, encode_protected);
  lua_insert(L, 1);
  lua_pushlightuserdata(L, out);
  lua_insert(L, 2);
  status = lua_pcall(L, 2, 0, 0);
  if (status == LUA_ERRMEM)
    return 0;
  if (status != LUA_OK && has_nonfinite(tree)) {
    fuzz_check_typed_error(L, status, "Runtime.InvalidResponse");
    return 0;
  }
  FUZZ_CHECK(status == LUA_OK, "a decoded value failed to encode: %s",
             lua_type(L, -1) == LUA_TTABLE
                 ? (lua_getfield(L, -1, "message"), lua_tostring(L, -1))
                 : luaL_typename(L, -1));
  FUZZ_CHECK(lua_gettop(L) == 0, "encode left %d values", lua_gettop(L));
  return 1;
}

static cJSON *parse_exact(const char *text, size_t len)
{
  const char *end = NULL;
  cJSON *t = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  FUZZ_CHECK(t != NULL, "encoder output is not JSON: %.200s", text);
  FUZZ_CHECK(end == text + len, "encoder output has trailing bytes: %.200s",
             text);
  return t;
}

/* Objects wider than this are not searched for duplicates (quadratic). */
#define FUZZ_JSON_DUP_SCAN 2000

/* Nonzero when an object in the tree repeats a name. */
static int has_duplicate_keys(const cJSON *item)
{
  int n = 0;
  for (const cJSON *c = item->child; c; c = c->next, n++) {
    if (has_duplicate_keys(c))
      return 1;
  }
  if (!cJSON_IsObject(item))
    return 0;
  if (n > FUZZ_JSON_DUP_SCAN)
    return 1; /* not checked: treated as if it had them */
  for (const cJSON *a = item->child; a; a = a->next) {
    for (const cJSON *b = a->next; b; b = b->next) {
      if (strcmp(a->string, b->string) == 0)
        return 1;
    }
  }
  return 0;
}

static void check_same(const char *s1, size_t n1, const char *s2, size_t n2)
{
  cJSON *a = parse_exact(s1, n1);
  cJSON *b = parse_exact(s2, n2);
  if (has_duplicate_keys(a)) {
    cJSON_Delete(a);
    cJSON_Delete(b);
    return;
  }
  FUZZ_CHECK(cJSON_Compare(a, b, 1),
             "round trip changed the document:\n%.300s"
             "\n%.300s",
             s1, s2);
  cJSON_Delete(a);
  cJSON_Delete(b);
}

static void runtime_path(lua_State *L, const uint8_t *data, size_t size)
{
  size_t at = 0;
  const char *why = NULL;
  static struct arena arena; /* zero: an arena with no budget */
  cJSON *tree = json_tree_parse(&arena, (const char *)data, size, &at, &why);
  if (!tree) {
    FUZZ_CHECK(why != NULL && at <= size, "parse failure without a reason");
    arena_reset(&arena);
    return;
  }
  struct buf t1, t2;
  buf_init(&t1, FUZZ_JSON_MAX_TEXT);
  buf_init(&t2, FUZZ_JSON_MAX_TEXT);
  if (decode_encode(L, tree, &t1)) {
    cJSON *again = parse_exact(t1.data, t1.len);
    if (decode_encode(L, again, &t2))
      check_same(t1.data, t1.len, t2.data, t2.len);
    cJSON_Delete(again);
  }
  buf_free(&t1);
  buf_free(&t2);
  arena_reset(&arena);
  lua_settop(L, 0);
}

static void module_path(lua_State *L, const uint8_t *data, size_t size)
{
  lua_settop(L, 0);
  int status = luaL_loadbuffer(L, MODULE_ROUND_TRIP,
                               sizeof(MODULE_ROUND_TRIP) - 1, "=round_trip");
  FUZZ_CHECK(status == LUA_OK, "round trip chunk: %s", lua_tostring(L, -1));
  luaL_requiref(L, "json", luaopen_json, 0);
  lua_pushlstring(L, (const char *)data, size);
  status = lua_pcall(L, 2, 2, 0);
  if (status == LUA_ERRMEM)
    return;
  FUZZ_CHECK(status == LUA_OK, "%s",
             lua_isstring(L, -1) ? lua_tostring(L, -1) : "(not a string)");
  if (lua_isnil(L, 1))
    return;
  size_t n1, n2;
  const char *s1 = lua_tolstring(L, 1, &n1);
  const char *s2 = lua_tolstring(L, 2, &n2);
  check_same(s1, n1, s2, n2);
  lua_settop(L, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  lua_State *L = fuzz_state();
  runtime_path(L, data, size);
  module_path(L, data, size);
  return 0;
}
