/* http_conn: one keep-alive HTTP/1.1 client connection. See http_conn.h. */
#include "http_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* A whole answer head: status line and every field. */
#define HTTP_CONN_MAX_HEAD (256u * 1024u)
/* Receive buffer to start with: a small answer arrives in one recv. */
#define HTTP_CONN_RX_START (16u * 1024u)

struct http_conn {
  CURL *curl;         /* owns the connection; NULL while there is none */
  curl_socket_t sock; /* the connection's socket, CURL_SOCKET_BAD if none */
  unsigned long id;   /* 0 while closed */
  unsigned long opened;
  char *url; /* "http://host:port/" */
  /* Bytes received and not consumed yet: rx[rx_pos, rx_len). */
  char *rx;
  size_t rx_pos, rx_len, rx_cap;
  char *err;
  size_t err_size;
  char curl_error[CURL_ERROR_SIZE];
};

/* ==== Errors ==== */

static void set_error(struct http_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct http_conn *c, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, c->err_size, fmt, ap);
  va_end(ap);
}

/* Describe a curl failure: the generic text and curl's own detail. */
static void set_curl_error(struct http_conn *c, const char *what,
                           CURLcode result)
{
  if (c->curl_error[0] != '\0')
    set_error(c, "%s: %s (curl %d: %s)", what, c->curl_error, (int)result,
              curl_easy_strerror(result));
  else
    set_error(c, "%s: curl %d: %s", what, (int)result,
              curl_easy_strerror(result));
}

/* ==== The connection ==== */

/* What curl needs to open the connection: set on each new handle. */
static CURLcode set_connect_options(struct http_conn *c)
{
  CURL *h = c->curl;
  CURLcode r = CURLE_OK;
#define SETOPT(opt, val)                                                       \
  do {                                                                         \
    if (r == CURLE_OK)                                                         \
      r = curl_easy_setopt(h, opt, val);                                       \
  } while (0)
  SETOPT(CURLOPT_URL, c->url);
  SETOPT(CURLOPT_CONNECT_ONLY, 1L);
  SETOPT(CURLOPT_ERRORBUFFER, c->curl_error);
  SETOPT(CURLOPT_CONNECTTIMEOUT, 1L);
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_TCP_NODELAY, 1L);
  /* The peer is local: HTTP(S)_PROXY in the environment must not send the
   * connection through a proxy. */
  SETOPT(CURLOPT_PROXY, "");
  SETOPT(CURLOPT_NOPROXY, "*");
#if LIBCURL_VERSION_NUM >= 0x075500
  SETOPT(CURLOPT_PROTOCOLS_STR, "http");
#else
  SETOPT(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
#undef SETOPT
  return r;
}

void http_conn_close(struct http_conn *c)
{
  if (c->curl != NULL)
    curl_easy_cleanup(c->curl);
  c->curl = NULL;
  c->sock = CURL_SOCKET_BAD;
  c->id = 0;
  c->rx_pos = c->rx_len = 0;
}

unsigned long http_conn_id(const struct http_conn *c)
{
  return c->id;
}

/* Make sure there is a connection. Returns 0 or -1 with the error set. */
static int conn_open(struct http_conn *c, const char *what)
{
  if (c->sock != CURL_SOCKET_BAD)
    return 0;
  c->curl_error[0] = '\0';
  c->curl = curl_easy_init();
  if (c->curl == NULL) {
    set_error(c, "%s: curl_easy_init failed", what);
    return -1;
  }
  CURLcode r = set_connect_options(c);
  if (r == CURLE_OK)
    r = curl_easy_perform(c->curl);
  curl_socket_t s = CURL_SOCKET_BAD;
  if (r == CURLE_OK)
    r = curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &s);
  if (r == CURLE_OK && s == CURL_SOCKET_BAD)
    r = CURLE_COULDNT_CONNECT;
  if (r != CURLE_OK) {
    set_curl_error(c, what, r);
    http_conn_close(c);
    return -1;
  }
  /* curl leaves the socket non-blocking; blocking, a request is a send and
   * a recv with no poll between them (one system call less each way). A
   * signal still gets through: curl reports EINTR as CURLE_AGAIN, and
   * conn_recv then waits in poll. */
  int fl = fcntl(s, F_GETFL);
  if (fl != -1)
    (void)fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
  c->sock = s;
  c->id = ++c->opened;
  c->rx_pos = c->rx_len = 0;
  return 0;
}

/* Wait until the socket is ready for 'events'. No timeout: a Lambda /next
 * waits as long as the sandbox idles (and freezes). Signals (the deadline
 * timer, SIGTERM) only interrupt the wait. */
static void conn_wait(struct http_conn *c, short events)
{
  struct pollfd pfd = {.fd = c->sock, .events = events};
  while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
    ;
}

/* Send all of 'p'. Returns 0 or -1 with the error set. */
static int conn_send(struct http_conn *c, const char *what, const char *p,
                     size_t n)
{
  while (n > 0) {
    size_t sent = 0;
    CURLcode r = curl_easy_send(c->curl, p, n, &sent);
    if (r == CURLE_AGAIN) {
      conn_wait(c, POLLOUT);
      continue;
    }
    if (r != CURLE_OK) {
      set_curl_error(c, what, r);
      return -1;
    }
    p += sent;
    n -= sent;
  }
  return 0;
}

/* Receive up to 'cap' bytes into 'dst', waiting for them (the socket
 * blocks). Returns the byte count, 0 when the server closed the connection,
 * -1 on an error (with the error set). */
static long conn_recv(struct http_conn *c, const char *what, char *dst,
                      size_t cap)
{
  for (;;) {
    size_t got = 0;
    CURLcode r = curl_easy_recv(c->curl, dst, cap, &got);
    if (r == CURLE_AGAIN) {
      conn_wait(c, POLLIN); /* interrupted, or the socket is non-blocking */
      continue;
    }
    if (r != CURLE_OK) {
      set_curl_error(c, what, r);
      return -1;
    }
    return (long)got;
  }
}

/* Receive more into rx, making room first (moving the unconsumed bytes to
 * the front, then growing up to what a head may need). Returns as
 * conn_recv. */
static long rx_fill(struct http_conn *c, const char *what)
{
  if (c->rx_pos > 0) {
    memmove(c->rx, c->rx + c->rx_pos, c->rx_len - c->rx_pos);
    c->rx_len -= c->rx_pos;
    c->rx_pos = 0;
  }
  if (c->rx_len == c->rx_cap) {
    size_t cap = c->rx_cap ? c->rx_cap * 2 : HTTP_CONN_RX_START;
    char *p = cap <= 2 * HTTP_CONN_MAX_HEAD ? realloc(c->rx, cap) : NULL;
    if (p == NULL) {
      set_error(c, "%s: out of memory for the answer", what);
      return -1;
    }
    c->rx = p;
    c->rx_cap = cap;
  }
  long got = conn_recv(c, what, c->rx + c->rx_len, c->rx_cap - c->rx_len);
  if (got > 0)
    c->rx_len += (size_t)got;
  return got;
}

/* ==== Answers ==== */

int http_conn_read_head(struct http_conn *c, const char *what,
                        struct http_head *h, http_header_fn fn, void *ud,
                        int *answered)
{
  *answered = 0;
  if (c->sock == CURL_SOCKET_BAD) {
    set_error(c, "%s: no connection to read an answer from", what);
    return HTTP_CONN_ETRANSPORT;
  }
  for (;;) {
    size_t avail = c->rx_len - c->rx_pos;
    const char *p = c->rx + c->rx_pos;
    if (avail > 0)
      *answered = 1;
    size_t n = http_head_end(p, avail);
    if (n > 0) {
      /* Only the final answer's fields count: an interim one's ("100
       * Continue") are parsed but not reported. */
      int interim = n > 9 && p[9] == '1';
      if (http_parse_head(p, n, h, interim ? NULL : fn, ud) != 0) {
        set_error(c, "%s: malformed answer", what);
        goto fail;
      }
      c->rx_pos += n;
      if (h->status >= 200 || h->status == 101)
        return HTTP_CONN_OK;
      continue;
    }
    if (avail >= HTTP_CONN_MAX_HEAD) {
      set_error(c, "%s: answer head over %u bytes", what, HTTP_CONN_MAX_HEAD);
      goto fail;
    }
    long got = rx_fill(c, what);
    if (got < 0)
      goto fail;
    if (got == 0) {
      set_error(c, "%s: connection closed %s", what,
                *answered ? "in the answer head" : "before an answer");
      goto fail;
    }
  }
fail:
  http_conn_close(c);
  return HTTP_CONN_ETRANSPORT;
}

int http_conn_request(struct http_conn *c, const char *what, const char *head,
                      size_t head_len, const char *body, size_t body_len,
                      const char *tail, size_t tail_len, struct http_head *h,
                      http_header_fn fn, void *ud)
{
  for (int attempt = 0;; attempt++) {
    int reused = c->sock != CURL_SOCKET_BAD;
    int answered = 0;
    if (conn_open(c, what) != 0)
      return HTTP_CONN_ETRANSPORT;
    /* Bytes left over from an earlier answer would be taken for this
     * one's: the connection is out of step. */
    if (c->rx_pos != c->rx_len) {
      http_conn_close(c);
      continue;
    }
    c->rx_pos = c->rx_len = 0;
    if (conn_send(c, what, head, head_len) == 0 &&
        (body == NULL || conn_send(c, what, body, body_len) == 0) &&
        (tail == NULL || conn_send(c, what, tail, tail_len) == 0) &&
        http_conn_read_head(c, what, h, fn, ud, &answered) == HTTP_CONN_OK)
      return HTTP_CONN_OK;
    /* Found dead when reused, before a byte of an answer: the server never
     * took the request (it closed an idle connection). Once more. */
    http_conn_close(c);
    if (!reused || answered || attempt > 0)
      return HTTP_CONN_ETRANSPORT;
  }
}

/* Where body bytes go (http_body_into, and dropping while draining). */
struct body_sink {
  struct buf *dst;
  enum http_body_into into;
  int drop;
  int failed; /* BUF_* code of a refused append */
};

static int sink_bytes(void *ud, const char *p, size_t n)
{
  struct body_sink *s = ud;
  if (s->drop)
    return 0;
  if (s->into == HTTP_INTO_ALL) {
    int rc = buf_append(s->dst, p, n);
    if (rc != BUF_OK)
      s->failed = rc;
    return rc;
  }
  size_t room = s->dst->max - s->dst->len;
  if (room > 0 && buf_append(s->dst, p, n < room ? n : room) != BUF_OK)
    buf_reset(s->dst);
  return 0;
}

/* A Content-Length body into 'b': sized once, then received in place, with
 * no copy beyond what already sat in rx. */
static int read_length_into(struct http_conn *c, const char *what,
                            struct buf *b, size_t len)
{
  int rc = buf_reserve(b, len);
  if (rc != BUF_OK)
    return rc == BUF_ETOOBIG ? HTTP_CONN_ETOOBIG : HTTP_CONN_ENOMEM;
  size_t have = c->rx_len - c->rx_pos;
  if (have > len)
    have = len;
  memcpy(b->data + b->len, c->rx + c->rx_pos, have);
  c->rx_pos += have;
  b->len += have;
  size_t left = len - have;
  while (left > 0) {
    long got = conn_recv(c, what, b->data + b->len, left);
    if (got <= 0) {
      if (got == 0)
        set_error(c, "%s: connection closed in the body (%zu of %zu bytes)",
                  what, len - left, len);
      b->data[b->len] = '\0';
      return HTTP_CONN_ETRANSPORT;
    }
    b->len += (size_t)got;
    left -= (size_t)got;
  }
  b->data[b->len] = '\0';
  return HTTP_CONN_OK;
}

int http_conn_read_body(struct http_conn *c, const char *what,
                        const struct http_head *h, struct buf *dst,
                        enum http_body_into into, size_t drain_max)
{
  struct body_sink s = {dst, into, 0, 0};
  int rc = HTTP_CONN_OK;
  if (h->framing == HTTP_BODY_NONE)
    goto out;
  if (h->framing == HTTP_BODY_LENGTH && into == HTTP_INTO_ALL) {
    if (h->length <= dst->max - dst->len) {
      rc = read_length_into(c, what, dst, (size_t)h->length);
      goto out;
    }
    /* Over the cap: a body of sane size is read past so the connection
     * survives (and the server does not take a dropped connection for an
     * undelivered answer); a bigger one ends it. */
    if (h->length > drain_max) {
      rc = HTTP_CONN_ETOOBIG;
      goto out;
    }
    s.drop = 1;
  }
  unsigned long long left = h->length;
  struct http_chunked ch;
  http_chunked_init(&ch);
  for (;;) {
    size_t avail = c->rx_len - c->rx_pos;
    const char *p = c->rx + c->rx_pos;
    if (h->framing == HTTP_BODY_CHUNKED) {
      long used = http_chunked_feed(&ch, p, avail, sink_bytes, &s);
      if (used < 0) {
        if (s.failed == 0)
          set_error(c, "%s: malformed chunked body", what);
        rc = HTTP_CONN_ETRANSPORT;
        goto out;
      }
      c->rx_pos += (size_t)used;
      if (ch.done)
        goto out;
    } else {
      size_t take = avail;
      if (h->framing == HTTP_BODY_LENGTH && take > left)
        take = (size_t)left;
      if (sink_bytes(&s, p, take) != 0) {
        rc = HTTP_CONN_ETRANSPORT;
        goto out;
      }
      c->rx_pos += take;
      left -= take;
      if (h->framing == HTTP_BODY_LENGTH && left == 0)
        goto out;
    }
    long got = rx_fill(c, what);
    if (got < 0) {
      rc = HTTP_CONN_ETRANSPORT;
      goto out;
    }
    if (got == 0) {
      if (h->framing != HTTP_BODY_UNTIL_CLOSE) {
        set_error(c, "%s: connection closed in the body", what);
        rc = HTTP_CONN_ETRANSPORT;
      }
      goto out;
    }
  }
out:;
  int complete = rc == HTTP_CONN_OK; /* the body was read to its end */
  if (s.drop && complete)
    rc = HTTP_CONN_ETOOBIG;
  if (s.failed == BUF_ETOOBIG)
    rc = HTTP_CONN_ETOOBIG;
  else if (s.failed != 0)
    rc = HTTP_CONN_ENOMEM;
  if (rc == HTTP_CONN_ETOOBIG)
    set_error(c, "%s: body over %zu bytes", what, dst->max);
  else if (rc == HTTP_CONN_ENOMEM)
    set_error(c, "%s: out of memory for the body", what);
  if (!complete || !h->keep_alive)
    http_conn_close(c);
  return rc;
}

/* ==== Lifecycle ==== */

int http_conn_new(struct http_conn **out, const char *host, char *err,
                  size_t err_size)
{
  static int curl_ready; /* curl_global_init: once, before any handle */
  *out = NULL;
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return -1;
    curl_ready = 1;
  }
  struct http_conn *c = calloc(1, sizeof *c);
  if (c == NULL)
    return -1;
  c->sock = CURL_SOCKET_BAD;
  c->err = err;
  c->err_size = err_size;
  size_t n = sizeof "http://" + strlen(host) + 1;
  c->url = malloc(n);
  if (c->url == NULL) {
    free(c);
    return -1;
  }
  snprintf(c->url, n, "http://%s/", host);
  *out = c;
  return 0;
}

void http_conn_destroy(struct http_conn *c)
{
  if (c == NULL)
    return;
  http_conn_close(c);
  free(c->rx);
  free(c->url);
  free(c);
}
