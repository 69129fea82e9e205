/* heap: the Lua state's allocator, with a cap and size-class free lists.
 *
 * The cap turns a handler that allocates without bound into an ordinary
 * "not enough memory" error (Lua runs an emergency collection first)
 * instead of the sandbox being killed.
 *
 * The free lists are for speed: a 6 MB Kafka batch makes about a hundred
 * thousand small Lua objects (record tables, strings, header tables) that all
 * die together after the invocation. Blocks of up to HEAP_SMALL_MAX bytes
 * come from 64 KB slabs and go back to a free list per 16-byte class, so
 * creating and freeing them is a pointer push or pop, with none of malloc's
 * consolidation work on bursts of frees. Slabs are kept until the state is
 * closed; larger blocks use malloc.
 *
 * The cap is the invocation's one memory budget, not only Lua's: memory the
 * runtime allocates outside the Lua heap that grows with the event or the
 * response (the cJSON arena, the encoder's text) is charged to the same
 * struct with heap_charge(), so a batch cannot take the process past the
 * function's size by going around Lua. Knows nothing of Lua but lua_Alloc's
 * contract. */
#ifndef LRT_HEAP_H
#define LRT_HEAP_H

#include <stddef.h>

#define HEAP_SMALL_MAX 1024
#define HEAP_CLASSES (HEAP_SMALL_MAX / 16)

struct heap_slab;

struct heap {
  size_t used;    /* bytes Lua holds (as Lua counts them) */
  size_t charged; /* bytes held outside Lua against the same cap */
  size_t limit;   /* 0: no cap; else the cap on used + charged */
  void *free_list[HEAP_CLASSES];
  struct heap_slab *slabs;
  char *bump; /* the unused rest of the newest slab */
  char *bump_end;
};

void heap_init(struct heap *h, size_t limit);

/* Release every slab. Only after lua_close() of the state using it. */
void heap_destroy(struct heap *h);

/* A lua_Alloc: pass the struct heap as 'ud' to lua_newstate. */
void *heap_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Charge 'n' bytes allocated outside Lua to the budget. Returns 0, or -1
 * (nothing charged) when that would pass the cap. */
int heap_charge(struct heap *h, size_t n) __attribute__((warn_unused_result));

/* Give back 'n' bytes charged with heap_charge(). */
void heap_uncharge(struct heap *h, size_t n);

/* Bytes left under the cap (SIZE_MAX when there is none). */
size_t heap_room(const struct heap *h);

#endif
