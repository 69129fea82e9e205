/* test.h: the assertions every C unit test uses, in the manner of libuv's
 * task.h. Each failure prints file, line and both values, then exits 1, so a
 * ctest failure says what went wrong without a debugger. */
#ifndef LRT_TEST_H
#define LRT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_FAIL(...)                                                         \
  do {                                                                         \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
    fprintf(stderr, __VA_ARGS__);                                              \
    fputc('\n', stderr);                                                       \
    exit(1);                                                                   \
  } while (0)

#define ASSERT(cond)                                                           \
  do {                                                                         \
    if (!(cond))                                                               \
      TEST_FAIL("assertion failed: %s", #cond);                                \
  } while (0)

#define ASSERT_EQ(a, b)                                                        \
  do {                                                                         \
    intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                           \
    if (a_ != b_)                                                              \
      TEST_FAIL("%s == %s: %jd != %jd", #a, #b, a_, b_);                       \
  } while (0)

#define ASSERT_OK(a) ASSERT_EQ(a, 0)

#define ASSERT_NOT_NULL(p)                                                     \
  do {                                                                         \
    if ((p) == NULL)                                                           \
      TEST_FAIL("%s is NULL", #p);                                             \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
  do {                                                                         \
    const char *a_ = (a), *b_ = (b);                                           \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                       \
      TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",      \
                b_ ? b_ : "(null)");                                           \
  } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                 \
  do {                                                                         \
    if (memcmp((a), (b), (n)) != 0)                                            \
      TEST_FAIL("%s and %s differ in their first %zu bytes", #a, #b,           \
                (size_t)(n));                                                  \
  } while (0)

#define ASSERT_CONTAINS(hay, needle)                                           \
  do {                                                                         \
    const char *h_ = (hay), *n_ = (needle);                                    \
    if (h_ == NULL || strstr(h_, n_) == NULL)                                  \
      TEST_FAIL("%s does not contain \"%s\": \"%s\"", #hay, n_,                \
                h_ ? h_ : "(null)");                                           \
  } while (0)

/* A whole file (a fixture) as a NUL-terminated buffer the caller frees;
 * *len is its size. Fails the test when it cannot be read. */
static inline char *test_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    TEST_FAIL("cannot open %s", path);
  ASSERT_OK(fseek(f, 0, SEEK_END));
  long n = ftell(f);
  ASSERT(n >= 0);
  rewind(f);
  char *text = malloc((size_t)n + 1);
  ASSERT_NOT_NULL(text);
  ASSERT_EQ(fread(text, 1, (size_t)n, f), n);
  text[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return text;
}

#endif
