/* test_json_lua: json_lua.c against real Lua and cJSON.
 *
 * Most cases run as Lua chunks with `json` loaded from luaopen_json, so they
 * exercise exactly what handlers see; the C entry points (json_lua_push,
 * json_lua_encode) are checked directly for their typed errors, the caller's
 * buffer and stack balance. The ASan build runs this file, which is what
 * checks that errors raised mid-encode leak nothing. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

#include "json_lua.h"
#include "test.h"

/* An allocator that can be told to fail, to raise memory errors mid-encode. */
static size_t alloc_budget = (size_t)-1;

static void *test_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if (nsize > osize || !ptr) {
    size_t grow = nsize - (ptr ? osize : 0);
    if (grow > alloc_budget)
      return NULL;
    if (alloc_budget != (size_t)-1)
      alloc_budget -= grow;
  }
  return realloc(ptr, nsize);
}

static lua_State *new_state(void)
{
  lua_State *L = lua_newstate(test_alloc, NULL);
  ASSERT_NOT_NULL(L);
  luaL_openlibs(L);
  luaL_requiref(L, "json", luaopen_json, 1);
  lua_pop(L, 1); /* json */
  return L;
}

/* Run a chunk that asserts in Lua; any error fails the test with its text. */
static void run(lua_State *L, const char *code)
{
  int top = lua_gettop(L);
  if (luaL_dostring(L, code) != LUA_OK)
    TEST_FAIL("Lua chunk failed: %s\n--- chunk:\n%s", lua_tostring(L, -1),
              code);
  lua_settop(L, top);
}

static void test_decode_values(void)
{
  lua_State *L = new_state();
  run(L, "local t = json.decode('{\"a\":[1,2,{\"b\":true}],\"c\":null,"
         "\"d\":false,\"e\":\"x\",\"f\":{}}')\n"
         "assert(t.a[1] == 1 and t.a[2] == 2 and t.a[3].b == true)\n"
         "assert(#t.a == 3)\n"
         "assert(t.c == json.null and type(json.null) == 'userdata')\n"
         "assert(t.d == false and t.e == 'x')\n"
         "assert(next(t.f) == nil and getmetatable(t.f) == nil)\n"
         "assert(json.decode('null') == json.null)\n"
         "assert(json.decode('[null,1]')[1] == json.null)\n"
         "assert(json.decode(' \\n\"s\"\\t ') == 's')\n"
         "assert(json.decode('\"\\\\u00e9\"') == '\\xC3\\xA9')\n"
         "assert(json.decode('\"\\\\ud83d\\\\ude00\"') == '\\u{1F600}')\n"
         "assert(json.decode('\"a\\\\\"b\\\\\\\\\\\\n\"') == 'a\"b\\\\\\n')\n"
         "local dup = json.decode('{\"k\":1,\"k\":2}')\n"
         "assert(dup.k == 2)\n");
  lua_close(L);
}

static void test_decode_numbers(void)
{
  lua_State *L = new_state();
  run(L, "local function chk(text, mt, v)\n"
         "  local x = json.decode(text)\n"
         "  assert(math.type(x) == mt, text .. ' gave ' .. math.type(x))\n"
         "  assert(x == v, text .. ' gave ' .. tostring(x))\n"
         "end\n"
         "chk('0', 'integer', 0)\n"
         "chk('-0', 'integer', 0)\n"
         "chk('1.0', 'integer', 1)\n"
         "chk('1.5', 'float', 1.5)\n"
         "chk('-42', 'integer', -42)\n"
         "chk('1700000000123', 'integer', 1700000000123)\n"
         "chk('9007199254740992', 'integer', 9007199254740992)\n"
         /* cJSON keeps doubles: 2^53 + 1 arrives as 2^53. */
         "chk('9007199254740993', 'integer', 9007199254740992)\n"
         "chk('-9223372036854775808', 'integer', math.mininteger)\n"
         /* 2^63 - 1 rounds to 2^63 as a double: outside lua_Integer. */
         "chk('9223372036854775807', 'float', 2.0^63)\n"
         "chk('1e300', 'float', 1e300)\n"
         "chk('1E2', 'integer', 100)\n"
         "chk('2.5e-3', 'float', 0.0025)\n");
  lua_close(L);
}

static void test_decode_errors(void)
{
  lua_State *L = new_state();
  run(L, "local function bad(text, pat)\n"
         "  local ok, err = pcall(json.decode, text)\n"
         "  assert(not ok, text)\n"
         "  assert(type(err) == 'string', type(err))\n"
         "  assert(err:find(pat, 1, true), err)\n"
         "end\n"
         "bad('{\"a\":1,}', 'json.decode: invalid JSON at byte 8 (line 1, "
         "column 8)')\n"
         "bad('[1,\\n 2,\\n x]', 'invalid JSON at byte 10 (line 3, column "
         "2)')\n"
         "bad('[1] x', 'invalid JSON at byte 5 (line 1, column 5)')\n"
         "bad('[1]\\0', 'invalid JSON at byte 4')\n"
         "bad('', 'json.decode: invalid JSON: empty text')\n"
         "bad('{\"a\":', 'json.decode: invalid JSON')\n"
         "bad(string.rep('[', 201) .. string.rep(']', 201),"
         " 'json.decode: JSON nesting deeper than 200 levels')\n"
         "bad(string.rep('[', 5000) .. string.rep(']', 5000),"
         " 'nesting deeper than 200 levels')\n"
         "bad('[1] x', 'trailing characters after the value')\n"
         "bad('{\"a\":1,}', 'syntax error')\n"
         "local ok = pcall(json.decode, string.rep('[', 200) .."
         " string.rep(']', 200))\n"
         "assert(ok)\n"
         "local ok2, err2 = pcall(json.decode)\n"
         "assert(not ok2 and err2:find('bad argument #1', 1, true))\n");
  lua_close(L);
}

static void test_encode_numbers(void)
{
  lua_State *L = new_state();
  run(L, "local function chk(v, want)\n"
         "  local got = json.encode(v)\n"
         "  assert(got == want, tostring(v) .. ': ' .. got .. ' ~= ' .. "
         "want)\n"
         "end\n"
         "chk(0, '0')\n"
         "chk(-7, '-7')\n"
         "chk(2^53 | 0, '9007199254740992')\n"
         "chk((2^53 | 0) + 1, '9007199254740993')\n"
         "chk(math.maxinteger, '9223372036854775807')\n"
         "chk(math.mininteger, '-9223372036854775808')\n"
         "chk(1.0, '1.0')\n"
         "chk(-0.0, '-0.0')\n"
         "chk(0.1, '0.1')\n"
         "chk(1.5, '1.5')\n"
         "chk(1/3, '0.3333333333333333')\n"
         "chk(2.0^53, '9007199254740992.0')\n"
         "chk(1e300, '1e+300')\n"
         "chk(-2.5e-7, '-2.5e-07')\n"
         "chk(123456789.125, '123456789.125')\n"
         /* every float reads back as exactly the same double */
         "for _, f in ipairs{0.1, 1/3, 2/3, 1e-300, 5e-324, "
         "1.7976931348623157e308,"
         " 3.141592653589793, 100.25} do\n"
         "  local back = tonumber(json.encode(f))\n"
         "  assert(back == f, json.encode(f))\n"
         "end\n");
  lua_close(L);
}

static void test_encode_structures(void)
{
  lua_State *L = new_state();
  run(L,
      "assert(json.encode(nil) == 'null')\n"
      "assert(json.encode(json.null) == 'null')\n"
      "assert(json.encode(true) == 'true' and json.encode(false) == 'false')\n"
      "assert(json.encode({}) == '{}')\n"
      "assert(json.encode(json.array()) == '[]')\n"
      "assert(json.encode(json.array({})) == '[]')\n"
      "assert(json.encode({a = json.array()}) == '{\"a\":[]}')\n"
      "assert(json.encode({1, 2, 3}) == '[1,2,3]')\n"
      "assert(json.encode({'a', {true}, json.null}) == '[\"a\",[true],null]')\n"
      "assert(json.encode({json.null, json.null}) == '[null,null]')\n"
      "assert(json.encode({x = {y = {z = 1}}}) == "
      "'{\"x\":{\"y\":{\"z\":1}}}')\n"
      /* an empty array survives a round trip */
      "assert(json.encode(json.decode('[]')) == '[]')\n"
      "assert(json.encode(json.decode('{\"a\":[],\"b\":{}}')):find('\"a\":[]',"
      " 1, true))\n"
      /* sparse and mixed tables become objects with decimal keys */
      "local s = json.decode(json.encode({1, nil, 3}))\n"
      "assert(s['1'] == 1 and s['3'] == 3 and s['2'] == nil)\n"
      "local m = json.decode(json.encode({10, 20, x = 'y'}))\n"
      "assert(m['1'] == 10 and m['2'] == 20 and m.x == 'y')\n"
      "assert(json.encode({[1.5] = true}) == '{\"1.5\":true}')\n"
      "assert(json.encode({[-3] = 1}) == '{\"-3\":1}')\n"
      "assert(json.encode({[0] = 1}) == '{\"0\":1}')\n"
      /* json.array tables: holes are null, even with a trailing hole */
      "local a = json.array({})\n"
      "a[1] = 1; a[3] = 3\n"
      "assert(json.encode(a) == '[1,null,3]')\n"
      "assert(json.array(a) == a)\n"
      "local ok, err = pcall(json.array, setmetatable({}, {}))\n"
      "assert(not ok and err:find('already has a metatable', 1, true))\n"
      "ok, err = pcall(json.encode, json.array({1, x = 2}))\n"
      "assert(not ok and err:find('non-index key at $', 1, true), err)\n"
      "ok, err = pcall(json.encode, json.array({[10^7 | 0] = 1}))\n"
      "assert(not ok and err:find('this sparse', 1, true), err)\n"
      /* a round trip of a mixed document */
      "local doc = {name = 'n', list = {1, 2.5, 'three', {four = 4}},"
      " flag = false, none = json.null, nested = {deep = {deeper = {}}}}\n"
      "local back = json.decode(json.encode(doc))\n"
      "assert(back.name == 'n' and back.list[2] == 2.5 and"
      " back.list[3] == 'three' and back.list[4].four == 4)\n"
      "assert(back.flag == false and back.none == json.null)\n"
      "assert(type(back.nested.deep.deeper) == 'table')\n");
  lua_close(L);
}

static void test_encode_strings(void)
{
  lua_State *L = new_state();
  run(L, "assert(json.encode('plain') == '\"plain\"')\n"
         "assert(json.encode('q\"b\\\\') == '\"q\\\\\"b\\\\\\\\\"')\n"
         "assert(json.encode('a\\nb\\tc\\r\\b\\f') =="
         " '\"a\\\\nb\\\\tc\\\\r\\\\b\\\\f\"')\n"
         "assert(json.encode('\\1\\31') == '\"\\\\u0001\\\\u001f\"')\n"
         /* NUL kept as an escape, a bad byte replaced by U+FFFD */
         "assert(json.encode('a\\0b') == '\"a\\\\u0000b\"')\n"
         "assert(json.encode('x\\255y') == '\"x\\u{FFFD}y\"')\n"
         "assert(json.encode('\\xC3') == '\"\\u{FFFD}\"')\n"
         "assert(json.encode('\\xED\\xA0\\x80') =="
         " '\"\\u{FFFD}\\u{FFFD}\\u{FFFD}\"')\n"
         "assert(json.encode('\\xC0\\xAF') == '\"\\u{FFFD}\\u{FFFD}\"')\n"
         /* valid UTF-8 passes as it is, and round-trips */
         "local u = 'caf\\u{E9} \\u{1F600} \\u{10FFFF}'\n"
         "assert(json.encode(u) == '\"' .. u .. '\"')\n"
         "assert(json.decode(json.encode(u)) == u)\n"
         /* bytes are bytes: a NUL survives the round trip, in keys too */
         "assert(json.decode(json.encode('a\\0b')) == 'a\\0b')\n"
         "assert(json.decode('\"a\\\\u0000b\"') == 'a\\0b')\n"
         /* keys: numbers as text, bad bytes repaired, escapes applied */
         "assert(json.encode({['k\"1'] = 1}) == '{\"k\\\\\"1\":1}')\n"
         "assert(json.encode({['k\\255'] = 1}) == '{\"k\\u{FFFD}\":1}')\n"
         "assert(json.encode({['a\\0b'] = 1}) == '{\"a\\\\u0000b\":1}')\n"
         "assert(next(json.decode('{\"a\\\\u0000b\":1}')) == 'a\\0b')\n"
         "local big = string.rep('\\0\\255x', 100000)\n"
         "assert(#json.encode(big) == 2 + 100000 * (6 + 3 + 1))\n");
  lua_close(L);
}

static void test_encode_errors(void)
{
  lua_State *L = new_state();
  run(L,
      "local function bad(v, want)\n"
      "  local ok, err = pcall(json.encode, v)\n"
      "  assert(not ok)\n"
      "  assert(type(err) == 'string')\n"
      "  assert(err:find(want, 1, true), err .. ' lacks ' .. want)\n"
      "end\n"
      "bad({items = {1, 2, {f = print}}},"
      " 'json.encode: cannot encode a function at $.items[3].f')\n"
      "bad(print, 'json.encode: cannot encode a function at $')\n"
      "bad({x = 0/0}, 'json.encode: cannot encode NaN at $.x')\n"
      "bad({1, math.huge}, 'cannot encode infinity at $[2]')\n"
      "bad({-math.huge}, 'cannot encode -infinity at $[1]')\n"
      "bad({['odd key'] = {io.stdout}},"
      " 'cannot encode a userdata at $[\"odd key\"][1]')\n"
      "bad({co = coroutine.create(print)}, 'cannot encode a thread at $.co')\n"
      "bad({[true] = 1}, 'cannot encode a key of type boolean at $')\n"
      "bad({a = {[{}] = 1}}, 'cannot encode a key of type table at $.a')\n"
      "local c = {}; c.self = c\n"
      "bad(c, 'cannot encode a table cycle at $.self')\n"
      "local d = {list = {}}; d.list[1] = {up = d}\n"
      "bad(d, 'cannot encode a table cycle at $.list[1].up')\n"
      /* the same table twice, not nested, is no cycle */
      "local shared = {1}\n"
      "assert(json.encode({shared, shared}) == '[[1],[1]]')\n"
      "local deep = {}\n"
      "local t = deep\n"
      "for i = 2, 200 do t[1] = {}; t = t[1] end\n"
      "assert(#json.encode(deep) == 400)\n"
      "t[1] = {}\n"
      "bad(deep, 'json.encode: nesting deeper than 200 levels at $' .."
      " string.rep('[1]', 200))\n"
      /* errors carry the caller's position */
      "local ok, err = pcall(function() return json.encode(print) end)\n"
      "assert(err:find('^%[string .-%]:%d+: json.encode: '), err)\n"
      "ok, err = pcall(json.encode)\n"
      "assert(not ok and err:find('bad argument #1', 1, true))\n");
  lua_close(L);
}

/* Evaluate 'expr' and json_lua_encode it into 'out' inside a protected call.
 * Returns the pcall status; leaves the error (or nothing) on the stack. */
struct encode_args {
  struct buf *out;
  const char *type;
};

static int encode_cb(lua_State *L)
{
  struct encode_args *a = lua_touserdata(L, 2);
  int top = lua_gettop(L);
  json_lua_encode(L, 1, a->out, a->type, "response");
  ASSERT_EQ(lua_gettop(L), top);
  return 0;
}

static int encode_expr(lua_State *L, const char *expr, struct buf *out)
{
  struct encode_args a = {out, "Runtime.InvalidResponse"};
  lua_pushcfunction(L, encode_cb);
  lua_pushfstring(L, "return %s", expr);
  if (luaL_loadstring(L, lua_tostring(L, -1)) != LUA_OK)
    TEST_FAIL("%s", lua_tostring(L, -1));
  lua_remove(L, -2); /* source */
  lua_call(L, 0, 1);
  lua_pushlightuserdata(L, &a);
  return lua_pcall(L, 2, 0, 0);
}

static void test_c_encode(void)
{
  lua_State *L = new_state();
  struct buf out;
  buf_init(&out, 64);
  int top = lua_gettop(L);

  ASSERT_OK(buf_puts(&out, "pre:"));
  ASSERT_EQ(encode_expr(L, "{ok = true}", &out), LUA_OK);
  ASSERT_STR_EQ(buf_cstr(&out), "pre:{\"ok\":true}");
  ASSERT_EQ(lua_gettop(L), top);

  /* typed error, message naming the caller and the path */
  ASSERT_EQ(encode_expr(L, "{items = {1, 2, {f = print}}}", &out), LUA_ERRRUN);
  ASSERT(lua_istable(L, -1));
  lua_getfield(L, -1, "type");
  ASSERT_STR_EQ(lua_tostring(L, -1), "Runtime.InvalidResponse");
  lua_getfield(L, -2, "message");
  ASSERT_STR_EQ(lua_tostring(L, -1),
                "response: cannot encode a function at $.items[3].f");
  lua_settop(L, top);
  ASSERT_STR_EQ(buf_cstr(&out), "pre:{\"ok\":true}");

  /* over the buffer's cap: an error, the buffer untouched */
  ASSERT_EQ(encode_expr(L, "string.rep('x', 100)", &out), LUA_ERRRUN);
  lua_getfield(L, -1, "message");
  ASSERT_STR_EQ(lua_tostring(L, -1),
                "response: value too large (over 64 bytes)");
  lua_settop(L, top);
  ASSERT_STR_EQ(buf_cstr(&out), "pre:{\"ok\":true}");
  ASSERT(out.too_big);

  /* many failing encodes of big trees: under ASan, any leak shows */
  for (int i = 0; i < 50; i++) {
    buf_reset(&out);
    ASSERT_EQ(encode_expr(L,
                          "(function() local t = {} for i = 1, 200 do "
                          "t[i] = {s = string.rep('v', 50), n = i} end "
                          "t[150].bad = print return t end)()",
                          &out),
              LUA_ERRRUN);
    lua_settop(L, top);
  }
  buf_free(&out);
  lua_close(L);
}

/* A memory error part-way through an encode: reported, nothing leaked. */
static void test_c_encode_nomem(void)
{
  lua_State *L = new_state();
  run(L, "big = {} for i = 1, 3000 do big[i] = {k = 'key' .. i, v = i} end");
  lua_getglobal(L, "json");
  lua_getfield(L, -1, "encode");
  lua_getglobal(L, "big");
  /* Enough for a few keys' text, not for 3000. */
  alloc_budget = 4096;
  int status = lua_pcall(L, 1, 1, 0);
  alloc_budget = (size_t)-1;
  ASSERT(status != LUA_OK);
  /* A typed Runtime.OutOfMemory error; its __tostring is the message. */
  ASSERT_CONTAINS(luaL_tolstring(L, -1, NULL), "not enough memory");
  lua_pop(L, 3); /* message, error, json */
  ASSERT_EQ(lua_gettop(L), 0);
  lua_close(L);
}

static int push_cb(lua_State *L)
{
  json_lua_push(L, lua_touserdata(L, 1));
  return 1;
}

static void test_c_push(void)
{
  lua_State *L = new_state();
  cJSON *tree = cJSON_Parse("{\"a\":[1,2.5,null,\"s\"],\"e\":[]}");
  ASSERT_NOT_NULL(tree);
  int top = lua_gettop(L);
  json_lua_push(L, tree);
  ASSERT_EQ(lua_gettop(L), top + 1);
  lua_setglobal(L, "t");
  cJSON_Delete(tree);
  run(L, "assert(t.a[1] == 1 and math.type(t.a[1]) == 'integer')\n"
         "assert(t.a[2] == 2.5 and t.a[3] == json.null and t.a[4] == 's')\n"
         "assert(json.encode(t.e) == '[]')\n");

  /* too deep: a typed Runtime.InvalidJSON error, through pcall so the
   * caller can free its tree */
  char deep[1000];
  memset(deep, '[', 201);
  memset(deep + 201, ']', 201);
  deep[402] = '\0';
  tree = cJSON_Parse(deep);
  ASSERT_NOT_NULL(tree);
  lua_pushcfunction(L, push_cb);
  lua_pushlightuserdata(L, tree);
  ASSERT_EQ(lua_pcall(L, 1, 1, 0), LUA_ERRRUN);
  cJSON_Delete(tree);
  ASSERT(lua_istable(L, -1));
  lua_getfield(L, -1, "type");
  ASSERT_STR_EQ(lua_tostring(L, -1), "Runtime.InvalidJSON");
  lua_getfield(L, -2, "message");
  ASSERT_STR_EQ(lua_tostring(L, -1), "JSON nesting deeper than 200 levels");
  lua_settop(L, top);

  /* json.null and the array metatable are the module's own */
  json_lua_push_null(L);
  lua_getglobal(L, "json");
  lua_getfield(L, -1, "null");
  ASSERT(lua_rawequal(L, -1, -3));
  lua_settop(L, top);
  json_lua_push_array_mt(L);
  json_lua_push_array_mt(L);
  ASSERT(lua_rawequal(L, -1, -2));
  lua_settop(L, top);
  lua_close(L);
}

int main(void)
{
  test_decode_values();
  test_decode_numbers();
  test_decode_errors();
  test_encode_numbers();
  test_encode_structures();
  test_encode_strings();
  test_encode_errors();
  test_c_encode();
  test_c_encode_nomem();
  test_c_push();
  puts("test_json_lua: ok");
  return 0;
}
