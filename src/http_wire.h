/* http_wire: HTTP/1.1 response framing, on bytes only.
 *
 * runtime_api sends its requests and reads the answers itself over the
 * connection libcurl opens (CURLOPT_CONNECT_ONLY), because curl's transfer
 * machinery was a third of a small invocation's CPU (docs/performance.md).
 * This file is the part of that which needs no socket: finding where an
 * answer's head ends, reading the status line and header fields, deciding how
 * the body is framed (RFC 9112 section 6.3), and decoding a chunked body. It
 * is strict where a mistake would desynchronise the connection (lengths,
 * chunk sizes, folded lines) and lenient where curl is (bare LF line ends,
 * any reason phrase). Knows nothing of sockets, curl, Lambda or Lua. */
#ifndef LRT_HTTP_WIRE_H
#define LRT_HTTP_WIRE_H

#include <stddef.h>

enum http_framing {
  HTTP_BODY_NONE,       /* 1xx, 204, 304: no body at all */
  HTTP_BODY_LENGTH,     /* Content-Length bytes */
  HTTP_BODY_CHUNKED,    /* Transfer-Encoding: chunked */
  HTTP_BODY_UNTIL_CLOSE /* neither: the body ends when the server closes */
};

struct http_head {
  int status;     /* 100..999 */
  int keep_alive; /* 0: the connection ends with this answer */
  enum http_framing framing;
  unsigned long long length; /* HTTP_BODY_LENGTH only */
};

/* Called once per header field of a complete head, in order. 'name' and
 * 'value' point into the caller's bytes and are not NUL-terminated; the value
 * has its surrounding blanks removed. */
typedef void (*http_header_fn)(void *ud, const char *name, size_t name_len,
                               const char *value, size_t value_len);

/* The length of the head at the start of 'p' (status line through the empty
 * line, terminators included), or 0 while no empty line has arrived yet. */
size_t http_head_end(const char *p, size_t len);

/* Parse a complete head of 'len' bytes (as measured by http_head_end) into
 * '*h', calling 'fn' (may be NULL) for each field. Returns 0, or -1 when the
 * head is malformed: a bad status line, a field without a colon, a folded
 * line, a bad or contradictory Content-Length, or a transfer coding other
 * than chunked. On -1 the connection cannot be trusted any more. */
int http_parse_head(const char *p, size_t len, struct http_head *h,
                    http_header_fn fn, void *ud)
    __attribute__((warn_unused_result));

/* ==== Chunked bodies ==== */

/* Receives decoded body bytes; returns 0, or non-zero to stop the decoding
 * (http_chunked_feed then returns -1). */
typedef int (*http_sink_fn)(void *ud, const char *p, size_t n);

struct http_chunked {
  int state;
  int done;                /* the last chunk and the trailer section ended */
  int digits;              /* hex digits in the current size line */
  unsigned long long left; /* bytes of the current chunk still to come */
  size_t trailer_bytes;    /* trailer section so far, capped */
};

void http_chunked_init(struct http_chunked *c);

/* Decode 'len' more bytes of a chunked body, passing data to 'sink'. Returns
 * how many bytes were consumed (fewer than 'len' only once done is set: the
 * rest belongs to whatever follows the answer), or -1 when the framing is
 * malformed or the sink refused. */
long http_chunked_feed(struct http_chunked *c, const char *p, size_t len,
                       http_sink_fn sink, void *ud)
    __attribute__((warn_unused_result));

#endif
