/* event_raw: lazy .raw. See event_raw.h.
 *
 * The metatable's __index is a closure over the tree (upvalue 1, a light
 * userdata), the records in delivery order (2), the map table -> raw value
 * once built (3), the event's generation (4) and, for an event a scanner
 * decoded, the text, its length and the arena to parse it into (5, 6, 7;
 * upvalue 1 is NULL until then). The registry slot at
 * &EVENT_RAW_KEY holds the generation whose tree is alive, 0 when none. A
 * table with the metatable that is not in the map is the event itself. */
#include "event_raw.h"

#include <lauxlib.h>
#include <stdint.h>
#include <string.h>

#include "json_lua.h"
#include "json_tree.h"

static const char EVENT_RAW_KEY = 'w';

/* __index(t, k): raw, or nil for any other missing key. [-2, +1, e] */
static int event_raw_index(lua_State *L)
{
  if (lua_type(L, 2) != LUA_TSTRING || strcmp(lua_tostring(L, 2), "raw") != 0)
    return 0;
  if (lua_type(L, lua_upvalueindex(3)) != LUA_TTABLE) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &EVENT_RAW_KEY);
    if (lua_tointeger(L, -1) != lua_tointeger(L, lua_upvalueindex(4)))
      return luaL_error(L, ".raw is only available during the invocation "
                           "that delivered the event");
    lua_pop(L, 1); /* generation */
    const cJSON *root = lua_touserdata(L, lua_upvalueindex(1));
    if (root == NULL) {
      size_t at = 0;
      const char *why = NULL;
      root = json_tree_parse(lua_touserdata(L, lua_upvalueindex(7)),
                             lua_touserdata(L, lua_upvalueindex(5)),
                             (size_t)lua_tointeger(L, lua_upvalueindex(6)), &at,
                             &why);
      if (root == NULL)
        return luaL_error(L, ".raw: the event could not be parsed: %s", why);
    }
    json_lua_push(L, root);
    int rt = lua_gettop(L);
    lua_newtable(L);
    int map = lua_gettop(L);
    lua_pushboolean(L, 1); /* the event's own key: never a record */
    lua_pushvalue(L, rt);
    lua_rawset(L, map);
    if (lua_type(L, rt) == LUA_TTABLE &&
        lua_getfield(L, rt, "Records") == LUA_TTABLE) {
      int records = lua_gettop(L);
      lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(2));
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

/* Push the metatable and order table; the closure's upvalues 5-7 are
 * 'text', 'len', 'arena' (all unused when 'root' is set). [-0, +2, m] */
static void event_raw_push(lua_State *L, const cJSON *root, const char *text,
                           size_t len, struct arena *arena, int n)
{
  lua_rawgetp(L, LUA_REGISTRYINDEX, &EVENT_RAW_KEY);
  static lua_Integer last; /* only ever compared within one state's slot */
  lua_Integer gen = lua_tointeger(L, -1);
  gen = (gen > last ? gen : last) + 1;
  last = gen;
  lua_pop(L, 1); /* old generation */
  lua_pushinteger(L, gen);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &EVENT_RAW_KEY);
  lua_createtable(L, 0, 1); /* stack: mt */
  lua_createtable(L, n, 0); /* stack: mt order */
  lua_pushlightuserdata(L, (void *)(uintptr_t)root);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 0); /* the map, built on first use */
  lua_pushinteger(L, gen);
  lua_pushlightuserdata(L, (void *)(uintptr_t)text);
  lua_pushinteger(L, (lua_Integer)len);
  lua_pushlightuserdata(L, arena);
  lua_pushcclosure(L, event_raw_index, 7);
  lua_setfield(L, -3, "__index"); /* stack: mt order */
}

void event_raw_begin(lua_State *L, const cJSON *root, int n)
{
  event_raw_push(L, root, NULL, 0, NULL, n);
}

void event_raw_begin_text(lua_State *L, const char *text, size_t len,
                          struct arena *arena, int n)
{
  event_raw_push(L, NULL, text, len, arena, n);
}

void event_raw_add_record(lua_State *L, int mt, int order, int rec,
                          lua_Integer n)
{
  lua_pushvalue(L, rec);
  lua_rawseti(L, order, n);
  lua_pushvalue(L, mt);
  lua_setmetatable(L, rec);
}

void event_raw_end(lua_State *L)
{
  /* Overwriting an existing key never allocates; with no key yet there is
   * no tree to protect. */
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &EVENT_RAW_KEY) == LUA_TNUMBER) {
    lua_pushinteger(L, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &EVENT_RAW_KEY);
  }
  lua_pop(L, 1); /* generation or nil */
}
