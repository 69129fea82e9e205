/* runtime_modules: the runtime's C modules every Lua state can require.
 *
 * The handler's state (host) and the --exec state (exec) offer the
 * same modules; the list lives here once, so a new module reaches both.
 * Knows the modules' luaopen_ functions, nothing else. */
#ifndef LRT_RUNTIME_MODULES_H
#define LRT_RUNTIME_MODULES_H

#include <lua.h>

/* Put `router`, `json`, `log` and `lrt.kafka_schema` into package.preload,
 * so `require` finds them before any file. Stack effect: [-0, +0, m]. */
void runtime_modules_preload(lua_State *L);

#endif
