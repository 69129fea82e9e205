/* test_context: the handler's `context` table (context.c) in a real Lua
 * state.
 *
 * The request's own fields come from struct host_context (missing ones stay
 * nil, header JSON is decoded, JSON that does not parse or nests too deep is
 * left out); the process-wide fields come from the environment through one
 * metatable every context shares; get_remaining_time_in_millis counts down
 * to the deadline and never below 0. context_push is called under
 * lua_pcall, as the host calls it, and leaves exactly one value. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

#include "clock.h"
#include "context.h"
#include "json_lua.h"
#include "test.h"

static int push_protected(lua_State *L)
{
  context_push(L, lua_touserdata(L, 1));
  return 1;
}

/* Push the context of 'ctx' as global 'name'. */
static void push_global(lua_State *L, const struct host_context *ctx,
                        const char *name)
{
  int top = lua_gettop(L);
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, (void *)(uintptr_t)ctx);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK)
    TEST_FAIL("context_push raised: %s", lua_tostring(L, -1));
  ASSERT_EQ(lua_gettop(L), top + 1);
  ASSERT(lua_istable(L, -1));
  lua_setglobal(L, name);
}

/* Run a chunk of asserts. */
static void check(lua_State *L, const char *code)
{
  if (luaL_dostring(L, code) != LUA_OK)
    TEST_FAIL("%s\n-> %s", code, lua_tostring(L, -1));
}

int main(void)
{
  setenv("AWS_LAMBDA_FUNCTION_NAME", "fn-name", 1);
  setenv("AWS_LAMBDA_FUNCTION_VERSION", "7", 1);
  setenv("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/fn-name", 1);
  setenv("AWS_LAMBDA_LOG_STREAM_NAME", "stream", 1);
  setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512", 1);
  lua_State *L = luaL_newstate();
  ASSERT_NOT_NULL(L);
  luaL_openlibs(L);

  struct host_context full = {
      .request_id = "req-1",
      .deadline_ms = clock_now_ms() + 100000,
      .invoked_function_arn = "arn:aws:lambda:eu-west-1:1:function:fn-name",
      .trace_id = "Root=1-abc",
      .client_context = "{\"custom\":{\"k\":\"v\"},\"n\":[1,2]}",
      .cognito_identity = "{\"cognitoIdentityId\":\"id-9\"}",
  };
  push_global(L, &full, "a");
  check(L, "assert(a.aws_request_id == 'req-1')\n"
           "assert(a.invoked_function_arn == "
           "'arn:aws:lambda:eu-west-1:1:function:fn-name')\n"
           "assert(math.type(a.deadline_ms) == 'integer')\n"
           "assert(a.client_context.custom.k == 'v')\n"
           "assert(a.client_context.n[2] == 2)\n"
           "assert(a.identity.cognitoIdentityId == 'id-9')\n"
           "assert(a.function_name == 'fn-name')\n"
           "assert(a.function_version == '7')\n"
           "assert(a.log_group_name == '/aws/lambda/fn-name')\n"
           "assert(a.log_stream_name == 'stream')\n"
           "assert(a.memory_limit_in_mb == 512)\n"
           "local left = a:get_remaining_time_in_millis()\n"
           "assert(math.type(left) == 'integer')\n"
           "assert(left > 0 and left <= 100000, left)\n"
           /* the shared part is not the table's own */
           "assert(rawget(a, 'function_name') == nil)\n"
           "assert(rawget(a, 'get_remaining_time_in_millis') == nil)\n");

  /* Missing fields stay nil; bad header JSON is left out; a past deadline
   * leaves 0. */
  /* Valid JSON (cJSON takes 1000 levels), too deep for the decoder. */
  char deep[2 * (JSON_LUA_MAX_DEPTH + 10) + 1];
  size_t n = 0;
  for (; n < JSON_LUA_MAX_DEPTH + 10; n++)
    deep[n] = '[';
  for (size_t i = 0; i < JSON_LUA_MAX_DEPTH + 10; i++)
    deep[n++] = ']';
  deep[n] = '\0';
  struct host_context sparse = {
      .request_id = "req-2",
      .deadline_ms = clock_now_ms() - 5000,
      .client_context = "{not json",
      .cognito_identity = deep,
  };
  push_global(L, &sparse, "b");
  check(L, "assert(b.aws_request_id == 'req-2')\n"
           "assert(b.invoked_function_arn == nil)\n"
           "assert(b.client_context == nil)\n"
           "assert(b.identity == nil)\n"
           "assert(b:get_remaining_time_in_millis() == 0)\n"
           "assert(b.function_name == 'fn-name')\n");

  /* One metatable for every context, read from the environment once. */
  setenv("AWS_LAMBDA_FUNCTION_NAME", "changed", 1);
  struct host_context empty = {0};
  push_global(L, &empty, "c");
  check(L, "assert(getmetatable(a) == getmetatable(b))\n"
           "assert(getmetatable(b) == getmetatable(c))\n"
           "assert(c.function_name == 'fn-name')\n"
           "assert(c.aws_request_id == nil)\n"
           "assert(c.deadline_ms == 0)\n"
           "assert(c:get_remaining_time_in_millis() == 0)\n"
           /* the method checks its argument */
           "local ok, err = pcall(a.get_remaining_time_in_millis, 5)\n"
           "assert(not ok and err:find('table expected'), err)\n"
           /* a context is the handler's to change */
           "a.extra = 1; assert(a.extra == 1 and b.extra == nil)\n");
  lua_close(L);
  return 0;
}
