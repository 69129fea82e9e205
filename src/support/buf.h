/* buf: a growable byte buffer with a hard cap, in the manner of curl's dynbuf.
 *
 * Every buffer the runtime fills from outside (an event body, a response, an
 * error body) has a named cap, so a hostile or broken peer cannot make the
 * process grow without bound. The buffer keeps its memory across buf_reset()
 * so a warm invocation loop does not reallocate for every event.
 *
 * Knows nothing of HTTP, JSON or Lua. */
#ifndef LRT_BUF_H
#define LRT_BUF_H

#include <stddef.h>

#define BUF_WARN_UNUSED __attribute__((warn_unused_result))

struct buf {
  char *data; /* NUL-terminated when len > 0 or after buf_cstr(); may be NULL */
  size_t len; /* bytes in use, not counting the terminator */
  size_t cap; /* bytes allocated */
  size_t max; /* hard cap on len */
  int too_big; /* set when an append was refused for the cap */
};

enum {
  BUF_OK = 0,
  BUF_ENOMEM = -1, /* malloc failed */
  BUF_ETOOBIG = -2 /* the append would pass max */
};

/* Initialise an empty buffer that may hold at most 'max' bytes. */
void buf_init(struct buf *b, size_t max);

/* Append 'n' bytes. Returns BUF_OK, BUF_ENOMEM or BUF_ETOOBIG; on failure the
 * buffer is unchanged (and too_big is set for BUF_ETOOBIG). */
int buf_append(struct buf *b, const void *p, size_t n) BUF_WARN_UNUSED;

/* Append a NUL-terminated string. Same results as buf_append. */
int buf_puts(struct buf *b, const char *s) BUF_WARN_UNUSED;

/* Append formatted text. Same results as buf_append. */
int buf_printf(struct buf *b, const char *fmt, ...) BUF_WARN_UNUSED
    __attribute__((format(printf, 2, 3)));

/* Make room for 'n' more bytes without changing len. */
int buf_reserve(struct buf *b, size_t n) BUF_WARN_UNUSED;

/* Empty the buffer but keep its memory for the next use. */
void buf_reset(struct buf *b);

/* Release the memory; the buffer is empty and usable again afterwards. */
void buf_free(struct buf *b);

/* The contents as a C string ("" when empty). Never NULL. */
const char *buf_cstr(const struct buf *b);

#endif
