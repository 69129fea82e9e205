/* guard: text-only chunks, no registry, a logged os.exit. See
 * guard.h. */
#include "guard.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* The mode argument at 'idx': "t" is all there is; NULL/"t"/"bt" mean text,
 * anything asking for binary chunks alone is refused. [-0, +0, v] */
static void check_mode(lua_State *L, int idx)
{
  const char *mode = luaL_optstring(L, idx, "bt");
  if (strchr(mode, 't') == NULL)
    luaL_error(L,
               "binary chunks are refused by this runtime (mode \"%s\"); "
               "load Lua source text instead",
               mode);
}

/* Call the original (upvalue 1) with the arguments given, at least
 * 'mode_idx' of them, and argument 'mode_idx' (the mode) set to "t". An env
 * argument keeps its presence: nil given is not the same as none. */
static int call_text_only(lua_State *L, int mode_idx)
{
  check_mode(L, mode_idx);
  int nargs = lua_gettop(L);
  if (nargs < mode_idx) {
    lua_settop(L, mode_idx);
    nargs = mode_idx;
  }
  lua_pushliteral(L, "t");
  lua_replace(L, mode_idx);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, nargs, LUA_MULTRET);
  return lua_gettop(L);
}

/* load(chunk [, chunkname [, mode [, env]]]), text only. */
static int guard_load(lua_State *L)
{
  return call_text_only(L, 3);
}

/* loadfile([filename [, mode [, env]]]), text only. */
static int guard_loadfile(lua_State *L)
{
  return call_text_only(L, 2);
}

/* dofile([filename]) on text only, as lbaselib's dofile otherwise. */
static int guard_dofile(lua_State *L)
{
  const char *fname = luaL_optstring(L, 1, NULL);
  lua_settop(L, 1);
  if (luaL_loadfilex(L, fname, "t") != LUA_OK)
    return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}

static int guard_getregistry(lua_State *L)
{
  return luaL_error(L, "debug.getregistry is not available: the registry "
                       "holds the runtime's own state");
}

/* os.exit([code [, close]]): one line, then the original (upvalue 1). */
static int guard_exit(lua_State *L)
{
  const char *how = lua_isnoneornil(L, 1) ? "true"
                    : lua_isboolean(L, 1)
                        ? (lua_toboolean(L, 1) ? "true" : "false")
                        : NULL;
  if (how)
    log_write(LOG_WARN,
              "os.exit(%s) called by the handler: the runtime "
              "process ends now; Lambda starts a fresh one",
              how);
  else
    log_write(LOG_WARN,
              "os.exit(%lld) called by the handler: the runtime "
              "process ends now; Lambda starts a fresh one",
              (long long)luaL_optinteger(L, 1, 0));
  fflush(stdout);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

/* t[name] = fn closing over the old t[name] (t at 'idx'), when it is a
 * function. [-0, +0, m] */
static void wrap(lua_State *L, int idx, const char *name, lua_CFunction fn)
{
  idx = lua_absindex(L, idx);
  if (lua_getfield(L, idx, name) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    return;
  }
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, idx, name);
}

void guard_install(lua_State *L)
{
  lua_pushglobaltable(L);
  wrap(L, -1, "load", guard_load);
  wrap(L, -1, "loadfile", guard_loadfile);
  lua_pushcfunction(L, guard_dofile);
  lua_setfield(L, -2, "dofile");
  lua_pop(L, 1); /* globals */
  if (lua_getglobal(L, "debug") == LUA_TTABLE) {
    lua_pushcfunction(L, guard_getregistry);
    lua_setfield(L, -2, "getregistry");
  }
  lua_pop(L, 1); /* debug */
  if (lua_getglobal(L, "os") == LUA_TTABLE)
    wrap(L, -1, "exit", guard_exit);
  lua_pop(L, 1); /* os */
}
