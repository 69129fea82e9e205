/* lrt_error: typed errors raised from C into Lua. See lrt_error.h. */
#include "lrt_error.h"

#include <stdarg.h>

static const char ERROR_MT_KEY = 'e';

/* __tostring: a typed error caught by a handler's pcall prints as its
 * message, like a string error would. */
static int error_tostring(lua_State *L)
{
  lua_getfield(L, 1, "message");
  if (!lua_isstring(L, -1))
    lua_pushliteral(L, "(error without a message)");
  return 1;
}

int lrt_error_raise(lua_State *L, const char *type, const char *fmt, ...)
{
  va_list ap;
  lua_createtable(L, 0, 2);
  lua_pushstring(L, type);
  lua_setfield(L, -2, "type");
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_setfield(L, -2, "message");
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ERROR_MT_KEY) != LUA_TTABLE) {
    lua_pop(L, 1); /* nil */
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ERROR_MT_KEY);
  }
  lua_setmetatable(L, -2);
  return lua_error(L); /* never returns */
}
