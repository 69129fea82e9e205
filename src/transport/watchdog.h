/* watchdog: the last resort behind the deadline guard, on its own thread.
 *
 * The guard (deadline.c) interrupts Lua cooperatively, through a hook; a
 * handler can still hold on where no hook reaches (a message handler that
 * loops, a coroutine whose hook it replaced, a __gc finalizer). The
 * watchdog makes the deadline structural: armed with a time, it waits on a
 * thread of its own, and if it is not disarmed by then (Lua has not
 * returned), it answers the invocation itself with Runtime.Timeout on a
 * fresh libcurl handle (not the runtime's connection, which the stuck
 * invocation owns), logs one FATAL line and ends the process: Lambda starts
 * a fresh one for the next event. Armed for a budget instead (work after the
 * answer, like a full collection), it only logs and exits.
 *
 * The thread blocks every signal, so the guard's timer signal still reaches
 * the main thread. Knows POSIX threads and libcurl; nothing of Lua. */
#ifndef LRT_WATCHDOG_H
#define LRT_WATCHDOG_H

/* The Runtime API ("host:port") the watchdog answers on; the Lambda loop
 * sets it once. Without it (a local invocation) nothing is posted: the
 * watchdog only logs and exits. */
void watchdog_set_endpoint(const char *endpoint);

/* Arm for an invocation: at epoch 'fire_at_ms', unless disarmed first, post
 * Runtime.Timeout for 'request_id' to the endpoint set above (if any), then
 * exit the process with status 1.
 * Returns 0, or -1 when the thread could not be started (the cooperative
 * guard still runs). */
int watchdog_arm_invocation(const char *request_id, long long fire_at_ms);

/* Arm for 'budget_ms' from now around work that must not hang ('what' says
 * which, in the FATAL line); nothing is posted. Returns 0 or -1. */
int watchdog_arm_budget(long long budget_ms, const char *what);

/* Disarm. If the watchdog has already fired, the process is about to exit:
 * this never returns, so nothing else is posted for the invocation. */
void watchdog_disarm(void);

#endif
