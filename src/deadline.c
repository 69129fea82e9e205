/* deadline: the invocation deadline guard. See deadline.h. */
#include "deadline.h"
#include "clock.h"

#include <lauxlib.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lrt_error.h"

/* Instructions between two checks inside a coroutine. */
#define DEADLINE_COROUTINE_COUNT 100000

static lua_State *volatile armed_main;
static volatile long long armed_deadline; /* epoch ms; 0 when disarmed */
/* Timer shots since arming: the second one means the hard margin, whatever
 * the clock says (timers fire a little late, and a late second shot read as
 * "still soft" would let a pcall loop run past the deadline). */
static volatile sig_atomic_t armed_shots;
/* Set while the watchdog (not the invocation guard) is armed. */
static volatile sig_atomic_t watchdog_armed;

static int is_main_thread(lua_State *L)
{
  int main = lua_pushthread(L);
  lua_pop(L, 1);
  return main;
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
     * running hook-free; a coroutine back to its periodic check. */
    if (main)
      lua_sethook(L, NULL, 0, 0);
    else if (lua_gethookcount(L) != DEADLINE_COROUTINE_COUNT)
      lua_sethook(L, deadline_hook, LUA_MASKCOUNT, DEADLINE_COROUTINE_COUNT);
    return;
  }
  if (left < DEADLINE_HARD_MARGIN_MS || armed_shots >= 2)
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1); /* every instruction */
  else if (main)
    lua_sethook(L, NULL, 0, 0); /* once; the timer comes back at the hard
                                   margin */
  lrt_error_raise(L, "Runtime.Timeout",
                  "handler interrupted %d ms before the invocation deadline "
                  "(remaining time is kept for reporting this error)",
                  (int)(left > 0 ? left : 0));
}

/* SIGALRM: only async-signal-safe work. lua_sethook is documented as safe
 * to call from a signal handler (lua.c's Ctrl-C handling relies on it). */
static void on_alarm(int sig)
{
  (void)sig;
  if (watchdog_armed) {
    /* Lua runs finalizers with hooks off: nothing can interrupt one that
     * never returns. Leaving is the only way to serve the next event (Lambda
     * starts a fresh runtime); the invocation was already answered. */
    static const char msg[] =
        "FATAL\tgarbage collection (a __gc finalizer) did not finish within "
        "its budget; exiting so a fresh runtime serves the next event\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    _exit(1);
  }
  lua_State *L = armed_main;
  armed_shots++;
  if (L)
    lua_sethook(L, deadline_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT,
                1);
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

void deadline_install(lua_State *L)
{
  static const luaL_Reg wrappers[] = {{"create", co_create}, {"wrap", co_wrap}};
  lua_getglobal(L, "coroutine");
  if (lua_istable(L, -1)) {
    for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++) {
      lua_getfield(L, -1, wrappers[i].name);
      lua_pushcclosure(L, wrappers[i].func, 1);
      lua_setfield(L, -2, wrappers[i].name);
    }
  }
  lua_pop(L, 1); /* coroutine */

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART; /* a handler's own I/O is not disturbed */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
}

void deadline_arm(lua_State *L, long long deadline_ms)
{
  long long first = deadline_ms - DEADLINE_SOFT_MARGIN_MS - clock_now_ms();
  if (first < 1)
    first = 1;
  /* Fire at the soft margin, then every (soft - hard) ms: the second shot
   * lands at the hard margin. */
  long long every = DEADLINE_SOFT_MARGIN_MS - DEADLINE_HARD_MARGIN_MS;
  struct itimerval t = {
      .it_interval = {(time_t)(every / 1000),
                      (suseconds_t)(every % 1000) * 1000},
      .it_value = {(time_t)(first / 1000), (suseconds_t)(first % 1000) * 1000},
  };
  armed_deadline = deadline_ms;
  armed_shots = 0;
  armed_main = L;
  setitimer(ITIMER_REAL, &t, NULL);
}

void deadline_disarm(lua_State *L)
{
  struct itimerval off;
  memset(&off, 0, sizeof(off));
  setitimer(ITIMER_REAL, &off, NULL);
  armed_main = NULL;
  armed_deadline = 0;
  armed_shots = 0;
  lua_sethook(L, NULL, 0, 0);
}

void deadline_watchdog_arm(long long budget_ms)
{
  struct itimerval t;
  memset(&t, 0, sizeof(t));
  t.it_value.tv_sec = (time_t)(budget_ms / 1000);
  t.it_value.tv_usec = (suseconds_t)(budget_ms % 1000) * 1000;
  watchdog_armed = 1;
  setitimer(ITIMER_REAL, &t, NULL);
}

void deadline_watchdog_disarm(void)
{
  struct itimerval off;
  memset(&off, 0, sizeof(off));
  setitimer(ITIMER_REAL, &off, NULL);
  watchdog_armed = 0;
}
