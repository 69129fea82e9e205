/* arena: bump allocation for cJSON trees. See arena.h. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#define ARENA_CHUNK_MIN (1u * 1024u * 1024u)
#define ARENA_ALIGN 16u

struct arena_chunk {
  struct arena_chunk *next;
  size_t size; /* usable bytes in data */
  size_t used;
  _Alignas(16) unsigned char data[];
};

/* cJSON's hooks have no user pointer: the arena being parsed into. */
static struct arena *arena_current;

void arena_init(struct arena *a)
{
  a->head = NULL;
  a->used = 0;
}

static void *arena_alloc(size_t n)
{
  struct arena *a = arena_current;
  n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  struct arena_chunk *c = a->head;
  if (!c || c->size - c->used < n) {
    size_t size = n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN;
    /* Grow chunk sizes with the arena so a 6 MB event needs few chunks. */
    if (c && c->size * 2 > size && c->size < SIZE_MAX / 4)
      size = c->size * 2;
    c = malloc(sizeof(*c) + size);
    if (!c)
      return NULL;
    c->size = size;
    c->used = 0;
    c->next = a->head;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += n;
  a->used += n;
  return p;
}

static void arena_release(void *p)
{
  (void)p; /* freed all at once by arena_reset */
}

void arena_reset(struct arena *a)
{
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
    struct arena_chunk *c = malloc(sizeof(*c) + total);
    if (c) {
      c->size = total;
      c->used = 0;
      c->next = NULL;
      a->head = c;
    }
  }
}

void arena_free(struct arena *a)
{
  while (a->head) {
    struct arena_chunk *c = a->head;
    a->head = c->next;
    free(c);
  }
  a->used = 0;
}

void arena_hooks_install(struct arena *a)
{
  cJSON_Hooks hooks = {arena_alloc, arena_release};
  arena_current = a;
  cJSON_InitHooks(&hooks);
}

void arena_hooks_remove(void)
{
  cJSON_InitHooks(NULL);
  arena_current = NULL;
}
