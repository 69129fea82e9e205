/* context: the handler's `context` table. See context.h. */
#include "context.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "clock.h"
#include "json_lua.h"
#include "json_tree.h"
#include "log.h"
#include "memory_size.h"

static const char CONTEXT_MT_KEY = 'c';

static int context_remaining(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "deadline_ms");
  lua_Integer deadline = lua_tointeger(L, -1);
  lua_Integer left = deadline - (lua_Integer)clock_now_ms();
  lua_pushinteger(L, left > 0 ? left : 0);
  return 1;
}

static void set_string(lua_State *L, const char *field, const char *value)
{
  if (value && *value) {
    lua_pushstring(L, value);
    lua_setfield(L, -2, field);
  }
}

static int push_tree_protected(lua_State *L)
{
  json_lua_push(L, lua_touserdata(L, 1));
  return 1;
}

/* client_context and identity arrive as JSON text in headers, from the
 * platform and the caller; a value that does not parse or that the decoder
 * refuses (nesting past JSON_LUA_MAX_DEPTH) is the caller's problem, not the
 * handler's: the field is left nil with one WARN line and the invocation
 * goes on. Only a memory error is raised. The tree is pushed in a nested
 * protected call so it is freed even when pushing raises.
 * Stack effect: [-0, +0, e]. */
static void set_json(lua_State *L, const char *field, const char *header,
                     const char *text)
{
  if (!text || !*text)
    return;
  /* json_tree, as for events: a \u0000 in a string stays a NUL byte. A
   * header is small (curl caps a header line at 100 KB), so the arena needs
   * no budget of its own. */
  struct arena arena;
  arena_init(&arena);
  size_t at = 0;
  const char *why = NULL;
  cJSON *tree = json_tree_parse(&arena, text, strlen(text), &at, &why);
  if (!tree) {
    arena_free(&arena);
    log_write(LOG_WARN, "context.%s left nil: the %s header is not valid JSON",
              field, header);
    return;
  }
  lua_pushcfunction(L, push_tree_protected);
  lua_pushlightuserdata(L, tree);
  int status = lua_pcall(L, 1, 1, 0);
  arena_free(&arena);
  if (status == LUA_ERRMEM)
    lua_error(L); /* re-raise, the tree is already freed */
  if (status != LUA_OK) {
    lua_pop(L, 1); /* the decoder's error */
    log_write(LOG_WARN,
              "context.%s left nil: the %s header nests deeper than %d "
              "levels",
              field, header, JSON_LUA_MAX_DEPTH);
    return;
  }
  lua_setfield(L, -2, field);
}

/* Push the metatable every context shares: its __index holds what is the
 * same for the whole process (the function's name, version, memory, log
 * names, read once from the environment) and the method, so each
 * invocation only builds its own few fields. Stack effect: [-0, +1, m]. */
static void push_context_mt(lua_State *L)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &CONTEXT_MT_KEY) == LUA_TTABLE)
    return;
  lua_pop(L, 1); /* nil */
  lua_createtable(L, 0, 1);
  lua_createtable(L, 0, 6);
  set_string(L, "function_name", getenv("AWS_LAMBDA_FUNCTION_NAME"));
  set_string(L, "function_version", getenv("AWS_LAMBDA_FUNCTION_VERSION"));
  set_string(L, "log_group_name", getenv("AWS_LAMBDA_LOG_GROUP_NAME"));
  set_string(L, "log_stream_name", getenv("AWS_LAMBDA_LOG_STREAM_NAME"));
  const char *mem = getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
  if (mem && *mem) {
    int valid; /* runtime_loop warned about a nonsense value */
    lua_pushinteger(L, (lua_Integer)memory_size_mb(mem, &valid));
    lua_setfield(L, -2, "memory_limit_in_mb");
  }
  lua_pushcfunction(L, context_remaining);
  lua_setfield(L, -2, "get_remaining_time_in_millis");
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &CONTEXT_MT_KEY);
}

void context_push(lua_State *L, const struct host_context *ctx)
{
  lua_createtable(L, 0, 5);
  set_string(L, "aws_request_id", ctx->request_id);
  set_string(L, "invoked_function_arn", ctx->invoked_function_arn);
  lua_pushinteger(L, (lua_Integer)ctx->deadline_ms);
  lua_setfield(L, -2, "deadline_ms");
  set_json(L, "identity", "Lambda-Runtime-Cognito-Identity",
           ctx->cognito_identity);
  set_json(L, "client_context", "Lambda-Runtime-Client-Context",
           ctx->client_context);
  push_context_mt(L);
  lua_setmetatable(L, -2);
}
