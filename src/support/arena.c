/* arena: bump allocation for one invocation's JSON tree. See arena.h. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

#include "heap.h"

#define ARENA_CHUNK_MIN (1u * 1024u * 1024u)
#define ARENA_ALIGN 16u

struct arena_chunk {
  struct arena_chunk *next;
  size_t size; /* usable bytes in data */
  size_t used;
  _Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a)
{
  a->head = NULL;
  a->used = 0;
  a->budget = NULL;
  a->failed = 0;
}

void arena_set_budget(struct arena *a, struct heap *h)
{
  a->budget = h;
}

/* A chunk of 'size' usable bytes, charged to the budget; NULL when refused
 * or when malloc fails. */
static struct arena_chunk *chunk_new(struct arena *a, size_t size)
{
  size_t bytes = sizeof(struct arena_chunk) + size;
  if (a->budget && heap_charge(a->budget, bytes) != 0)
    return NULL;
  struct arena_chunk *c = malloc(bytes);
  if (!c) {
    if (a->budget)
      heap_uncharge(a->budget, bytes);
    return NULL;
  }
  c->size = size;
  c->used = 0;
  c->next = NULL;
  return c;
}

static void chunk_free(struct arena *a, struct arena_chunk *c)
{
  if (a->budget)
    heap_uncharge(a->budget, sizeof(*c) + c->size);
  free(c);
}

void *arena_take(struct arena *a, size_t n)
{
  if (n > SIZE_MAX / 4)
    goto refused;
  n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  struct arena_chunk *c = a->head;
  if (!c || c->size - c->used < n) {
    size_t size = n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN;
    /* Grow chunk sizes with the arena so a 6 MB event needs few chunks. */
    if (c && c->size * 2 > size && c->size < SIZE_MAX / 4)
      size = c->size * 2;
    struct arena_chunk *fresh = chunk_new(a, size);
    if (!fresh && size > n && size > ARENA_CHUNK_MIN)
      fresh = chunk_new(a, n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN);
    if (!fresh)
      goto refused;
    c = fresh;
    c->next = a->head;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += n;
  a->used += n;
  return p;

refused:
  a->failed = 1;
  return NULL;
}

void arena_reset(struct arena *a)
{
  a->failed = 0;
  if (a->head && !a->head->next) {
    a->head->used = 0; /* the common, warm case: one chunk that fits */
    a->used = 0;
    return;
  }
  /* Several chunks: replace them with one of their total size (within
   * ARENA_KEEP) so the next event of this size fits in a single chunk. */
  size_t total = 0;
  for (struct arena_chunk *c = a->head; c; c = c->next)
    total += c->size;
  arena_free(a);
  if (total && total <= ARENA_KEEP) {
    a->head = chunk_new(a, total);
  }
}

void arena_free(struct arena *a)
{
  while (a->head) {
    struct arena_chunk *c = a->head;
    a->head = c->next;
    chunk_free(a, c);
  }
  a->used = 0;
  a->failed = 0;
}
