/* test_dynamodb_value: DynamoDB number text -> integer or float.
 *
 * The grammar DynamoDB uses (optional '-', digits, optional fraction,
 * optional exponent) and nothing else; integer literals within 64 bits
 * are integers, those past them and every fraction or exponent floats. */
#include <stdio.h>
#include <string.h>

#include "dynamodb_value.h"
#include "test.h"

static void expect_int(const char *text, long long want)
{
  int is_int = 0;
  long long i = 0;
  double d = 0;
  ASSERT_EQ(dynamodb_value_number(text, strlen(text), &is_int, &i, &d), 1);
  ASSERT_EQ(is_int, 1);
  ASSERT(i == want);
}

static void expect_float(const char *text, double want)
{
  int is_int = 1;
  long long i = 0;
  double d = 0;
  ASSERT_EQ(dynamodb_value_number(text, strlen(text), &is_int, &i, &d), 1);
  ASSERT_EQ(is_int, 0);
  ASSERT(d == want);
}

static void expect_bad(const char *text)
{
  int is_int = 0;
  long long i = 0;
  double d = 0;
  ASSERT_EQ(dynamodb_value_number(text, strlen(text), &is_int, &i, &d), 0);
}

int main(void)
{
  expect_int("0", 0);
  expect_int("-0", 0);
  expect_int("42", 42);
  expect_int("007", 7);
  expect_int("9223372036854775807", 9223372036854775807LL);
  expect_int("-9223372036854775808", -9223372036854775807LL - 1);
  expect_float("9223372036854775808", 9223372036854775808.0);
  expect_float("-9223372036854775809", -9223372036854775808.0);
  expect_float("1.5", 1.5);
  expect_float("1e3", 1000.0);
  expect_float("1E-2", 0.01);
  expect_float("12345678901234567890123456789012345678", 1.2345678901234568e37);
  const char *bad[] = {"",   "-",  "abc", "0x10", " 1",  "1 ",  "+1", "1.",
                       ".5", "1e", "1e+", "inf",  "nan", "1,5", "--1"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    expect_bad(bad[k]);
  /* A \u0000 inside the text (json_tree keeps it) ends no number early. */
  int is_int = 0;
  long long i = 0;
  double d = 0;
  ASSERT_EQ(dynamodb_value_number("12\0"
                                  "3",
                                  4, &is_int, &i, &d),
            0);
  ASSERT_EQ(dynamodb_value_number("12\0", 3, &is_int, &i, &d), 0);
  ASSERT_EQ(dynamodb_value_number("12", 2, &is_int, &i, &d), 1);
  puts("test_dynamodb_value: ok");
  return 0;
}
