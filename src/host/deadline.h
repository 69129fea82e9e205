/* deadline: interrupting a handler that is about to run past its deadline.
 *
 * A handler still running when Lambda's deadline passes gets the sandbox
 * killed, warm state and all. The guard stops it first, with a clear
 * Runtime.Timeout error: 250 ms before the deadline the handler is
 * interrupted once (an ordinary error, so kafka.process can record the
 * record as failed and go on); from 150 ms before, it is interrupted at every
 * instruction, so no pcall loop can hold on.
 *
 * The main thread runs with no hook at all (a Lua hook, even a count hook,
 * sends every VM instruction through the debug interface): a timer signal
 * sets the hook only when it is needed, as lua.c does for Ctrl-C.
 * Coroutines cannot be reached from a signal handler, so each one created
 * through coroutine.create/wrap carries a count hook from its birth.
 *
 * The hook is cooperative, and a handler can hold on where it does not reach
 * (a message handler that loops, a coroutine that replaced its hook or was
 * made with the unwrapped coroutine.create). So every armed invocation also
 * arms the watchdog (watchdog.h) for DEADLINE_WATCHDOG_MARGIN_MS before the
 * deadline: if Lua has not returned by then, the watchdog answers
 * Runtime.Timeout and ends the process. That is the guarantee; the hook only
 * makes the common case cheap (the process stays warm).
 *
 * The timer is a POSIX timer of our own whose SIGALRM carries a cookie: a
 * stray SIGALRM (kill -ALRM, a handler's alarm()) is ignored, and the hook
 * checks the clock before it interrupts. A hook the handler sets on the main
 * thread with debug.sethook is put back whenever the guard's comes off, so
 * profilers and coverage keep working across invocations (they miss events
 * only in the last 250 ms before a deadline).
 *
 * One invocation runs at a time in the process, so the armed state is
 * process-wide. Knows Lua and POSIX timers; nothing else. */
#ifndef LRT_DEADLINE_H
#define LRT_DEADLINE_H

#include <lua.h>

#define DEADLINE_SOFT_MARGIN_MS 250
#define DEADLINE_HARD_MARGIN_MS 150
/* When the watchdog answers for a handler still running. */
#define DEADLINE_WATCHDOG_MARGIN_MS 100

/* Install the guard in a new state, before user code runs: wraps
 * coroutine.create, coroutine.wrap and debug.sethook, and sets up the
 * timer and its SIGALRM handler.
 * Stack effect: [-0, +0, e]. */
void deadline_install(lua_State *L);

/* Arm the guard for invocation 'request_id' of main thread 'L', ending at
 * epoch 'deadline_ms', and the watchdog behind it. */
void deadline_arm(lua_State *L, long long deadline_ms, const char *request_id);

/* Disarm after the invocation (Lua has returned) and put the handler's own
 * hook, if any, back on the main thread. */
void deadline_disarm(lua_State *L);

/* Arm the watchdog for 'budget_ms' around work no hook can interrupt (a full
 * collection runs __gc finalizers with hooks off): if it is still running
 * then, the process logs a FATAL line and exits 1. */
void deadline_watchdog_arm(long long budget_ms);
void deadline_watchdog_disarm(void);

#endif
