/* base64: standard-alphabet base64 decoding, lenient where Kafka needs it.
 *
 * Lambda delivers Kafka keys and values as standard base64. The AWS docs' own
 * sample key has non-zero trailing bits, so those are accepted; padding may be
 * absent. Any character outside the alphabet (including whitespace and the
 * URL-safe '-' and '_') is an error. Knows nothing of Lua or JSON. */
#ifndef LRT_BASE64_H
#define LRT_BASE64_H

#include <stddef.h>

/* The most bytes 'len' characters of base64 can decode to. */
size_t base64_decoded_max(size_t len);

/* Decode 'len' characters from 'in' into 'out' (room for
 * base64_decoded_max(len) bytes). On success returns 0 and sets *out_len.
 * On failure returns -1 and sets *bad_pos to the offending position. */
int base64_decode(const char *in, size_t len, unsigned char *out,
                  size_t *out_len, size_t *bad_pos)
    __attribute__((warn_unused_result));

#endif
