/* heap: capped Lua allocator with size-class free lists. See heap.h. */
#include "heap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEAP_SLAB_SIZE (64u * 1024u)

struct heap_slab {
  struct heap_slab *next;
  _Alignas(16) char data[];
};

static size_t size_class(size_t n)
{
  return (n + 15) / 16 - 1; /* 1..16 -> 0, 17..32 -> 1, ... */
}

void heap_init(struct heap *h, size_t limit)
{
  memset(h, 0, sizeof(*h));
  h->limit = limit;
}

size_t heap_room(const struct heap *h)
{
  if (!h->limit)
    return SIZE_MAX;
  size_t held = h->used + h->charged;
  return held < h->limit ? h->limit - held : 0;
}

int heap_charge(struct heap *h, size_t n)
{
  if (n > heap_room(h))
    return -1;
  h->charged += n;
  return 0;
}

void heap_uncharge(struct heap *h, size_t n)
{
  h->charged -= n < h->charged ? n : h->charged;
}

void heap_destroy(struct heap *h)
{
  while (h->slabs) {
    struct heap_slab *s = h->slabs;
    h->slabs = s->next;
    free(s);
  }
  heap_init(h, h->limit);
}

static void *small_alloc(struct heap *h, size_t n)
{
  size_t c = size_class(n);
  void *p = h->free_list[c];
  if (p) {
    memcpy(&h->free_list[c], p, sizeof(void *)); /* next link */
    return p;
  }
  size_t bytes = (c + 1) * 16;
  if ((size_t)(h->bump_end - h->bump) < bytes) {
    struct heap_slab *s = malloc(sizeof(*s) + HEAP_SLAB_SIZE);
    if (!s)
      return NULL;
    s->next = h->slabs;
    h->slabs = s;
    h->bump = s->data;
    h->bump_end = s->data + HEAP_SLAB_SIZE;
  }
  p = h->bump;
  h->bump += bytes;
  return p;
}

static void small_free(struct heap *h, void *p, size_t n)
{
  size_t c = size_class(n);
  memcpy(p, &h->free_list[c], sizeof(void *));
  h->free_list[c] = p;
}

static void block_free(struct heap *h, void *p, size_t n)
{
  if (n <= HEAP_SMALL_MAX)
    small_free(h, p, n);
  else
    free(p);
}

void *heap_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  struct heap *h = ud;
  size_t old = ptr ? osize : 0; /* osize is a type tag when ptr is NULL */
  if (nsize == 0) {
    if (ptr)
      block_free(h, ptr, old);
    h->used -= old;
    return NULL;
  }
  if (h->limit && nsize > old && nsize - old > heap_room(h))
    return NULL; /* Lua runs an emergency collection and retries */

  void *p;
  if (ptr && old > HEAP_SMALL_MAX && nsize > HEAP_SMALL_MAX) {
    p = realloc(ptr, nsize);
    if (!p)
      return NULL;
  } else if (ptr && old <= HEAP_SMALL_MAX && nsize <= HEAP_SMALL_MAX &&
             size_class(old) == size_class(nsize)) {
    p = ptr; /* the block already fits */
  } else {
    p = nsize <= HEAP_SMALL_MAX ? small_alloc(h, nsize) : malloc(nsize);
    if (!p)
      return NULL;
    if (ptr) {
      memcpy(p, ptr, old < nsize ? old : nsize);
      block_free(h, ptr, old);
    }
  }
  h->used = h->used - old + nsize;
  return p;
}
