/* guard: what no Lua code may do to the process.
 *
 * Handler code is trusted to be correct, not to be harmless to the runtime
 * (docs/reliability.md). Three doors in the standard library lead past the
 * protected call into undefined behaviour or a silent exit, and this file
 * closes them, once, when the state is built:
 * - load, loadfile and dofile take text only: a binary chunk (string.dump
 *   output, corrupted or crafted) can crash the VM, as Lua's manual warns;
 *   Redis refuses them for the same reason. Asking for mode "b" is an error;
 * - debug.getregistry is refused: the registry holds what C code relies on
 *   (Lua's own globals and main-thread slots among it), and a value changed
 *   there is read back by C without a check;
 * - os.exit writes one log line saying the handler ended the process before
 *   it does, so the end is never silent.
 * Knows Lua and log; nothing of the event or HTTP. */
#ifndef LRT_GUARD_H
#define LRT_GUARD_H

#include <lua.h>

/* Install the guards (after luaL_openlibs, before user code runs).
 * Stack effect: [-0, +0, e]. */
void guard_install(lua_State *L);

#endif
