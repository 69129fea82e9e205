/* metrics: writing the `metrics` module's EMF records after each
 * invocation. See metrics.h.
 *
 * The module is looked up with raw accesses and its results type-checked,
 * so a handler that replaced or broke it gets its records skipped (or an
 * error logged by the host), never a crash. Each record is one fwrite of
 * the line and a flush, like log lines, so nothing waits in a buffer when
 * Lambda freezes the process. */
#include "metrics.h"

#include <lauxlib.h>
#include <stdio.h>

#include "clock.h"

int metrics_flush(lua_State *L)
{
  lua_settop(L, 0);
  if (lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE) != LUA_TTABLE)
    return 0;
  lua_pushliteral(L, "metrics");
  if (lua_rawget(L, 1) != LUA_TTABLE) /* stack: loaded metrics */
    return 0;
  lua_pushliteral(L, "_flush");
  if (lua_rawget(L, 2) != LUA_TFUNCTION) /* stack: loaded metrics flush */
    return 0;
  lua_pushinteger(L, (lua_Integer)clock_now_ms());
  lua_call(L, 1, 1);
  if (!lua_istable(L, -1))
    return 0; /* nothing was added */
  lua_Integer n = luaL_len(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    size_t len = 0;
    if (lua_rawgeti(L, -1, i) == LUA_TSTRING) {
      const char *line = lua_tolstring(L, -1, &len);
      fwrite(line, 1, len, stdout);
      fputc('\n', stdout);
    }
    lua_pop(L, 1); /* the record */
  }
  fflush(stdout);
  return 0;
}
