/* utf8: validation and repair of UTF-8 text. See utf8.h. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

size_t utf8_sequence_len(const unsigned char *s, size_t n)
{
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (len > n)
    return 0;
  unsigned cp = c & (0x7Fu >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

int utf8_valid(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t len = utf8_sequence_len(p + i, n - i);
    if (!len)
      return 0;
    i += len;
  }
  return 1;
}

size_t utf8_repair(const char *s, size_t n, char *out)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0, i = 0;
  while (i < n) {
    size_t len = utf8_sequence_len(p + i, n - i);
    const void *from = p + i;
    size_t put = len;
    if (len == 0) {
      from = UTF8_REPLACEMENT;
      put = UTF8_REPLACEMENT_LEN;
      len = 1;
    }
    if (out)
      memcpy(out + o, from, put);
    o += put;
    i += len;
  }
  return o;
}

char *utf8_sanitize_dup(const char *s, size_t n)
{
  /* Worst case every byte becomes three. */
  char *out = malloc(n * 3 + 1);
  if (!out)
    return NULL;
  out[utf8_repair(s, n, out)] = '\0';
  return out;
}
