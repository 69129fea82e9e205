/* test_json_write: the one JSON string escaper and the one number writer.
 *
 * Each case gives bytes and the exact JSON text they must become, so a
 * change to any rule (an escape, the U+FFFD repair of each kind of invalid
 * UTF-8, the fit of a cut message) fails here by name. json_write_fit is
 * checked against the escaper itself: a prefix fits exactly when its
 * escaped length is within the budget. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_write.h"
#include "number_text.h"
#include "test.h"
#include "utf8.h"

#define R "\xEF\xBF\xBD" /* U+FFFD */

/* 'in' (n bytes) must be written as the literal "want" (quotes added). */
static void lit(const char *in, size_t n, const char *want)
{
  struct buf b;
  buf_init(&b, 1 << 20);
  ASSERT_EQ(json_write_string(&b, in, n), BUF_OK);
  char quoted[512];
  snprintf(quoted, sizeof quoted, "\"%s\"", want);
  ASSERT_STR_EQ(buf_cstr(&b), quoted);
  /* sizing and filling agree, and escaped text is the literal's inside */
  ASSERT_EQ(json_write_escape(in, n, NULL), strlen(want));
  buf_free(&b);
}

static void test_escapes(void)
{
  lit("", 0, "");
  lit("plain text", 10, "plain text");
  lit("q\"b\\s/", 6, "q\\\"b\\\\s/");
  lit("\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f");
  lit("\x01\x1f\x7f", 3, "\\u0001\\u001f\x7f");
  /* a NUL is kept, as \u0000, and the text goes on after it */
  lit("a\0b", 3, "a\\u0000b");
  lit("\0", 1, "\\u0000");
  /* valid UTF-8 passes as it is, the longest forms included */
  lit("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9,
      "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  lit("\xF4\x8F\xBF\xBF", 4, "\xF4\x8F\xBF\xBF"); /* U+10FFFF */
  lit("\xED\x9F\xBF", 3, "\xED\x9F\xBF");         /* U+D7FF */
  lit(R, 3, R);
}

static void test_invalid_utf8(void)
{
  /* each byte that does not start a valid sequence becomes one U+FFFD */
  lit("\xFF", 1, R);
  lit("a\x80z", 3, "a" R "z");         /* a stray continuation byte */
  lit("\xC3", 1, R);                   /* a cut two-byte sequence */
  lit("\xE2\x82", 2, R R);             /* a cut three-byte sequence */
  lit("\xE2\x82x", 3, R R "x");        /* cut, then text */
  lit("\xC0\xAF", 2, R R);             /* overlong '/' */
  lit("\xC1\xBF", 2, R R);             /* overlong U+007F */
  lit("\xC0\x80", 2, R R);             /* overlong NUL (modified UTF-8) */
  lit("\xE0\x80\xAF", 3, R R R);       /* overlong, three bytes */
  lit("\xF0\x80\x80\xAF", 4, R R R R); /* overlong, four bytes */
  lit("\xED\xA0\x80", 3, R R R);       /* lone high surrogate U+D800 */
  lit("\xED\xBF\xBF", 3, R R R);       /* lone low surrogate U+DFFF */
  /* a surrogate pair in CESU-8 is two lone surrogates */
  lit("\xED\xA0\xBD\xED\xB8\x80", 6, R R R R R R);
  lit("\xF4\x90\x80\x80", 4, R R R R); /* past U+10FFFF */
  lit("\xF5\x80\x80\x80", 4, R R R R);
  lit("\xF8\x88\x80\x80\x80", 5, R R R R R); /* old five-byte form */
  /* a bad byte inside text costs only itself */
  lit("\xC3\xA9\xFF\xC3\xA9", 5, "\xC3\xA9" R "\xC3\xA9");
}

/* json_write_fit must give the longest prefix, on a character boundary,
 * whose escaped text fits: checked against the escaper for every budget. */
static void fit_agrees(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  for (size_t budget = 0; budget <= json_write_escape(s, n, NULL) + 1;
       budget++) {
    size_t keep = json_write_fit(s, n, budget);
    ASSERT(keep <= n);
    ASSERT(json_write_escape(s, keep, NULL) <= budget);
    if (keep < n) {
      size_t next = utf8_sequence_len(p + keep, n - keep);
      next = keep + (next ? next : 1);
      ASSERT(json_write_escape(s, next, NULL) > budget);
    }
  }
}

static void test_fit(void)
{
  ASSERT_EQ(json_write_fit("abc", 3, 10), 3);
  ASSERT_EQ(json_write_fit("abc", 3, 2), 2);
  ASSERT_EQ(json_write_fit("abc", 3, 0), 0);
  /* control bytes take six each once escaped */
  ASSERT_EQ(json_write_fit("\x01\x01\x01", 3, 12), 2);
  ASSERT_EQ(json_write_fit("\x01\x01\x01", 3, 11), 1);
  /* a character is never cut: the euro sign takes 3 */
  ASSERT_EQ(json_write_fit("a\xE2\x82\xAC", 4, 3), 1);
  ASSERT_EQ(json_write_fit("a\xE2\x82\xAC", 4, 4), 4);
  /* an invalid byte takes U+FFFD's 3 */
  ASSERT_EQ(json_write_fit("\xFF\xFF", 2, 5), 1);
  static const char mixed[] = "q\"\n\x01\xC3\xA9\xFF\xE2\x82\xAC z\0";
  fit_agrees(mixed, sizeof mixed - 1);
}

static void test_failure_leaves_buffer(void)
{
  struct buf b;
  buf_init(&b, 8);
  ASSERT_EQ(buf_puts(&b, "ab"), BUF_OK);
  /* "\u0001" is 6 bytes plus quotes: over the cap, nothing appended */
  ASSERT_EQ(json_write_string(&b, "\x01", 1), BUF_ETOOBIG);
  ASSERT_STR_EQ(buf_cstr(&b), "ab");
  ASSERT_EQ(json_write_escaped(&b, "\x01\x01", 2), BUF_ETOOBIG);
  ASSERT_STR_EQ(buf_cstr(&b), "ab");
  ASSERT_EQ(json_write_escaped(&b, "\n", 1), BUF_OK);
  ASSERT_STR_EQ(buf_cstr(&b), "ab\\n");
  buf_free(&b);
}

static void test_numbers(void)
{
  char t[NUMBER_TEXT_MAX];
  number_text_integer(0, t, sizeof t);
  ASSERT_STR_EQ(t, "0");
  number_text_integer(9223372036854775807LL, t, sizeof t);
  ASSERT_STR_EQ(t, "9223372036854775807");
  number_text_integer(-9223372036854775807LL - 1, t, sizeof t);
  ASSERT_STR_EQ(t, "-9223372036854775808");
  number_text_float(1.0, t, sizeof t);
  ASSERT_STR_EQ(t, "1.0");
  number_text_float(-0.0, t, sizeof t);
  ASSERT_STR_EQ(t, "-0.0");
  number_text_float(0.1, t, sizeof t);
  ASSERT_STR_EQ(t, "0.1");
  number_text_float(1.0 / 3.0, t, sizeof t);
  ASSERT_STR_EQ(t, "0.3333333333333333"); /* 16 digits: read back exact */
  ASSERT(strtod(t, NULL) == 1.0 / 3.0);
  number_text_float(0.1 + 0.2, t, sizeof t);
  ASSERT_STR_EQ(t, "0.30000000000000004"); /* 17 digits */
  number_text_float(1e300, t, sizeof t);
  ASSERT_STR_EQ(t, "1e+300");
  number_text_lua(1.0 / 3.0, t, sizeof t);
  ASSERT_STR_EQ(t, "0.33333333333333"); /* tostring's %.14g */
  number_text_lua(2.0, t, sizeof t);
  ASSERT_STR_EQ(t, "2.0");
  number_text_lua(1.5, t, sizeof t);
  ASSERT_STR_EQ(t, "1.5");
  /* Under a locale with a decimal comma (when the machine has one), the
   * text is still the "C" locale's. */
  const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", NULL};
  for (int i = 0; names[i]; i++) {
    if (!setlocale(LC_NUMERIC, names[i]))
      continue;
    number_text_float(1.5, t, sizeof t);
    ASSERT_STR_EQ(t, "1.5");
    number_text_lua(0.25, t, sizeof t);
    ASSERT_STR_EQ(t, "0.25");
    setlocale(LC_NUMERIC, "C");
    break;
  }
}

int main(void)
{
  test_escapes();
  test_invalid_utf8();
  test_fit();
  test_failure_leaves_buffer();
  test_numbers();
  puts("test_json_write: ok");
  return 0;
}
