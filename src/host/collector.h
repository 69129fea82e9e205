/* collector: when Lua's garbage collector runs around an invocation.
 *
 * A big event is decoded with the collector paused (it stays alive for the
 * whole call, so collecting meanwhile only marks it again and again) and the
 * collector restarts with an allowance before the handler runs; after a big
 * or failed invocation, or once the heap has grown enough, one full
 * collection runs between invocations, after the answer is out. Finalizers
 * are handler code that Lua runs with hooks off, so with the deadline guard
 * on, a full collection and the closing of a state run under the watchdog's
 * budget: a finalizer that never returns ends the process instead of
 * hanging it.
 *
 * Knows Lua, the capped heap and the deadline's watchdog; nothing of events. */
#ifndef LRT_COLLECTOR_H
#define LRT_COLLECTOR_H

#include <stddef.h>

#include <lua.h>

#include "heap.h"

struct collector {
  lua_State *L;
  const struct heap *heap;
  int guarded;               /* bound finalizers with the watchdog */
  size_t heap_after_collect; /* heap->used after the last full collection */
  int pending;               /* a full collection is due */
};

/* Start tracking 'L' (whose allocator is 'heap') right after a full
 * collection. */
void collector_init(struct collector *c, lua_State *L, const struct heap *heap,
                    int guarded);

/* Nonzero when an event of 'len' bytes is decoded with the collector
 * paused. */
int collector_pauses_for(size_t len);

/* Inside the protected call: pause before decoding, and restart before the
 * handler runs with an allowance of as much again as the heap holds (at most
 * half the room left under the cap). Stack effect: [-0, +0, -]. */
void collector_pause_decode(struct collector *c);
void collector_resume_after_decode(struct collector *c);

/* After the protected call: restart the collector in case decoding raised
 * while it was paused ('paused'), and mark a full collection due after a
 * big ('paused') or failed ('failed') invocation. */
void collector_end_invocation(struct collector *c, int paused, int failed);

/* Between invocations: the full collection, if one is due. */
void collector_between_invocations(struct collector *c);

/* lua_close(L), its finalizers under the watchdog when 'guarded'. */
void collector_close_state(lua_State *L, int guarded);

#endif
