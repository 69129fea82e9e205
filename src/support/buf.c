/* buf: capped growable byte buffer. See buf.h. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
  b->too_big = 0;
}

int buf_reserve(struct buf *b, size_t n)
{
  if (n > b->max - b->len) {
    b->too_big = 1;
    return BUF_ETOOBIG;
  }
  size_t need = b->len + n + 1; /* room for the terminator */
  if (need <= b->cap)
    return BUF_OK;
  /* Grow geometrically so a body arriving in many small curl chunks costs
   * O(n) copies, but never past what the cap can use. */
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (cap > b->max + 1)
    cap = b->max + 1;
  char *p = realloc(b->data, cap);
  if (!p)
    return BUF_ENOMEM;
  b->data = p;
  b->cap = cap;
  return BUF_OK;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
  int rc = buf_reserve(b, n);
  if (rc != BUF_OK)
    return rc;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return BUF_OK;
}

int buf_puts(struct buf *b, const char *s)
{
  return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return BUF_ENOMEM;
  int rc = buf_reserve(b, (size_t)n);
  if (rc != BUF_OK)
    return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return BUF_OK;
}

void buf_reset(struct buf *b)
{
  b->len = 0;
  b->too_big = 0;
  if (b->data)
    b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
  free(b->data);
  buf_init(b, b->max);
}

const char *buf_cstr(const struct buf *b)
{
  return b->data ? b->data : "";
}
