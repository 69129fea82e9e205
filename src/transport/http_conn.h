/* http_conn: the process's one libcurl easy handle, used as curl designs it.
 *
 * One handle lives as long as the process, so curl keeps the keep-alive
 * connection to the server from one request to the next (at most one in its
 * cache). The options every request shares are set once: 1 s connect
 * timeout, no overall timeout (a GET may wait as long as the sandbox idles),
 * NOSIGNAL, TCP_NODELAY, HTTP/1.1, plain http only, no proxy whatever the
 * environment says, no redirects, sockets opened close-on-exec, a 64 KiB
 * curl receive buffer and a 2 MiB kernel one when the kernel grants it. Each
 * request then sets only its URL, method, body and fields. curl frames the
 * requests and answers; this file hands the caller each field of the final
 * answer, receives a body into the caller's capped buffer (sized once from
 * Content-Length) and keeps the start of a refusal's body for the error text.
 *
 * Two guards curl does not give: bytes the server sent unasked on the idle
 * connection are found before it is reused (it is dropped, with one WARN
 * line), and a POST whose body curl had wholly read is never sent a second
 * time on a fresh connection when the reused one died before the answer (the
 * server may have acted on it). Knows curl and HTTP; nothing of Lambda or
 * Lua. */
#ifndef LRT_HTTP_CONN_H
#define LRT_HTTP_CONN_H

#include <stddef.h>

#include "buf.h"

struct http_conn; /* opaque: owns the CURL handle */

enum http_conn_status {
  HTTP_CONN_OK = 0,
  HTTP_CONN_ETRANSPORT = -1, /* connect, send or receive failed; malformed */
  HTTP_CONN_ETOOBIG = -2,    /* the body is over the destination's cap */
  HTTP_CONN_ENOMEM = -3
};

/* Called once per header field of the final answer (interim 1xx answers and
 * trailers are skipped), in order. 'name' and 'value' are not
 * NUL-terminated; the value has its surrounding blanks removed. */
typedef void (*http_field_fn)(void *ud, const char *name, size_t name_len,
                              const char *value, size_t value_len);

/* Where an answer goes. */
struct http_answer {
  http_field_fn on_field; /* may be NULL */
  void *ud;
  /* A 2xx answer's body, all of it, within the buffer's cap (NULL: dropped).
   * A body over the cap of at most 'drain_max' bytes is read and dropped so
   * that the connection stays; a bigger one ends it. Either way the request
   * returns HTTP_CONN_ETOOBIG, after the fields were reported. */
  struct buf *body;
  size_t drain_max;
  /* Any other answer's body: what fits under the cap, the rest dropped. */
  struct buf *refusal;
  long status; /* out: the final status, 0 when no answer came */
};

/* 'host' is "host:port" (IPv6 in brackets), already checked by the caller;
 * 'user_agent' is sent with every request. Failure messages go to 'err'
 * (capacity 'err_size'), which must outlive the connection. No connection
 * is opened until the first request. Returns 0 or -1. */
int http_conn_new(struct http_conn **out, const char *host,
                  const char *user_agent, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void http_conn_destroy(struct http_conn *c);

/* GET 'path' (from the root: "/a/b"). 'what' prefixes failure messages.
 * Returns HTTP_CONN_OK whatever the status (see a->status), or a failure. */
int http_conn_get(struct http_conn *c, const char *what, const char *path,
                  struct http_answer *a) __attribute__((warn_unused_result));

/* POST 'len' bytes of JSON to 'path' with an explicit Content-Length and no
 * Expect, plus 'field' ("Name: value", no line break; NULL for none).
 * Results as http_conn_get. A body of 0 bytes has nothing to rewind, so
 * curl would send such a POST again unasked: the runtime never posts one
 * (every answer it posts is a JSON text). */
int http_conn_post_json(struct http_conn *c, const char *what, const char *path,
                        const char *field, const char *body, size_t len,
                        struct http_answer *a)
    __attribute__((warn_unused_result));

#endif
