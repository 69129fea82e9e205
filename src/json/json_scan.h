/* json_scan: the lexer the one-pass event scanners (kafka_scan, sqs_scan)
 * share, written once.
 *
 * A scanner walks an event's JSON text itself instead of building a tree,
 * and must read it exactly as json_tree does: whitespace as cJSON skips it,
 * strings through json_text.h (escapes resolved, a \u0000 kept as a byte),
 * strict numbers. Every function returns 1 on success and 0 to decline;
 * the scanner then leaves the event to the tree path, which words the
 * errors. Static inline: these run per byte of a 6 MB batch, and a call
 * into another file for each would cost more than the work. Knows neither
 * Lua nor cJSON. */
#ifndef LRT_JSON_SCAN_H
#define LRT_JSON_SCAN_H

#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "json_text.h"

/* Nesting of values a scanner skips (fields it does not know). */
#define JSON_SCAN_MAX_SKIP_DEPTH 32

struct json_scan {
  const char *p;
  const char *end;
  struct buf *scratch; /* unescaped strings land here */
  int in_scratch;      /* the last json_scan_str() result is in scratch */
};

static inline void json_scan_ws(struct json_scan *s)
{
  s->p = json_text_skip_space(s->p, s->end);
}

static inline int json_scan_eat(struct json_scan *s, char c)
{
  json_scan_ws(s);
  if (s->p < s->end && *s->p == c) {
    s->p++;
    return 1;
  }
  return 0;
}

/* 1 when the next value is null, and skips it. */
static inline int json_scan_null(struct json_scan *s)
{
  json_scan_ws(s);
  if (s->end - s->p >= 4 && memcmp(s->p, "null", 4) == 0) {
    s->p += 4;
    return 1;
  }
  return 0;
}

/* 1 when the next value is a string (the scanner does not move). */
static inline int json_scan_at_string(struct json_scan *s)
{
  json_scan_ws(s);
  return s->p < s->end && *s->p == '"';
}

/* The raw text between quotes, escapes unresolved; *escaped says whether
 * it holds any. */
static inline int json_scan_raw_str(struct json_scan *s, const char **out,
                                    size_t *len, int *escaped)
{
  json_scan_ws(s);
  if (s->p >= s->end || *s->p != '"')
    return 0;
  const char *start = s->p + 1;
  size_t n = json_text_string_end(start, (size_t)(s->end - start), escaped);
  if (n == (size_t)-1)
    return 0;
  *out = start;
  *len = n;
  s->p = start + n + 1;
  return 1;
}

/* A string's bytes, escapes resolved as json_tree resolves them (a \u0000
 * kept as a byte). Without escapes *out points into the event (and
 * s->in_scratch is 0); with them, into the scratch buffer, valid until its
 * next use (s->in_scratch is 1). */
static inline int json_scan_str(struct json_scan *s, const char **out,
                                size_t *len)
{
  int escaped = 0;
  s->in_scratch = 0;
  if (!json_scan_raw_str(s, out, len, &escaped))
    return 0;
  if (!escaped)
    return 1;
  if (buf_reserve(s->scratch, *len + 1) != BUF_OK ||
      json_text_unescape(*out, *len, s->scratch->data, len) != 0)
    return 0;
  *out = s->scratch->data;
  s->in_scratch = 1;
  return 1;
}

static inline int json_scan_literal(struct json_scan *s, const char *lit,
                                    size_t n)
{
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
    return 0;
  s->p += n;
  return 1;
}

/* Skip any JSON value (a field the scanner does not use). */
static inline int json_scan_skip(struct json_scan *s, int depth)
{
  const char *text;
  size_t len;
  if (depth > JSON_SCAN_MAX_SKIP_DEPTH)
    return 0;
  json_scan_ws(s);
  if (s->p >= s->end)
    return 0;
  switch (*s->p) {
  case '"':
    return json_scan_str(s, &text, &len);
  case '{':
    s->p++;
    if (json_scan_eat(s, '}'))
      return 1;
    do {
      if (!json_scan_str(s, &text, &len) || !json_scan_eat(s, ':') ||
          !json_scan_skip(s, depth + 1))
        return 0;
    } while (json_scan_eat(s, ','));
    return json_scan_eat(s, '}');
  case '[':
    s->p++;
    if (json_scan_eat(s, ']'))
      return 1;
    do {
      if (!json_scan_skip(s, depth + 1))
        return 0;
    } while (json_scan_eat(s, ','));
    return json_scan_eat(s, ']');
  case 't':
    return json_scan_literal(s, "true", 4);
  case 'f':
    return json_scan_literal(s, "false", 5);
  case 'n':
    return json_scan_literal(s, "null", 4);
  default: {
    size_t n = json_text_number_len(s->p, (size_t)(s->end - s->p));
    s->p += n;
    return n > 0;
  }
  }
}

/* 1 when key[0..len) is exactly 'want'. */
static inline int json_scan_key_is(const char *key, size_t len,
                                   const char *want)
{
  size_t n = strlen(want);
  return len == n && memcmp(key, want, n) == 0;
}

/* Only JSON's own whitespace after the value, as json_tree allows: 1 when
 * the text ends there. */
static inline int json_scan_at_end(struct json_scan *s)
{
  while (s->p < s->end &&
         (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
  return s->p == s->end;
}

#endif
