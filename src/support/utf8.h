/* utf8: keeping text that leaves the runtime valid UTF-8.
 *
 * Error messages and log lines may carry bytes from handlers (error("\xff")) or
 * from events (a topic name). JSON bodies posted to the Runtime API and JSON
 * log lines must be valid UTF-8, so invalid sequences are replaced with U+FFFD.
 * Knows nothing of Lua, JSON or HTTP. */
#ifndef LRT_UTF8_H
#define LRT_UTF8_H

#include <stddef.h>

/* The byte order mark some editors put first in a file; Lambda never sends
 * one. */
#define UTF8_BOM "\xEF\xBB\xBF"
#define UTF8_BOM_LEN (sizeof UTF8_BOM - 1)

/* U+FFFD, what each invalid byte becomes, as UTF-8. */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"
#define UTF8_REPLACEMENT_LEN (sizeof UTF8_REPLACEMENT - 1)

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0
 * when the bytes there are not valid UTF-8 (overlong forms, surrogates and
 * code points above U+10FFFF are invalid). */
size_t utf8_sequence_len(const unsigned char *s, size_t n);

/* Nonzero when all 'n' bytes are valid UTF-8. */
int utf8_valid(const char *s, size_t n);

/* The 'n' bytes at 's' with each invalid byte replaced by U+FFFD: written
 * into 'out' when it is not NULL (room for the length a NULL call returns,
 * at most 3 * n), and its length returned either way. */
size_t utf8_repair(const char *s, size_t n, char *out);

/* A malloc'd NUL-terminated copy of 's' with each invalid byte replaced by
 * U+FFFD (EF BF BD). Returns NULL on allocation failure. The caller frees. */
char *utf8_sanitize_dup(const char *s, size_t n);

#endif
