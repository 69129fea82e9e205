/* test_http_wire: answer heads and chunked bodies, byte for byte.
 *
 * runtime_api's socket tests (test_runtime_api.c) send these shapes through a
 * real server; this file covers the parser's rules one by one, including
 * every split point of a chunked body, which a socket test cannot force. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "http_wire.h"
#include "test.h"

struct fields {
  int count;
  char last_name[64];
  char last_value[64];
};

static void on_field(void *ud, const char *name, size_t nlen, const char *value,
                     size_t vlen)
{
  struct fields *f = ud;
  f->count++;
  snprintf(f->last_name, sizeof f->last_name, "%.*s", (int)nlen, name);
  snprintf(f->last_value, sizeof f->last_value, "%.*s", (int)vlen, value);
}

/* Parse a complete head given as a string; returns http_parse_head's code. */
static int parse(const char *head, struct http_head *h, struct fields *f)
{
  size_t len = strlen(head);
  memset(f, 0, sizeof *f);
  ASSERT_EQ(http_head_end(head, len), len);
  return http_parse_head(head, len, h, on_field, f);
}

static void test_head_end(void)
{
  static const char a[] = "HTTP/1.1 200 OK\r\nA: 1\r\n\r\nbody";
  ASSERT_EQ(http_head_end(a, strlen(a)), strlen(a) - 4);
  static const char b[] = "HTTP/1.1 200 OK\nA: 1\n\nbody";
  ASSERT_EQ(http_head_end(b, strlen(b)), strlen(b) - 4);
  /* Every proper prefix of a head is incomplete. */
  for (size_t i = 0; i < strlen(a) - 4; i++)
    ASSERT_EQ(http_head_end(a, i), 0);
  ASSERT_EQ(http_head_end("", 0), 0);
}

static void test_heads(void)
{
  struct http_head h;
  struct fields f;
  ASSERT_OK(parse("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n"
                  "Lambda-Runtime-Aws-Request-Id:  id-1 \t\r\n\r\n",
                  &h, &f));
  ASSERT_EQ(h.status, 200);
  ASSERT_EQ(h.framing, HTTP_BODY_LENGTH);
  ASSERT_EQ(h.length, 12);
  ASSERT_EQ(h.keep_alive, 1);
  ASSERT_EQ(f.count, 2);
  ASSERT_STR_EQ(f.last_name, "Lambda-Runtime-Aws-Request-Id");
  ASSERT_STR_EQ(f.last_value, "id-1");

  /* No reason phrase; names in any case; an agreeing repeat of the length. */
  ASSERT_OK(parse("HTTP/1.1 202\r\ncontent-LENGTH: 3\r\nContent-Length: 3\r\n"
                  "\r\n",
                  &h, &f));
  ASSERT_EQ(h.status, 202);
  ASSERT_EQ(h.length, 3);

  /* Transfer-Encoding wins over Content-Length, and the connection is not
   * trusted after such an answer. */
  ASSERT_OK(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: identity, Chunked\r\n\r\n",
                  &h, &f));
  ASSERT_EQ(h.framing, HTTP_BODY_CHUNKED);
  ASSERT_EQ(h.keep_alive, 0);

  /* No length: to the close. HTTP/1.0 closes unless told otherwise. */
  ASSERT_OK(parse("HTTP/1.1 200 OK\r\n\r\n", &h, &f));
  ASSERT_EQ(h.framing, HTTP_BODY_UNTIL_CLOSE);
  ASSERT_EQ(h.keep_alive, 0);
  ASSERT_OK(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &h, &f));
  ASSERT_EQ(h.keep_alive, 0);
  ASSERT_OK(parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
                  "Content-Length: 0\r\n\r\n",
                  &h, &f));
  ASSERT_EQ(h.keep_alive, 1);
  ASSERT_OK(parse("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\n"
                  "Content-Length: 0\r\n\r\n",
                  &h, &f));
  ASSERT_EQ(h.keep_alive, 0);

  /* No body, whatever the fields say. */
  ASSERT_OK(parse("HTTP/1.1 100 Continue\r\n\r\n", &h, &f));
  ASSERT_EQ(h.framing, HTTP_BODY_NONE);
  ASSERT_OK(
      parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", &h, &f));
  ASSERT_EQ(h.framing, HTTP_BODY_NONE);
  ASSERT_OK(parse("HTTP/1.1 304 Not Modified\r\n\r\n", &h, &f));
  ASSERT_EQ(h.framing, HTTP_BODY_NONE);
  ASSERT_OK(parse("HTTP/1.1 101 Switching\r\n\r\n", &h, &f));
  ASSERT_EQ(h.keep_alive, 0);
}

static void test_bad_heads(void)
{
  static const char *const bad[] = {
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 099 Low\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n",
      "HTTP/1.x 200 OK\r\n\r\n",
      "ICY 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
      "HTTP/1.1 200 OK\r\nA: 1\r\n\tfolded\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct http_head h;
    struct fields f;
    if (parse(bad[i], &h, &f) != -1)
      TEST_FAIL("accepted bad head %zu: %s", i, bad[i]);
  }
}

static int sink_to_buf(void *ud, const char *p, size_t n)
{
  return buf_append(ud, p, n) == BUF_OK ? 0 : -1;
}

/* Decode 'in' fed in pieces of 'step' bytes; returns the bytes consumed in
 * all, or -1. */
static long feed_in_steps(const char *in, size_t len, size_t step,
                          struct buf *out, struct http_chunked *c)
{
  size_t used = 0;
  http_chunked_init(c);
  buf_reset(out);
  while (used < len && !c->done) {
    size_t n = len - used < step ? len - used : step;
    long r = http_chunked_feed(c, in + used, n, sink_to_buf, out);
    if (r < 0)
      return -1;
    used += (size_t)r;
    if ((size_t)r < n && !c->done)
      TEST_FAIL("stopped early at %zu without being done", used);
  }
  return (long)used;
}

static void test_chunked(void)
{
  static const char in[] = "5;ext=\"a;b\"\r\nhello\r\n"
                           "1\nA\n"
                           "0000a\r\n0123456789\r\n"
                           "0\r\nTrailer-One: x\r\nTrailer-Two: y\r\n\r\n"
                           "HTTP/1.1 next answer";
  size_t body_end = strlen(in) - strlen("HTTP/1.1 next answer");
  struct buf out;
  struct http_chunked c;
  buf_init(&out, 1024);
  /* Every split, from one byte at a time to all at once, gives the same. */
  for (size_t step = 1; step <= sizeof in; step++) {
    long used = feed_in_steps(in, strlen(in), step, &out, &c);
    ASSERT_EQ(used, body_end);
    ASSERT(c.done);
    ASSERT_STR_EQ(buf_cstr(&out), "helloA0123456789");
  }
  /* The shortest body, with bare LFs. */
  ASSERT_EQ(feed_in_steps("0\n\n", 3, 3, &out, &c), 3);
  ASSERT(c.done);
  ASSERT_EQ(out.len, 0);

  static const char *const bad[] = {
      "\r\n",                  /* no size */
      "g\r\n",                 /* not hex */
      "5\r\nhelloX\r\n",       /* data longer than its size */
      "5\rX",                  /* CR without LF */
      "1234567890abcdef0\r\n", /* size over 2^60 */
      "0\r\nTrailer\r\nX",     /* final CRLF broken: see below */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0] - 1; i++) {
    if (feed_in_steps(bad[i], strlen(bad[i]), 1, &out, &c) != -1)
      TEST_FAIL("accepted bad chunked body %zu", i);
  }
  /* An incomplete trailer is not an error, just not done. */
  ASSERT_EQ(feed_in_steps(bad[5], strlen(bad[5]), 1, &out, &c), strlen(bad[5]));
  ASSERT(!c.done);

  /* A sink that refuses stops the decoding. */
  struct buf small;
  buf_init(&small, 3);
  http_chunked_init(&c);
  ASSERT_EQ(
      http_chunked_feed(&c, "5\r\nhello\r\n0\r\n\r\n", 15, sink_to_buf, &small),
      -1);
  buf_free(&small);

  /* Endless extensions or trailers are cut off. */
  struct buf big;
  buf_init(&big, 256 * 1024);
  ASSERT_OK(buf_puts(&big, "1;"));
  for (int i = 0; i < 20000; i++)
    ASSERT_OK(buf_puts(&big, "x"));
  ASSERT_EQ(feed_in_steps(big.data, big.len, 4096, &out, &c), -1);
  buf_reset(&big);
  ASSERT_OK(buf_puts(&big, "0\r\n"));
  for (int i = 0; i < 20000; i++)
    ASSERT_OK(buf_puts(&big, "T: v\r\n"));
  ASSERT_EQ(feed_in_steps(big.data, big.len, 4096, &out, &c), -1);
  buf_free(&big);
  buf_free(&out);
}

int main(void)
{
  test_head_end();
  test_heads();
  test_bad_heads();
  test_chunked();
  printf("test_http_wire: ok\n");
  return 0;
}
