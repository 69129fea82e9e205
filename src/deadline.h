/* deadline: interrupting a handler that is about to run past its deadline.
 *
 * A handler still running when Lambda's deadline passes gets the sandbox
 * killed, warm state and all. The guard stops it first, with a clear
 * Runtime.Timeout error: 250 ms before the deadline the handler is
 * interrupted once (an ordinary error, so kafka.process can record the
 * record as failed and go on); from 100 ms before, it is interrupted at every
 * instruction, so no pcall loop can hold on.
 *
 * The main thread runs with no hook at all (a Lua hook, even a count hook,
 * sends every VM instruction through the debug interface): a timer signal
 * sets the hook only when it is needed, as lua.c does for Ctrl-C.
 * Coroutines cannot be reached from a signal handler, so each one created
 * through coroutine.create/wrap carries a count hook from its birth.
 *
 * One invocation runs at a time in the process, so the armed state is
 * process-wide. Knows Lua and POSIX timers; nothing else. */
#ifndef LRT_DEADLINE_H
#define LRT_DEADLINE_H

#include <lua.h>

#define DEADLINE_SOFT_MARGIN_MS 250
#define DEADLINE_HARD_MARGIN_MS 100

/* Install the guard in a new state, before user code runs: wraps
 * coroutine.create and coroutine.wrap, and sets up the SIGALRM handler.
 * Stack effect: [-0, +0, e]. */
void deadline_install(lua_State *L);

/* Arm the guard for an invocation of main thread 'L' ending at epoch
 * 'deadline_ms'. */
void deadline_arm(lua_State *L, long long deadline_ms);

/* Disarm after the invocation and remove any hook from the main thread. */
void deadline_disarm(lua_State *L);

/* Arm the watchdog for 'budget_ms' around work no hook can interrupt (a full
 * collection runs __gc finalizers with hooks off): if it is still running
 * then, the process logs a FATAL line and exits 1. */
void deadline_watchdog_arm(long long budget_ms);
void deadline_watchdog_disarm(void);

#endif
