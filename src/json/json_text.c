/* json_text: JSON string and number lexing without cJSON. See json_text.h. */
#define _GNU_SOURCE /* strtod_l */
#include "json_text.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "number_text.h"

/* Number literals up to this long are read from a stack copy. */
#define JSON_TEXT_NUMBER_SMALL 63
/* Strings are first looked at byte by byte for this many bytes. */
#define JSON_TEXT_SHORT_STRING 24

size_t json_text_string_end(const char *p, size_t n, int *escaped)
{
  *escaped = 0;
  /* Most strings of an event (member names, short values) end within a
   * few bytes: a plain look at the first ones beats two library scans,
   * which are for the long ones. Until a backslash, the first quote ends
   * the string. */
  size_t i = 0, head = n < JSON_TEXT_SHORT_STRING ? n : JSON_TEXT_SHORT_STRING;
  for (; i < head; i++) {
    if (p[i] == '"')
      return i;
    if (p[i] == '\\')
      break;
  }
  while (i < n) {
    const char *q = memchr(p + i, '"', n - i);
    if (!q)
      return (size_t)-1;
    size_t at = (size_t)(q - p);
    /* An odd run of backslashes before the quote escapes it. */
    size_t bs = 0;
    while (bs < at - i && p[at - 1 - bs] == '\\')
      bs++;
    if (!*escaped && memchr(p + i, '\\', at - i))
      *escaped = 1;
    if (bs % 2 == 0)
      return at;
    i = at + 1;
  }
  return (size_t)-1;
}

static int hex4(const char *p, unsigned *out)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(unsigned cp, char *out)
{
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* The code point of the \u escape at in[i] (in[i] == 'u'); advances *i past
 * it (and a low surrogate's escape). -1 for a bad or lone surrogate. */
static int code_point(const char *in, size_t n, size_t *i, unsigned *cp)
{
  unsigned hi, lo;
  if (n - *i < 5 || hex4(in + *i + 1, &hi) != 0)
    return -1;
  *i += 5;
  if (hi >= 0xDC00 && hi <= 0xDFFF)
    return -1;
  if (hi < 0xD800 || hi > 0xDBFF) {
    *cp = hi;
    return 0;
  }
  if (n - *i < 6 || in[*i] != '\\' || in[*i + 1] != 'u' ||
      hex4(in + *i + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
    return -1;
  *i += 6;
  *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
  return 0;
}

int json_text_unescape(const char *in, size_t n, char *out, size_t *out_len)
{
  size_t o = 0;
  size_t i = 0;
  while (i < n) {
    const char *bs = memchr(in + i, '\\', n - i);
    size_t plain = bs ? (size_t)(bs - in) - i : n - i;
    memmove(out + o, in + i, plain);
    o += plain;
    i += plain;
    if (i >= n)
      break;
    if (++i >= n)
      return -1;
    unsigned cp;
    switch (in[i]) {
    case 'b':
      out[o++] = '\b';
      break;
    case 'f':
      out[o++] = '\f';
      break;
    case 'n':
      out[o++] = '\n';
      break;
    case 'r':
      out[o++] = '\r';
      break;
    case 't':
      out[o++] = '\t';
      break;
    case '"':
    case '\\':
    case '/':
      out[o++] = in[i];
      break;
    case 'u':
      if (code_point(in, n, &i, &cp) != 0)
        return -1;
      o += put_utf8(cp, out + o);
      continue;
    default:
      return -1;
    }
    i++;
  }
  *out_len = o;
  return 0;
}

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

size_t json_text_number_len(const char *p, size_t n)
{
  size_t i = 0;
  if (i < n && p[i] == '-')
    i++;
  if (i >= n || !is_digit(p[i]))
    return 0;
  if (p[i] == '0' && i + 1 < n && is_digit(p[i + 1]))
    return 0;
  while (i < n && is_digit(p[i]))
    i++;
  if (i < n && p[i] == '.') {
    i++;
    if (i >= n || !is_digit(p[i]))
      return 0;
    while (i < n && is_digit(p[i]))
      i++;
  }
  if (i < n && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    if (i < n && (p[i] == '+' || p[i] == '-'))
      i++;
    if (i >= n || !is_digit(p[i]))
      return 0;
    while (i < n && is_digit(p[i]))
      i++;
  }
  return i;
}

int json_text_number(const char *p, size_t len, double *out)
{
  char small[JSON_TEXT_NUMBER_SMALL + 1];
  locale_t loc = number_text_c_locale();
  if (len == 0 || loc == (locale_t)0)
    return -1;
  /* A long literal (0.000...1, many digits) is valid JSON: copied to the
   * heap rather than refused. */
  char *text = len <= JSON_TEXT_NUMBER_SMALL ? small : malloc(len + 1);
  if (!text)
    return -1;
  memcpy(text, p, len);
  text[len] = '\0';
  *out = strtod_l(text, NULL, loc);
  if (text != small)
    free(text);
  return 0;
}
