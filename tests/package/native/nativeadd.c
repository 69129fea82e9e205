/* A native Lua module for the packaging tests, built by the test with the
 * target's compiler and loaded by the packaged runtime from LUA_CPATH. It
 * links against no Lua library: like every Lua C module it resolves the API
 * against the program that loads it, so it loads only if the runtime exports
 * all of Lua's API, including functions the runtime itself never calls
 * (lua_arith, luaL_gsub, luaL_setfuncs, luaL_checkversion_). */
#include <lauxlib.h>
#include <lua.h>

static int add(lua_State *L)
{
  luaL_checkinteger(L, 1);
  luaL_checkinteger(L, 2);
  lua_arith(L, LUA_OPADD);
  return 1;
}

static int gsub(lua_State *L)
{
  luaL_gsub(L, luaL_checkstring(L, 1), luaL_checkstring(L, 2),
            luaL_checkstring(L, 3));
  return 1;
}

static const luaL_Reg functions[] = {
    {"add", add}, {"gsub", gsub}, {NULL, NULL}};

int luaopen_nativeadd(lua_State *L);

int luaopen_nativeadd(lua_State *L)
{
  luaL_newlib(L, functions);
  lua_pushliteral(L, LUA_VERSION);
  lua_setfield(L, -2, "version");
  return 1;
}
