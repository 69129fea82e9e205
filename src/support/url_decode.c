/* url_decode: percent-decoding. See url_decode.h.
 *
 * Bytes other than '%' (and '+' in form mode) are copied as they are, so a
 * key already holding raw UTF-8 passes through; only a malformed escape is
 * an error, because guessing what it meant would name the wrong object. */
#include "url_decode.h"

static int url_hex(unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int url_decode(const char *in, size_t len, char *out, size_t *out_len,
               int plus_is_space, size_t *bad_pos)
{
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c == '%') {
      int hi = i + 1 < len ? url_hex((unsigned char)in[i + 1]) : -1;
      int lo = i + 2 < len ? url_hex((unsigned char)in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        *bad_pos = i;
        return -1;
      }
      out[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out[o++] = ' ';
    } else {
      out[o++] = (char)c;
    }
  }
  *out_len = o;
  return 0;
}
