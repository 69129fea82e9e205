/* loader: the search path, the searchers and the two handler forms. See
 * loader.h. */
#include "loader.h"

#include <lauxlib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error_types.h"
#include "log.h"
#include "lrt_error.h"
#include "router.h"

static const char LOADER_KEY = 'l';

/* The loader of 'L', or NULL outside one. Stack effect: [-0, +0, -]. */
static const struct loader *loader_of(lua_State *L)
{
  lua_rawgetp(L, LUA_REGISTRYINDEX, &LOADER_KEY);
  const struct loader *ld = lua_touserdata(L, -1);
  lua_pop(L, 1); /* the loader */
  return ld;
}

void loader_track_file(lua_State *L, const char *path)
{
  const struct loader *ld = loader_of(L);
  if (ld && ld->watch && script_watch_add(ld->watch, path) != 0)
    log_write(LOG_WARN, "hot reload: out of memory, %s is not watched", path);
}

const char *loader_task_root(lua_State *L)
{
  const struct loader *ld = loader_of(L);
  return ld ? ld->task_root : NULL;
}

/* Push package.searchpath(name, package[field]): the file's name and nil,
 * or nil and the "no file" lines. Stack effect: [-0, +2, e]. */
static void search_path(lua_State *L, const char *name, const char *field)
{
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchpath");
  lua_pushstring(L, name);
  lua_getfield(L, -3, field);
  lua_call(L, 2, 2);
  lua_remove(L, -3); /* package */
}

/* package.searchers[2] replacement: find name on package.path, load it as
 * text only, and watch the file. A syntax error is raised typed, so init can
 * report it as such. */
static int loader_searcher(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  search_path(L, name, "path");
  if (lua_isnil(L, -2))
    return 1; /* the "no file" lines from searchpath */
  const char *path = lua_tostring(L, -2);
  /* Watched before loading: a file that fails to load must be watched too,
   * so fixing it is seen by hot reload. */
  loader_track_file(L, path);
  int status = luaL_loadfilex(L, path, "t");
  if (status == LUA_ERRSYNTAX)
    return lrt_error_raise(L, ERROR_TYPE_SYNTAX,
                           "syntax error in module '%s': %s", name,
                           lua_tostring(L, -1));
  if (status != LUA_OK)
    return lrt_error_raise(L, ERROR_TYPE_IMPORT_MODULE,
                           "cannot load module '%s' from %s: %s", name, path,
                           lua_tostring(L, -1));
  lua_pushstring(L, path); /* second argument to the loader */
  return 2;
}

/* The last searcher: every other one found nothing. Raised typed, so a
 * missing module at init is reported as Runtime.ImportModuleError. */
static int loader_not_found(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  search_path(L, name, "path");  /* stack: name nil path_msg */
  search_path(L, name, "cpath"); /* stack: ... nil cpath_msg */
  return lrt_error_raise(L, ERROR_TYPE_IMPORT_MODULE,
                         "module '%s' not found:\n\t%s\n\t%s", name,
                         lua_tostring(L, 3), lua_tostring(L, 5));
}

/* Set package[field] (package on top of the stack) to the contract's search
 * path: each pattern under the task root, /opt/lua and the runtime's lua/
 * folder, then the environment variable 'env'. Stack effect: [-0, +0, m]. */
static void set_search_path(lua_State *L, const struct loader *ld,
                            const char *field, const char *const *patterns,
                            const char *env)
{
  const char *dirs[] = {ld->task_root, "/opt/lua", ld->runtime_lua_dir};
  luaL_Buffer b;
  int first = 1;
  luaL_buffinit(L, &b);
  for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
    for (const char *const *p = patterns; dirs[d] && *p; p++) {
      if (!first)
        luaL_addchar(&b, ';');
      first = 0;
      luaL_addstring(&b, dirs[d]);
      luaL_addchar(&b, '/');
      luaL_addstring(&b, *p);
    }
  }
  const char *extra = getenv(env);
  if (extra && *extra) {
    luaL_addchar(&b, ';');
    luaL_addstring(&b, extra);
  }
  luaL_pushresult(&b);
  /* ";;" means "the default path" in LUA_PATH; ours is already in front,
   * so it goes, and so does an empty template at the end. */
  size_t len;
  const char *path = luaL_gsub(L, lua_tostring(L, -1), ";;", ";");
  lua_tolstring(L, -1, &len);
  if (len && path[len - 1] == ';')
    lua_pushlstring(L, path, len - 1);
  else
    lua_pushvalue(L, -1);
  lua_setfield(L, -4, field);
  lua_pop(L, 2); /* the raw and the cleaned path */
}

void loader_install(lua_State *L, const struct loader *ld)
{
  static const char *const lua_patterns[] = {"?.lua", "?/init.lua", NULL};
  static const char *const c_patterns[] = {"?.so", NULL};
  lua_pushlightuserdata(L, (void *)(uintptr_t)ld);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &LOADER_KEY);
  lua_getglobal(L, "package");
  set_search_path(L, ld, "path", lua_patterns, "LUA_PATH");
  set_search_path(L, ld, "cpath", c_patterns, "LUA_CPATH");

  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, loader_searcher);
  lua_rawseti(L, -2, 2);
  lua_pushcfunction(L, loader_not_found);
  lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
  lua_pop(L, 2); /* searchers, package */
}

/* require(name); leaves the module's value on the stack.
 * Stack effect: [-0, +1, e]. */
static void require_module(lua_State *L, const char *name)
{
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
}

/* Nonzero when 'name' is found on package.path. Stack effect: [-0, +0, e]. */
static int module_exists(lua_State *L, const char *name)
{
  search_path(L, name, "path");
  int found = !lua_isnil(L, -2);
  lua_pop(L, 2); /* result, message */
  return found;
}

/* The `module.function` form: the module returns a table whose function
 * handles every event, as other Lua runtimes for Lambda do.
 * Stack effect: [-0, +0, e]. */
static void load_function_form(lua_State *L, const char *handler)
{
  const char *dot = strrchr(handler, '.');
  lua_pushlstring(L, handler, dot ? (size_t)(dot - handler) : 0);
  const char *module = lua_tostring(L, -1);
  if (!dot || !*module || !module_exists(L, module))
    lrt_error_raise(L, ERROR_TYPE_IMPORT_MODULE,
                    "cannot find handler module '%s' under the task root %s "
                    "(nor /opt/lua, the runtime's lua/ folder or LUA_PATH)",
                    handler, loader_task_root(L));
  require_module(L, module);
  if (!lua_istable(L, -1))
    lrt_error_raise(L, ERROR_TYPE_HANDLER_NOT_FOUND,
                    "handler '%s': module '%s' returned %s, not a table of "
                    "functions",
                    handler, module, luaL_typename(L, -1));
  lua_getfield(L, -1, dot + 1);
  int fn = lua_gettop(L);
  if (lua_type(L, fn) != LUA_TFUNCTION &&
      luaL_getmetafield(L, -1, "__call") == LUA_TNIL)
    lrt_error_raise(L, ERROR_TYPE_HANDLER_NOT_FOUND,
                    "handler '%s': module '%s' has no function '%s'", handler,
                    module, dot + 1);
  router_set_catch_all(L, fn);
}

void loader_load_handler(lua_State *L, const char *handler)
{
  int base = lua_gettop(L);
  if (module_exists(L, handler)) {
    require_module(L, handler);
    if (router_count(L) == 0)
      lrt_error_raise(
          L, ERROR_TYPE_HANDLER_NOT_FOUND,
          "handler module '%s' registered no route: call "
          "require(\"router\").kafka(fn) or .custom(fn) at its top level",
          handler);
  } else {
    load_function_form(L, handler);
  }
  lua_settop(L, base);
  router_seal(L);
}
