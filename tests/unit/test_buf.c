/* test_buf: the capped byte buffer. Appends of every flavour (bytes, strings,
 * printf) produce exact contents; an append past the cap is refused with
 * BUF_ETOOBIG, leaves the contents untouched and sets too_big; reset keeps the
 * memory; free makes the buffer empty and reusable; buf_cstr is never NULL;
 * many small appends grow the buffer without losing a byte; reserve makes
 * room without changing len. */
#include "buf.h"
#include "test.h"

static void test_append_puts_printf(void)
{
  struct buf b;
  buf_init(&b, 1024);
  ASSERT_EQ(b.len, 0);
  ASSERT_OK(buf_append(&b, "ab\0c", 4));
  ASSERT_EQ(b.len, 4);
  ASSERT_MEM_EQ(b.data, "ab\0c", 5); /* terminator follows the bytes */
  ASSERT_OK(buf_puts(&b, "def"));
  ASSERT_EQ(b.len, 7);
  ASSERT_MEM_EQ(b.data, "ab\0cdef", 8);
  ASSERT_OK(buf_printf(&b, "[%d:%s:%05.1f]", -42, "x", 3.14159));
  ASSERT_MEM_EQ(b.data, "ab\0cdef[-42:x:003.1]", 21);
  ASSERT_EQ(b.len, 20);
  ASSERT_OK(buf_append(&b, "", 0)); /* empty append is a no-op */
  ASSERT_EQ(b.len, 20);
  ASSERT_OK(buf_puts(&b, ""));
  ASSERT_EQ(b.len, 20);
  ASSERT_EQ(b.too_big, 0);
  buf_free(&b);
}

static void test_cap(void)
{
  struct buf b;
  buf_init(&b, 8);
  ASSERT_OK(buf_puts(&b, "12345"));
  ASSERT_EQ(buf_puts(&b, "6789"), BUF_ETOOBIG); /* 9 > 8 */
  ASSERT_EQ(b.too_big, 1);
  ASSERT_EQ(b.len, 5);
  ASSERT_STR_EQ(buf_cstr(&b), "12345");
  ASSERT_EQ(buf_append(&b, "abcd", 4), BUF_ETOOBIG);
  ASSERT_STR_EQ(buf_cstr(&b), "12345");
  ASSERT_EQ(buf_printf(&b, "%s", "xyzw"), BUF_ETOOBIG);
  ASSERT_STR_EQ(buf_cstr(&b), "12345");
  ASSERT_EQ(b.len, 5);
  /* Exactly up to the cap is fine. */
  ASSERT_OK(buf_puts(&b, "678"));
  ASSERT_EQ(b.len, 8);
  ASSERT_STR_EQ(buf_cstr(&b), "12345678");
  ASSERT_EQ(buf_append(&b, "9", 1), BUF_ETOOBIG);
  ASSERT_STR_EQ(buf_cstr(&b), "12345678");
  ASSERT(b.cap <= b.max + 1); /* never allocates past what the cap can use */
  /* Reset clears too_big. */
  buf_reset(&b);
  ASSERT_EQ(b.too_big, 0);
  buf_free(&b);

  /* A first append already too big leaves the buffer empty. */
  buf_init(&b, 3);
  ASSERT_EQ(buf_puts(&b, "abcd"), BUF_ETOOBIG);
  ASSERT_EQ(b.too_big, 1);
  ASSERT_EQ(b.len, 0);
  ASSERT_STR_EQ(buf_cstr(&b), "");
  buf_free(&b);

  /* A zero cap refuses any byte. */
  buf_init(&b, 0);
  ASSERT_EQ(buf_append(&b, "a", 1), BUF_ETOOBIG);
  ASSERT_STR_EQ(buf_cstr(&b), "");
  buf_free(&b);
}

static void test_reset_keeps_memory(void)
{
  struct buf b;
  buf_init(&b, 1 << 20);
  ASSERT_OK(buf_puts(&b, "hello, world"));
  char *data = b.data;
  size_t cap = b.cap;
  ASSERT_NOT_NULL(data);
  buf_reset(&b);
  ASSERT(b.data == data);
  ASSERT_EQ(b.cap, cap);
  ASSERT_EQ(b.len, 0);
  ASSERT_STR_EQ(buf_cstr(&b), "");
  /* Reused without reallocating while it fits. */
  ASSERT_OK(buf_puts(&b, "again"));
  ASSERT(b.data == data);
  ASSERT_STR_EQ(buf_cstr(&b), "again");
  buf_free(&b);

  /* Reset on a never-used buffer is harmless. */
  buf_init(&b, 10);
  buf_reset(&b);
  ASSERT(b.data == NULL);
  ASSERT_STR_EQ(buf_cstr(&b), "");
  buf_free(&b);
}

static void test_free(void)
{
  struct buf b;
  buf_init(&b, 100);
  ASSERT_OK(buf_puts(&b, "some text"));
  buf_free(&b);
  ASSERT(b.data == NULL);
  ASSERT_EQ(b.len, 0);
  ASSERT_EQ(b.cap, 0);
  ASSERT_EQ(b.max, 100); /* the cap survives */
  ASSERT_EQ(b.too_big, 0);
  ASSERT_STR_EQ(buf_cstr(&b), "");
  /* Usable again, and the cap still applies. */
  ASSERT_OK(buf_puts(&b, "more"));
  ASSERT_STR_EQ(buf_cstr(&b), "more");
  char big[101];
  memset(big, 'x', sizeof big);
  ASSERT_EQ(buf_append(&b, big, sizeof big), BUF_ETOOBIG);
  buf_free(&b);
  buf_free(&b); /* twice is harmless */
}

static void test_cstr_empty(void)
{
  struct buf b;
  buf_init(&b, 16);
  const char *s = buf_cstr(&b);
  ASSERT_NOT_NULL(s);
  ASSERT_STR_EQ(s, "");
  ASSERT_OK(buf_append(&b, "", 0));
  ASSERT_NOT_NULL(buf_cstr(&b));
  ASSERT_STR_EQ(buf_cstr(&b), "");
  buf_free(&b);
}

static void test_growth(void)
{
  enum { N = 100000 };
  struct buf b;
  buf_init(&b, (size_t)N * 7);
  char *want = malloc((size_t)N * 7 + 1);
  ASSERT_NOT_NULL(want);
  size_t wl = 0;
  for (int i = 0; i < N; i++) {
    char piece[8];
    int n = snprintf(piece, sizeof piece, "%d,", i % 100000);
    ASSERT(n > 0);
    if (i % 3 == 0)
      ASSERT_OK(buf_append(&b, piece, (size_t)n));
    else if (i % 3 == 1)
      ASSERT_OK(buf_puts(&b, piece));
    else
      ASSERT_OK(buf_printf(&b, "%d,", i % 100000));
    memcpy(want + wl, piece, (size_t)n);
    wl += (size_t)n;
  }
  want[wl] = '\0';
  ASSERT_EQ(b.len, wl);
  ASSERT(b.cap > b.len);
  ASSERT_MEM_EQ(b.data, want, wl + 1);
  ASSERT_EQ(strlen(buf_cstr(&b)), wl);
  free(want);
  buf_free(&b);
}

static void test_reserve(void)
{
  struct buf b;
  buf_init(&b, 4096);
  ASSERT_OK(buf_puts(&b, "abc"));
  ASSERT_OK(buf_reserve(&b, 1000));
  ASSERT(b.cap >= b.len + 1000 + 1);
  ASSERT_EQ(b.len, 3); /* len unchanged */
  ASSERT_STR_EQ(buf_cstr(&b), "abc");
  /* Appends that fit in the reservation do not move the data. */
  char *data = b.data;
  char chunk[1000];
  memset(chunk, 'z', sizeof chunk);
  ASSERT_OK(buf_append(&b, chunk, sizeof chunk));
  ASSERT(b.data == data);
  ASSERT_EQ(b.len, 1003);
  ASSERT_MEM_EQ(b.data, "abc", 3);
  ASSERT_MEM_EQ(b.data + 3, chunk, sizeof chunk);
  ASSERT_EQ(b.data[1003], '\0');
  /* Reserving past the cap is refused and flags too_big; nothing changes. */
  ASSERT_EQ(buf_reserve(&b, 4096 - 1003 + 1), BUF_ETOOBIG);
  ASSERT_EQ(b.too_big, 1);
  ASSERT_EQ(b.len, 1003);
  ASSERT(b.data == data);
  /* Reserving exactly up to the cap works. */
  ASSERT_OK(buf_reserve(&b, 4096 - 1003));
  ASSERT(b.cap >= 4096 + 1);
  ASSERT_EQ(b.len, 1003);
  ASSERT_MEM_EQ(b.data, "abc", 3);
  ASSERT_OK(buf_reserve(&b, 0));
  buf_free(&b);
}

int main(void)
{
  test_append_puts_printf();
  test_cap();
  test_reset_keeps_memory();
  test_free();
  test_cstr_empty();
  test_growth();
  test_reserve();
  puts("ok");
  return 0;
}
