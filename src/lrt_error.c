/* lrt_error: typed errors raised from C into Lua. See lrt_error.h. */
#include "lrt_error.h"

#include <stdarg.h>

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
  return lua_error(L); /* never returns */
}
