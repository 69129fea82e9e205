/* loader: where handler code comes from and how it is loaded.
 *
 * Sets package.path and package.cpath to the contract's search path (the
 * task root, /opt/lua, the runtime's lua/ folder, then LUA_PATH/LUA_CPATH),
 * replaces Lua's file searcher with one that loads text only (a precompiled
 * chunk can crash the VM) and raises typed errors (syntax error, cannot
 * load, not found), and loads the handler in either form: a module that
 * registers routes, or `module.function` taking every event. Every file a
 * searcher found, and every file a module reads at init through
 * loader_track_file() (kafka schemas), goes into the script watch, if any,
 * so hot reload sees its change.
 *
 * Knows Lua, the router and script_watch; nothing of events or HTTP. */
#ifndef LRT_LOADER_H
#define LRT_LOADER_H

#include <lua.h>

#include "script_watch.h"

struct loader {
  const char *task_root;       /* where handler modules live */
  const char *runtime_lua_dir; /* the runtime's own lua/ folder, or NULL */
  struct script_watch *watch;  /* the files loaded go here; NULL: nowhere */
};

/* Set the search path and install the searchers in a new state. 'ld' (and
 * the strings and watch it points at) must outlive the state.
 * Stack effect: [-0, +0, m]. */
void loader_install(lua_State *L, const struct loader *ld);

/* Load 'handler' and seal the router: the module `handler` must register a
 * route; failing that, `module.function` names a function of the table
 * `module` returns, which then takes every event. Raises a typed error
 * (Runtime.ImportModuleError, Runtime.UserCodeSyntaxError,
 * Runtime.HandlerNotFound) otherwise. Stack effect: [-0, +0, e]. */
void loader_load_handler(lua_State *L, const char *handler);

/* Watch 'path' like a loaded script (for modules that read files at init).
 * Does nothing outside a loader's state. Stack effect: [-0, +0, -]. */
void loader_track_file(lua_State *L, const char *path);

/* The task root of the loader of 'L', or NULL outside one.
 * Stack effect: [-0, +0, -]. */
const char *loader_task_root(lua_State *L);

#endif
