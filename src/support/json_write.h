/* json_write: JSON string literals, the one escaper.
 *
 * Every string the runtime writes as JSON text goes through here: the
 * encoder's strings and keys (json_lua), error bodies (error_body) and the
 * JSON log lines' messages, request ids and keys (log). Every byte is kept:
 * '"' and '\\' are escaped, control characters written as \n \r \t \b \f
 * or \u00XX (a NUL is \u0000), valid UTF-8 copied as it is, and each byte
 * that does not start a valid UTF-8 sequence (a stray continuation byte, an
 * overlong form, a surrogate, a code point past U+10FFFF, a cut sequence)
 * written as U+FFFD, so the text is always valid JSON whatever the bytes.
 * Numbers are number_text's. Knows nothing of Lua or cJSON. */
#ifndef LRT_JSON_WRITE_H
#define LRT_JSON_WRITE_H

#include <stddef.h>

#include "buf.h"

/* The escaped text (without quotes) of the 'n' bytes at 's': written into
 * 'out' when it is not NULL, and its length returned either way, so a
 * caller sizes first, then fills (no allocation). */
size_t json_write_escape(const char *s, size_t n, char *out);

/* Append the escaped text of s[0..n) to 'b' (no quotes). Returns buf's
 * status; 'b' is unchanged on failure. */
int json_write_escaped(struct buf *b, const char *s, size_t n);

/* Append the JSON string literal (quotes included) for s[0..n). Returns
 * buf's status; 'b' is unchanged on failure. */
int json_write_string(struct buf *b, const char *s, size_t n);

/* How many of the 'n' bytes at 's' fit in 'budget' bytes once escaped:
 * the longest prefix, ending on a character boundary, whose escaped text
 * takes at most 'budget' bytes. */
size_t json_write_fit(const char *s, size_t n, size_t budget);

#endif
