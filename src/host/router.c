/* router: the `router` module and route lookup. See router.h.
 *
 * State lives in one registry table keyed by the address of ROUTER_KEY:
 *   { [1] = kafka handler, [2] = custom handler, [3] = catch-all,
 *     [4..] = the other sources' handlers (slot = kind + 2), api = the API
 *     routes object, context = this invocation's context, sealed = bool,
 *     kafka_options = router.kafka's options }
 * so two lua_States (hot reload builds a second one) never share routes. */
#include "router.h"

#include <lauxlib.h>

#include "kafka_schema.h"

static const char ROUTER_KEY = 'r';

enum { SLOT_KAFKA = 1, SLOT_CUSTOM = 2, SLOT_CATCH_ALL = 3 };

/* Where kind's handler lives: the first three slots are the original ones,
 * so the Kafka and custom paths are unchanged. */
static int router_slot(enum event_kind kind)
{
  if (kind == EVENT_KAFKA)
    return SLOT_KAFKA;
  if (kind == EVENT_CUSTOM)
    return SLOT_CUSTOM;
  return (int)kind + 2;
}

#define ROUTER_SLOT_LAST (EVENT_APIGATEWAY + 2)

static const char *const router_names[] = {
    "kafka",    "custom",  "sqs",         "sns",       "s3",
    "dynamodb", "kinesis", "eventbridge", "apigateway"};

/* The state's field holding router.kafka's options (kafka_schema's form). */
#define KAFKA_OPTIONS_FIELD "kafka_options"

/* Push the router state table, creating it on first use.
 * Stack effect: [-0, +1, m]. */
static void push_state(lua_State *L)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY) == LUA_TTABLE)
    return;
  lua_pop(L, 1); /* nil */
  lua_createtable(L, ROUTER_SLOT_LAST, 3);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY);
}

static int is_callable(lua_State *L, int idx)
{
  if (lua_type(L, idx) == LUA_TFUNCTION)
    return 1;
  if (luaL_getmetafield(L, idx, "__call") == LUA_TNIL)
    return 0;
  lua_pop(L, 1); /* __call */
  return 1;
}

/* router.kafka(fn) / router.custom(fn): the upvalue holds the slot. */
static int router_register(lua_State *L)
{
  int slot = (int)lua_tointeger(L, lua_upvalueindex(1));
  const char *name = slot == SLOT_KAFKA ? "router.kafka" : "router.custom";
  if (!is_callable(L, 1))
    return luaL_error(L, "%s: expected a function, got %s", name,
                      luaL_typename(L, 1));
  push_state(L);
  lua_getfield(L, -1, "sealed");
  if (lua_toboolean(L, -1))
    return luaL_error(L,
                      "%s: can only register during init (at the top "
                      "level of the handler module)",
                      name);
  lua_pop(L, 1); /* sealed */
  if (lua_rawgeti(L, -1, slot) != LUA_TNIL)
    return luaL_error(L, "%s: a handler is already registered", name);
  lua_pop(L, 1); /* nil */
  if (slot == SLOT_KAFKA && !lua_isnoneornil(L, 2)) {
    /* router.kafka(fn, { value = ..., key = ... }): checked now, so a bad
     * option is an init error. */
    kafka_schema_options(L, 2);
    lua_setfield(L, -2, KAFKA_OPTIONS_FIELD);
  }
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, slot);
  return 0;
}

/* Fail unless registration is still open. [-0, +0, v] */
static void router_check_open(lua_State *L, const char *name)
{
  push_state(L);
  lua_getfield(L, -1, "sealed");
  if (lua_toboolean(L, -1))
    luaL_error(L,
               "%s: can only register during init (at the top level of the "
               "handler module)",
               name);
  lua_pop(L, 2); /* sealed, state */
}

/* router.sqs(fn) and the other single-handler sources: the upvalue holds
 * the kind. */
static int router_register_source(lua_State *L)
{
  enum event_kind kind = (enum event_kind)lua_tointeger(L, lua_upvalueindex(1));
  const char *name = lua_pushfstring(L, "router.%s", router_names[kind]);
  if (!is_callable(L, 1))
    return luaL_error(L, "%s: expected a function, got %s", name,
                      luaL_typename(L, 1));
  router_check_open(L, name);
  push_state(L);
  if (lua_rawgeti(L, -1, router_slot(kind)) != LUA_TNIL)
    return luaL_error(L, "%s: a handler is already registered", name);
  lua_pop(L, 1); /* nil */
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, router_slot(kind));
  return 0;
}

/* require(name) for the runtime's own Lua modules. [-0, +1, e] */
static void router_require(lua_State *L, const char *name)
{
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
}

/* router.apigateway(path, method, fn): the first call makes the routes
 * object and installs its dispatcher as the API handler; lrt_router_http.lua
 * checks the pattern and refuses a repeated path and method. */
static int router_apigateway(lua_State *L)
{
  luaL_checkstring(L, 1);
  luaL_checkstring(L, 2);
  if (!is_callable(L, 3))
    return luaL_error(L, "router.apigateway: expected a function, got %s",
                      luaL_typename(L, 3));
  lua_settop(L, 3);
  router_check_open(L, "router.apigateway");
  push_state(L); /* stack: path method fn state */
  if (lua_getfield(L, 4, "api") == LUA_TNIL) {
    lua_pop(L, 1); /* nil */
    router_require(L, "lrt_router_http");
    lua_getfield(L, -1, "new");
    lua_call(L, 0, 1); /* stack: ... module routes */
    lua_getfield(L, -1, "dispatch");
    lua_rawseti(L, 4, router_slot(EVENT_APIGATEWAY));
    lua_pushvalue(L, -1);
    lua_setfield(L, 4, "api");
  }
  lua_getfield(L, -1, "add"); /* stack: ... routes add */
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_call(L, 3, 0);
  return 0;
}

/* router.process(event, fn [, opts]): lua/lrt_router_batch.lua's loop, with the
 * invocation's context as a fourth argument so fn always gets it. */
static int router_process(lua_State *L)
{
  lua_settop(L, 3);
  router_require(L, "lrt_router_batch");
  lua_getfield(L, -1, "process");
  lua_insert(L, 1);
  lua_pop(L, 1); /* module */
  push_state(L);
  lua_getfield(L, -1, "context");
  lua_remove(L, -2); /* state */
  lua_call(L, 4, 1);
  return 1;
}

int router_has_route(lua_State *L, enum event_kind kind)
{
  int has = 0;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY) == LUA_TTABLE) {
    has = lua_rawgeti(L, -1, router_slot(kind)) != LUA_TNIL;
    lua_pop(L, 1); /* handler */
  }
  lua_pop(L, 1); /* state or nil */
  return has;
}

const char *router_kind_name(enum event_kind kind)
{
  return router_names[kind];
}

void router_set_context(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  push_state(L);
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "context");
  lua_pop(L, 1); /* state */
}

void router_push_kafka_options(lua_State *L)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  lua_getfield(L, -1, KAFKA_OPTIONS_FIELD);
  lua_remove(L, -2); /* state */
}

int luaopen_router(lua_State *L)
{
  lua_createtable(L, 0, 10);
  for (int k = EVENT_SQS; k < EVENT_APIGATEWAY; k++) {
    lua_pushinteger(L, k);
    lua_pushcclosure(L, router_register_source, 1);
    lua_setfield(L, -2, router_names[k]);
  }
  lua_pushcfunction(L, router_apigateway);
  lua_setfield(L, -2, "apigateway");
  lua_pushcfunction(L, router_process);
  lua_setfield(L, -2, "process");
  lua_pushinteger(L, SLOT_KAFKA);
  lua_pushcclosure(L, router_register, 1);
  lua_setfield(L, -2, "kafka");
  lua_pushinteger(L, SLOT_CUSTOM);
  lua_pushcclosure(L, router_register, 1);
  lua_setfield(L, -2, "custom");
  return 1;
}

void router_seal(lua_State *L)
{
  push_state(L);
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "sealed");
  lua_pop(L, 1); /* state */
}

void router_set_catch_all(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  push_state(L);
  lua_pushvalue(L, idx);
  lua_rawseti(L, -2, SLOT_CATCH_ALL);
  lua_pop(L, 1); /* state */
}

int router_count(lua_State *L)
{
  int n = 0;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY) == LUA_TTABLE) {
    for (int slot = SLOT_KAFKA; slot <= ROUTER_SLOT_LAST; slot++) {
      n += lua_rawgeti(L, -1, slot) != LUA_TNIL;
      lua_pop(L, 1); /* handler */
    }
  }
  lua_pop(L, 1); /* state or nil */
  return n;
}

int router_has_catch_all(lua_State *L)
{
  int has = 0;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY) == LUA_TTABLE) {
    has = lua_rawgeti(L, -1, SLOT_CATCH_ALL) != LUA_TNIL;
    lua_pop(L, 1); /* handler */
  }
  lua_pop(L, 1); /* state or nil */
  return has;
}

void router_push_handler(lua_State *L, enum event_kind kind)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  if (lua_rawgeti(L, -1, SLOT_CATCH_ALL) == LUA_TNIL) {
    lua_pop(L, 1); /* nil */
    lua_rawgeti(L, -1, router_slot(kind));
  }
  lua_remove(L, -2); /* state */
}
