/* load_server: the bench's Runtime API load server, in C.
 *
 * The same job as load_server.py (whose docstring describes it) at a few
 * microseconds per request instead of ~60: the Python server's own time is a
 * third of a small-event invocation cycle, which would cap the invocations/s
 * and inflate the latencies measured for a fast runtime. One event served N
 * times on 127.0.0.1, single-threaded (poll), HTTP/1.1 keep-alive with
 * Content-Length or chunked bodies and Expect: 100-continue.
 *
 * Driven by bench/bench.py over stdin/stdout, one line per message:
 *   out: port P | first_next T | gate K T CPU | init_error LEN + bytes
 *        after "stats": stats RESPONSES GOOD BAD CPU, lat K NS..., body LEN +
 *        bytes (the first response), bad K KIND LEN + bytes (first three), end
 *   in:  release K | stats | quit (or EOF)
 * Times T are CLOCK_MONOTONIC ns (Python's time.monotonic_ns), CPU is this
 * process's user+system ns. A /next for a gate invocation K is held until
 * "release K"; /next past the last invocation is held for good, as Lambda
 * freezes an idle sandbox. Responses are checked against the expected JSON
 * value (cJSON_Compare: member order does not matter).
 *
 * Not the suites' mock Runtime API (tests/integration/mock_runtime_api.py),
 * which records every request and plays faults at Python's speed: this one
 * only serves and times, so it stays out of the figures (docs/performance.md).
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bench_file.h"

#define LS_MAX_CONNS 16
#define LS_MAX_GATES 8
#define LS_MAX_BAD 3
#define LS_KEEP_BODY 65536

struct ls_conn {
  int fd;
  char *in;
  size_t len, cap;
  int parked;    /* a /next held at a gate or past the end */
  int continued; /* 100 Continue sent for the request in 'in' */
};

struct ls_bad {
  long k;
  char kind[32];
  char *body;
  size_t len;
};

struct ls_server {
  char *event;
  size_t event_len;
  cJSON *expected;
  long count;
  long gates[LS_MAX_GATES];
  int ngates;
  int released[LS_MAX_GATES];
  long dispatched;
  long long *t_sent; /* per invocation, 0 until sent */
  long long *lat;    /* per invocation, -1 until answered */
  long responses, good;
  char *good_body;
  size_t good_len;
  char *first_body;
  size_t first_len;
  int have_first;
  struct ls_bad bad[LS_MAX_BAD];
  long nbad;
  int first_next_seen;
  struct ls_conn conns[LS_MAX_CONNS];
};

static long long ls_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long ls_cpu(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
         ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static void *ls_xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "load_server: out of memory\n");
    exit(1);
  }
  return p;
}

static int ls_read_file(const char *path, char **data, size_t *len)
{
  *data = bench_read_file(path, len);
  return *data != NULL ? 0 : -1;
}

static int ls_send_all(int fd, const struct iovec *iov_in, int n)
{
  struct iovec iov[4];
  int i = 0;

  memcpy(iov, iov_in, sizeof(struct iovec) * (size_t)n);
  while (i < n) {
    ssize_t w = writev(fd, iov + i, n - i);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    size_t left = (size_t)w;
    while (i < n && left >= iov[i].iov_len) {
      left -= iov[i].iov_len;
      i++;
    }
    if (i < n) {
      iov[i].iov_base = (char *)iov[i].iov_base + left;
      iov[i].iov_len -= left;
    }
  }
  return 0;
}

static int ls_send_str(int fd, const char *s)
{
  struct iovec iov = {(void *)(size_t)s, strlen(s)};
  return ls_send_all(fd, &iov, 1);
}

static void ls_emit_bytes(const char *tag, const char *data, size_t len)
{
  printf("%s %zu\n", tag, len);
  fwrite(data, 1, len, stdout);
  printf("\n");
}

static int ls_gate_index(const struct ls_server *s, long k)
{
  for (int i = 0; i < s->ngates; i++)
    if (s->gates[i] == k)
      return i;
  return -1;
}

/* ==== Requests ==== */

static void ls_check_response(struct ls_server *s, long k, const char *kind,
                              const char *body, size_t len)
{
  int ok = 0;

  if (!s->have_first) {
    s->first_len = len < LS_KEEP_BODY ? len : LS_KEEP_BODY;
    s->first_body = ls_xmalloc(s->first_len);
    memcpy(s->first_body, body, s->first_len);
    s->have_first = 1;
  }
  if (strcmp(kind, "response") == 0) {
    if (s->good_body != NULL && len == s->good_len &&
        memcmp(body, s->good_body, len) == 0) {
      ok = 1;
    } else {
      cJSON *got = cJSON_ParseWithLength(body, len);
      ok = got != NULL && cJSON_Compare(s->expected, got, 1);
      cJSON_Delete(got);
      if (ok && s->good_body == NULL) {
        s->good_body = ls_xmalloc(len);
        memcpy(s->good_body, body, len);
        s->good_len = len;
      }
    }
  }
  if (ok) {
    s->good++;
  } else if (s->nbad++ < LS_MAX_BAD) {
    struct ls_bad *b = &s->bad[s->nbad - 1];
    b->k = k;
    snprintf(b->kind, sizeof b->kind, "%s",
             strcmp(kind, "response") == 0 ? "wrong_response" : kind);
    b->len = len < 2000 ? len : 2000;
    b->body = ls_xmalloc(b->len);
    memcpy(b->body, body, b->len);
  }
}

static int ls_dispatch(struct ls_server *s, struct ls_conn *c)
{
  char head[512];
  long k = s->dispatched++;
  long long deadline = (long long)time(NULL) * 1000LL + 900000LL;
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   "Lambda-Runtime-Aws-Request-Id: "
                   "bench-%08ld-0000-4000-8000-000000000000\r\n"
                   "Lambda-Runtime-Deadline-Ms: %lld\r\n"
                   "Lambda-Runtime-Invoked-Function-Arn: "
                   "arn:aws:lambda:eu-west-1:123456789012:function:bench\r\n"
                   "Lambda-Runtime-Trace-Id: Root=1-5e1b4151-%024lx;"
                   "Sampled=0\r\nContent-Length: %zu\r\n\r\n",
                   k, deadline, k, s->event_len);
  struct iovec iov[2] = {{head, (size_t)n}, {s->event, s->event_len}};
  c->parked = 0;
  s->t_sent[k] = ls_now();
  return ls_send_all(c->fd, iov, 2);
}

static int ls_next(struct ls_server *s, struct ls_conn *c, long long t_recv)
{
  long k = s->dispatched;
  int g = ls_gate_index(s, k);

  if (!s->first_next_seen) {
    s->first_next_seen = 1;
    printf("first_next %lld\n", t_recv);
  }
  if (g >= 0 && !s->released[g]) {
    c->parked = 1;
    printf("gate %ld %lld %lld\n", k, t_recv, ls_cpu());
    fflush(stdout);
    return 0;
  }
  if (k >= s->count) {
    c->parked = 1;
    fflush(stdout);
    return 0;
  }
  return ls_dispatch(s, c);
}

static int ls_post(struct ls_server *s, struct ls_conn *c, const char *target,
                   const char *body, size_t len, long long t_recv)
{
  static const char accepted[] =
      "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
      "Content-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";
  static const char prefix[] = "/2018-06-01/runtime/invocation/bench-";
  long k;
  char kind[32];

  if (strcmp(target, "/2018-06-01/runtime/init/error") == 0) {
    ls_emit_bytes("init_error", body, len);
    fflush(stdout);
    return ls_send_str(c->fd, accepted);
  }
  if (strncmp(target, prefix, sizeof prefix - 1) != 0 ||
      sscanf(target + sizeof prefix - 1,
             "%8ld-0000-4000-8000-000000000000/%31s", &k, kind) != 2 ||
      k < 0 || k >= s->count || s->t_sent[k] == 0 || s->lat[k] >= 0)
    return ls_send_str(c->fd, "HTTP/1.1 400 Bad Request\r\n"
                              "Content-Length: 0\r\n\r\n");
  s->lat[k] = t_recv - s->t_sent[k];
  s->responses++;
  ls_check_response(s, k, kind, body, len);
  return ls_send_str(c->fd, accepted);
}

/* A chunked body at 'p': when complete, decode it in place, set *consumed to
 * the bytes it took and return its length; -1 (nothing changed) while
 * incomplete. */
static long ls_dechunk(char *p, size_t avail, size_t *consumed)
{
  for (int decode = 0; decode < 2; decode++) {
    size_t r = 0, w = 0;
    for (;;) {
      char *eol = memmem(p + r, avail - r, "\r\n", 2);
      if (eol == NULL)
        return -1;
      size_t size = strtoul(p + r, NULL, 16);
      r = (size_t)(eol - p) + 2;
      if (size == 0) {
        char *end = memmem(p + r, avail - r, "\r\n", 2);
        if (end == NULL)
          return -1;
        if (decode) {
          *consumed = (size_t)(end - p) + 2;
          return (long)w;
        }
        break;
      }
      if (avail - r < size + 2)
        return -1;
      if (decode)
        memmove(p + w, p + r, size);
      w += size;
      r += size + 2;
    }
  }
  return -1;
}

/* Handle every complete request buffered on 'c'. Returns -1 to close it. */
static int ls_process(struct ls_server *s, struct ls_conn *c)
{
  while (c->len > 0 && !c->parked) {
    char *end = memmem(c->in, c->len, "\r\n\r\n", 4);
    char method[8], target[256];
    size_t hlen, blen = 0, total;
    long chunked_len = -1;
    int chunked = 0, expect = 0;

    if (end == NULL)
      return c->len > 65536 ? -1 : 0;
    hlen = (size_t)(end - c->in) + 4;
    *end = '\0';
    if (sscanf(c->in, "%7s %255s", method, target) != 2)
      return -1;
    for (char *h = strstr(c->in, "\r\n"); h != NULL;
         h = strstr(h + 2, "\r\n")) {
      if (strncasecmp(h + 2, "content-length:", 15) == 0)
        blen = strtoul(h + 17, NULL, 10);
      else if (strncasecmp(h + 2, "transfer-encoding:", 18) == 0 &&
               strstr(h + 20, "chunked") != NULL)
        chunked = 1;
      else if (strncasecmp(h + 2, "expect:", 7) == 0 &&
               strncasecmp(h + 9 + strspn(h + 9, " "), "100-continue", 12) == 0)
        expect = 1;
    }
    if (chunked) {
      size_t consumed = 0;
      chunked_len = ls_dechunk(c->in + hlen, c->len - hlen, &consumed);
      total = hlen + consumed;
      if (chunked_len >= 0)
        blen = (size_t)chunked_len;
    } else {
      total = hlen + blen;
    }
    if ((chunked && chunked_len < 0) || (!chunked && c->len < total)) {
      *end = '\r'; /* keep the buffer intact for the next try */
      if (expect && !c->continued) {
        c->continued = 1;
        if (ls_send_str(c->fd, "HTTP/1.1 100 Continue\r\n\r\n") != 0)
          return -1;
      }
      return 0;
    }
    long long t_recv = ls_now();
    int rc;
    if (strcmp(method, "GET") == 0 &&
        strcmp(target, "/2018-06-01/runtime/invocation/next") == 0)
      rc = ls_next(s, c, t_recv);
    else if (strcmp(method, "POST") == 0)
      rc = ls_post(s, c, target, c->in + hlen, blen, t_recv);
    else
      rc = ls_send_str(c->fd, "HTTP/1.1 404 Not Found\r\n"
                              "Content-Length: 0\r\n\r\n");
    if (rc != 0)
      return -1;
    memmove(c->in, c->in + total, c->len - total);
    c->len -= total;
    c->continued = 0;
  }
  return 0;
}

static void ls_close(struct ls_conn *c)
{
  close(c->fd);
  free(c->in);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

static int ls_read(struct ls_server *s, struct ls_conn *c)
{
  if (c->cap - c->len < 65536) {
    c->cap = c->cap ? c->cap * 2 : 131072;
    char *p = realloc(c->in, c->cap);
    if (p == NULL)
      return -1;
    c->in = p;
  }
  ssize_t r = recv(c->fd, c->in + c->len, c->cap - c->len - 1, 0);
  if (r <= 0)
    return -1;
  c->len += (size_t)r;
  return ls_process(s, c);
}

/* ==== Control ==== */

static void ls_stats(const struct ls_server *s)
{
  printf("stats %ld %ld %ld %lld\n", s->responses, s->good, s->nbad, ls_cpu());
  for (long k = 0; k < s->count; k++)
    if (s->lat[k] >= 0)
      printf("lat %ld %lld\n", k, s->lat[k]);
  if (s->have_first)
    ls_emit_bytes("body", s->first_body, s->first_len);
  for (long i = 0; i < s->nbad && i < LS_MAX_BAD; i++) {
    char tag[64];
    snprintf(tag, sizeof tag, "bad %ld %s", s->bad[i].k, s->bad[i].kind);
    ls_emit_bytes(tag, s->bad[i].body, s->bad[i].len);
  }
  printf("end\n");
  fflush(stdout);
}

/* Returns 1 to quit. */
static int ls_command(struct ls_server *s, const char *line)
{
  long k;
  if (sscanf(line, "release %ld", &k) == 1) {
    int g = ls_gate_index(s, k);
    if (g < 0)
      return 0;
    s->released[g] = 1;
    for (int i = 0; i < LS_MAX_CONNS; i++) {
      struct ls_conn *c = &s->conns[i];
      if (c->fd >= 0 && c->parked && s->dispatched == k && k < s->count) {
        if (ls_dispatch(s, c) != 0 || ls_process(s, c) != 0)
          ls_close(c);
        break;
      }
    }
    return 0;
  }
  if (strncmp(line, "stats", 5) == 0) {
    ls_stats(s);
    return 0;
  }
  return strncmp(line, "quit", 4) == 0;
}

static int ls_usage(void)
{
  fprintf(stderr, "usage: load_server --event FILE --expect FILE --count N "
                  "[--gate K]...\n");
  return 2;
}

int main(int argc, char **argv)
{
  struct ls_server s;
  const char *event_path = NULL, *expect_path = NULL;
  char *expect_text = NULL, ctl[256];
  size_t expect_len = 0, ctl_len = 0;
  struct sockaddr_in addr;
  socklen_t alen = sizeof addr;
  int lfd, one = 1;

  memset(&s, 0, sizeof s);
  for (int i = 0; i < LS_MAX_CONNS; i++)
    s.conns[i].fd = -1;
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc)
      return ls_usage();
    if (strcmp(argv[i], "--event") == 0)
      event_path = argv[++i];
    else if (strcmp(argv[i], "--expect") == 0)
      expect_path = argv[++i];
    else if (strcmp(argv[i], "--count") == 0)
      s.count = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--gate") == 0 && s.ngates < LS_MAX_GATES)
      s.gates[s.ngates++] = strtol(argv[++i], NULL, 10);
    else
      return ls_usage();
  }
  if (event_path == NULL || expect_path == NULL || s.count <= 0)
    return ls_usage();
  if (ls_read_file(event_path, &s.event, &s.event_len) != 0 ||
      ls_read_file(expect_path, &expect_text, &expect_len) != 0) {
    fprintf(stderr, "load_server: cannot read the event or expect file\n");
    return 2;
  }
  s.expected = cJSON_ParseWithLength(expect_text, expect_len);
  if (s.expected == NULL) {
    fprintf(stderr, "load_server: %s is not JSON\n", expect_path);
    return 2;
  }
  s.t_sent = calloc((size_t)s.count, sizeof *s.t_sent);
  s.lat = ls_xmalloc((size_t)s.count * sizeof *s.lat);
  for (long k = 0; k < s.count; k++)
    s.lat[k] = -1;

  lfd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(lfd, 16) != 0 ||
      getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0) {
    perror("load_server: listen");
    return 1;
  }
  printf("port %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  for (;;) {
    struct pollfd pfd[LS_MAX_CONNS + 2];
    int map[LS_MAX_CONNS + 2];
    nfds_t n = 0;
    pfd[n].fd = 0;
    pfd[n++].events = POLLIN;
    pfd[n].fd = lfd;
    pfd[n++].events = POLLIN;
    for (int i = 0; i < LS_MAX_CONNS; i++) {
      if (s.conns[i].fd >= 0) {
        map[n] = i;
        pfd[n].fd = s.conns[i].fd;
        pfd[n++].events = POLLIN;
      }
    }
    if (poll(pfd, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      perror("load_server: poll");
      return 1;
    }
    for (nfds_t i = 2; i < n; i++) {
      if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        struct ls_conn *c = &s.conns[map[i]];
        if (ls_read(&s, c) != 0)
          ls_close(c);
      }
    }
    if (pfd[1].revents & POLLIN) {
      int fd = accept(lfd, NULL, NULL);
      int slot = -1;
      for (int i = 0; i < LS_MAX_CONNS && fd >= 0; i++)
        if (s.conns[i].fd < 0) {
          slot = i;
          break;
        }
      if (slot >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        s.conns[slot].fd = fd;
      } else if (fd >= 0) {
        close(fd);
      }
    }
    if (pfd[0].revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(0, ctl + ctl_len, sizeof ctl - 1 - ctl_len);
      if (r <= 0)
        break;
      ctl_len += (size_t)r;
      ctl[ctl_len] = '\0';
      char *nl;
      int quit = 0;
      while (!quit && (nl = strchr(ctl, '\n')) != NULL) {
        *nl = '\0';
        quit = ls_command(&s, ctl);
        ctl_len -= (size_t)(nl + 1 - ctl);
        memmove(ctl, nl + 1, ctl_len + 1);
      }
      if (quit)
        break;
      if (ctl_len >= sizeof ctl - 1)
        ctl_len = 0;
    }
    fflush(stdout);
  }
  return 0;
}
