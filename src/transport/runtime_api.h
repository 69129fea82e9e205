/* runtime_api: the Lambda Runtime API client, over one http_conn.
 *
 * GET /next (no timeout), POST response, error and init error, exactly as
 * docs/architecture.md and the Runtime API contract say, over http_conn's
 * one keep-alive libcurl connection, response headers matched
 * case-insensitively. It reports what happened; the policy (retry,
 * carry on, exit) is runtime_loop's. Knows the Runtime API's requests and
 * headers; nothing of curl, Lua or Kafka. */
#ifndef LRT_RUNTIME_API_H
#define LRT_RUNTIME_API_H

#include <stddef.h>

#include "buf.h"

/* Biggest event body accepted from /next. Lambda's synchronous payload limit
 * is 6 MB; the margin covers JSON framing. */
#define RUNTIME_API_MAX_EVENT (16u * 1024u * 1024u)
#define RUNTIME_API_MAX_ID 256

struct runtime_api; /* opaque: owns the http_conn */

/* One event from /next. Header strings are "" when absent. */
struct runtime_invocation {
  struct buf body;
  char request_id[RUNTIME_API_MAX_ID + 1];
  long long deadline_ms; /* 0 when absent or unparsable */
  struct buf function_arn;
  struct buf trace_id;
  struct buf client_context;
  struct buf cognito_identity;
  int has_trace_id;
  int request_id_valid; /* 0 when missing, too long, or unsafe in a URL */
};

enum runtime_api_status {
  RUNTIME_API_OK = 0,
  RUNTIME_API_ETRANSPORT = -1, /* refused, reset, timeout, malformed answer */
  RUNTIME_API_EHTTP = -2,      /* the API answered an unexpected status */
  RUNTIME_API_ETOOBIG = -3,    /* event body over RUNTIME_API_MAX_EVENT */
  RUNTIME_API_ENOMEM = -4
};

/* 'endpoint' is AWS_LAMBDA_RUNTIME_API ("host:port"). Returns 0 or -1. */
int runtime_api_new(struct runtime_api **out, const char *endpoint)
    __attribute__((warn_unused_result));
void runtime_api_destroy(struct runtime_api *api);

void runtime_api_invocation_init(struct runtime_invocation *inv);
void runtime_api_invocation_reset(struct runtime_invocation *inv);
void runtime_api_invocation_free(struct runtime_invocation *inv);

/* GET /runtime/invocation/next into 'inv'. *http_status is the HTTP status
 * (0 when there was no answer). Returns RUNTIME_API_OK only for a 200 with a
 * complete body; RUNTIME_API_ETOOBIG (with the headers, request id included,
 * in 'inv') for a body over RUNTIME_API_MAX_EVENT. */
int runtime_api_next(struct runtime_api *api, struct runtime_invocation *inv,
                     long *http_status) __attribute__((warn_unused_result));

/* POST /runtime/invocation/{id}/response with the JSON body. Returns
 * RUNTIME_API_OK for 202 (or any 2xx); RUNTIME_API_EHTTP with *http_status set
 * otherwise (413 over the size limit, 400/403, 500...). */
int runtime_api_post_response(struct runtime_api *api, const char *request_id,
                              const char *body, size_t len, long *http_status)
    __attribute__((warn_unused_result));

/* POST /runtime/invocation/{id}/error with the error body and the
 * Lambda-Runtime-Function-Error-Type header. Results as above. */
int runtime_api_post_error(struct runtime_api *api, const char *request_id,
                           const char *error_type, const char *body, size_t len,
                           long *http_status)
    __attribute__((warn_unused_result));

/* POST /runtime/init/error. Results as above. */
int runtime_api_post_init_error(struct runtime_api *api, const char *error_type,
                                const char *body, size_t len, long *http_status)
    __attribute__((warn_unused_result));

/* A description of the last transport failure (curl_easy_strerror plus
 * detail), for log lines. */
const char *runtime_api_last_error(const struct runtime_api *api);

#endif
