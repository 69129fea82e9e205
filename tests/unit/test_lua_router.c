/* test_lua_router: the `router` module in a real Lua state.
 *
 * Handlers register from Lua exactly as a handler module would; the C side
 * (router_count, router_push_handler, router_has_catch_all) must then see
 * them. A second registration for a kind, a registration after router_seal,
 * and a non-callable argument must raise with their messages; a table with
 * __call must be accepted; the catch-all must take over both kinds. Every C
 * entry point is checked for stack balance. */
#include <lauxlib.h>
#include <lualib.h>

#include "router.h"
#include "test.h"

static lua_State *new_state(void)
{
  lua_State *L = luaL_newstate();
  ASSERT_NOT_NULL(L);
  luaL_openlibs(L);
  luaL_requiref(L, "router", luaopen_router, 1);
  ASSERT(lua_istable(L, -1));
  lua_pop(L, 1);
  ASSERT_EQ(lua_gettop(L), 0);
  return L;
}

/* Run 'code', expecting success. */
static void run_ok(lua_State *L, const char *code)
{
  int top = lua_gettop(L);
  if (luaL_dostring(L, code) != LUA_OK)
    TEST_FAIL("%s: %s", code, lua_tostring(L, -1));
  lua_settop(L, top);
}

/* Run 'code', expecting an error whose message contains 'want'. */
static void run_err(lua_State *L, const char *code, const char *want)
{
  int top = lua_gettop(L);
  if (luaL_dostring(L, code) == LUA_OK)
    TEST_FAIL("%s: succeeded, want an error containing \"%s\"", code, want);
  ASSERT_CONTAINS(lua_tostring(L, -1), want);
  lua_settop(L, top);
}

static int count(lua_State *L)
{
  int top = lua_gettop(L);
  int n = router_count(L);
  ASSERT_EQ(lua_gettop(L), top);
  return n;
}

static int has_catch_all(lua_State *L)
{
  int top = lua_gettop(L);
  int has = router_has_catch_all(L);
  ASSERT_EQ(lua_gettop(L), top);
  return has;
}

/* Push the handler for 'kind' (checking it pushes exactly one value). */
static void push_handler(lua_State *L, enum event_kind kind)
{
  int top = lua_gettop(L);
  router_push_handler(L, kind);
  ASSERT_EQ(lua_gettop(L), top + 1);
}

/* Call the handler for 'kind' with 'arg'; it must return a string. */
static void expect_call(lua_State *L, enum event_kind kind, const char *arg,
                        const char *want)
{
  int top = lua_gettop(L);
  push_handler(L, kind);
  lua_pushstring(L, arg);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK)
    TEST_FAIL("handler: %s", lua_tostring(L, -1));
  ASSERT_STR_EQ(lua_tostring(L, -1), want);
  lua_settop(L, top);
}

static void test_empty(void)
{
  lua_State *L = new_state();
  ASSERT_EQ(count(L), 0);
  ASSERT_EQ(has_catch_all(L), 0);
  push_handler(L, EVENT_KAFKA);
  ASSERT(lua_isnil(L, -1));
  push_handler(L, EVENT_CUSTOM);
  ASSERT(lua_isnil(L, -1));
  lua_pop(L, 2);
  lua_close(L);
}

static void test_register(void)
{
  lua_State *L = new_state();
  run_ok(L, "router.kafka(function(e) return 'kafka:' .. e end)");
  ASSERT_EQ(count(L), 1);
  push_handler(L, EVENT_CUSTOM);
  ASSERT(lua_isnil(L, -1)); /* only kafka so far */
  lua_pop(L, 1);
  run_ok(L, "router.custom(function(e) return 'custom:' .. e end)");
  ASSERT_EQ(count(L), 2);
  ASSERT_EQ(has_catch_all(L), 0);
  push_handler(L, EVENT_KAFKA);
  ASSERT(lua_isfunction(L, -1));
  lua_pop(L, 1);
  expect_call(L, EVENT_KAFKA, "a", "kafka:a");
  expect_call(L, EVENT_CUSTOM, "b", "custom:b");

  /* A second registration for a kind raises and changes nothing. */
  run_err(L, "router.kafka(function() return 'other' end)",
          "already registered");
  run_err(L, "router.custom(function() return 'other' end)",
          "already registered");
  ASSERT_EQ(count(L), 2);
  expect_call(L, EVENT_KAFKA, "a", "kafka:a");
  expect_call(L, EVENT_CUSTOM, "b", "custom:b");
  lua_close(L);
}

static void test_not_callable(void)
{
  lua_State *L = new_state();
  run_err(L, "router.kafka(42)",
          "router.kafka: expected a function, got number");
  run_err(L, "router.custom('f')",
          "router.custom: expected a function, got string");
  run_err(L, "router.kafka()", "expected a function, got no value");
  run_err(L, "router.kafka(nil)", "expected a function, got nil");
  run_err(L, "router.custom({})", "expected a function, got table");
  run_err(L, "router.custom(setmetatable({}, {__index = print}))",
          "expected a function, got table");
  ASSERT_EQ(count(L), 0);

  /* A table with __call is a handler. */
  run_ok(L, "router.custom(setmetatable({tag = 'T'}, {__call = "
            "function(self, e) return self.tag .. e end}))");
  ASSERT_EQ(count(L), 1);
  push_handler(L, EVENT_CUSTOM);
  ASSERT(lua_istable(L, -1));
  lua_pop(L, 1);
  expect_call(L, EVENT_CUSTOM, "x", "Tx");
  lua_close(L);
}

static void test_seal(void)
{
  lua_State *L = new_state();
  run_ok(L, "router.kafka(function() return 'k' end)");
  int top = lua_gettop(L);
  router_seal(L);
  ASSERT_EQ(lua_gettop(L), top);
  run_err(L, "router.custom(function() end)", "can only register during init");
  run_err(L, "router.kafka(function() end)", "can only register during init");
  ASSERT_EQ(count(L), 1);
  push_handler(L, EVENT_CUSTOM);
  ASSERT(lua_isnil(L, -1));
  lua_pop(L, 1);
  expect_call(L, EVENT_KAFKA, "", "k");
  lua_close(L);

  /* Sealing a state where nothing was registered yet. */
  L = new_state();
  router_seal(L);
  ASSERT_EQ(lua_gettop(L), 0);
  run_err(L, "router.kafka(function() end)", "can only register during init");
  ASSERT_EQ(count(L), 0);
  lua_close(L);
}

static void test_catch_all(void)
{
  lua_State *L = new_state();
  run_ok(L, "router.kafka(function() return 'k' end)");
  ASSERT_OK(luaL_dostring(L, "return function(e) return 'all:' .. e end"));
  lua_pushinteger(L, 1); /* something above it: a relative index */
  int top = lua_gettop(L);
  router_set_catch_all(L, -2);
  ASSERT_EQ(lua_gettop(L), top);
  ASSERT_EQ(has_catch_all(L), 1);
  ASSERT_EQ(count(L), 2);
  push_handler(L, EVENT_KAFKA);
  ASSERT(lua_rawequal(L, -1, -3));
  push_handler(L, EVENT_CUSTOM);
  ASSERT(lua_rawequal(L, -1, -4));
  lua_settop(L, 0);
  expect_call(L, EVENT_KAFKA, "k", "all:k");
  expect_call(L, EVENT_CUSTOM, "c", "all:c");
  lua_close(L);

  /* On a fresh state, the catch-all alone. */
  L = new_state();
  ASSERT_OK(luaL_dostring(L, "return function() return 'only' end"));
  router_set_catch_all(L, 1);
  ASSERT_EQ(lua_gettop(L), 1);
  lua_pop(L, 1);
  ASSERT_EQ(count(L), 1);
  ASSERT_EQ(has_catch_all(L), 1);
  expect_call(L, EVENT_KAFKA, "", "only");
  expect_call(L, EVENT_CUSTOM, "", "only");
  lua_close(L);
}

static void test_states_independent(void)
{
  lua_State *L1 = new_state();
  lua_State *L2 = new_state();
  run_ok(L1, "router.kafka(function() return 'one' end)");
  ASSERT_EQ(count(L1), 1);
  ASSERT_EQ(count(L2), 0);
  router_seal(L1);
  run_ok(L2, "router.kafka(function() return 'two' end)");
  expect_call(L1, EVENT_KAFKA, "", "one");
  expect_call(L2, EVENT_KAFKA, "", "two");
  lua_close(L1);
  lua_close(L2);
}

int main(void)
{
  test_empty();
  test_register();
  test_not_callable();
  test_seal();
  test_catch_all();
  test_states_independent();
  puts("ok");
  return 0;
}
