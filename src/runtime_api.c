/* runtime_api: the Lambda Runtime API client. See runtime_api.h.
 *
 * One CURL easy handle lives as long as the process, so the keep-alive
 * connection to the API is reused from one event to the next. The options
 * every request shares are set once (set_common_options); each request then
 * sets, explicitly, everything that differs between requests (URL, method,
 * body, headers, write callback), so nothing set for one request can leak
 * into the next without paying curl_easy_reset and a full option set per
 * request, a measurable share of a small invocation (docs/performance.md).
 * This file reports what happened (a CURLcode turned
 * into a status, and the HTTP status kept apart); retrying, carrying on or
 * exiting is runtime_loop's decision. Uses buf for every byte it keeps. */
#include "runtime_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

/* Header values other than the request id (ARN, trace id, client context,
 * cognito identity). curl itself refuses header lines over 100 KiB; the
 * client context is the only big one and Lambda caps it at 3.5 KiB. */
#define RUNTIME_API_MAX_HEADER (64u * 1024u)
/* How much of a POST's answer is kept for the error text. */
#define RUNTIME_API_MAX_ANSWER 512u
#define RUNTIME_API_ERROR_SIZE 768

#define RUNTIME_API_PATH "/2018-06-01"

struct runtime_api {
  CURL *curl;
  char *base;                      /* "http://host:port/2018-06-01" */
  char *next_url;                  /* base + "/runtime/invocation/next" */
  struct curl_slist *json_headers; /* Content-Type and an empty Expect: */
  /* The event being filled by the current /next, NULL during a POST. */
  struct runtime_invocation *inv;
  struct buf answer; /* the start of a POST's answer body, for last_error */
  int write_failed;  /* BUF_* code of a refused body append, 0 when none */
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

static int is_trim_char(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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

/* CURLOPT_HEADERFUNCTION: one complete header line per call, not
 * NUL-terminated, CRLF included. */
static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
  struct runtime_api *api = userp;
  size_t n = size * nitems;
  struct runtime_invocation *inv = api->inv;
  if (inv == NULL)
    return n;
  if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* A new status line: only the headers of the final answer count. */
    invocation_reset_headers(inv);
    return n;
  }
  const char *colon = memchr(data, ':', n);
  if (colon == NULL)
    return n;
  size_t nlen = (size_t)(colon - data);
  while (nlen > 0 && is_trim_char(data[nlen - 1]))
    nlen--;
  const char *v = colon + 1;
  const char *end = data + n;
  while (v < end && is_trim_char(*v))
    v++;
  while (end > v && is_trim_char(end[-1]))
    end--;
  store_header(inv, data, nlen, v, (size_t)(end - v));
  return n;
}

/* ==== Body callbacks ==== */

/* CURLOPT_WRITEFUNCTION for /next: the event body, capped. Returning less
 * than 'n' makes curl abort the transfer with CURLE_WRITE_ERROR. */
static size_t on_event_body(char *data, size_t size, size_t nmemb, void *userp)
{
  struct runtime_api *api = userp;
  size_t n = size * nmemb;
  int rc = buf_append(&api->inv->body, data, n);
  if (rc != BUF_OK) {
    api->write_failed = rc;
    return 0;
  }
  return n;
}

/* CURLOPT_WRITEFUNCTION for POSTs: keep the start of the answer for the error
 * text and drop the rest, without ever failing the transfer. */
static size_t on_answer_body(char *data, size_t size, size_t nmemb, void *userp)
{
  struct runtime_api *api = userp;
  size_t n = size * nmemb;
  size_t room = api->answer.max - api->answer.len;
  if (room > 0 && buf_append(&api->answer, data, n < room ? n : room) != 0)
    buf_reset(&api->answer);
  return n;
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

/* ==== Requests ==== */

/* What every request needs, set once on the handle: every request after it
 * sets the URL, the method, the body, the headers and the write callback
 * explicitly, and nothing else ever changes, so resetting the handle and
 * setting all of this again per request (a measurable share of a small
 * invocation) buys nothing. Returns a CURLcode so a refused option is
 * reported like any other curl failure. */
static CURLcode set_common_options(struct runtime_api *api)
{
  CURL *c = api->curl;
  CURLcode r = CURLE_OK;
#define SETOPT(opt, val)                                                       \
  do {                                                                         \
    if (r == CURLE_OK)                                                         \
      r = curl_easy_setopt(c, opt, val);                                       \
  } while (0)
  SETOPT(CURLOPT_ERRORBUFFER, api->curl_error);
  /* No overall timeout: the sandbox is frozen while /next waits, and a
   * thawed timer would fire at once. Only the connect is bounded. */
  SETOPT(CURLOPT_TIMEOUT, 0L);
  SETOPT(CURLOPT_CONNECTTIMEOUT, 1L);
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_TCP_NODELAY, 1L);
  SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  /* The API is local: HTTP(S)_PROXY in the function's environment must not
   * send the loop through a proxy. */
  SETOPT(CURLOPT_PROXY, "");
  SETOPT(CURLOPT_NOPROXY, "*");
  SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  SETOPT(CURLOPT_PROTOCOLS_STR, "http");
#else
  SETOPT(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
  SETOPT(CURLOPT_USERAGENT, "lua-kafka-runtime");
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(CURLOPT_HEADERDATA, api);
#undef SETOPT
  return r;
}

static char *make_url(const struct runtime_api *api, const char *path)
{
  size_t n = strlen(api->base) + strlen(path) + 1;
  char *url = malloc(n);
  if (url != NULL)
    snprintf(url, n, "%s%s", api->base, path);
  return url;
}

int runtime_api_next(struct runtime_api *api, struct runtime_invocation *inv,
                     long *http_status)
{
  int ret = RUNTIME_API_ETRANSPORT;
  long status = 0;
  CURL *c = api->curl;
  runtime_invocation_reset(inv);
  api->inv = inv;
  api->write_failed = 0;
  api->curl_error[0] = '\0';
  CURLcode result = curl_easy_setopt(c, CURLOPT_URL, api->next_url);
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_event_body);
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_WRITEDATA, api);
  if (result == CURLE_OK)
    result = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

  if (api->write_failed == BUF_ETOOBIG) {
    set_error(api, "GET next: event body over %u bytes", RUNTIME_API_MAX_EVENT);
    ret = RUNTIME_API_ETOOBIG;
  } else if (api->write_failed != 0) {
    set_error(api, "GET next: out of memory for the event body");
    ret = RUNTIME_API_ENOMEM;
  } else if (result != CURLE_OK) {
    set_curl_error(api, "GET next", result);
    ret = RUNTIME_API_ETRANSPORT;
  } else if (status != 200) {
    set_error(api, "GET next: HTTP %ld", status);
    ret = RUNTIME_API_EHTTP;
  } else {
    ret = RUNTIME_API_OK;
  }
  api->inv = NULL;
  if (http_status != NULL)
    *http_status = status;
  return ret;
}

/* POST 'body' to 'path' with the JSON content type and, when 'error_type' is
 * not NULL, the Lambda-Runtime-Function-Error-Type header. */
static int post(struct runtime_api *api, const char *what, const char *path,
                const char *error_type, const char *body, size_t len,
                long *http_status)
{
  int ret = RUNTIME_API_ETRANSPORT;
  long status = 0;
  CURL *c = api->curl;
  struct curl_slist *headers = NULL; /* owned: the error posts' list */
  char *type_header = NULL;
  char *url = make_url(api, path);
  if (url == NULL)
    goto nomem;
  if (error_type != NULL) {
    struct curl_slist *h =
        curl_slist_append(NULL, "Content-Type: application/json");
    if (h == NULL)
      goto nomem;
    headers = h;
    h = curl_slist_append(headers, "Expect:");
    if (h == NULL)
      goto nomem;
    headers = h;
    static const char name[] = "Lambda-Runtime-Function-Error-Type: ";
    size_t n = sizeof name + strlen(error_type);
    type_header = malloc(n);
    if (type_header == NULL)
      goto nomem;
    snprintf(type_header, n, "%s%s", name, error_type);
    /* A header value cannot hold a line break: curl would send it as is. */
    for (char *p = type_header; *p != '\0'; p++)
      if (*p == '\r' || *p == '\n')
        *p = ' ';
    h = curl_slist_append(headers, type_header);
    if (h == NULL)
      goto nomem;
    headers = h;
  }

  api->inv = NULL;
  buf_reset(&api->answer);
  api->curl_error[0] = '\0';
  CURLcode result = curl_easy_setopt(c, CURLOPT_URL, url);
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_POST, 1L);
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)(body ? len : 0));
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_HTTPHEADER,
                              headers ? headers : api->json_headers);
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_answer_body);
  if (result == CURLE_OK)
    result = curl_easy_setopt(c, CURLOPT_WRITEDATA, api);
  if (result == CURLE_OK)
    result = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  /* The handle must not keep pointing at a list about to be freed. */
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(headers);
  headers = NULL;

  if (result != CURLE_OK) {
    set_curl_error(api, what, result);
    ret = RUNTIME_API_ETRANSPORT;
  } else if (status < 200 || status > 299) {
    set_http_error(api, what, status);
    ret = RUNTIME_API_EHTTP;
  } else {
    ret = RUNTIME_API_OK;
  }
  goto out;

nomem:
  set_error(api, "%s: out of memory", what);
  ret = RUNTIME_API_ENOMEM;
out:
  curl_slist_free_all(headers);
  free(type_header);
  free(url);
  if (http_status != NULL)
    *http_status = status;
  return ret;
}

/* Build "/runtime/invocation/<id>/<what>" for an id already checked safe;
 * NULL when memory runs out. */
static char *invocation_path(const char *request_id, const char *what)
{
  static const char prefix[] = "/runtime/invocation/";
  size_t n = sizeof prefix + strlen(request_id) + 1 + strlen(what);
  char *p = malloc(n);
  if (p != NULL)
    snprintf(p, n, "%s%s/%s", prefix, request_id, what);
  return p;
}

int runtime_api_post_response(struct runtime_api *api, const char *request_id,
                              const char *body, size_t len, long *http_status)
{
  if (http_status != NULL)
    *http_status = 0;
  if (!request_id_is_safe(request_id ? request_id : "",
                          request_id ? strlen(request_id) : 0)) {
    set_error(api, "POST response: unsafe request id");
    return RUNTIME_API_EHTTP;
  }
  char *path = invocation_path(request_id, "response");
  if (path == NULL) {
    set_error(api, "POST response: out of memory");
    return RUNTIME_API_ENOMEM;
  }
  int rc = post(api, "POST response", path, NULL, body, len, http_status);
  free(path);
  return rc;
}

int runtime_api_post_error(struct runtime_api *api, const char *request_id,
                           const char *error_type, const char *body, size_t len,
                           long *http_status)
{
  if (http_status != NULL)
    *http_status = 0;
  if (!request_id_is_safe(request_id ? request_id : "",
                          request_id ? strlen(request_id) : 0)) {
    set_error(api, "POST error: unsafe request id");
    return RUNTIME_API_EHTTP;
  }
  char *path = invocation_path(request_id, "error");
  if (path == NULL) {
    set_error(api, "POST error: out of memory");
    return RUNTIME_API_ENOMEM;
  }
  int rc =
      post(api, "POST error", path, error_type ? error_type : "Runtime.Unknown",
           body, len, http_status);
  free(path);
  return rc;
}

int runtime_api_post_init_error(struct runtime_api *api, const char *error_type,
                                const char *body, size_t len, long *http_status)
{
  return post(api, "POST init error", "/runtime/init/error",
              error_type ? error_type : "Runtime.Unknown", body, len,
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
  buf_init(&api->answer, RUNTIME_API_MAX_ANSWER);
  size_t n = sizeof "http://" + len + sizeof RUNTIME_API_PATH;
  api->base = malloc(n);
  if (api->base == NULL)
    goto fail;
  snprintf(api->base, n, "http://%.*s%s", (int)len, endpoint, RUNTIME_API_PATH);
  n = strlen(api->base) + sizeof "/runtime/invocation/next";
  api->next_url = malloc(n);
  if (api->next_url == NULL)
    goto fail;
  snprintf(api->next_url, n, "%s/runtime/invocation/next", api->base);
  /* An empty Expect: stops curl waiting for "100 Continue" on big bodies,
   * which the Runtime API never sends. */
  api->json_headers = curl_slist_append(NULL, "Content-Type: application/json");
  if (api->json_headers == NULL)
    goto fail;
  struct curl_slist *h = curl_slist_append(api->json_headers, "Expect:");
  if (h == NULL)
    goto fail;
  api->json_headers = h;
  api->curl = curl_easy_init();
  if (api->curl == NULL || set_common_options(api) != CURLE_OK)
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
  if (api->curl != NULL)
    curl_easy_cleanup(api->curl);
  curl_slist_free_all(api->json_headers);
  buf_free(&api->answer);
  free(api->next_url);
  free(api->base);
  free(api);
}
