/* url_decode: percent-decoding for S3 object keys and query strings.
 *
 * S3 event notifications carry object keys form-URL-encoded ('+' is a
 * space, %XX a byte); API Gateway path parameters are plain percent-encoded
 * ('+' stays '+'). Knows nothing of Lua or JSON. */
#ifndef LRT_URL_DECODE_H
#define LRT_URL_DECODE_H

#include <stddef.h>

/* Decode 'len' bytes of 'in' into 'out' (room for 'len' bytes: decoding
 * never grows). With 'plus_is_space' a '+' becomes ' '. Returns 0 and sets
 * *out_len, or -1 with *bad_pos at the '%' of an escape that is not two hex
 * digits. */
int url_decode(const char *in, size_t len, char *out, size_t *out_len,
               int plus_is_space, size_t *bad_pos)
    __attribute__((warn_unused_result));

#endif
