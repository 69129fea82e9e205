/* json_text: JSON's lexical rules, written once, for reading and writing.
 *
 * kafka_scan reads JSON text itself instead of through cJSON, and must read
 * it exactly as cJSON does, minus cJSON's two losses: a string's bytes are
 * kept whole (cJSON's C strings end at a \u0000) and numbers are read
 * independently of the C locale (os.setlocale in a handler must not change
 * what "1.5" means). This is the reading side only: JSON text is written by
 * support's json_write (strings) and number_text (numbers), which log.c
 * below this layer uses too. Knows nothing of Lua or cJSON. */
#ifndef LRT_JSON_TEXT_H
#define LRT_JSON_TEXT_H

#include <stddef.h>

/* The first byte of p[0..end) that is not whitespace as cJSON reads it
 * between tokens: every byte up to and including the space. Static inline:
 * the scanners and the tree parser skip it per token of a 6 MB batch. */
static inline const char *json_text_skip_space(const char *p, const char *end)
{
  while (p < end && (unsigned char)*p <= 32)
    p++;
  return p;
}

/* The body of a JSON string literal starting just after its opening quote:
 * returns the length of the raw body (up to, not including, the closing
 * quote) and sets *escaped when it holds a backslash, or returns
 * (size_t)-1 when the text ends first. */
size_t json_text_string_end(const char *p, size_t n, int *escaped);

/* Resolve the escapes of the raw string body 'in' (n bytes) into 'out',
 * which has room for n bytes (the result is never longer). Escapes are
 * cJSON's: \" \\ \/ \b \f \n \r \t and \uXXXX (a surrogate pair is one code
 * point, a lone surrogate an error), written as UTF-8; \u0000 is a NUL byte
 * like any other. Other bytes are copied as they are. Returns 0 and sets
 * *out_len, or -1 for an invalid escape. */
int json_text_unescape(const char *in, size_t n, char *out, size_t *out_len);

/* The length of the JSON number at p (n bytes available): -?int frac? exp?
 * with no leading zeros, or 0 when there is none. */
size_t json_text_number_len(const char *p, size_t n);

/* The double a JSON number's text (len bytes from json_text_number_len)
 * stands for, correctly rounded and in the "C" locale whatever the
 * process's locale is. Returns 0, or -1 when memory for a long literal or a
 * "C" locale object could not be had. */
int json_text_number(const char *p, size_t len, double *out);

#endif
