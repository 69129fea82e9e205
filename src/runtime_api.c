/* runtime_api: the Lambda Runtime API client. See runtime_api.h.
 *
 * libcurl opens the connection (CURLOPT_CONNECT_ONLY: name resolution, the
 * connect timeout, TCP_NODELAY, no proxy) and this file speaks HTTP/1.1 over
 * it with curl_easy_send and curl_easy_recv, framing with http_wire. The
 * Runtime API is a fixed, local peer that answers three kinds of request, and
 * curl's general transfer machinery (state machine, per-transfer setup,
 * header callbacks, six polls per request) cost a third of a small
 * invocation's CPU; here a request is one send and usually one recv
 * (docs/performance.md has the profile and figures). The connection is kept
 * alive; one that the server has quietly closed is replaced and the request
 * sent again, as curl does, when not a byte of an answer came back.
 *
 * An event body with a Content-Length is received straight into the
 * invocation's buffer, sized once. This file reports what happened (a
 * transport failure, an HTTP status, an oversized body); retrying, carrying on
 * or exiting is runtime_loop's decision. Uses buf for every byte it keeps. */
#include "runtime_api.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http_wire.h"

/* Header values other than the request id (ARN, trace id, client context,
 * cognito identity). Lambda caps the client context at 3.5 KiB. */
#define RUNTIME_API_MAX_HEADER (64u * 1024u)
/* A whole answer head: status line and every field. */
#define RUNTIME_API_MAX_HEAD (256u * 1024u)
/* Receive buffer to start with: a small event arrives in one recv. */
#define RUNTIME_API_RX_START (16u * 1024u)
/* Bodies up to this size go out in the same send as the request head. */
#define RUNTIME_API_COALESCE (64u * 1024u)
/* An oversized event body up to this size is read and dropped, keeping the
 * connection; a bigger one ends it. */
#define RUNTIME_API_MAX_DRAIN (4u * RUNTIME_API_MAX_EVENT)
/* How much of a POST's answer is kept for the error text. */
#define RUNTIME_API_MAX_ANSWER 512u
#define RUNTIME_API_ERROR_SIZE 768
/* Longest Lambda-Runtime-Function-Error-Type value sent. */
#define RUNTIME_API_MAX_TYPE 1024

#define RUNTIME_API_PATH "/2018-06-01"
#define RUNTIME_API_AGENT "lua-kafka-runtime"

struct runtime_api {
  CURL *curl;          /* owns the connection; NULL while there is none */
  curl_socket_t sock;  /* the connection's socket, CURL_SOCKET_BAD if none */
  char *connect_url;   /* "http://host:port/" */
  char *host;          /* "host:port", for the Host field */
  struct buf next_req; /* the whole GET /next request, built once */
  struct buf req;      /* a POST's head, and its body when small */
  /* Bytes received and not consumed yet: rx[rx_pos, rx_len). */
  char *rx;
  size_t rx_pos, rx_len, rx_cap;
  int pipelining;     /* invocation POSTs carry the next GET /next */
  int next_in_flight; /* a GET /next went out and its answer is unread */
  /* The event whose headers are being read, NULL during a POST. */
  struct runtime_invocation *inv;
  struct buf answer; /* the start of a POST's answer body, for last_error */
  char curl_error[CURL_ERROR_SIZE];
  char last_error[RUNTIME_API_ERROR_SIZE];
};

/* ==== Invocation ==== */

void runtime_invocation_init(struct runtime_invocation *inv)
{
  buf_init(&inv->body, RUNTIME_API_MAX_EVENT);
  buf_init(&inv->function_arn, RUNTIME_API_MAX_HEADER);
  buf_init(&inv->trace_id, RUNTIME_API_MAX_HEADER);
  buf_init(&inv->client_context, RUNTIME_API_MAX_HEADER);
  buf_init(&inv->cognito_identity, RUNTIME_API_MAX_HEADER);
  inv->request_id[0] = '\0';
  inv->deadline_ms = 0;
  inv->has_trace_id = 0;
  inv->request_id_valid = 0;
}

/* Forget the headers but keep the body: used when curl reports a second
 * status line (an interim answer) within one request. */
static void invocation_reset_headers(struct runtime_invocation *inv)
{
  buf_reset(&inv->function_arn);
  buf_reset(&inv->trace_id);
  buf_reset(&inv->client_context);
  buf_reset(&inv->cognito_identity);
  inv->request_id[0] = '\0';
  inv->deadline_ms = 0;
  inv->has_trace_id = 0;
  inv->request_id_valid = 0;
}

void runtime_invocation_reset(struct runtime_invocation *inv)
{
  buf_reset(&inv->body);
  invocation_reset_headers(inv);
}

void runtime_invocation_free(struct runtime_invocation *inv)
{
  buf_free(&inv->body);
  buf_free(&inv->function_arn);
  buf_free(&inv->trace_id);
  buf_free(&inv->client_context);
  buf_free(&inv->cognito_identity);
  invocation_reset_headers(inv);
}

/* ==== Header parsing ==== */

/* The request id goes into a URL path, so only characters that need no
 * escaping there are accepted: RFC 3986 unreserved (letters, digits, - . _ ~)
 * plus ':' (a pchar). Lambda sends UUIDs and the emulators UUIDs or
 * hex strings; anything else is a broken or hostile peer. An id made only of
 * dots is refused too, since curl would fold "." and ".." out of the path and
 * post the answer somewhere else. */
static int request_id_is_safe(const char *id, size_t len)
{
  if (len == 0 || len > RUNTIME_API_MAX_ID)
    return 0;
  int only_dots = 1;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)id[i];
    if (c != '.')
      only_dots = 0;
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':')
      continue;
    return 0;
  }
  return !only_dots;
}

/* Deadline-Ms as a non-negative integer; 0 when empty, not a number, has
 * trailing bytes, overflows or is negative. */
static long long parse_deadline(const char *v, size_t len)
{
  char tmp[32];
  if (len == 0 || len >= sizeof tmp)
    return 0;
  memcpy(tmp, v, len);
  tmp[len] = '\0';
  if (!isdigit((unsigned char)tmp[0]))
    return 0;
  char *end = NULL;
  errno = 0;
  long long n = strtoll(tmp, &end, 10);
  if (errno != 0 || end == NULL || *end != '\0' || n < 0)
    return 0;
  return n;
}

/* Replace 'b' with the value; a value over the cap leaves it empty rather than
 * truncated, since a cut trace id or ARN would be wrong, not just short. */
static void set_header_buf(struct buf *b, const char *v, size_t len)
{
  buf_reset(b);
  if (buf_append(b, v, len) != BUF_OK)
    buf_reset(b);
}

/* Match 'name' (length 'nlen', as received) against the Lambda header suffix
 * after "Lambda-Runtime-", case-insensitively. */
static int header_is(const char *name, size_t nlen, const char *want)
{
  static const char prefix[] = "lambda-runtime-";
  size_t plen = sizeof prefix - 1;
  size_t wlen = strlen(want);
  return nlen == plen + wlen && strncasecmp(name, prefix, plen) == 0 &&
         strncasecmp(name + plen, want, wlen) == 0;
}

static void store_header(struct runtime_invocation *inv, const char *name,
                         size_t nlen, const char *v, size_t vlen)
{
  if (header_is(name, nlen, "aws-request-id")) {
    if (request_id_is_safe(v, vlen)) {
      memcpy(inv->request_id, v, vlen);
      inv->request_id[vlen] = '\0';
      inv->request_id_valid = 1;
    } else {
      /* An unsafe id is not kept: it could carry anything into a log line. */
      inv->request_id[0] = '\0';
      inv->request_id_valid = 0;
    }
  } else if (header_is(name, nlen, "deadline-ms")) {
    inv->deadline_ms = parse_deadline(v, vlen);
  } else if (header_is(name, nlen, "invoked-function-arn")) {
    set_header_buf(&inv->function_arn, v, vlen);
  } else if (header_is(name, nlen, "trace-id")) {
    set_header_buf(&inv->trace_id, v, vlen);
    inv->has_trace_id = inv->trace_id.len > 0;
  } else if (header_is(name, nlen, "client-context")) {
    set_header_buf(&inv->client_context, v, vlen);
  } else if (header_is(name, nlen, "cognito-identity")) {
    set_header_buf(&inv->cognito_identity, v, vlen);
  }
}

/* http_header_fn for /next answers: keep what the invocation needs. */
static void on_field(void *ud, const char *name, size_t nlen, const char *v,
                     size_t vlen)
{
  struct runtime_api *api = ud;
  if (api->inv != NULL)
    store_header(api->inv, name, nlen, v, vlen);
}

/* ==== Errors ==== */

static void set_error(struct runtime_api *api, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct runtime_api *api, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(api->last_error, sizeof api->last_error, fmt, ap);
  va_end(ap);
}

/* Describe a curl failure: the generic text and curl's own detail. */
static void set_curl_error(struct runtime_api *api, const char *what,
                           CURLcode result)
{
  if (api->curl_error[0] != '\0')
    set_error(api, "%s: %s (curl %d: %s)", what, api->curl_error, (int)result,
              curl_easy_strerror(result));
  else
    set_error(api, "%s: curl %d: %s", what, (int)result,
              curl_easy_strerror(result));
}

/* Describe an unexpected status, with the start of the API's answer made
 * printable so that it fits on one log line. */
static void set_http_error(struct runtime_api *api, const char *what,
                           long status)
{
  char answer[RUNTIME_API_MAX_ANSWER + 1];
  size_t n = api->answer.len;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)api->answer.data[i];
    answer[i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
  }
  answer[n] = '\0';
  if (n > 0)
    set_error(api, "%s: HTTP %ld: %s", what, status, answer);
  else
    set_error(api, "%s: HTTP %ld", what, status);
}

/* ==== The connection ==== */

/* What curl needs to open the connection: set on each new handle. */
static CURLcode set_connect_options(struct runtime_api *api)
{
  CURL *c = api->curl;
  CURLcode r = CURLE_OK;
#define SETOPT(opt, val)                                                       \
  do {                                                                         \
    if (r == CURLE_OK)                                                         \
      r = curl_easy_setopt(c, opt, val);                                       \
  } while (0)
  SETOPT(CURLOPT_URL, api->connect_url);
  SETOPT(CURLOPT_CONNECT_ONLY, 1L);
  SETOPT(CURLOPT_ERRORBUFFER, api->curl_error);
  SETOPT(CURLOPT_CONNECTTIMEOUT, 1L);
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_TCP_NODELAY, 1L);
  /* The API is local: HTTP(S)_PROXY in the function's environment must not
   * send the loop through a proxy. */
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

/* Drop the connection and whatever was received on it. */
static void conn_close(struct runtime_api *api)
{
  if (api->curl != NULL)
    curl_easy_cleanup(api->curl);
  api->curl = NULL;
  api->sock = CURL_SOCKET_BAD;
  api->rx_pos = api->rx_len = 0;
  api->next_in_flight = 0;
}

/* Make sure there is a connection. Returns 0 or -1 with last_error set. */
static int conn_open(struct runtime_api *api, const char *what)
{
  if (api->sock != CURL_SOCKET_BAD)
    return 0;
  api->curl_error[0] = '\0';
  api->curl = curl_easy_init();
  if (api->curl == NULL) {
    set_error(api, "%s: curl_easy_init failed", what);
    return -1;
  }
  CURLcode r = set_connect_options(api);
  if (r == CURLE_OK)
    r = curl_easy_perform(api->curl);
  curl_socket_t s = CURL_SOCKET_BAD;
  if (r == CURLE_OK)
    r = curl_easy_getinfo(api->curl, CURLINFO_ACTIVESOCKET, &s);
  if (r == CURLE_OK && s == CURL_SOCKET_BAD)
    r = CURLE_COULDNT_CONNECT;
  if (r != CURLE_OK) {
    set_curl_error(api, what, r);
    conn_close(api);
    return -1;
  }
  /* curl leaves the socket non-blocking; blocking, a request is a send and
   * a recv with no poll between them (one system call less each way). A
   * signal still gets through: curl reports EINTR as CURLE_AGAIN, and
   * conn_recv then waits in poll. */
  int fl = fcntl(s, F_GETFL);
  if (fl != -1)
    (void)fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
  api->sock = s;
  api->rx_pos = api->rx_len = 0;
  return 0;
}

/* Wait until the socket is ready for 'events'. No timeout: /next waits as
 * long as the sandbox idles (and freezes), and the Runtime API answers a POST
 * when it has taken it. Signals (the deadline timer, SIGTERM) only
 * interrupt the wait. */
static void conn_wait(struct runtime_api *api, short events)
{
  struct pollfd pfd = {.fd = api->sock, .events = events};
  while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
    ;
}

/* Send all of 'p'. Returns 0 or -1 with last_error set. */
static int conn_send(struct runtime_api *api, const char *what, const char *p,
                     size_t n)
{
  while (n > 0) {
    size_t sent = 0;
    CURLcode r = curl_easy_send(api->curl, p, n, &sent);
    if (r == CURLE_AGAIN) {
      conn_wait(api, POLLOUT);
      continue;
    }
    if (r != CURLE_OK) {
      set_curl_error(api, what, r);
      return -1;
    }
    p += sent;
    n -= sent;
  }
  return 0;
}

/* Receive up to 'cap' bytes into 'dst', waiting for them (the socket
 * blocks). Returns the byte count, 0 when the server closed the connection,
 * -1 on an error (with last_error set). */
static long conn_recv(struct runtime_api *api, const char *what, char *dst,
                      size_t cap)
{
  for (;;) {
    size_t got = 0;
    CURLcode r = curl_easy_recv(api->curl, dst, cap, &got);
    if (r == CURLE_AGAIN) {
      conn_wait(api, POLLIN); /* interrupted, or the socket is non-blocking */
      continue;
    }
    if (r != CURLE_OK) {
      set_curl_error(api, what, r);
      return -1;
    }
    return (long)got;
  }
}

/* Receive more into rx, making room first (moving the unconsumed bytes to
 * the front, then growing up to what a head may need). Returns as
 * conn_recv. */
static long rx_fill(struct runtime_api *api, const char *what)
{
  if (api->rx_pos > 0) {
    memmove(api->rx, api->rx + api->rx_pos, api->rx_len - api->rx_pos);
    api->rx_len -= api->rx_pos;
    api->rx_pos = 0;
  }
  if (api->rx_len == api->rx_cap) {
    size_t cap = api->rx_cap ? api->rx_cap * 2 : RUNTIME_API_RX_START;
    char *p = cap <= 2 * RUNTIME_API_MAX_HEAD ? realloc(api->rx, cap) : NULL;
    if (p == NULL) {
      set_error(api, "%s: out of memory for the answer", what);
      return -1;
    }
    api->rx = p;
    api->rx_cap = cap;
  }
  long got =
      conn_recv(api, what, api->rx + api->rx_len, api->rx_cap - api->rx_len);
  if (got > 0)
    api->rx_len += (size_t)got;
  return got;
}

/* ==== Answers ==== */

/* Read the head of the answer to the request just sent, skipping interim
 * (1xx) answers. '*answered' is set once any byte of an answer arrived, so
 * that a connection found dead before that can be replaced. Returns 0, or -1
 * with last_error set (the connection is then unusable). */
static int read_head(struct runtime_api *api, const char *what,
                     struct http_head *h, int *answered)
{
  for (;;) {
    size_t avail = api->rx_len - api->rx_pos;
    const char *p = api->rx + api->rx_pos;
    if (avail > 0)
      *answered = 1;
    size_t n = http_head_end(p, avail);
    if (n > 0) {
      if (api->inv != NULL)
        invocation_reset_headers(api->inv);
      if (http_parse_head(p, n, h, on_field, api) != 0) {
        set_error(api, "%s: malformed answer from the Runtime API", what);
        return -1;
      }
      api->rx_pos += n;
      if (h->status >= 200 || h->status == 101)
        return 0;
      continue; /* 100 Continue and friends: the real answer follows */
    }
    if (avail >= RUNTIME_API_MAX_HEAD) {
      set_error(api, "%s: answer head over %u bytes", what,
                RUNTIME_API_MAX_HEAD);
      return -1;
    }
    long got = rx_fill(api, what);
    if (got < 0)
      return -1;
    if (got == 0) {
      set_error(api, "%s: connection closed %s", what,
                *answered ? "in the answer head" : "before an answer");
      return -1;
    }
  }
}

/* Where body bytes go: an event body (capped; over the cap is ETOOBIG), a
 * POST's answer (the start kept, the rest dropped), or nowhere (an event
 * over the cap, read to its end so that the connection stays usable). */
struct body_sink {
  struct runtime_api *api;
  struct buf *event; /* NULL: the answer, or nothing when 'drop' */
  int drop;
  int failed; /* BUF_* code of a refused append */
};

static int sink_bytes(void *ud, const char *p, size_t n)
{
  struct body_sink *s = ud;
  if (s->drop)
    return 0;
  if (s->event != NULL) {
    int rc = buf_append(s->event, p, n);
    if (rc != BUF_OK)
      s->failed = rc;
    return rc;
  }
  struct buf *a = &s->api->answer;
  size_t room = a->max - a->len;
  if (room > 0 && buf_append(a, p, n < room ? n : room) != BUF_OK)
    buf_reset(a);
  return 0;
}

/* A Content-Length body into an event buffer: sized once, then received in
 * place, with no copy beyond what already sat in rx. */
static int read_length_into(struct runtime_api *api, const char *what,
                            struct buf *b, size_t len)
{
  int rc = buf_reserve(b, len);
  if (rc != BUF_OK)
    return rc == BUF_ETOOBIG ? RUNTIME_API_ETOOBIG : RUNTIME_API_ENOMEM;
  size_t have = api->rx_len - api->rx_pos;
  if (have > len)
    have = len;
  memcpy(b->data + b->len, api->rx + api->rx_pos, have);
  api->rx_pos += have;
  b->len += have;
  size_t left = len - have;
  while (left > 0) {
    long got = conn_recv(api, what, b->data + b->len, left);
    if (got <= 0) {
      if (got == 0)
        set_error(api, "%s: connection closed in the body (%zu of %zu bytes)",
                  what, len - left, len);
      b->data[b->len] = '\0';
      return RUNTIME_API_ETRANSPORT;
    }
    b->len += (size_t)got;
    left -= (size_t)got;
  }
  b->data[b->len] = '\0';
  return RUNTIME_API_OK;
}

/* Read the body 'h' frames into 's'. Returns RUNTIME_API_OK or a failure;
 * on any failure the connection is closed, since its framing is lost. */
static int read_body(struct runtime_api *api, const char *what,
                     const struct http_head *h, struct body_sink *s)
{
  int rc = RUNTIME_API_OK;
  if (h->framing == HTTP_BODY_NONE)
    goto out;
  if (h->framing == HTTP_BODY_LENGTH && s->event != NULL) {
    if (h->length <= s->event->max - s->event->len) {
      rc = read_length_into(api, what, s->event, (size_t)h->length);
      goto out;
    }
    /* Over the cap: the loop still needs the request id to post an error,
     * and a body of sane size is read past so the connection survives (a
     * server may also take a dropped connection for an undelivered event). */
    if (h->length > RUNTIME_API_MAX_DRAIN) {
      rc = RUNTIME_API_ETOOBIG;
      goto out;
    }
    s->drop = 1;
  }
  unsigned long long left = h->length;
  struct http_chunked ch;
  http_chunked_init(&ch);
  for (;;) {
    size_t avail = api->rx_len - api->rx_pos;
    const char *p = api->rx + api->rx_pos;
    if (h->framing == HTTP_BODY_CHUNKED) {
      long used = http_chunked_feed(&ch, p, avail, sink_bytes, s);
      if (used < 0) {
        if (s->failed == 0)
          set_error(api, "%s: malformed chunked body", what);
        rc = RUNTIME_API_ETRANSPORT;
        goto out;
      }
      api->rx_pos += (size_t)used;
      if (ch.done)
        goto out;
    } else {
      size_t take = avail;
      if (h->framing == HTTP_BODY_LENGTH && take > left)
        take = (size_t)left;
      if (sink_bytes(s, p, take) != 0) {
        rc = RUNTIME_API_ETRANSPORT;
        goto out;
      }
      api->rx_pos += take;
      left -= take;
      if (h->framing == HTTP_BODY_LENGTH && left == 0)
        goto out;
    }
    long got = rx_fill(api, what);
    if (got < 0) {
      rc = RUNTIME_API_ETRANSPORT;
      goto out;
    }
    if (got == 0) {
      if (h->framing != HTTP_BODY_UNTIL_CLOSE) {
        set_error(api, "%s: connection closed in the body", what);
        rc = RUNTIME_API_ETRANSPORT;
      }
      goto out;
    }
  }
out:;
  int complete = rc == RUNTIME_API_OK; /* the body was read to its end */
  if (s->drop && complete)
    rc = RUNTIME_API_ETOOBIG;
  if (s->failed == BUF_ETOOBIG)
    rc = RUNTIME_API_ETOOBIG;
  else if (s->failed != 0)
    rc = RUNTIME_API_ENOMEM;
  if (rc == RUNTIME_API_ETOOBIG)
    set_error(api, "%s: event body over %u bytes", what, RUNTIME_API_MAX_EVENT);
  else if (rc == RUNTIME_API_ENOMEM)
    set_error(api, "%s: out of memory for the event body", what);
  if (!complete || !h->keep_alive)
    conn_close(api);
  return rc;
}

/* Send one request (head, then body unless it is in the head already, then
 * 'tail': a pipelined request, when the body was too big to copy) and read
 * the answer's head. A connection that was already open and turns out
 * dead (the send fails, or it closes before a byte of an answer) is replaced
 * and the request sent once more: the server never took it. Returns 0, or -1
 * with last_error set and no connection. */
static int exchange(struct runtime_api *api, const char *what,
                    const struct buf *head, const char *body, size_t len,
                    const struct buf *tail, struct http_head *h)
{
  for (int attempt = 0;; attempt++) {
    int reused = api->sock != CURL_SOCKET_BAD;
    int answered = 0;
    if (conn_open(api, what) != 0)
      return -1;
    /* Bytes left over from an earlier answer would be taken for this one's;
     * and an unread pipelined answer means the connection is out of step. */
    if (api->next_in_flight) {
      conn_close(api);
      continue;
    }
    api->rx_pos = api->rx_len = 0;
    if (conn_send(api, what, head->data, head->len) == 0 &&
        conn_send(api, what, body, len) == 0 &&
        (tail == NULL || conn_send(api, what, tail->data, tail->len) == 0) &&
        read_head(api, what, h, &answered) == 0)
      return 0;
    conn_close(api);
    if (!reused || answered || attempt > 0)
      return -1;
  }
}

/* ==== Requests ==== */

int runtime_api_next(struct runtime_api *api, struct runtime_invocation *inv,
                     long *http_status)
{
  struct http_head h;
  struct body_sink sink = {api, &inv->body, 0, 0};
  int ret = RUNTIME_API_ETRANSPORT;
  int pipelined = api->next_in_flight;
  runtime_invocation_reset(inv);
  api->inv = inv;
  if (http_status != NULL)
    *http_status = 0;
  if (pipelined) {
    /* Sent with the last POST: only the answer is left to read. If the
     * connection ended before a byte of it (the server closed after the
     * POST's answer), ask again on a new one. */
    int answered = 0;
    api->next_in_flight = 0;
    if (read_head(api, "GET next", &h, &answered) == 0)
      goto got_head;
    conn_close(api);
    if (answered) {
      ret = RUNTIME_API_EPIPELINE; /* garbled: the server was confused */
      goto out;
    }
    pipelined = 0;
  }
  if (exchange(api, "GET next", &api->next_req, NULL, 0, NULL, &h) != 0)
    goto out;
got_head:
  api->inv = NULL; /* the headers are in; fields of a chunked trailer are not */
  if (http_status != NULL)
    *http_status = h.status;
  if (h.status != 200) {
    /* The body of a refusal is not an event: drop it into 'answer'. */
    sink.event = NULL;
    buf_reset(&api->answer);
    ret = read_body(api, "GET next", &h, &sink);
    if (ret == RUNTIME_API_OK) {
      set_http_error(api, "GET next", h.status);
      ret = pipelined ? RUNTIME_API_EPIPELINE : RUNTIME_API_EHTTP;
    }
    goto out;
  }
  ret = read_body(api, "GET next", &h, &sink);
out:
  api->inv = NULL;
  return ret;
}

/* Append a header value with any control character (a CR or LF would end the
 * field and start another) replaced by a space, cut at RUNTIME_API_MAX_TYPE
 * (the error body carries the type in full). */
static int append_field_value(struct buf *b, const char *v)
{
  for (const char *p = v; *p != '\0' && p - v < RUNTIME_API_MAX_TYPE; p++) {
    char c = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
    if (buf_append(b, &c, 1) != BUF_OK)
      return -1;
  }
  return 0;
}

/* POST 'body' as JSON to the invocation's /response, or with the
 * Lambda-Runtime-Function-Error-Type field to its /error, or, with no request
 * id, to /runtime/init/error. */
static int post(struct runtime_api *api, const char *what,
                const char *request_id, const char *error_type,
                const char *body, size_t len, long *http_status)
{
  struct http_head h;
  struct body_sink sink = {api, NULL, 0, 0};
  struct buf *r = &api->req;
  char length[24];
  if (http_status != NULL)
    *http_status = 0;
  if (body == NULL)
    len = 0;
  snprintf(length, sizeof length, "%zu", len);
  buf_reset(r);
  int ok = buf_puts(r, "POST " RUNTIME_API_PATH) == BUF_OK;
  if (request_id == NULL)
    ok = ok && buf_puts(r, "/runtime/init/error") == BUF_OK;
  else
    ok = ok && buf_puts(r, "/runtime/invocation/") == BUF_OK &&
         buf_puts(r, request_id) == BUF_OK &&
         buf_puts(r, error_type ? "/error" : "/response") == BUF_OK;
  ok = ok && buf_puts(r, " HTTP/1.1\r\nHost: ") == BUF_OK &&
       buf_puts(r, api->host) == BUF_OK &&
       buf_puts(r, "\r\nUser-Agent: " RUNTIME_API_AGENT
                   "\r\nContent-Type: application/json\r\n") == BUF_OK;
  if (error_type != NULL)
    ok = ok && buf_puts(r, "Lambda-Runtime-Function-Error-Type: ") == BUF_OK &&
         append_field_value(r, error_type) == 0 &&
         buf_puts(r, "\r\n") == BUF_OK;
  ok = ok && buf_puts(r, "Content-Length: ") == BUF_OK &&
       buf_puts(r, length) == BUF_OK && buf_puts(r, "\r\n\r\n") == BUF_OK;
  /* A small body rides in the same send as the head, and so does the next
   * GET /next when pipelining: one send and one wake-up instead of two. */
  int then_next = api->pipelining && request_id != NULL;
  const struct buf *tail = NULL;
  if (ok && len <= RUNTIME_API_COALESCE) {
    ok = buf_append(r, body, len) == BUF_OK &&
         (!then_next ||
          buf_append(r, api->next_req.data, api->next_req.len) == BUF_OK);
    len = 0;
  } else if (then_next) {
    tail = &api->next_req;
  }
  if (!ok) {
    set_error(api, "%s: out of memory", what);
    return RUNTIME_API_ENOMEM;
  }
  if (exchange(api, what, r, body, len, tail, &h) != 0)
    return RUNTIME_API_ETRANSPORT;
  api->next_in_flight = then_next;
  if (http_status != NULL)
    *http_status = h.status;
  buf_reset(&api->answer);
  int ret = read_body(api, what, &h, &sink);
  if (ret != RUNTIME_API_OK)
    return ret;
  if (h.status < 200 || h.status > 299) {
    set_http_error(api, what, h.status);
    return RUNTIME_API_EHTTP;
  }
  return RUNTIME_API_OK;
}

static int check_request_id(struct runtime_api *api, const char *what,
                            const char *request_id, long *http_status)
{
  if (http_status != NULL)
    *http_status = 0;
  if (request_id != NULL && request_id_is_safe(request_id, strlen(request_id)))
    return 0;
  set_error(api, "%s: unsafe request id", what);
  return -1;
}

int runtime_api_post_response(struct runtime_api *api, const char *request_id,
                              const char *body, size_t len, long *http_status)
{
  if (check_request_id(api, "POST response", request_id, http_status) != 0)
    return RUNTIME_API_EHTTP;
  return post(api, "POST response", request_id, NULL, body, len, http_status);
}

int runtime_api_post_error(struct runtime_api *api, const char *request_id,
                           const char *error_type, const char *body, size_t len,
                           long *http_status)
{
  if (check_request_id(api, "POST error", request_id, http_status) != 0)
    return RUNTIME_API_EHTTP;
  return post(api, "POST error", request_id,
              error_type ? error_type : "Runtime.Unknown", body, len,
              http_status);
}

int runtime_api_post_init_error(struct runtime_api *api, const char *error_type,
                                const char *body, size_t len, long *http_status)
{
  return post(api, "POST init error", NULL,
              error_type ? error_type : "Runtime.Unknown", body, len,
              http_status);
}

void runtime_api_set_pipelining(struct runtime_api *api, int on)
{
  api->pipelining = on != 0;
}

const char *runtime_api_last_error(const struct runtime_api *api)
{
  return api->last_error;
}

/* ==== Lifecycle ==== */

/* AWS_LAMBDA_RUNTIME_API is "host:port" (IPv6 hosts in brackets). A leading
 * "http://" and trailing slashes are tolerated; anything that could change
 * the shape of the URL (a path, user info, spaces) is refused. */
static int endpoint_is_valid(const char *ep, size_t len)
{
  if (len == 0)
    return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)ep[i];
    if (!(isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' ||
          c == ']' || c == '_'))
      return 0;
  }
  return 1;
}

int runtime_api_new(struct runtime_api **out, const char *endpoint)
{
  static int curl_ready;
  struct runtime_api *api = NULL;
  *out = NULL;
  if (endpoint == NULL)
    return -1;
  if (strncasecmp(endpoint, "http://", 7) == 0)
    endpoint += 7;
  size_t len = strlen(endpoint);
  while (len > 0 && endpoint[len - 1] == '/')
    len--;
  if (!endpoint_is_valid(endpoint, len))
    return -1;
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return -1;
    curl_ready = 1;
  }
  api = calloc(1, sizeof *api);
  if (api == NULL)
    goto fail;
  api->sock = CURL_SOCKET_BAD;
  buf_init(&api->answer, RUNTIME_API_MAX_ANSWER);
  buf_init(&api->next_req, 4096);
  buf_init(&api->req, RUNTIME_API_COALESCE + 16384);
  api->host = strndup(endpoint, len);
  size_t n = sizeof "http://" + len + 1;
  api->connect_url = malloc(n);
  if (api->host == NULL || api->connect_url == NULL)
    goto fail;
  snprintf(api->connect_url, n, "http://%s/", api->host);
  if (buf_puts(&api->next_req,
               "GET " RUNTIME_API_PATH "/runtime/invocation/next HTTP/1.1\r\n"
               "Host: ") != BUF_OK ||
      buf_puts(&api->next_req, api->host) != BUF_OK ||
      buf_puts(&api->next_req,
               "\r\nUser-Agent: " RUNTIME_API_AGENT "\r\n\r\n") != BUF_OK)
    goto fail;
  *out = api;
  return 0;
fail:
  runtime_api_destroy(api);
  return -1;
}

void runtime_api_destroy(struct runtime_api *api)
{
  if (api == NULL)
    return;
  conn_close(api);
  buf_free(&api->answer);
  buf_free(&api->next_req);
  buf_free(&api->req);
  free(api->rx);
  free(api->connect_url);
  free(api->host);
  free(api);
}
