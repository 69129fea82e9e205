/* http_wire: HTTP/1.1 response framing, on bytes only. See http_wire.h.
 *
 * The rules follow RFC 9112 (message syntax) where an answer's framing is
 * decided: Transfer-Encoding over Content-Length, no body for 1xx, 204 and
 * 304, and a body read to the close when neither is given. Everything is
 * bounded by the caller's buffers; nothing here allocates. */
#include "http_wire.h"

#include <string.h>
#include <strings.h>

/* Bytes of chunk extensions on one size line, and of the whole trailer
 * section: neither carries anything the runtime reads. */
#define HTTP_WIRE_MAX_META (16u * 1024u)

/* ==== Heads ==== */

size_t http_head_end(const char *p, size_t len)
{
  const char *end = p + len;
  const char *q = p;
  while (q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
    q++;
    if (q < end && q[0] == '\n')
      return (size_t)(q + 1 - p);
    if (q + 1 < end && q[0] == '\r' && q[1] == '\n')
      return (size_t)(q + 2 - p);
  }
  return 0;
}

/* The line starting at 'line': returns where its content ends (before CRLF
 * or LF) and sets '*next' to the start of the following line. */
static const char *line_end(const char *line, const char *end,
                            const char **next)
{
  const char *lf = memchr(line, '\n', (size_t)(end - line));
  if (lf == NULL) {
    *next = end;
    return end;
  }
  *next = lf + 1;
  return lf > line && lf[-1] == '\r' ? lf - 1 : lf;
}

static int is_blank(char c)
{
  return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* Case-insensitive equality of a counted string and a literal. */
static int token_is(const char *s, size_t n, const char *lit)
{
  return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Call 'fn' for each comma-separated, blank-trimmed token of a list value. */
static void each_token(const char *v, size_t n,
                       void (*fn)(void *, const char *, size_t), void *ud)
{
  const char *end = v + n;
  while (v < end) {
    const char *comma = memchr(v, ',', (size_t)(end - v));
    const char *stop = comma ? comma : end;
    const char *a = v, *b = stop;
    while (a < b && is_blank(*a))
      a++;
    while (b > a && is_blank(b[-1]))
      b--;
    if (b > a)
      fn(ud, a, (size_t)(b - a));
    v = comma ? comma + 1 : end;
  }
}

struct head_state {
  int has_length;
  unsigned long long length;
  int chunked;    /* a transfer coding other than identity was seen */
  int bad_coding; /* not just "chunked": a coding we cannot undo, or two */
  int conn_close; /* Connection: close */
  int conn_keep;  /* Connection: keep-alive (matters for HTTP/1.0) */
  int bad;        /* a malformed Content-Length */
};

static void on_coding(void *ud, const char *t, size_t n)
{
  struct head_state *st = ud;
  if (token_is(t, n, "identity"))
    return;
  /* chunked twice, or any coding that would have to be undone (gzip...),
   * is a body this client cannot read */
  if (!token_is(t, n, "chunked") || st->chunked)
    st->bad_coding = 1;
  st->chunked = 1;
}

static void on_connection(void *ud, const char *t, size_t n)
{
  struct head_state *st = ud;
  if (token_is(t, n, "close"))
    st->conn_close = 1;
  else if (token_is(t, n, "keep-alive"))
    st->conn_keep = 1;
}

/* Content-Length: digits only, no sign, no list; a repeat must agree. */
static void on_length(struct head_state *st, const char *v, size_t n)
{
  unsigned long long x = 0;
  if (n == 0 || n > 18) {
    st->bad = 1;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(v[i])) {
      st->bad = 1;
      return;
    }
    x = x * 10u + (unsigned)(v[i] - '0');
  }
  if (st->has_length && st->length != x)
    st->bad = 1;
  st->has_length = 1;
  st->length = x;
}

int http_parse_head(const char *p, size_t len, struct http_head *h,
                    http_header_fn fn, void *ud)
{
  const char *end = p + len;
  const char *next = p;
  const char *eol = line_end(p, end, &next);
  size_t n = (size_t)(eol - p);
  struct head_state st;
  memset(&st, 0, sizeof st);
  memset(h, 0, sizeof *h);

  /* "HTTP/1.x NNN[ reason]" */
  if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !is_digit(p[7]) ||
      p[8] != ' ' || !is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) ||
      (n > 12 && p[12] != ' '))
    return -1;
  int minor = p[7] - '0';
  h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  if (h->status < 100)
    return -1;

  for (const char *line = next; line < end; line = next) {
    eol = line_end(line, end, &next);
    if (eol == line)
      break; /* the empty line: end of the head */
    if (is_blank(line[0]))
      return -1; /* obsolete line folding: refused (RFC 9112 5.2) */
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    if (colon == NULL || colon == line)
      return -1;
    const char *name_end = colon;
    while (name_end > line && is_blank(name_end[-1]))
      name_end--;
    const char *v = colon + 1;
    const char *v_end = eol;
    while (v < v_end && is_blank(*v))
      v++;
    while (v_end > v && is_blank(v_end[-1]))
      v_end--;
    size_t name_len = (size_t)(name_end - line);
    size_t v_len = (size_t)(v_end - v);
    if (token_is(line, name_len, "content-length"))
      on_length(&st, v, v_len);
    else if (token_is(line, name_len, "transfer-encoding"))
      each_token(v, v_len, on_coding, &st);
    else if (token_is(line, name_len, "connection"))
      each_token(v, v_len, on_connection, &st);
    if (fn != NULL)
      fn(ud, line, name_len, v, v_len);
  }
  if (st.bad || st.bad_coding)
    return -1;

  h->keep_alive = minor >= 1 ? !st.conn_close : st.conn_keep && !st.conn_close;
  if (h->status == 101)
    h->keep_alive = 0; /* the connection no longer speaks HTTP/1.1 */
  if (h->status < 200 || h->status == 204 || h->status == 304) {
    h->framing = HTTP_BODY_NONE;
  } else if (st.chunked) {
    h->framing = HTTP_BODY_CHUNKED;
    /* Both framings given is a smuggling pattern (RFC 9112 6.3): decode as
     * chunked, but do not trust the connection after it. */
    if (st.has_length)
      h->keep_alive = 0;
  } else if (st.has_length) {
    h->framing = HTTP_BODY_LENGTH;
    h->length = st.length;
  } else {
    h->framing = HTTP_BODY_UNTIL_CLOSE;
    h->keep_alive = 0;
  }
  return 0;
}

/* ==== Chunked bodies ==== */

enum {
  CH_SIZE,    /* hex digits of a chunk size */
  CH_EXT,     /* chunk extensions, up to the LF */
  CH_SIZE_LF, /* the LF after a size line's CR */
  CH_DATA,    /* chunk data */
  CH_DATA_CR, /* the CRLF after chunk data */
  CH_DATA_LF,
  CH_TRAILER_START, /* a trailer field or the final empty line */
  CH_TRAILER,       /* a trailer field, up to the LF */
  CH_END_LF         /* the LF of the final empty line */
};

void http_chunked_init(struct http_chunked *c)
{
  memset(c, 0, sizeof *c);
  c->state = CH_SIZE;
}

static int hex_value(char ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* The size line ended: data follows, or the trailer section for size 0. */
static void size_line_done(struct http_chunked *c)
{
  c->trailer_bytes = 0;
  c->state = c->left > 0 ? CH_DATA : CH_TRAILER_START;
}

long http_chunked_feed(struct http_chunked *c, const char *p, size_t len,
                       http_sink_fn sink, void *ud)
{
  size_t i = 0;
  while (i < len && !c->done) {
    char ch = p[i];
    switch (c->state) {
    case CH_SIZE: {
      int d = hex_value(ch);
      if (d >= 0) {
        if (++c->digits > 15)
          return -1; /* over 2^60: no real chunk, and it would overflow */
        c->left = c->left * 16u + (unsigned)d;
      } else if (c->digits == 0) {
        return -1;
      } else if (ch == ';' || is_blank(ch)) {
        c->state = CH_EXT;
      } else if (ch == '\r') {
        c->state = CH_SIZE_LF;
      } else if (ch == '\n') {
        size_line_done(c);
      } else {
        return -1;
      }
      i++;
      break;
    }
    case CH_EXT:
      if (ch == '\n')
        size_line_done(c);
      else if (++c->trailer_bytes > HTTP_WIRE_MAX_META)
        return -1;
      i++;
      break;
    case CH_SIZE_LF:
      if (ch != '\n')
        return -1;
      size_line_done(c);
      i++;
      break;
    case CH_DATA: {
      size_t take = len - i;
      if ((unsigned long long)take > c->left)
        take = (size_t)c->left;
      if (sink(ud, p + i, take) != 0)
        return -1;
      c->left -= take;
      i += take;
      if (c->left == 0)
        c->state = CH_DATA_CR;
      break;
    }
    case CH_DATA_CR:
      if (ch == '\r')
        c->state = CH_DATA_LF;
      else if (ch == '\n')
        c->state = CH_SIZE;
      else
        return -1;
      c->digits = 0;
      i++;
      break;
    case CH_DATA_LF:
      if (ch != '\n')
        return -1;
      c->state = CH_SIZE;
      i++;
      break;
    case CH_TRAILER_START:
      if (ch == '\r')
        c->state = CH_END_LF;
      else if (ch == '\n')
        c->done = 1;
      else
        c->state = CH_TRAILER;
      if (++c->trailer_bytes > HTTP_WIRE_MAX_META)
        return -1;
      i++;
      break;
    case CH_TRAILER:
      if (ch == '\n')
        c->state = CH_TRAILER_START;
      if (++c->trailer_bytes > HTTP_WIRE_MAX_META)
        return -1;
      i++;
      break;
    case CH_END_LF:
      if (ch != '\n')
        return -1;
      c->done = 1;
      i++;
      break;
    default:
      return -1;
    }
  }
  return (long)i;
}
