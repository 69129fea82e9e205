/* lua_router: the `router` module and route lookup. See lua_router.h.
 *
 * State lives in one registry table keyed by the address of ROUTER_KEY:
 *   { [1] = kafka handler, [2] = custom handler, [3] = catch-all, sealed =
 * bool, kafka_options = router.kafka's options } so two lua_States (hot reload
 * builds a second one) never share routes. */
#include "lua_router.h"

#include <lauxlib.h>

#include "kafka_schema.h"

static const char ROUTER_KEY = 'r';

enum { SLOT_KAFKA = 1, SLOT_CUSTOM = 2, SLOT_CATCH_ALL = 3 };

/* The state's field holding router.kafka's options (kafka_schema's form). */
#define KAFKA_OPTIONS_FIELD "kafka_options"

/* Push the router state table, creating it on first use.
 * Stack effect: [-0, +1, m]. */
static void push_state(lua_State *L)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY) == LUA_TTABLE)
    return;
  lua_pop(L, 1); /* nil */
  lua_createtable(L, 3, 1);
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
  lua_createtable(L, 0, 2);
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
    for (int slot = SLOT_KAFKA; slot <= SLOT_CATCH_ALL; slot++) {
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

void router_push_handler(lua_State *L, enum router_kind kind)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ROUTER_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  if (lua_rawgeti(L, -1, SLOT_CATCH_ALL) == LUA_TNIL) {
    lua_pop(L, 1); /* nil */
    lua_rawgeti(L, -1, kind == ROUTER_KAFKA ? SLOT_KAFKA : SLOT_CUSTOM);
  }
  lua_remove(L, -2); /* state */
}
