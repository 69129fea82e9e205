/* base64: standard-alphabet decoding for Kafka keys, values and headers.
 *
 * A 256-entry table maps each byte to its 6-bit value or to BASE64_BAD, so
 * the main loop decodes four characters per step with one combined validity
 * test, straight into the caller's buffer; on x86_64 with AVX2 a vector loop
 * takes 32 characters a step first. The rules (see base64.h):
 * alphabet A-Z a-z 0-9 + / only; up to two '=' accepted at the very end, and
 * only where a full quantum would have had them ("QQ", "QQ=" and "QQ==" all
 * decode to "A"); non-zero trailing bits are ignored, because the AWS
 * documentation's own sample key has them. Positions are 0-based offsets
 * into the input. */
#include "base64.h"

#include <stdint.h>
#include <string.h>

#define BASE64_BAD 0x80u

/* Built by hand rather than at run time so it lives in .rodata and needs no
 * initialisation (and no thread-safety thought). */
static const uint8_t base64_table[256] = {
#define X BASE64_BAD
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 00 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 10 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  X,  63, /* 20 */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,  /* 30 */
    X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, /* 40 */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  X,  /* 50 */
    X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* 60 */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  /* 70 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 80 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 90 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* a0 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* b0 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* c0 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* d0 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* e0 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* f0 */
#undef X
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BASE64_HAVE_AVX2 1
#include <immintrin.h>

/* Whether this CPU has AVX2 (every x86_64 Lambda host does; the check keeps
 * the binary running on any x86_64). A racy first call only computes the
 * same answer twice. */
static int base64_cpu_has_avx2(void)
{
  static int known = -1;
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx2") ? 1 : 0;
  }
  return known;
}

/* Decode 32 characters a step into 24 bytes (Wojciech Mula's method, as in
 * aklomp/base64): the high and low nibble of each character index two
 * 16-byte tables whose AND is non-zero exactly for characters outside the
 * alphabet; a third table, indexed by the high nibble ('/' set apart), holds
 * the offset that turns a character into its 6-bit value; two multiply-adds
 * pack four 6-bit values into three bytes. Stops before the first block
 * with a bad character (the scalar loop finds and reports it) and while
 * fewer than 12 characters would follow the block: each step stores 32
 * bytes, and those 12 characters guarantee the 8 bytes past the 24 decoded
 * are inside the output anyway. Returns the characters consumed. */
__attribute__((target("avx2"))) static size_t
base64_decode_avx2(const unsigned char *s, size_t n, unsigned char **out)
{
  const __m256i lut_lo = _mm256_setr_epi8(
      0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a,
      0x1b, 0x1b, 0x1b, 0x1a, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
      0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
  const __m256i lut_hi = _mm256_setr_epi8(
      0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
      0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
      0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i lut_roll = _mm256_setr_epi8(
      0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4,
      -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i mask_2f = _mm256_set1_epi8(0x2f);
  const __m256i pack_ab = _mm256_set1_epi32(0x01400140);
  const __m256i pack_abcd = _mm256_set1_epi32(0x00011000);
  const __m256i order =
      _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                       2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  unsigned char *o = *out;
  size_t i = 0;
  for (; i + 32 + 12 <= n; i += 32) {
    __m256i str = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
    __m256i hi_nib = _mm256_and_si256(_mm256_srli_epi32(str, 4), mask_2f);
    __m256i lo_nib = _mm256_and_si256(str, mask_2f);
    __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nib);
    __m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nib);
    if (!_mm256_testz_si256(lo, hi))
      break;
    __m256i is_slash = _mm256_cmpeq_epi8(str, mask_2f);
    __m256i roll =
        _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(is_slash, hi_nib));
    str = _mm256_add_epi8(str, roll);
    str = _mm256_maddubs_epi16(str, pack_ab);
    str = _mm256_madd_epi16(str, pack_abcd);
    str = _mm256_shuffle_epi8(str, order);
    str = _mm256_permutevar8x32_epi32(str, lanes);
    _mm256_storeu_si256((__m256i *)(void *)o, str);
    o += 24;
  }
  *out = o;
  return i;
}
#endif

size_t base64_decoded_max(size_t len)
{
  /* Written so that it cannot overflow for any len. */
  return len / 4 * 3 + (len % 4 != 0 ? 3 : 0);
}

/* The position of the first character of in[from, to) outside the alphabet;
 * 'to' when there is none. Only used on the (cold) error path. */
static size_t base64_first_bad(const unsigned char *in, size_t from, size_t to)
{
  while (from < to && !(base64_table[in[from]] & BASE64_BAD))
    from++;
  return from;
}

int base64_decode(const char *in, size_t len, unsigned char *out,
                  size_t *out_len, size_t *bad_pos)
{
  const unsigned char *s = (const unsigned char *)in;
  unsigned char *o = out;
  size_t n = len;
  size_t pad = 0;
  size_t i;
  size_t rem;

  /* At most two '=' end the input; a third is reported as a bad character. */
  while (pad < 2 && n > 0 && s[n - 1] == '=') {
    n--;
    pad++;
  }
  rem = n % 4;
  i = 0;
#ifdef BASE64_HAVE_AVX2
  if (n >= 44 && base64_cpu_has_avx2())
    i = base64_decode_avx2(s, n, &o);
#endif

  /* Eight characters a step, one validity test for all of them: values
   * are most of a 6 MB batch, and this halves the loop's branches. */
  for (; i + 8 <= n; i += 8) {
    uint32_t a = base64_table[s[i]], b = base64_table[s[i + 1]];
    uint32_t c = base64_table[s[i + 2]], d = base64_table[s[i + 3]];
    uint32_t e = base64_table[s[i + 4]], f = base64_table[s[i + 5]];
    uint32_t g = base64_table[s[i + 6]], h = base64_table[s[i + 7]];
    if ((a | b | c | d | e | f | g | h) & BASE64_BAD)
      break; /* the four-character loop finds and reports it */
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    uint32_t w = e << 18 | f << 12 | g << 6 | h;
    o[0] = (unsigned char)(v >> 16);
    o[1] = (unsigned char)(v >> 8);
    o[2] = (unsigned char)v;
    o[3] = (unsigned char)(w >> 16);
    o[4] = (unsigned char)(w >> 8);
    o[5] = (unsigned char)w;
    o += 6;
  }
  for (; i + 4 <= n; i += 4) {
    uint32_t a = base64_table[s[i]];
    uint32_t b = base64_table[s[i + 1]];
    uint32_t c = base64_table[s[i + 2]];
    uint32_t d = base64_table[s[i + 3]];
    uint32_t v;
    if ((a | b | c | d) & BASE64_BAD) {
      *bad_pos = base64_first_bad(s, i, i + 4);
      return -1;
    }
    v = a << 18 | b << 12 | c << 6 | d;
    o[0] = (unsigned char)(v >> 16);
    o[1] = (unsigned char)(v >> 8);
    o[2] = (unsigned char)v;
    o += 3;
  }

  if (rem == 1) {
    /* One character carries 6 bits: not even one byte. */
    size_t bad = base64_first_bad(s, i, n);
    *bad_pos = bad < n ? bad : i;
    return -1;
  }
  if (rem != 0) {
    uint32_t a = base64_table[s[i]];
    uint32_t b = base64_table[s[i + 1]];
    uint32_t c = rem == 3 ? base64_table[s[i + 2]] : 0;
    uint32_t v;
    if ((a | b | c) & BASE64_BAD) {
      *bad_pos = base64_first_bad(s, i, n);
      return -1;
    }
    v = a << 18 | b << 12 | c << 6;
    *o++ = (unsigned char)(v >> 16);
    if (rem == 3)
      *o++ = (unsigned char)(v >> 8);
  }

  /* Padding only where the last quantum was short of it: "QUJD=" and
   * "QUI==" have one '=' too many. The first surplus '=' is the error. */
  if (pad > (rem == 0 ? 0 : 4 - rem)) {
    *bad_pos = n + (rem == 0 ? 0 : 4 - rem);
    return -1;
  }

  *out_len = (size_t)(o - out);
  return 0;
}

int base64_decode_until(const char *in, size_t avail, char stop,
                        unsigned char *out, size_t room, size_t *text_len,
                        size_t *out_len)
{
  const unsigned char *s = (const unsigned char *)in;
  size_t len, done = 0, tail, bad;
  unsigned char *o = out;
#ifdef BASE64_HAVE_AVX2
  if (base64_cpu_has_avx2()) {
    /* The vector loop finds the end as it decodes: it stops at the block
     * holding the first byte outside the alphabet. Given only the
     * characters whose bytes fit the room, it never writes past it. */
    size_t fits = room / 3 * 4;
    size_t n = avail < fits ? avail : fits;
    if (n >= 44)
      done = base64_decode_avx2(s, n, &o);
    size_t end = done;
    while (end < n && !(base64_table[s[end]] & BASE64_BAD))
      end++;
    if (end == n && n < avail && !(base64_table[s[n]] & BASE64_BAD))
      return -1; /* it goes on past what the room holds */
    len = end;
    while (len < avail && len - end < 2 && s[len] == '=')
      len++;
    if (len >= avail || (char)s[len] != stop)
      return -1;
  } else
#endif
  {
    /* Without the vector loop the library's search is the faster pass. */
    const unsigned char *q = memchr(s, (unsigned char)stop, avail);
    if (!q)
      return -1;
    len = (size_t)(q - s);
  }
  if (base64_decoded_max(len - done) > room - (size_t)(o - out) ||
      base64_decode(in + done, len - done, o, &tail, &bad) != 0)
    return -1;
  *text_len = len;
  *out_len = (size_t)(o - out) + tail;
  return 0;
}
