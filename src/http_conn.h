/* http_conn: one keep-alive HTTP/1.1 client connection, opened by libcurl.
 *
 * libcurl resolves the name and connects (CURLOPT_CONNECT_ONLY: the 1 s
 * connect timeout, TCP_NODELAY, proxies ignored, plain http only); this
 * module then writes requests and reads answers over the socket with
 * curl_easy_send and curl_easy_recv, framing them with http_wire. A request
 * is one send and usually one recv: curl's own transfer machinery (state
 * machine, per-transfer setup, six polls per request) was a third of a small
 * invocation's CPU (docs/performance.md). Received bytes past an answer stay
 * for the next one, so a pipelined request's answer can be read later.
 *
 * A connection the server closed while idle is replaced, and the request
 * sent once more, when not a byte of an answer came back (as curl does).
 * Every failure leaves a message in the caller's error buffer, prefixed
 * with the 'what' the caller passes, and a failure that loses the framing
 * closes the connection. Knows curl and HTTP; nothing of Lambda or Lua. */
#ifndef LRT_HTTP_CONN_H
#define LRT_HTTP_CONN_H

#include <stddef.h>

#include "buf.h"
#include "http_wire.h"

struct http_conn; /* opaque: owns the CURL handle and the receive buffer */

enum http_conn_status {
  HTTP_CONN_OK = 0,
  HTTP_CONN_ETRANSPORT = -1, /* connect, send or receive failed; malformed */
  HTTP_CONN_ETOOBIG = -2,    /* the body is over the destination's cap */
  HTTP_CONN_ENOMEM = -3
};

/* 'host' is "host:port" (IPv6 in brackets), already checked by the caller.
 * Failure messages go to 'err' (capacity 'err_size'), which must outlive
 * the connection. No connection is opened until the first request. Returns
 * 0 or -1. */
int http_conn_new(struct http_conn **out, const char *host, char *err,
                  size_t err_size) __attribute__((warn_unused_result));
void http_conn_destroy(struct http_conn *c);

/* Drop the connection and anything received on it. */
void http_conn_close(struct http_conn *c);

/* Which connection is open: a number that changes whenever one is opened,
 * 0 while none is. A request sent on connection N has an answer to read
 * only while this still says N. */
unsigned long http_conn_id(const struct http_conn *c);

/* Send 'head', then 'body' and 'tail' (either may be NULL; 'tail' is a
 * further request pipelined behind this one), opening a connection if there
 * is none, and read the answer's head into '*h', calling 'fn' for each
 * field of the final answer (interim 1xx answers are skipped). Returns
 * HTTP_CONN_OK or HTTP_CONN_ETRANSPORT (no connection afterwards). */
int http_conn_request(struct http_conn *c, const char *what, const char *head,
                      size_t head_len, const char *body, size_t body_len,
                      const char *tail, size_t tail_len, struct http_head *h,
                      http_header_fn fn, void *ud)
    __attribute__((warn_unused_result));

/* Read the head of the next answer on the open connection (one to a request
 * sent earlier, pipelined). '*answered' is set when any byte of it arrived:
 * when it is not, the server closed without answering and the request may be
 * sent again. Returns as http_conn_request. */
int http_conn_read_head(struct http_conn *c, const char *what,
                        struct http_head *h, http_header_fn fn, void *ud,
                        int *answered) __attribute__((warn_unused_result));

/* Where http_conn_read_body puts the body. */
enum http_body_into {
  /* all of it into 'dst', whose cap it must fit: over it, HTTP_CONN_ETOOBIG
   * (a body of at most 'drain_max' bytes with a known length is read and
   * dropped so the connection stays; a bigger one ends it) */
  HTTP_INTO_ALL,
  /* what fits under 'dst''s cap, the rest dropped (an error answer's start) */
  HTTP_INTO_START
};

/* Read the body '*h' frames. A Content-Length body into an empty 'dst' is
 * received in place, with no copy beyond what already arrived with the head.
 * Closes the connection when the answer said so or the framing is lost.
 * Returns HTTP_CONN_OK or a failure. */
int http_conn_read_body(struct http_conn *c, const char *what,
                        const struct http_head *h, struct buf *dst,
                        enum http_body_into into, size_t drain_max)
    __attribute__((warn_unused_result));

#endif
