/* runtime_api: the Lambda Runtime API client. See runtime_api.h.
 *
 * The requests of the 2018-06-01 API over one http_conn: GET /next with its
 * Lambda-Runtime-* headers into a runtime_invocation, and the three POSTs
 * with an explicit length. This file reports what happened (a transport
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

#include "error_types.h"
#include "http_conn.h"

/* Header values other than the request id (ARN, trace id, client context,
 * cognito identity). Lambda caps the client context at 3.5 KiB. */
#define RUNTIME_API_MAX_HEADER (64u * 1024u)
/* An oversized event body up to this size is read and dropped, keeping the
 * connection; a bigger one ends it. */
#define RUNTIME_API_MAX_DRAIN (4u * RUNTIME_API_MAX_EVENT)
/* How much of a POST's answer is kept for the error text. */
#define RUNTIME_API_MAX_ANSWER 512u
/* The one scheme AWS_LAMBDA_RUNTIME_API may carry in front of host:port. */
static const char HTTP_SCHEME[] = "http://";
#define RUNTIME_API_ERROR_SIZE 768
/* Longest Lambda-Runtime-Function-Error-Type value sent. */
#define RUNTIME_API_MAX_TYPE 1024

#define RUNTIME_API_PATH "/2018-06-01"
#define RUNTIME_API_AGENT "lua-kafka-runtime"

struct runtime_api {
  struct http_conn *conn;
  struct buf path;   /* a POST's path, built per request */
  struct buf field;  /* a POST's Lambda-Runtime-Function-Error-Type field */
  struct buf answer; /* the start of a refusal's body, for last_error */
  char last_error[RUNTIME_API_ERROR_SIZE];
};

/* ==== Invocation ==== */

void runtime_api_invocation_init(struct runtime_invocation *inv)
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

void runtime_api_invocation_reset(struct runtime_invocation *inv)
{
  buf_reset(&inv->body);
  invocation_reset_headers(inv);
}

void runtime_api_invocation_free(struct runtime_invocation *inv)
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

/* http_field_fn for /next answers: keep what the invocation needs. */
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
  runtime_api_invocation_reset(inv);
  struct http_answer a = {.on_field = on_field,
                          .ud = inv,
                          .body = &inv->body,
                          .drain_max = RUNTIME_API_MAX_DRAIN,
                          .refusal = &api->answer};
  int rc = http_conn_get(api->conn, what,
                         RUNTIME_API_PATH "/runtime/invocation/next", &a);
  if (http_status != NULL)
    *http_status = a.status;
  if (rc != HTTP_CONN_OK)
    return from_conn(rc);
  if (a.status != 200) {
    /* The body of a refusal is not an event: its start is in 'answer'. */
    set_http_error(api, what, a.status);
    return RUNTIME_API_EHTTP;
  }
  return RUNTIME_API_OK;
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
  struct buf *path = &api->path;
  struct buf *field = &api->field;
  if (http_status != NULL)
    *http_status = 0;
  buf_reset(path);
  buf_reset(field);
  int ok = buf_puts(path, RUNTIME_API_PATH) == BUF_OK;
  if (request_id == NULL)
    ok = ok && buf_puts(path, "/runtime/init/error") == BUF_OK;
  else
    ok = ok && buf_puts(path, "/runtime/invocation/") == BUF_OK &&
         buf_puts(path, request_id) == BUF_OK &&
         buf_puts(path, error_type ? "/error" : "/response") == BUF_OK;
  if (error_type != NULL)
    ok = ok &&
         buf_puts(field, "Lambda-Runtime-Function-Error-Type: ") == BUF_OK &&
         append_field_value(field, error_type) == 0;
  if (!ok) {
    set_error(api, "%s: out of memory", what);
    return RUNTIME_API_ENOMEM;
  }
  struct http_answer a = {.refusal = &api->answer};
  int rc = http_conn_post_json(api->conn, what, path->data,
                               error_type ? field->data : NULL, body, len, &a);
  if (http_status != NULL)
    *http_status = a.status;
  if (rc != HTTP_CONN_OK)
    return from_conn(rc);
  if (a.status < 200 || a.status > 299) {
    set_http_error(api, what, a.status);
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
              error_type ? error_type : ERROR_TYPE_UNKNOWN, body, len,
              http_status);
}

int runtime_api_post_init_error(struct runtime_api *api, const char *error_type,
                                const char *body, size_t len, long *http_status)
{
  return post(api, "POST init error", NULL,
              error_type ? error_type : ERROR_TYPE_UNKNOWN, body, len,
              http_status);
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
  char *host = NULL; /* "host:port", copied by http_conn */
  *out = NULL;
  if (endpoint == NULL)
    return -1;
  if (strncasecmp(endpoint, HTTP_SCHEME, sizeof HTTP_SCHEME - 1) == 0)
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
  buf_init(&api->path, 1024);
  buf_init(&api->field, RUNTIME_API_MAX_TYPE + 64);
  host = strndup(endpoint, len);
  if (host == NULL ||
      http_conn_new(&api->conn, host, RUNTIME_API_AGENT, api->last_error,
                    sizeof api->last_error) != 0)
    goto fail;
  free(host);
  *out = api;
  return 0;
fail:
  free(host);
  runtime_api_destroy(api);
  return -1;
}

void runtime_api_destroy(struct runtime_api *api)
{
  if (api == NULL)
    return;
  http_conn_destroy(api->conn);
  buf_free(&api->answer);
  buf_free(&api->path);
  buf_free(&api->field);
  free(api);
}
