/* test_utf8: the validator against each class of UTF-8 sequence (ASCII and
 * 2, 3 and 4 byte forms at their boundaries) and each class of invalid one
 * (overlong forms, surrogates, code points above U+10FFFF, stray continuation
 * bytes, truncated sequences), and utf8_sanitize_dup, which must replace each
 * invalid byte with U+FFFD and copy valid text byte for byte. */
#include "test.h"
#include "utf8.h"

#define LEN(s) (sizeof(s) - 1)

/* The sequence at the start of 's' (n bytes) is 'want' bytes long. */
static void seq(const char *s, size_t n, size_t want)
{
  size_t got = utf8_sequence_len((const unsigned char *)s, n);
  if (got != want)
    TEST_FAIL("utf8_sequence_len(%02x..., %zu) = %zu, want %zu",
              (unsigned char)s[0], n, got, want);
}

static void test_valid_sequences(void)
{
  seq("\x00", 1, 1);
  seq("A", 1, 1);
  seq("\x7F", 1, 1);
  seq("\xC2\x80", 2, 2);         /* U+0080 */
  seq("\xC3\xA9", 2, 2);         /* U+00E9 */
  seq("\xDF\xBF", 2, 2);         /* U+07FF */
  seq("\xE0\xA0\x80", 3, 3);     /* U+0800 */
  seq("\xE2\x82\xAC", 3, 3);     /* U+20AC euro */
  seq("\xED\x9F\xBF", 3, 3);     /* U+D7FF, just below surrogates */
  seq("\xEE\x80\x80", 3, 3);     /* U+E000, just above */
  seq("\xEF\xBF\xBD", 3, 3);     /* U+FFFD */
  seq("\xEF\xBF\xBF", 3, 3);     /* U+FFFF */
  seq("\xF0\x90\x80\x80", 4, 4); /* U+10000 */
  seq("\xF0\x9F\x98\x80", 4, 4); /* U+1F600 */
  seq("\xF4\x8F\xBF\xBF", 4, 4); /* U+10FFFF */
  seq("\xC3\xA9tail", 6, 2);     /* only the first sequence */
  seq("\xF0\x9F\x98\x80xyz", 7, 4);

  static const char text[] = "plain \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 end";
  ASSERT(utf8_valid(text, LEN(text)));
  ASSERT(utf8_valid("", 0));
  ASSERT(utf8_valid("a\0b", 3)); /* NUL is valid UTF-8 */
}

static void test_invalid_sequences(void)
{
  /* Overlong forms. */
  seq("\xC0\x80", 2, 0);
  seq("\xC1\xBF", 2, 0);
  seq("\xE0\x80\x80", 3, 0);
  seq("\xE0\x9F\xBF", 3, 0); /* U+07FF in three bytes */
  seq("\xF0\x80\x80\x80", 4, 0);
  seq("\xF0\x8F\xBF\xBF", 4, 0); /* U+FFFF in four bytes */
  /* Surrogates. */
  seq("\xED\xA0\x80", 3, 0); /* U+D800 */
  seq("\xED\xBF\xBF", 3, 0); /* U+DFFF */
  /* Above U+10FFFF. */
  seq("\xF4\x90\x80\x80", 4, 0);
  seq("\xF5\x80\x80\x80", 4, 0);
  seq("\xF7\xBF\xBF\xBF", 4, 0);
  seq("\xFF", 1, 0);
  seq("\xFE", 1, 0);
  /* Stray continuation bytes. */
  seq("\x80", 1, 0);
  seq("\xBF", 1, 0);
  /* Bad continuation. */
  seq("\xC3\x28", 2, 0);
  seq("\xE2\x82\x28", 3, 0);
  seq("\xF0\x9F\x98\xC0", 4, 0);
  /* Truncated: the length given stops mid-sequence. */
  seq("\xC3\xA9", 1, 0);
  seq("\xE2\x82\xAC", 2, 0);
  seq("\xE2\x82\xAC", 1, 0);
  seq("\xF0\x9F\x98\x80", 3, 0);
  seq("\xF0\x9F\x98\x80", 2, 0);

  ASSERT(!utf8_valid("\xC0\x80", 2));
  ASSERT(!utf8_valid("\xE0\x80\x80", 3));
  ASSERT(!utf8_valid("\xED\xA0\x80", 3));
  ASSERT(!utf8_valid("\xF4\x90\x80\x80", 4));
  ASSERT(!utf8_valid("ok\xFF", 3));
  ASSERT(!utf8_valid("ok\xC3", 3));       /* truncated at the end */
  ASSERT(!utf8_valid("\xE2\x82\xAC", 2)); /* n cuts the sequence */
  ASSERT(utf8_valid("\xE2\x82\xAC", 3));
  ASSERT(!utf8_valid("abc\x80xyz", 7));
}

/* Sanitize n bytes of 'in' and expect exactly 'want'. */
static void san(const char *in, size_t n, const char *want, size_t want_len)
{
  char *out = utf8_sanitize_dup(in, n);
  ASSERT_NOT_NULL(out);
  if (strlen(out) != want_len && memchr(want, '\0', want_len) == NULL)
    TEST_FAIL("sanitize: %zu bytes, want %zu", strlen(out), want_len);
  ASSERT_MEM_EQ(out, want, want_len);
  ASSERT_EQ(out[want_len], '\0');
  ASSERT(utf8_valid(out, want_len));
  free(out);
}

#define R "\xEF\xBF\xBD"

static void test_sanitize(void)
{
  static const char valid[] =
      "plain \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF end";
  san(valid, LEN(valid), valid, LEN(valid));
  san("", 0, "", 0);
  san("\xFF", 1, R, 3);
  san("a\xFF"
      "b",
      3, "a" R "b", 5);
  /* Each invalid byte becomes one U+FFFD. */
  san("\xC0\x80", 2, R R, 6);
  san("\xE0\x80\x80", 3, R R R, 9);
  san("\xED\xA0\x80", 3, R R R, 9);
  san("\xF4\x90\x80\x80", 4, R R R R, 12);
  /* A truncated sequence at the end: each byte replaced. */
  san("x\xE2\x82", 3, "x" R R, 7);
  /* A bad lead byte followed by valid text keeps the valid text. */
  san("\xC3(\xC3\xA9", 4, R "(\xC3\xA9", 6);
  san("\xE2\x82\xE2\x82\xAC", 5, R R "\xE2\x82\xAC", 9);
  /* An embedded NUL is valid and copied. */
  san("a\0\xFF", 3, "a\0" R, 5);
  /* U+FFFD already in the input is kept as is. */
  san(R, 3, R, 3);
  /* The worst case: every byte invalid. */
  char in[64], want[64 * 3 + 1];
  for (size_t i = 0; i < sizeof in; i++) {
    in[i] = (char)(0x80 + i);
    memcpy(want + i * 3, R, 3);
  }
  san(in, sizeof in, want, sizeof in * 3);
}

int main(void)
{
  test_valid_sequences();
  test_invalid_sequences();
  test_sanitize();
  puts("ok");
  return 0;
}
