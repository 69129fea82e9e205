/* test_url_decode: percent-decoding for S3 keys and query strings.
 *
 * '+' is a space only in form mode; %XX (either case) is one byte, NUL
 * included; an escape that is not two hex digits, also at the very end, is
 * an error at the '%'; other bytes pass through unchanged. */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "url_decode.h"

static void expect(const char *in, int plus, const char *want, size_t want_len)
{
  char out[256];
  size_t n = 0;
  size_t bad = 0;
  ASSERT_OK(url_decode(in, strlen(in), out, &n, plus, &bad));
  ASSERT_EQ(n, want_len);
  ASSERT_MEM_EQ(out, want, n);
}

static void expect_bad(const char *in, size_t at)
{
  char out[256];
  size_t n = 0;
  size_t bad = 99;
  ASSERT_EQ(url_decode(in, strlen(in), out, &n, 1, &bad), -1);
  ASSERT_EQ(bad, at);
}

int main(void)
{
  expect("Happy%20Face.jpg", 1, "Happy Face.jpg", 14);
  expect("a+b", 1, "a b", 3);
  expect("a+b", 0, "a+b", 3);
  expect("%2B%2b", 1, "++", 2);
  expect("%E2%82%AC", 1, "\xe2\x82\xac", 3);
  expect("x%00y", 1, "x\0y", 3);
  expect("", 1, "", 0);
  expect("\xc3\xa9", 1, "\xc3\xa9", 2);
  expect_bad("100%", 3);
  expect_bad("%4", 0);
  expect_bad("a%zz", 1);
  expect_bad("ok%2", 2);
  expect_bad("%g0", 0);
  puts("test_url_decode: ok");
  return 0;
}
