/* event_raw: lazy .raw. See event_raw.h.
 *
 * The metatable's __index is a closure over the event text (upvalue 1), the
 * records in delivery order (2) and, once built, the map table -> raw value
 * (3). A table with the metatable that is not in the map is the event
 * itself. Handlers that never read .raw pay one string copy of the event
 * and one setmetatable per record. */
#include "event_raw.h"

#include <lauxlib.h>
#include <string.h>

#include "json_lua.h"

/* __index(t, k): raw, or nil for any other missing key. [-2, +1, e] */
static int event_raw_index(lua_State *L)
{
  const char *k = lua_tostring(L, 2);
  if (lua_type(L, 2) != LUA_TSTRING || strcmp(k, "raw") != 0) {
    lua_pushnil(L);
    return 1;
  }
  if (lua_type(L, lua_upvalueindex(3)) != LUA_TTABLE) {
    luaL_requiref(L, "json", luaopen_json, 0);
    lua_getfield(L, -1, "decode");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_call(L, 1, 1);
    int root = lua_gettop(L); /* stack: t k json root */
    lua_newtable(L);
    int map = lua_gettop(L);
    lua_pushboolean(L, 1); /* the event's own key: never a record */
    lua_pushvalue(L, root);
    lua_rawset(L, map);
    if (lua_type(L, root) == LUA_TTABLE &&
        lua_getfield(L, root, "Records") == LUA_TTABLE) {
      int records = lua_gettop(L);
      lua_Integer n = luaL_len(L, lua_upvalueindex(2));
      for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, lua_upvalueindex(2), i);
        lua_rawgeti(L, records, i);
        lua_rawset(L, map);
      }
    }
    lua_settop(L, map);
    lua_replace(L, lua_upvalueindex(3));
  }
  lua_pushvalue(L, 1);
  if (lua_rawget(L, lua_upvalueindex(3)) == LUA_TNIL) {
    lua_pop(L, 1); /* nil: t is the event */
    lua_pushboolean(L, 1);
    lua_rawget(L, lua_upvalueindex(3));
  }
  return 1;
}

void event_raw_begin(lua_State *L, const char *text, size_t len, int n)
{
  lua_createtable(L, 0, 1); /* stack: mt */
  lua_createtable(L, n, 0); /* stack: mt order */
  lua_pushlstring(L, text, len);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 0); /* the map, built on first use */
  lua_pushcclosure(L, event_raw_index, 3);
  lua_setfield(L, -3, "__index"); /* stack: mt order */
}

void event_raw_add_record(lua_State *L, int mt, int order, int rec,
                          lua_Integer n)
{
  lua_pushvalue(L, rec);
  lua_rawseti(L, order, n);
  lua_pushvalue(L, mt);
  lua_setmetatable(L, rec);
}
