/* collector: the collector's schedule around invocations. See collector.h. */
#include "collector.h"

#include <limits.h>

#include "deadline.h"

/* Events from this size on are decoded with the collector paused. */
#define COLLECTOR_PAUSE_MIN_EVENT (256u * 1024u)
/* What a full collection between invocations may take, finalizers
 * included (a 1 GB heap takes well under a second). */
#define COLLECTOR_BUDGET_MS 5000
/* Heap growth since the last full collection that makes one due. */
#define COLLECTOR_GROWTH (4u * 1024u * 1024u)

void collector_init(struct collector *c, lua_State *L, const struct heap *heap,
                    int guarded)
{
  c->L = L;
  c->heap = heap;
  c->guarded = guarded;
  c->heap_after_collect = heap->used;
  c->pending = 0;
}

int collector_pauses_for(size_t len)
{
  return len >= COLLECTOR_PAUSE_MIN_EVENT;
}

void collector_pause_decode(struct collector *c)
{
  /* The decoder allocates only through the core API, so at a memory cap Lua
   * still runs its emergency collection. Not so the handler: lauxlib's
   * buffers allocate directly, and a paused collector would turn its
   * garbage into an out-of-memory error, hence the restart before it runs. */
  lua_gc(c->L, LUA_GCSTOP);
}

/* Restarted plainly, the collector would be due at once and mark the whole
 * event again while the handler runs (2 of 18 ms on the 6 MB text batch,
 * docs/performance.md), although it all becomes garbage when the handler
 * returns and the full collection after the answer sweeps it. An allowance
 * of as much again as the heap holds is what Lua's own pause of 200 % gives
 * a heap that is all live. LUA_GCSTEP with a negative size only moves the
 * debt (lapi.c, Lua 5.4): the collector keeps running, so a handler that
 * makes garbage past the allowance gets it collected as usual. */
void collector_resume_after_decode(struct collector *c)
{
  const struct heap *heap = c->heap;
  size_t allowance = heap->used;
  if (heap->limit > 0) {
    size_t room = heap->limit > heap->used ? heap->limit - heap->used : 0;
    if (allowance > room / 2)
      allowance = room / 2;
  }
  size_t kb = allowance / 1024;
  if (kb > INT_MAX)
    kb = INT_MAX;
  lua_gc(c->L, LUA_GCRESTART);
  if (kb > 0)
    lua_gc(c->L, LUA_GCSTEP, -(int)kb);
}

void collector_end_invocation(struct collector *c, int paused, int failed)
{
  if (paused)
    lua_gc(c->L, LUA_GCRESTART); /* decoding may have raised */
  /* A big event's garbage goes after the answer; so does what a failed
   * invocation left (an out-of-memory handler certainly left a lot). */
  if (paused || failed)
    c->pending = 1;
}

void collector_between_invocations(struct collector *c)
{
  /* After a big event the heap is mostly garbage: one full collection
   * frees it for the price of marking what is still live (little), where
   * the incremental collector would spread the same sweep over the next
   * invocation. Small invocations are left to the incremental collector. */
  if (!c->pending && c->heap->used <= c->heap_after_collect + COLLECTOR_GROWTH)
    return;
  if (c->guarded)
    deadline_watchdog_arm(COLLECTOR_BUDGET_MS);
  lua_gc(c->L, LUA_GCCOLLECT);
  if (c->guarded)
    deadline_watchdog_disarm();
  c->heap_after_collect = c->heap->used;
  c->pending = 0;
}

void collector_close_state(lua_State *L, int guarded)
{
  if (guarded)
    deadline_watchdog_arm(COLLECTOR_BUDGET_MS);
  lua_close(L);
  if (guarded)
    deadline_watchdog_disarm();
}
