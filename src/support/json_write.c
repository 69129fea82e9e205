/* json_write: the JSON string escaper. See json_write.h.
 *
 * One step function says what a character becomes (escape_step); the
 * escaper, the sizing and the fitting all walk the text with it, so the
 * three can never disagree about a byte. Runs of plain ASCII are copied in
 * one go: they are most of every text. */
#include "json_write.h"

#include <string.h>

#include "utf8.h"

/* Nonzero for a byte that is written as itself and alone: printable ASCII
 * other than '"' and '\\'. */
static int is_plain(unsigned char c)
{
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* What the character at p[0..n) (n >= 1, p[0] not plain) becomes: its
 * escaped text is written to 'out' (room for 6 bytes, or NULL to size),
 * *used is set to the input bytes it takes, and its length is returned. */
static size_t escape_step(const unsigned char *p, size_t n, char *out,
                          size_t *used)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char c = p[0];
  *used = 1;
  if (c >= 0x80) {
    size_t len = utf8_sequence_len(p, n);
    if (len == 0) {
      if (out)
        memcpy(out, UTF8_REPLACEMENT, UTF8_REPLACEMENT_LEN);
      return UTF8_REPLACEMENT_LEN;
    }
    if (out)
      memcpy(out, p, len);
    *used = len;
    return len;
  }
  char short_esc = 0;
  switch (c) {
  case '"':
  case '\\':
    short_esc = (char)c;
    break;
  case '\n':
    short_esc = 'n';
    break;
  case '\r':
    short_esc = 'r';
    break;
  case '\t':
    short_esc = 't';
    break;
  case '\b':
    short_esc = 'b';
    break;
  case '\f':
    short_esc = 'f';
    break;
  default:
    break;
  }
  if (short_esc) {
    if (out) {
      out[0] = '\\';
      out[1] = short_esc;
    }
    return 2;
  }
  if (out) {
    memcpy(out, "\\u00", sizeof "\\u00" - 1);
    out[4] = hex[c >> 4];
    out[5] = hex[c & 0xF];
  }
  return 6;
}

size_t json_write_escape(const char *s, size_t n, char *out)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0, i = 0;
  while (i < n) {
    size_t run = i;
    while (run < n && is_plain(p[run]))
      run++;
    if (out)
      memcpy(out + o, p + i, run - i);
    o += run - i;
    i = run;
    if (i < n) {
      size_t used;
      o += escape_step(p + i, n - i, out ? out + o : NULL, &used);
      i += used;
    }
  }
  return o;
}

int json_write_escaped(struct buf *b, const char *s, size_t n)
{
  size_t len = json_write_escape(s, n, NULL);
  int rc = buf_reserve(b, len);
  if (rc != BUF_OK)
    return rc;
  json_write_escape(s, n, b->data + b->len);
  b->len += len;
  b->data[b->len] = '\0';
  return BUF_OK;
}

int json_write_string(struct buf *b, const char *s, size_t n)
{
  size_t len = json_write_escape(s, n, NULL) + 2;
  int rc = buf_reserve(b, len);
  if (rc != BUF_OK)
    return rc;
  char *at = b->data + b->len;
  at[0] = '"';
  json_write_escape(s, n, at + 1);
  at[len - 1] = '"';
  b->len += len;
  b->data[b->len] = '\0';
  return BUF_OK;
}

size_t json_write_fit(const char *s, size_t n, size_t budget)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0, i = 0;
  while (i < n) {
    size_t used = 1;
    size_t out = is_plain(p[i]) ? 1 : escape_step(p + i, n - i, NULL, &used);
    if (o + out > budget)
      return i;
    o += out;
    i += used;
  }
  return n;
}
