/* runtime_api: the Lambda Runtime API client. See runtime_api.h.
 *
 * The requests of the 2018-06-01 API over one http_conn: GET /next with its
 * Lambda-Runtime-* headers into a runtime_invocation, the three POSTs with
 * an explicit length, and, when asked, the next GET /next pipelined behind
 * an invocation's answer. This file reports what happened (a transport
 * failure, an HTTP status, an oversized body); retrying, carrying on or
 * exiting is runtime_loop's decision. Uses buf for every byte it keeps. */
#include "runtime_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_conn.h"

/* Header values other than the request id (ARN, trace id, client context,
 * cognito identity). Lambda caps the client context at 3.5 KiB. */
#define RUNTIME_API_MAX_HEADER (64u * 1024u)
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
  struct http_conn *conn;
  char *host;          /* "host:port", for the Host field */
  struct buf next_req; /* the whole GET /next request, built once */
  struct buf req;      /* a POST's head, and its body when small */
  int pipelining;      /* invocation POSTs carry the next GET /next */
  /* The connection (http_conn_id) a pipelined GET /next went out on, 0 when
   * none: its answer is there to read while that connection is open (a
   * connection the POST's answer closed took the GET with it). */
  unsigned long next_in_flight;
  struct buf answer; /* the start of a POST's answer body, for last_error */
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

/* Forget the headers; the body is left to the caller. */
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
 * dots is refused too, since a server folds "." and ".." segments out of a
 * path (RFC 3986 5.2.4) and the answer would go somewhere else. */
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
  store_header(ud, name, nlen, v, vlen);
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

/* ==== Requests ==== */

/* Whether a GET /next pipelined with the last POST has an answer to read:
 * it went out on the connection that is still open. */
static int next_pending(const struct runtime_api *api)
{
  return api->next_in_flight != 0 &&
         api->next_in_flight == http_conn_id(api->conn);
}

/* An http_conn status as a runtime_api one. */
static int from_conn(int rc)
{
  switch (rc) {
  case HTTP_CONN_OK:
    return RUNTIME_API_OK;
  case HTTP_CONN_ETOOBIG:
    return RUNTIME_API_ETOOBIG;
  case HTTP_CONN_ENOMEM:
    return RUNTIME_API_ENOMEM;
  default:
    return RUNTIME_API_ETRANSPORT;
  }
}

int runtime_api_next(struct runtime_api *api, struct runtime_invocation *inv,
                     long *http_status)
{
  static const char what[] = "GET next";
  struct http_head h;
  int rc = HTTP_CONN_ETRANSPORT;
  int pipelined = next_pending(api);
  api->next_in_flight = 0;
  runtime_invocation_reset(inv);
  if (http_status != NULL)
    *http_status = 0;
  if (pipelined) {
    /* Sent with the last POST: only the answer is left to read. If the
     * connection ended before a byte of it (the server closed after the
     * POST's answer), ask again on a new one. */
    int answered = 0;
    rc = http_conn_read_head(api->conn, what, &h, on_field, inv, &answered);
    if (rc != HTTP_CONN_OK && answered)
      return RUNTIME_API_EPIPELINE; /* garbled: the server was confused */
    if (rc != HTTP_CONN_OK)
      pipelined = 0;
  }
  if (rc != HTTP_CONN_OK)
    rc = http_conn_request(api->conn, what, api->next_req.data,
                           api->next_req.len, NULL, 0, NULL, 0, &h, on_field,
                           inv);
  if (rc != HTTP_CONN_OK)
    return from_conn(rc);
  if (http_status != NULL)
    *http_status = h.status;
  if (h.status != 200) {
    /* The body of a refusal is not an event: its start goes to 'answer'. */
    buf_reset(&api->answer);
    rc = http_conn_read_body(api->conn, what, &h, &api->answer, HTTP_INTO_START,
                             0);
    if (rc != HTTP_CONN_OK)
      return from_conn(rc);
    set_http_error(api, what, h.status);
    return pipelined ? RUNTIME_API_EPIPELINE : RUNTIME_API_EHTTP;
  }
  return from_conn(http_conn_read_body(api->conn, what, &h, &inv->body,
                                       HTTP_INTO_ALL, RUNTIME_API_MAX_DRAIN));
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
  /* The answer to a pipelined GET still unread would be taken for this
   * POST's: start over on a fresh connection (runtime_loop never does
   * this; it reads every /next). */
  if (next_pending(api))
    http_conn_close(api->conn);
  api->next_in_flight = 0;
  int rc = http_conn_request(api->conn, what, r->data, r->len,
                             len ? body : NULL, len, tail ? tail->data : NULL,
                             tail ? tail->len : 0, &h, NULL, NULL);
  if (rc != HTTP_CONN_OK)
    return from_conn(rc);
  if (then_next)
    api->next_in_flight = http_conn_id(api->conn);
  if (http_status != NULL)
    *http_status = h.status;
  buf_reset(&api->answer);
  rc = http_conn_read_body(api->conn, what, &h, &api->answer, HTTP_INTO_START,
                           0);
  if (rc != HTTP_CONN_OK)
    return from_conn(rc);
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
  api = calloc(1, sizeof *api);
  if (api == NULL)
    goto fail;
  buf_init(&api->answer, RUNTIME_API_MAX_ANSWER);
  buf_init(&api->next_req, 4096);
  buf_init(&api->req, RUNTIME_API_COALESCE + 16384);
  api->host = strndup(endpoint, len);
  if (api->host == NULL || http_conn_new(&api->conn, api->host, api->last_error,
                                         sizeof api->last_error) != 0)
    goto fail;
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
  http_conn_destroy(api->conn);
  buf_free(&api->answer);
  buf_free(&api->next_req);
  buf_free(&api->req);
  free(api->host);
  free(api);
}
