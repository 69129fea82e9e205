/* test_base64: the decoder's rules (strict alphabet, lenient trailing bits,
 * optional and partial padding, error positions) against known vectors, and
 * a round trip of every byte value through a small reference encoder; the
 * one-pass base64_decode_until against memchr + base64_decode on random
 * texts of every length around the vector loop's steps. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "test.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Reference encoder (canonical, padded), for round trips only. */
static size_t encode(const unsigned char *in, size_t n, char *out)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16;
    if (i + 1 < n)
      v |= (unsigned)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    out[o++] = b64_alphabet[(v >> 18) & 63];
    out[o++] = b64_alphabet[(v >> 12) & 63];
    out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
  }
  out[o] = '\0';
  return o;
}

/* Decode 'in' expecting success and exactly 'want_len' bytes 'want'. */
static void ok(const char *in, const char *want, size_t want_len)
{
  unsigned char out[256];
  size_t out_len = 999, bad = 999;
  size_t len = strlen(in);
  ASSERT(base64_decoded_max(len) <= sizeof out);
  if (base64_decode(in, len, out, &out_len, &bad) != 0)
    TEST_FAIL("decode(\"%s\") failed at %zu", in, bad);
  ASSERT(out_len <= base64_decoded_max(len));
  if (out_len != want_len)
    TEST_FAIL("decode(\"%s\"): %zu bytes, want %zu", in, out_len, want_len);
  ASSERT_MEM_EQ(out, want, want_len);
}

/* Decode 'in' expecting failure at 'pos'. */
static void bad(const char *in, size_t pos)
{
  unsigned char out[256];
  size_t out_len = 999, bad_pos = 999;
  if (base64_decode(in, strlen(in), out, &out_len, &bad_pos) == 0)
    TEST_FAIL("decode(\"%s\") succeeded with %zu bytes", in, out_len);
  if (bad_pos != pos)
    TEST_FAIL("decode(\"%s\"): bad_pos %zu, want %zu", in, bad_pos, pos);
}

static void test_vectors(void)
{
  /* RFC 4648 section 10, padded and unpadded. */
  ok("", "", 0);
  ok("Zg==", "f", 1);
  ok("Zm8=", "fo", 2);
  ok("Zm9v", "foo", 3);
  ok("Zm9vYg==", "foob", 4);
  ok("Zm9vYmE=", "fooba", 5);
  ok("Zm9vYmFy", "foobar", 6);
  ok("Zg", "f", 1);
  ok("Zm8", "fo", 2);
  ok("Zm9vYmE", "fooba", 5);
  /* Partial padding: one '=' where two would be canonical. */
  ok("Zg=", "f", 1);
  ok("+/+/", "\xfb\xff\xbf", 3);
  ok("AAEC/wD+", "\x00\x01\x02\xff\x00\xfe", 6);
}

static void test_lenient_trailing_bits(void)
{
  /* The AWS docs' sample key: "34==" has non-zero bits past the last byte. */
  ok("abcDEFghiJKLmnoPQRstuVWXyz1234==",
     "\x69\xb7\x03\x10\x58\x21\x88\x92\x8b\x9a\x7a\x0f\x41\x1b\x2d\xb9"
     "\x55\x97\xcb\x3d\x76\xdf",
     22);
  ok("QR==", "A", 1); /* canonical QQ== */
  ok("QUJ=", "AB", 2);
  ok("QUJ", "AB", 2);
}

static void test_strict_alphabet(void)
{
  bad("Zm9v Yg==", 4);  /* whitespace */
  bad("Zm9v\nYg==", 4); /* newline */
  bad("Zm9-", 3);       /* URL-safe alphabet */
  bad("Zm9_", 3);
  bad("Zm9vYm\xc3\xa9", 6); /* non-ASCII */
  bad("Z=9v", 1);           /* '=' inside the data */
  bad("Zg=a", 2);
  bad("*", 0);
  bad("Zm9vY*", 5); /* in the unpadded tail */
  bad("Zm9vYm*", 6);
}

static void test_bad_lengths_and_padding(void)
{
  bad("Z", 0);         /* one character: fewer than 8 bits */
  bad("Zm9vY", 4);     /* the same after a full quantum */
  bad("Zm9vY=", 4);    /* padding does not rescue it */
  bad("=", 0);         /* padding alone */
  bad("==", 0);        /* still padding alone: '=' is data then */
  bad("Zm9v=", 4);     /* padding after a full quantum */
  bad("Zm8==", 4);     /* one '=' too many */
  bad("Zg===", 2);     /* three '=': the first is data */
  bad("Zm9vYg===", 6); /* same, after a quantum */
}

static void test_round_trip_every_byte(void)
{
  unsigned char all[256], back[256 + 3];
  char text[400];
  for (int i = 0; i < 256; i++)
    all[i] = (unsigned char)(255 - i);
  /* Every length 0..256, so each tail shape is hit with every byte. */
  for (size_t n = 0; n <= 256; n++) {
    size_t len = encode(all, n, text), out_len = 0, bad_pos = 0;
    ASSERT(base64_decoded_max(len) <= sizeof back);
    ASSERT_OK(base64_decode(text, len, back, &out_len, &bad_pos));
    ASSERT_EQ(out_len, n);
    ASSERT_MEM_EQ(back, all, n);
    /* Without its padding too. */
    while (len > 0 && text[len - 1] == '=')
      len--;
    ASSERT_OK(base64_decode(text, len, back, &out_len, &bad_pos));
    ASSERT_EQ(out_len, n);
    ASSERT_MEM_EQ(back, all, n);
  }
}

static void test_every_invalid_byte(void)
{
  /* Each byte outside the alphabet, in each position of a quantum. */
  for (int ch = 0; ch < 256; ch++) {
    if (ch != '=' && strchr(b64_alphabet, ch) != NULL && ch != 0)
      continue;
    for (size_t pos = 0; pos < 4; pos++) {
      char in[9] = "QUJDQUJD";
      unsigned char out[8];
      size_t out_len = 0, bad_pos = 99;
      in[4 + pos] = (char)ch;
      /* '=' at the last two positions is padding, which is then legal
       * ("QUJDQU==" is fine); skip those two. */
      if (ch == '=' && pos >= 2)
        continue;
      ASSERT_EQ(base64_decode(in, 8, out, &out_len, &bad_pos), -1);
      ASSERT_EQ(bad_pos, 4 + pos);
    }
  }
}

/* Long inputs, where the 32-characters-a-step loop runs (on CPUs with AVX2):
 * every length up to 700 bytes and every tail shape, decoded into a buffer
 * of exactly base64_decoded_max bytes on the heap, so that a store past it
 * is an ASan error; then one bad character at each position of a long input,
 * which must be reported exactly there. */
static void test_long_inputs(void)
{
  enum { MAX = 700 };
  static unsigned char data[MAX];
  static char text[MAX / 3 * 4 + 8];
  unsigned x = 12345;
  for (size_t i = 0; i < MAX; i++) {
    x = x * 1103515245u + 12345u;
    data[i] = (unsigned char)(x >> 16);
  }
  for (size_t n = 0; n <= MAX; n++) {
    size_t len = encode(data, n, text), out_len = 0, bad_pos = 0;
    for (int unpadded = 0; unpadded < 2; unpadded++) {
      while (unpadded && len > 0 && text[len - 1] == '=')
        len--;
      size_t cap = base64_decoded_max(len);
      unsigned char *out = malloc(cap ? cap : 1);
      ASSERT_NOT_NULL(out);
      ASSERT_OK(base64_decode(text, len, out, &out_len, &bad_pos));
      ASSERT_EQ(out_len, n);
      ASSERT_MEM_EQ(out, data, n);
      free(out);
    }
  }
  size_t len = encode(data, 300, text);
  static const char bad_chars[] = {'-',  '_', ' ',        '\n',       '=',
                                   '\0', '*', (char)0x80, (char)0xff, '.'};
  for (size_t pos = 0; pos < len - 2; pos++) {
    for (size_t k = 0; k < sizeof bad_chars; k++) {
      char saved = text[pos];
      unsigned char out[400];
      size_t out_len = 0, bad_pos = 0;
      text[pos] = bad_chars[k];
      ASSERT_EQ(base64_decode(text, len, out, &out_len, &bad_pos), -1);
      if (bad_pos != pos)
        TEST_FAIL("char 0x%02x at %zu reported at %zu",
                  (unsigned char)bad_chars[k], pos, bad_pos);
      text[pos] = saved;
    }
  }
}

static void test_decoded_max(void)
{
  ASSERT_EQ(base64_decoded_max(0), 0);
  ASSERT_EQ(base64_decoded_max(2), 3);
  ASSERT_EQ(base64_decoded_max(4), 3);
  ASSERT_EQ(base64_decoded_max(5), 6);
  ASSERT_EQ(base64_decoded_max(8), 6);
  /* No overflow near SIZE_MAX. */
  ASSERT(base64_decoded_max((size_t)-1) > (size_t)-1 / 4 * 2);
}

/* What base64_decode_until must answer: the text up to the first 'stop',
 * decoded by base64_decode, when it is valid and its bytes fit 'room'. */
static int until_reference(const char *in, size_t avail, char stop,
                           unsigned char *out, size_t room, size_t *text_len,
                           size_t *out_len)
{
  const char *q = memchr(in, stop, avail);
  size_t bad;
  if (!q)
    return -1;
  *text_len = (size_t)(q - in);
  unsigned char *tmp = malloc(base64_decoded_max(*text_len) + 1);
  ASSERT(tmp != NULL);
  int rc = base64_decode(in, *text_len, tmp, out_len, &bad);
  if (rc == 0 && *out_len <= room)
    memcpy(out, tmp, *out_len);
  else
    rc = -1;
  free(tmp);
  return rc;
}

static void until_case(const char *in, size_t avail, size_t room)
{
  unsigned char *got = malloc(room + 1), *want = malloc(room + 1);
  ASSERT(got && want);
  size_t got_len = 0, got_out = 0, want_len = 0, want_out = 0;
  int rc = base64_decode_until(in, avail, '"', got, room, &got_len, &got_out);
  int want_rc =
      until_reference(in, avail, '"', want, room, &want_len, &want_out);
  /* Room that fits the bytes but not base64_decoded_max of the text may be
   * refused: the caller then decodes the other way. Nothing else differs. */
  if (rc != 0 && want_rc == 0 && base64_decoded_max(want_len) > room)
    want_rc = -1;
  if (rc != want_rc)
    TEST_FAIL("until on %.*s (room %zu): %d, want %d", (int)avail, in, room, rc,
              want_rc);
  if (rc == 0) {
    ASSERT_EQ(got_len, want_len);
    ASSERT_EQ(got_out, want_out);
    ASSERT(memcmp(got, want, got_out) == 0);
  }
  free(got);
  free(want);
}

static void test_decode_until(void)
{
  unsigned char out[64];
  size_t len, n;
  ASSERT_EQ(
      base64_decode_until("aGVsbG8=\",x", 12, '"', out, sizeof out, &len, &n),
      0);
  ASSERT_EQ(len, 8);
  ASSERT_EQ(n, 5);
  ASSERT(memcmp(out, "hello", 5) == 0);
  ASSERT_EQ(base64_decode_until("aGk\"", 4, '"', out, sizeof out, &len, &n), 0);
  ASSERT_EQ(n, 2);
  /* An escape, a missing quote, a bad byte, one '=' too many, a lone
   * character: the caller must take the other way. */
  ASSERT_EQ(base64_decode_until("aG\\/k\"", 7, '"', out, sizeof out, &len, &n),
            -1);
  ASSERT_EQ(base64_decode_until("aGk=", 4, '"', out, sizeof out, &len, &n), -1);
  ASSERT_EQ(base64_decode_until("a!==\"", 5, '"', out, sizeof out, &len, &n),
            -1);
  ASSERT_EQ(base64_decode_until("QQ===\"", 6, '"', out, sizeof out, &len, &n),
            -1);
  ASSERT_EQ(base64_decode_until("QUJDR\"", 6, '"', out, sizeof out, &len, &n),
            -1);

  /* Random texts: valid base64 of every length up to 300 (past several
   * 32-character vector steps), then a quote or another byte, with junk
   * after; rooms from none to plenty. */
  srand(20261201);
  char text[400];
  unsigned char raw[240];
  for (int round = 0; round < 4000; round++) {
    size_t nraw = (size_t)rand() % 225;
    for (size_t i = 0; i < nraw; i++)
      raw[i] = (unsigned char)rand();
    size_t m = encode(raw, nraw, text);
    int form = rand() % 6;
    if (form == 1 && m > 0) /* padding dropped */
      while (m > 0 && text[m - 1] == '=')
        m--;
    if (form == 2 && m > 0) /* a byte outside the alphabet inside */
      text[(size_t)rand() % m] = "\\!-_ \n"[rand() % 6];
    text[m] = form == 3 ? '\\' : '"';
    size_t avail = m + 1;
    for (int k = rand() % 60; k > 0; k--)
      text[avail++] = b64_alphabet[rand() % 64];
    size_t rooms[] = {
        0, nraw / 2, nraw, nraw + 2, base64_decoded_max(m), sizeof raw};
    until_case(text, avail, rooms[rand() % 6]);
  }
}

int main(void)
{
  test_vectors();
  test_lenient_trailing_bits();
  test_strict_alphabet();
  test_bad_lengths_and_padding();
  test_round_trip_every_byte();
  test_every_invalid_byte();
  test_long_inputs();
  test_decoded_max();
  test_decode_until();
  puts("test_base64: ok");
  return 0;
}
