/* test_http_conn: the connection layer against a scripted server on loopback.
 *
 * test_runtime_api drives http_conn through the Lambda requests against the
 * mock Runtime API; this file reaches what that cannot without 16 MiB
 * bodies or precise timing: small caps (over-cap bodies drained or ending the
 * connection, chunked or not), a connection the server closed while idle
 * (replaced and the request sent again), answers pipelined in one write, and
 * a refused connect. The server is a forked child that plays a script: for
 * each connection it accepts, it reads each request whole and writes the
 * next canned answer, then closes or waits for the client to. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_conn.h"
#include "test.h"

/* One connection of the script: its answers, in order, and whether the
 * server closes right after the last one (else when the client does). */
struct script_conn {
  const char *answers[4];
  int close_after;
};

/* Read one request (head, and a Content-Length body) from 'fd' into the
 * carry-over buffer; returns 0, or -1 at EOF. */
static int read_request(int fd, char *buf, size_t *len, size_t cap)
{
  for (;;) {
    char *end = memmem(buf, *len, "\r\n\r\n", 4);
    if (end != NULL) {
      size_t head = (size_t)(end + 4 - buf);
      size_t body = 0;
      char *cl = memmem(buf, head, "Content-Length: ", 16);
      if (cl != NULL)
        body = strtoul(cl + 16, NULL, 10);
      if (*len >= head + body) {
        memmove(buf, buf + head + body, *len - head - body);
        *len -= head + body;
        return 0;
      }
    }
    ssize_t n = recv(fd, buf + *len, cap - *len, 0);
    if (n <= 0)
      return -1;
    *len += (size_t)n;
  }
}

static void serve(int lfd, const struct script_conn *conns, size_t nconns)
{
  static char buf[1 << 16];
  for (size_t i = 0; i < nconns; i++) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
      _exit(2);
    size_t len = 0;
    for (int a = 0; a < 4 && conns[i].answers[a] != NULL; a++) {
      if (read_request(fd, buf, &len, sizeof buf) != 0)
        _exit(3);
      const char *ans = conns[i].answers[a];
      if (send(fd, ans, strlen(ans), MSG_NOSIGNAL) < 0)
        _exit(4);
    }
    if (!conns[i].close_after)
      while (recv(fd, buf, sizeof buf, 0) > 0)
        ;
    close(fd);
  }
  _exit(0);
}

/* Start the server for 'conns'; returns its pid and sets 'host'. */
static pid_t start_server(const struct script_conn *conns, size_t nconns,
                          char *host, size_t host_size)
{
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT(lfd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(bind(lfd, (struct sockaddr *)&a, sizeof a));
  ASSERT_OK(listen(lfd, 8));
  socklen_t alen = sizeof a;
  ASSERT_OK(getsockname(lfd, (struct sockaddr *)&a, &alen));
  snprintf(host, host_size, "127.0.0.1:%d", ntohs(a.sin_port));
  pid_t pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0)
    serve(lfd, conns, nconns);
  close(lfd);
  return pid;
}

static void wait_server(pid_t pid)
{
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    TEST_FAIL("the scripted server failed (status %d)", status);
}

static char err[512];
static const char get[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

static struct http_conn *new_conn(const char *host)
{
  struct http_conn *c = NULL;
  ASSERT_OK(http_conn_new(&c, host, err, sizeof err));
  return c;
}

/* One GET whose answer body goes into 'dst' as 'into'; returns the status of
 * the request or of the body. */
static int get_into(struct http_conn *c, struct buf *dst,
                    enum http_body_into into, size_t drain_max)
{
  struct http_head h;
  int rc = http_conn_request(c, "GET", get, sizeof get - 1, NULL, 0, NULL, 0,
                             &h, NULL, NULL);
  if (rc != HTTP_CONN_OK)
    return rc;
  ASSERT_EQ(h.status, 200);
  buf_reset(dst);
  return http_conn_read_body(c, "GET", &h, dst, into, drain_max);
}

#define OK_2 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static void test_idle_close_is_replaced(void)
{
  static const struct script_conn script[] = {
      {{OK_2, NULL}, 1}, /* answers, then closes while the client idles */
      {{OK_2, NULL}, 0},
  };
  char host[64];
  pid_t pid = start_server(script, 2, host, sizeof host);
  struct http_conn *c = new_conn(host);
  struct buf b;
  buf_init(&b, 100);
  ASSERT_EQ(http_conn_id(c), 0);
  ASSERT_EQ(get_into(c, &b, HTTP_INTO_ALL, 0), HTTP_CONN_OK);
  ASSERT_STR_EQ(buf_cstr(&b), "ok");
  unsigned long first = http_conn_id(c);
  ASSERT(first != 0);
  usleep(50 * 1000); /* let the server's close arrive */
  ASSERT_EQ(get_into(c, &b, HTTP_INTO_ALL, 0), HTTP_CONN_OK);
  ASSERT_STR_EQ(buf_cstr(&b), "ok");
  ASSERT(http_conn_id(c) != first);
  http_conn_destroy(c);
  wait_server(pid);
  buf_free(&b);
}

static void test_caps(void)
{
  static const struct script_conn script[] = {
      {{"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij",
        OK_2,
        "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij",
        "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n"},
       1},
      {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n",
        NULL},
       0},
  };
  char host[64];
  pid_t pid = start_server(script, 2, host, sizeof host);
  struct http_conn *c = new_conn(host);
  struct buf b;
  buf_init(&b, 10);

  /* Over the cap, within the drain limit: refused, connection kept. */
  ASSERT_EQ(get_into(c, &b, HTTP_INTO_ALL, 100), HTTP_CONN_ETOOBIG);
  ASSERT_CONTAINS(err, "over 10 bytes");
  unsigned long id = http_conn_id(c);
  ASSERT(id != 0);
  ASSERT_EQ(get_into(c, &b, HTTP_INTO_ALL, 100), HTTP_CONN_OK);
  ASSERT_STR_EQ(buf_cstr(&b), "ok");
  ASSERT_EQ(http_conn_id(c), id);
  /* The start of it, when that is what is asked for. */
  ASSERT_EQ(get_into(c, &b, HTTP_INTO_START, 0), HTTP_CONN_OK);
  ASSERT_STR_EQ(buf_cstr(&b), "0123456789");
  ASSERT_EQ(http_conn_id(c), id);
  /* Over the drain limit: refused, and the connection ends. */
  ASSERT_EQ(get_into(c, &b, HTTP_INTO_ALL, 100), HTTP_CONN_ETOOBIG);
  ASSERT_EQ(http_conn_id(c), 0);
  /* A chunked body past the cap: refused, and the connection ends. */
  ASSERT_EQ(get_into(c, &b, HTTP_INTO_ALL, 100), HTTP_CONN_ETOOBIG);
  ASSERT_EQ(http_conn_id(c), 0);
  http_conn_destroy(c);
  wait_server(pid);
  buf_free(&b);
}

static void test_pipelined_answers_in_one_write(void)
{
  static const struct script_conn script[] = {
      /* Both answers go out in the first write, after the first request:
       * the second must be found in what was already received. */
      {{"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
        "HTTP/1.1 200 OK\r\nX-Id: two\r\nContent-Length: 3\r\n\r\nabc",
        NULL},
       0},
  };
  char host[64];
  pid_t pid = start_server(script, 1, host, sizeof host);
  struct http_conn *c = new_conn(host);
  struct buf b;
  buf_init(&b, 100);
  struct http_head h;
  static const char post[] =
      "POST /r HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}";
  ASSERT_EQ(http_conn_request(c, "POST", post, sizeof post - 1, NULL, 0, get,
                              sizeof get - 1, &h, NULL, NULL),
            HTTP_CONN_OK);
  ASSERT_EQ(h.status, 202);
  ASSERT_EQ(http_conn_read_body(c, "POST", &h, &b, HTTP_INTO_START, 0),
            HTTP_CONN_OK);
  unsigned long id = http_conn_id(c);
  int answered = 0;
  ASSERT_EQ(http_conn_read_head(c, "GET", &h, NULL, NULL, &answered),
            HTTP_CONN_OK);
  ASSERT(answered);
  ASSERT_EQ(h.status, 200);
  ASSERT_EQ(http_conn_read_body(c, "GET", &h, &b, HTTP_INTO_ALL, 0),
            HTTP_CONN_OK);
  ASSERT_STR_EQ(buf_cstr(&b), "abc");
  ASSERT_EQ(http_conn_id(c), id);
  http_conn_destroy(c);
  wait_server(pid);
  buf_free(&b);
}

static void test_refused(void)
{
  /* A port nobody listens on: bind one, note it, close it. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
  socklen_t alen = sizeof a;
  ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &alen));
  char host[64];
  snprintf(host, sizeof host, "127.0.0.1:%d", ntohs(a.sin_port));
  close(fd);
  struct http_conn *c = new_conn(host);
  struct buf b;
  buf_init(&b, 100);
  ASSERT_EQ(get_into(c, &b, HTTP_INTO_ALL, 0), HTTP_CONN_ETRANSPORT);
  ASSERT_CONTAINS(err, "GET: ");
  ASSERT_CONTAINS(err, "curl 7");
  ASSERT_EQ(http_conn_id(c), 0);
  /* Nothing to read from when nothing is open. */
  int answered = 1;
  struct http_head h;
  ASSERT_EQ(http_conn_read_head(c, "GET", &h, NULL, NULL, &answered),
            HTTP_CONN_ETRANSPORT);
  ASSERT(!answered);
  http_conn_destroy(c);
  http_conn_destroy(NULL);
  buf_free(&b);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  test_idle_close_is_replaced();
  test_caps();
  test_pipelined_answers_in_one_write();
  test_refused();
  printf("test_http_conn: ok\n");
  return 0;
}
