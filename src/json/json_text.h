/* json_text: JSON's lexical rules, written once, for reading and writing.
 *
 * kafka_scan reads JSON text itself instead of through cJSON, and must read
 * it exactly as cJSON does, minus cJSON's two losses: a string's bytes are
 * kept whole (cJSON's C strings end at a \u0000) and numbers are read
 * independently of the C locale (os.setlocale in a handler must not change
 * what "1.5" means). The writers (json_lua's encoder, error_body) take the
 * same care the other way: strings escaped with every byte kept, numbers
 * in the "C" locale. Knows nothing of Lua or cJSON. */
#ifndef LRT_JSON_TEXT_H
#define LRT_JSON_TEXT_H

#include <stddef.h>

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

/* Floats as text in the "C" locale, whatever os.setlocale() did (a handler
 * in de_DE must not turn 1.5 into "1,5" in a response or a log line):
 * - json_text_format_float: the shortest %.Ng (N = 14..17) that reads back
 *   as exactly d, with ".0" added when it would read as an integer (JSON);
 * - json_text_format_lua: what tostring() gives in the "C" locale (%.14g,
 *   ".0" added likewise), for log lines and print.
 * 'out' has 'size' bytes (64 is always enough). */
void json_text_format_float(double d, char *out, size_t size);
void json_text_format_lua(double d, char *out, size_t size);

/* The JSON string literal (quotes included) for the 'n' bytes at 's', every
 * byte kept (a NUL is \u0000) and invalid UTF-8 repaired to U+FFFD: written
 * into 'out' when it is not NULL, and its length returned either way, so a
 * caller sizes first, then fills (no allocation). */
size_t json_text_escape(const char *s, size_t n, char *out);

#endif
