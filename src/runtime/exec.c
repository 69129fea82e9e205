/* exec: `bootstrap --exec FILE`, a standalone Lua interpreter with the
 * runtime's modules. See exec.h.
 *
 * Shaped after lua.c's pmain/docall: the whole run is one protected call of
 * exec_main, and the script runs under a message handler that adds the
 * traceback, so an error in the script (or a failure to set up) is a message
 * on stderr and exit 1, never a panic. This is a separate state from the
 * host's (host.c): its errors are printed the way lua5.4 prints them,
 * not shaped into Lambda's error object. */
#include "exec.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

#include "lambda_module.h"
#include "runtime_modules.h"

struct exec_args {
  int argc;
  char **argv;
  int script;
  const char *runtime_lua_dir;
  int ok; /* set when the script returned */
};

/* lua.c's msghandler: a string (or __tostring) message with a traceback. */
static int exec_msghandler(lua_State *L)
{
  const char *msg = lua_tostring(L, 1);
  if (!msg) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1; /* that is the message */
    msg =
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Put 'dir'/?.lua and 'dir'/?/init.lua in front of package.path (package on
 * top of the stack). Stack effect: [-0, +0, m]. */
static void prepend_path(lua_State *L, const char *dir)
{
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir,
                  lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 1); /* the old path */
}

/* The global `arg`, as lua.c's createargtable builds it. */
static void create_arg_table(lua_State *L, const struct exec_args *a)
{
  lua_createtable(L, a->argc - a->script - 1, a->script);
  for (int i = 0; i < a->argc; i++) {
    lua_pushstring(L, a->argv[i]);
    lua_rawseti(L, -2, i - a->script);
  }
  lua_setglobal(L, "arg");
}

static int exec_main(lua_State *L)
{
  struct exec_args *a = lua_touserdata(L, 1);
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  if (a->runtime_lua_dir)
    prepend_path(L, a->runtime_lua_dir);
  lua_pop(L, 1); /* package */
  runtime_modules_preload(L);
  lua_pushstring(L, a->runtime_lua_dir ? a->runtime_lua_dir : "");
  lua_pushcclosure(L, luaopen_lambda, 1);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_insert(L, -2);
  lua_setfield(L, -2, "lambda");
  lua_pop(L, 1); /* preload table */
  create_arg_table(L, a);

  const char *file = a->argv[a->script];
  int from_stdin = strcmp(file, "-") == 0;
  lua_pushcfunction(L, exec_msghandler);
  int handler = lua_gettop(L);
  /* luaL_loadfilex skips a first line starting with '#' */
  if (luaL_loadfilex(L, from_stdin ? NULL : file, "t") != LUA_OK)
    return lua_error(L);
  int n = a->argc - a->script - 1;
  luaL_checkstack(L, n, "too many arguments to the script");
  for (int i = 1; i <= n; i++)
    lua_pushstring(L, a->argv[a->script + i]);
  if (lua_pcall(L, n, 0, handler) != LUA_OK)
    return lua_error(L); /* the message with its traceback */
  a->ok = 1;
  return 0;
}

int exec_run(int argc, char **argv, int script, const char *runtime_lua_dir)
{
  struct exec_args a = {argc, argv, script, runtime_lua_dir, 0};
  lua_State *L = luaL_newstate();
  if (!L) {
    fputs("bootstrap: cannot create the Lua state: not enough memory\n",
          stderr);
    return 1;
  }
  lua_pushcfunction(L, exec_main);
  lua_pushlightuserdata(L, &a);
  int status = lua_pcall(L, 1, 0, 0);
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "bootstrap: %s\n",
            msg ? msg : "(error object is not a string)");
    fflush(stderr);
  }
  lua_close(L);
  return status == LUA_OK && a.ok ? 0 : 1;
}
