/* deadline: the invocation deadline guard. See deadline.h. */
#include "deadline.h"
#include "clock.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include "error_types.h"
#include "log.h"
#include "lrt_error.h"
#include "watchdog.h"

/* Instructions between two checks inside a coroutine. */
#define DEADLINE_COROUTINE_COUNT 100000

static lua_State *volatile armed_main;
static volatile long long armed_deadline; /* epoch ms; 0 when disarmed */
/* Shots of our own timer since arming: the second one means the hard
 * margin, whatever the clock says (timers fire a little late, and a late
 * second shot read as "still soft" would let a pcall loop run past the
 * deadline). A signal that is not our timer's is not counted. */
static volatile sig_atomic_t armed_shots;

/* The guard's POSIX timer; its signal carries &timer_cookie, which a stray
 * kill -ALRM (SI_USER) cannot forge. */
static timer_t guard_timer;
static int guard_timer_ok;
static char timer_cookie;

/* The hook a handler set on the main thread with debug.sethook, put back
 * whenever the guard's own hook comes off, so profilers and coverage keep
 * working across invocations. */
static lua_Hook user_hook;
static int user_mask, user_count;

static int is_main_thread(lua_State *L)
{
  int main = lua_pushthread(L);
  lua_pop(L, 1);
  return main;
}

/* The main thread's hook when the guard is not interrupting. */
static void restore_main_hook(lua_State *L)
{
  lua_sethook(L, user_hook, user_hook ? user_mask : 0,
              user_hook ? user_count : 0);
}

static void deadline_hook(lua_State *L, lua_Debug *ar)
{
  (void)ar;
  int main = is_main_thread(L);
  long long deadline = armed_deadline;
  long long left =
      deadline ? deadline - clock_now_ms() : DEADLINE_SOFT_MARGIN_MS;
  if (left >= DEADLINE_SOFT_MARGIN_MS && !(deadline && armed_shots)) {
    /* Not (or no longer) near a deadline: the main thread goes back to
     * running without the guard's hook; a coroutine back to its periodic
     * check. */
    if (main)
      restore_main_hook(L);
    else if (lua_gethookcount(L) != DEADLINE_COROUTINE_COUNT)
      lua_sethook(L, deadline_hook, LUA_MASKCOUNT, DEADLINE_COROUTINE_COUNT);
    return;
  }
  if (left < DEADLINE_HARD_MARGIN_MS || armed_shots >= 2)
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1); /* every instruction */
  else if (main)
    restore_main_hook(L); /* once; the timer comes back at the hard margin */
  lrt_error_raise(L, ERROR_TYPE_TIMEOUT,
                  "handler interrupted %d ms before the invocation deadline "
                  "(remaining time is kept for reporting this error)",
                  (int)(left > 0 ? left : 0));
}

/* SIGALRM: only async-signal-safe work. lua_sethook is documented as safe
 * to call from a signal handler (lua.c's Ctrl-C handling relies on it).
 * Anything but our own timer's shot (kill -ALRM, a handler's alarm()) is
 * ignored. */
static void on_alarm(int sig, siginfo_t *si, void *uc)
{
  (void)sig;
  (void)uc;
  if (si == NULL || si->si_code != SI_TIMER ||
      si->si_value.sival_ptr != &timer_cookie)
    return;
  lua_State *L = armed_main;
  if (!L || !armed_deadline)
    return;
  armed_shots++;
  lua_sethook(L, deadline_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* coroutine.create / coroutine.wrap with the guard's count hook on the new
 * thread. Upvalue 1 is the original function. */
static int co_create(lua_State *L)
{
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  lua_State *co = lua_tothread(L, -1);
  if (co)
    lua_sethook(co, deadline_hook, LUA_MASKCOUNT, DEADLINE_COROUTINE_COUNT);
  return 1;
}

static int co_wrap(lua_State *L)
{
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  /* The wrapper is a C closure whose only upvalue is the coroutine. */
  if (lua_getupvalue(L, -1, 1)) {
    lua_State *co = lua_tothread(L, -1);
    if (co)
      lua_sethook(co, deadline_hook, LUA_MASKCOUNT, DEADLINE_COROUTINE_COUNT);
    lua_pop(L, 1); /* the coroutine */
  }
  return 1;
}

/* debug.sethook, then remember what it set on the main thread (upvalue 1 is
 * the original). A coroutine's hook replaces the guard's periodic check on
 * that coroutine: the watchdog still bounds it. */
static int dbg_sethook(lua_State *L)
{
  lua_State *target = lua_isthread(L, 1) ? lua_tothread(L, 1) : L;
  int nargs = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, nargs, 0);
  if (is_main_thread(target)) {
    user_hook = lua_gethook(target);
    user_mask = lua_gethookmask(target);
    user_count = lua_gethookcount(target);
    if (user_hook == deadline_hook)
      user_hook = NULL;
  }
  return 0;
}

/* Replace lib[name] (lib on top) with 'fn' closing over the original. */
static void wrap_field(lua_State *L, const char *name, lua_CFunction fn)
{
  if (lua_getfield(L, -1, name) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    return;
  }
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, -2, name);
}

void deadline_install(lua_State *L)
{
  lua_getglobal(L, "coroutine");
  if (lua_istable(L, -1)) {
    wrap_field(L, "create", co_create);
    wrap_field(L, "wrap", co_wrap);
  }
  lua_pop(L, 1); /* coroutine */
  lua_getglobal(L, "debug");
  if (lua_istable(L, -1))
    wrap_field(L, "sethook", dbg_sethook);
  lua_pop(L, 1); /* debug */
  user_hook = NULL;

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_alarm;
  sa.sa_flags = SA_RESTART | SA_SIGINFO; /* a handler's I/O is undisturbed */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  if (!guard_timer_ok) {
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGALRM;
    ev.sigev_value.sival_ptr = &timer_cookie;
    guard_timer_ok = timer_create(CLOCK_REALTIME, &ev, &guard_timer) == 0;
  }
}

static void set_timer(long long first_ms, long long every_ms)
{
  if (!guard_timer_ok)
    return;
  struct itimerspec t = {
      .it_interval = {(time_t)(every_ms / 1000),
                      (long)(every_ms % 1000) * 1000000L},
      .it_value = {(time_t)(first_ms / 1000),
                   (long)(first_ms % 1000) * 1000000L},
  };
  timer_settime(guard_timer, 0, &t, NULL);
}

void deadline_arm(lua_State *L, long long deadline_ms, const char *request_id)
{
  long long now = clock_now_ms();
  long long first = deadline_ms - DEADLINE_SOFT_MARGIN_MS - now;
  if (first < 1)
    first = 1;
  armed_deadline = deadline_ms;
  armed_shots = 0;
  armed_main = L;
  /* Fire at the soft margin, then every (soft - hard) ms: the second shot
   * lands at the hard margin. */
  set_timer(first, DEADLINE_SOFT_MARGIN_MS - DEADLINE_HARD_MARGIN_MS);
  /* The cooperative guard always gets its chance first, even when the
   * deadline is already near. */
  long long fire = deadline_ms - DEADLINE_WATCHDOG_MARGIN_MS;
  if (fire < now + DEADLINE_SOFT_MARGIN_MS)
    fire = now + DEADLINE_SOFT_MARGIN_MS;
  if (watchdog_arm_invocation(request_id, fire) != 0)
    log_write(LOG_WARN, "deadline: the watchdog thread could not start; only "
                        "the cooperative guard bounds this invocation");
}

void deadline_disarm(lua_State *L)
{
  watchdog_disarm(); /* never returns if it fired: the process is ending */
  set_timer(0, 0);
  armed_main = NULL;
  armed_deadline = 0;
  armed_shots = 0;
  restore_main_hook(L);
}

void deadline_watchdog_arm(long long budget_ms)
{
  if (watchdog_arm_budget(budget_ms, "garbage collection (a __gc finalizer)") !=
      0)
    log_write(LOG_WARN, "deadline: the watchdog thread could not start");
}

void deadline_watchdog_disarm(void)
{
  watchdog_disarm();
}
