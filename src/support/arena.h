/* arena: a bump allocator for one invocation's JSON tree.
 *
 * Parsing a 6 MB event into a tree makes tens of thousands of small
 * allocations; freeing them node by node costs as much again. Parsed into an
 * arena (json_tree_parse takes its nodes and strings from arena_take), the
 * tree costs a pointer bump per node and is freed by one reset,
 * and, because the arena belongs to the long-lived host rather than to the
 * call, a Lua error raised while the tree is in use cannot leak it. The
 * chunks are kept across invocations (up to ARENA_KEEP bytes) so a warm
 * process does not go back to malloc for every event.
 *
 * With a budget (arena_set_budget), every chunk is charged to the heap's cap
 * (heap.h) while the arena holds it, so a tree that would take the process
 * past the function's memory fails to allocate instead; 'failed' then tells
 * the caller that the parse failed for memory, not for the text. Knows
 * the heap's budget, not JSON or Lua. */
#ifndef LRT_ARENA_H
#define LRT_ARENA_H

#include <stddef.h>

/* Memory kept for reuse after arena_reset(). */
#define ARENA_KEEP (8u * 1024u * 1024u)

struct arena_chunk;
struct heap;

struct arena {
  struct arena_chunk *head; /* the chunk being filled, newest first */
  size_t used;              /* bytes handed out since the last reset */
  struct heap *budget;      /* charged for every chunk held; NULL: none */
  int failed;               /* an allocation was refused since the reset */
};

void arena_init(struct arena *a);

/* Charge the arena's chunks to 'h' from now on (before the first parse). */
void arena_set_budget(struct arena *a, struct heap *h);

/* Forget every allocation (the memory is kept for reuse, up to ARENA_KEEP). */
void arena_reset(struct arena *a);

void arena_free(struct arena *a);

/* 'n' bytes (16-byte aligned) valid until the next arena_reset(), or NULL
 * (and 'failed' set) when the budget or malloc refuses. */
void *arena_take(struct arena *a, size_t n);

#endif
