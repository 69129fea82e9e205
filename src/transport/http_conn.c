/* http_conn: the process's one libcurl easy handle. See http_conn.h. */
#include "http_conn.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"

/* Longest URL: "http://" + host + path; the caller's paths are short. */
#define HTTP_CONN_MAX_URL 4096u
/* curl's receive buffer: a 6 MB event arrives in this many bytes per recv
 * (and per write callback), each copied on into the body buffer while still
 * in the CPU's cache. Measured on the 6 MB batch (docs/performance.md,
 * "Issue 12"): 64 KiB costs least; curl's default 16 KiB makes four times the
 * recv and poll rounds, and from 128 KiB up the copy's source has left the
 * cache (10 MiB, curl's maximum, costs the most). */
#define HTTP_CONN_RECV_BUFFER (64L * 1024L)
/* The kernel's receive buffer asked for the connection (Linux doubles it
 * for its bookkeeping): room for most of a 6 MB event, so the server queues
 * it in its own time. With the buffer autotuning reaches on loopback
 * (~1.3 MiB), each recv() that reopens the window also pushes the server's
 * waiting data through loopback, on this process's CPU. */
#define HTTP_CONN_SOCKET_RCVBUF (2 * 1024 * 1024)
/* File descriptors tracked by the first request's sweep (fds_sweep). */
#define HTTP_CONN_SWEEP_FDS 1024
/* How an HTTP status line starts. */
static const char HTTP_PREFIX[] = "HTTP/";

struct http_conn {
  CURL *curl;
  struct buf url;  /* "http://host:port" then the request's path */
  size_t base_len; /* the "http://host:port" part of url */
  struct curl_slist *json_fields; /* Content-Type and an empty Expect */
  /* The request in flight. */
  struct http_answer *ans;
  struct buf *sink; /* where the final answer's body goes (NULL: dropped) */
  int keep_all;     /* sink is ans->body: all of it or ETOOBIG */
  int interim;      /* the answer being read is a 1xx one */
  int head_done;    /* the final answer's head has ended */
  int too_big;      /* the body is over the sink's cap */
  int drop;         /* drop the body (too big, read past) */
  size_t dropped;   /* bytes dropped so far */
  int failed;       /* BUF_ENOMEM when the body could not be stored */
  /* The body of the POST in flight, handed to curl by on_read. */
  const char *up;
  size_t up_len, up_pos;
  int resend_refused; /* on_seek refused to send the body again */
  int swept;          /* fds_sweep has run */
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

/* ==== Callbacks ==== */

/* CURLOPT_OPENSOCKETFUNCTION: the connection's socket, close-on-exec, so a
 * handler's io.popen child cannot inherit it and write into the protocol. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose,
                                 struct curl_sockaddr *a)
{
  (void)ud;
  if (purpose != CURLSOCKTYPE_IPCXN)
    return CURL_SOCKET_BAD;
  return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Whether the kernel grants a receive buffer of at least
 * HTTP_CONN_SOCKET_RCVBUF bytes (it reports double what it was asked, capped
 * by net.core.rmem_max, 208 KiB by default), asked of a socket opened for
 * the question: a capped buffer is smaller than what autotuning reaches, and
 * setting one turns autotuning off for good (measured: slower than not
 * asking), so the connection's own socket only asks when it will get it. */
static int rcvbuf_is_granted(void)
{
  int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0)
    return 0;
  int want = HTTP_CONN_SOCKET_RCVBUF, got = 0;
  socklen_t len = sizeof got;
  int ok = setsockopt(probe, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) == 0 &&
           getsockopt(probe, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 &&
           got >= want;
  close(probe);
  return ok;
}

/* CURLOPT_SOCKOPTFUNCTION: called before the connect, when the receive
 * buffer still decides the window the connection starts with. A failure
 * leaves the kernel's default, which works, only slower. */
static int on_socket_options(void *ud, curl_socket_t fd, curlsocktype purpose)
{
  (void)ud;
  int want = HTTP_CONN_SOCKET_RCVBUF;
  if (purpose == CURLSOCKTYPE_IPCXN && rcvbuf_is_granted())
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  return CURL_SOCKOPT_OK;
}

static int is_blank(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The final answer's head has ended: choose where its body goes and, for a
 * body with a known length, size the buffer once or decide it is too big.
 * Returns 0, or -1 to end the transfer. */
static int start_body(struct http_conn *c)
{
  struct http_answer *a = c->ans;
  long status = 0;
  (void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
  c->keep_all = status >= 200 && status <= 299;
  c->sink = c->keep_all ? a->body : a->refusal;
  if (!c->keep_all || c->sink == NULL)
    return 0;
  curl_off_t length = -1;
  (void)curl_easy_getinfo(c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (length < 0)
    return 0; /* chunked or until close: on_body enforces the cap */
  struct buf *b = c->sink;
  if ((unsigned long long)length > b->max - b->len) {
    /* Over the cap: a body of sane size is read past so the connection
     * survives (and the server does not take a dropped connection for an
     * undelivered answer); a bigger one ends it. */
    c->too_big = 1;
    c->drop = 1;
    return (unsigned long long)length > a->drain_max ? -1 : 0;
  }
  if (buf_reserve(b, (size_t)length) != BUF_OK) {
    c->failed = BUF_ENOMEM;
    return -1;
  }
  return 0;
}

/* CURLOPT_HEADERFUNCTION: one whole header line per call (status lines of
 * interim answers and trailer lines included), CRLF included. */
static size_t on_header(char *data, size_t size, size_t nitems, void *ud)
{
  struct http_conn *c = ud;
  size_t n = size * nitems;
  if (n >= sizeof HTTP_PREFIX - 1 &&
      memcmp(data, HTTP_PREFIX, sizeof HTTP_PREFIX - 1) == 0) {
    const char *sp = memchr(data, ' ', n);
    c->interim = sp != NULL && sp + 1 < data + n && sp[1] == '1';
    c->head_done = 0;
    return n;
  }
  if (c->interim || c->head_done)
    return n;
  const char *end = data + n;
  while (end > data && is_blank(end[-1]))
    end--;
  if (end == data) {
    c->head_done = 1;
    return start_body(c) == 0 ? n : 0;
  }
  const char *colon = memchr(data, ':', (size_t)(end - data));
  if (colon == NULL || c->ans->on_field == NULL)
    return n;
  const char *v = colon + 1;
  while (v < end && is_blank(*v))
    v++;
  c->ans->on_field(c->ans->ud, data, (size_t)(colon - data), v,
                   (size_t)(end - v));
  return n;
}

/* CURLOPT_WRITEFUNCTION: body bytes into the sink chosen by start_body.
 * Returning less than 'n' makes curl end the transfer (CURLE_WRITE_ERROR). */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
  struct http_conn *c = ud;
  size_t n = size * nmemb;
  struct buf *b = c->sink;
  if (c->drop) {
    c->dropped += n;
    return c->dropped > c->ans->drain_max ? 0 : n;
  }
  if (b == NULL)
    return n;
  if (!c->keep_all) {
    size_t room = b->max - b->len;
    if (room > 0 && buf_append(b, data, n < room ? n : room) != BUF_OK)
      buf_reset(b);
    return n;
  }
  int rc = buf_append(b, data, n);
  if (rc == BUF_OK)
    return n;
  if (rc == BUF_ETOOBIG) {
    /* No length was announced (chunked, or until close): drop as above. */
    c->too_big = 1;
    c->drop = 1;
    c->dropped = b->len + n;
    buf_reset(b);
    return c->dropped > c->ans->drain_max ? 0 : n;
  }
  c->failed = rc;
  return 0;
}

/* CURLOPT_READFUNCTION: the POST body, from the caller's memory. */
static size_t on_read(char *dst, size_t size, size_t nitems, void *ud)
{
  struct http_conn *c = ud;
  size_t room = size * nitems;
  size_t take = c->up_len - c->up_pos;
  if (take > room)
    take = room;
  memcpy(dst, c->up + c->up_pos, take);
  c->up_pos += take;
  return take;
}

/* CURLOPT_SEEKFUNCTION: curl rewinds the body to send the request again on
 * a fresh connection when the reused one died before any answer (its
 * documented "reused too late" case). Once curl has read the whole body,
 * the server may have received the request and acted on it (posted an
 * invocation's answer): it is not sent twice, and the request fails. */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
  struct http_conn *c = ud;
  if (origin != SEEK_SET || offset != 0 || c->up_pos >= c->up_len) {
    c->resend_refused = 1;
    return CURL_SEEKFUNC_CANTSEEK;
  }
  c->up_pos = 0;
  return CURL_SEEKFUNC_OK;
}

/* ==== Close-on-exec ==== */

/* Without /proc (a bare chroot), the descriptors below this are probed. */
#define HTTP_CONN_PROBE_FDS 64

/* Note descriptor 'fd' as open in 'open', or, with 'set', make it
 * close-on-exec when it was not open before. */
static void fd_sweep_one(unsigned char *open, int set, int fd)
{
  unsigned char bit = (unsigned char)(1u << (fd % 8));
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0)
    return;
  if (!set)
    open[fd / 8] |= bit;
  else if (!(open[fd / 8] & bit) && !(flags & FD_CLOEXEC))
    (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Mark the open descriptors in 'open' (one bit each, the first
 * HTTP_CONN_SWEEP_FDS numbers), or, with 'set', make those open now but not
 * in 'open' close-on-exec. */
static void fds_sweep(unsigned char *open, int set)
{
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) {
    for (int fd = 0; fd < HTTP_CONN_PROBE_FDS; fd++)
      fd_sweep_one(open, set, fd);
    return;
  }
  int self = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    int fd = atoi(e->d_name);
    if (fd != self && fd >= 0 && fd < HTTP_CONN_SWEEP_FDS)
      fd_sweep_one(open, set, fd);
  }
  closedir(d);
}

/* ==== Requests ==== */

/* Bytes waiting on the idle connection were never asked for (a confused or
 * hostile server): curl would take them for the next answer. Make the next
 * request open a new connection instead; with one connection allowed in
 * curl's cache, the old one is closed once the new one is kept. A closed
 * connection (EOF) is curl's own case: it replaces that one itself. Returns
 * whether a fresh connection was asked for. */
static int drop_if_unasked(struct http_conn *c, const char *what)
{
  curl_socket_t s = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK ||
      s == CURL_SOCKET_BAD)
    return 0;
  struct pollfd pfd = {.fd = s, .events = POLLIN};
  if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
    return 0;
  char byte;
  if (recv(s, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
    return 0;
  log_write(LOG_WARN,
            "%s: the Runtime API sent bytes nobody asked for on the idle "
            "connection; dropping it and reconnecting",
            what);
  return curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 1L) == CURLE_OK;
}

/* Run the request set up on the handle. */
static int perform(struct http_conn *c, const char *what, struct http_answer *a)
{
  a->status = 0;
  c->ans = a;
  c->sink = NULL;
  c->keep_all = c->interim = c->head_done = 0;
  c->too_big = c->drop = c->failed = c->resend_refused = 0;
  c->dropped = 0;
  c->curl_error[0] = '\0';
  if (a->refusal != NULL)
    buf_reset(a->refusal);
  int fresh = drop_if_unasked(c, what);
  /* The first perform makes the handle's own multi handle, whose wake-up
   * socket pair curl 7.88 opens without SOCK_CLOEXEC and keeps for the life
   * of the handle: what that perform opened is made close-on-exec too. */
  unsigned char before[HTTP_CONN_SWEEP_FDS / 8];
  if (!c->swept) {
    memset(before, 0, sizeof before);
    fds_sweep(before, 0);
  }
  CURLcode r = curl_easy_setopt(c->curl, CURLOPT_URL, c->url.data);
  if (r == CURLE_OK)
    r = curl_easy_perform(c->curl);
  if (!c->swept) {
    fds_sweep(before, 1);
    c->swept = 1;
  }
  if (fresh)
    (void)curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 0L);
  (void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &a->status);
  c->ans = NULL;
  c->sink = NULL;
  c->up = NULL;
  c->up_len = c->up_pos = 0;
  if (c->failed != 0) {
    set_error(c, "%s: out of memory for the body", what);
    return HTTP_CONN_ENOMEM;
  }
  if (c->too_big) {
    set_error(c, "%s: body over %zu bytes", what,
              a->body != NULL ? a->body->max : (size_t)0);
    return HTTP_CONN_ETOOBIG;
  }
  if (c->resend_refused) {
    set_error(c,
              "%s: the connection closed after the request was sent and "
              "before an answer; not sent again, as the server may have "
              "acted on it",
              what);
    return HTTP_CONN_ETRANSPORT;
  }
  if (r != CURLE_OK) {
    set_curl_error(c, what, r);
    return HTTP_CONN_ETRANSPORT;
  }
  return HTTP_CONN_OK;
}

/* Put 'path' after the base URL. Returns 0 or -1 with the error set. */
static int set_path(struct http_conn *c, const char *what, const char *path)
{
  c->url.len = c->base_len;
  if (buf_puts(&c->url, path) != BUF_OK) {
    set_error(c, "%s: path too long", what);
    return -1;
  }
  return 0;
}

int http_conn_get(struct http_conn *c, const char *what, const char *path,
                  struct http_answer *a)
{
  a->status = 0;
  if (set_path(c, what, path) != 0)
    return HTTP_CONN_ETRANSPORT;
  CURLcode r = curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
  if (r == CURLE_OK)
    r = curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
  if (r != CURLE_OK) {
    set_curl_error(c, what, r);
    return HTTP_CONN_ETRANSPORT;
  }
  return perform(c, what, a);
}

int http_conn_post_json(struct http_conn *c, const char *what, const char *path,
                        const char *field, const char *body, size_t len,
                        struct http_answer *a)
{
  struct curl_slist *extra = NULL; /* the fields plus 'field', when given */
  int rc = HTTP_CONN_ETRANSPORT;
  a->status = 0;
  if (set_path(c, what, path) != 0)
    goto out;
  struct curl_slist *fields = c->json_fields;
  if (field != NULL) {
    for (const struct curl_slist *f = c->json_fields; f != NULL; f = f->next) {
      struct curl_slist *l = curl_slist_append(extra, f->data);
      if (l == NULL)
        goto nomem;
      extra = l;
    }
    struct curl_slist *l = curl_slist_append(extra, field);
    if (l == NULL)
      goto nomem;
    fields = extra = l;
  }
  c->up = body != NULL ? body : "";
  c->up_len = body != NULL ? len : 0;
  c->up_pos = 0;
  CURLcode r = curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
  if (r == CURLE_OK)
    r = curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)c->up_len);
  if (r == CURLE_OK)
    r = curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, fields);
  if (r != CURLE_OK) {
    set_curl_error(c, what, r);
    goto out;
  }
  rc = perform(c, what, a);
  goto out;
nomem:
  set_error(c, "%s: out of memory", what);
  rc = HTTP_CONN_ENOMEM;
out:
  /* The handle must not keep pointing at a list about to be freed. */
  if (extra != NULL)
    (void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(extra);
  return rc;
}

/* ==== Lifecycle ==== */

/* What every request shares, set once on the handle. */
static CURLcode set_common_options(struct http_conn *c, const char *agent)
{
  CURL *h = c->curl;
  CURLcode r = CURLE_OK;
#define SETOPT(opt, val)                                                       \
  do {                                                                         \
    if (r == CURLE_OK)                                                         \
      r = curl_easy_setopt(h, opt, val);                                       \
  } while (0)
  SETOPT(CURLOPT_ERRORBUFFER, c->curl_error);
  /* No overall timeout: the sandbox is frozen while /next waits, and a
   * thawed timer would fire at once. Only the connect is bounded. */
  SETOPT(CURLOPT_TIMEOUT, 0L);
  SETOPT(CURLOPT_CONNECTTIMEOUT_MS, 1000L);
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_TCP_NODELAY, 1L);
  SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  /* The peer is local: HTTP(S)_PROXY in the function's environment must not
   * send the loop through a proxy. */
  SETOPT(CURLOPT_PROXY, "");
  SETOPT(CURLOPT_NOPROXY, "*");
  SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  SETOPT(CURLOPT_PROTOCOLS_STR, "http");
#else
  SETOPT(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
  /* One connection: a second one (drop_if_unasked) replaces the first. */
  SETOPT(CURLOPT_MAXCONNECTS, 1L);
  SETOPT(CURLOPT_BUFFERSIZE, HTTP_CONN_RECV_BUFFER);
  SETOPT(CURLOPT_USERAGENT, agent);
  SETOPT(CURLOPT_OPENSOCKETFUNCTION, open_socket);
  SETOPT(CURLOPT_SOCKOPTFUNCTION, on_socket_options);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(CURLOPT_HEADERDATA, c);
  SETOPT(CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(CURLOPT_WRITEDATA, c);
  SETOPT(CURLOPT_READFUNCTION, on_read);
  SETOPT(CURLOPT_READDATA, c);
  SETOPT(CURLOPT_SEEKFUNCTION, on_seek);
  SETOPT(CURLOPT_SEEKDATA, c);
#undef SETOPT
  return r;
}

int http_conn_new(struct http_conn **out, const char *host,
                  const char *user_agent, char *err, size_t err_size)
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
  c->err = err;
  c->err_size = err_size;
  buf_init(&c->url, HTTP_CONN_MAX_URL);
  /* An empty Expect: stops curl waiting for "100 Continue" before a big
   * body, which the Runtime API never sends. */
  struct curl_slist *l =
      curl_slist_append(NULL, "Content-Type: application/json");
  if (l == NULL)
    goto fail;
  c->json_fields = l;
  l = curl_slist_append(c->json_fields, "Expect:");
  if (l == NULL)
    goto fail;
  c->json_fields = l;
  if (buf_puts(&c->url, "http://") != BUF_OK ||
      buf_puts(&c->url, host) != BUF_OK)
    goto fail;
  c->base_len = c->url.len;
  c->curl = curl_easy_init();
  if (c->curl == NULL || set_common_options(c, user_agent) != CURLE_OK)
    goto fail;
  *out = c;
  return 0;
fail:
  http_conn_destroy(c);
  return -1;
}

void http_conn_destroy(struct http_conn *c)
{
  if (c == NULL)
    return;
  if (c->curl != NULL)
    curl_easy_cleanup(c->curl);
  curl_slist_free_all(c->json_fields);
  buf_free(&c->url);
  free(c);
}
