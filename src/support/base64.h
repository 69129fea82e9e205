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

/* Decode the base64 text at the start of in[0..avail) that ends where the
 * byte 'stop' follows it (the closing quote of a JSON string), in one pass
 * where base64_decode needs the length first: the scanners' bulk values.
 * 'out' holds 'room' bytes. Returns 0 with *text_len (the characters
 * before 'stop') and *out_len set; -1 when the text is not plain base64 up
 * to a 'stop' (another byte ends it, or it is invalid) or its bytes need
 * more than 'room': out then holds nothing of use, and the caller decodes
 * another way (the rules are base64_decode's, so that way errs alike). */
int base64_decode_until(const char *in, size_t avail, char stop,
                        unsigned char *out, size_t room, size_t *text_len,
                        size_t *out_len) __attribute__((warn_unused_result));

#endif
