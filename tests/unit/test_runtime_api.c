/* test_runtime_api: the Runtime API client against a real HTTP server.
 *
 * The server is tests/integration/mock_runtime_api.py in --control mode, run
 * as a child process: the test queues events and faults over its control
 * endpoints, calls runtime_api_* exactly as runtime_loop does, then reads
 * back what the server received (paths, headers, bodies, how many TCP
 * connections carried them) from /_mock/state. Control requests use a second
 * curl handle of their own and are not counted as API connections. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "runtime_api.h"
#include "test.h"

#ifndef LRT_SOURCE_DIR
#define LRT_SOURCE_DIR ".."
#endif

static pid_t mock_pid = -1;
static int mock_stdin = -1;
static char endpoint[256];
static CURL *control;

/* ==== The mock server ==== */

static void stop_mock(void)
{
  if (mock_pid > 0) {
    int status;
    kill(mock_pid, SIGTERM);
    waitpid(mock_pid, &status, 0);
    mock_pid = -1;
  }
  if (mock_stdin >= 0) {
    close(mock_stdin);
    mock_stdin = -1;
  }
}

static void start_mock(void)
{
  int out[2], in[2];
  ASSERT_OK(pipe(out));
  ASSERT_OK(pipe(in));
  const char *src = getenv("LRT_SOURCE_DIR");
  char script[1024];
  snprintf(script, sizeof script, "%s/tests/integration/mock_runtime_api.py",
           src && *src ? src : LRT_SOURCE_DIR);
  pid_t pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(in[0], STDIN_FILENO);
    close(out[0]);
    close(out[1]);
    close(in[0]);
    close(in[1]);
    execlp("python3", "python3", script, "--control", (char *)NULL);
    perror("exec python3");
    _exit(127);
  }
  close(out[1]);
  close(in[0]);
  mock_pid = pid;
  /* Closing our end of its stdin also stops the mock if we die. */
  mock_stdin = in[1];
  char line[256];
  size_t n = 0;
  while (n < sizeof line - 1) {
    ssize_t r = read(out[0], line + n, 1);
    if (r <= 0)
      break;
    if (line[n] == '\n')
      break;
    n++;
  }
  line[n] = '\0';
  close(out[0]);
  if (strncmp(line, "LISTENING ", 10) != 0) {
    stop_mock();
    TEST_FAIL("the mock did not start: \"%s\"", line);
  }
  memcpy(endpoint, line + 10, n - 10 + 1);
}

static size_t collect(char *data, size_t size, size_t nmemb, void *userp)
{
  if (buf_append(userp, data, size * nmemb) != BUF_OK)
    return 0;
  return size * nmemb;
}

/* One control request; returns the parsed answer (caller deletes). */
static cJSON *mock_call(const char *path, const char *json_body)
{
  struct buf answer;
  char url[512];
  buf_init(&answer, 64u * 1024u * 1024u);
  snprintf(url, sizeof url, "http://%s%s", endpoint, path);
  curl_easy_reset(control);
  curl_easy_setopt(control, CURLOPT_URL, url);
  curl_easy_setopt(control, CURLOPT_PROXY, "");
  curl_easy_setopt(control, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(control, CURLOPT_WRITEDATA, &answer);
  if (json_body != NULL)
    curl_easy_setopt(control, CURLOPT_POSTFIELDS, json_body);
  CURLcode rc = curl_easy_perform(control);
  long status = 0;
  curl_easy_getinfo(control, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK || status != 200)
    TEST_FAIL("control %s: curl %d, HTTP %ld", path, (int)rc, status);
  cJSON *j = cJSON_ParseWithLength(buf_cstr(&answer), answer.len);
  buf_free(&answer);
  ASSERT_NOT_NULL(j);
  return j;
}

static void mock_post(const char *path, const char *json_body)
{
  cJSON_Delete(mock_call(path, json_body));
}

static void mock_reset(void)
{
  mock_post("/_mock/reset", "{}");
}

static cJSON *mock_state(void)
{
  return mock_call("/_mock/state", NULL);
}

static int state_int(const cJSON *state, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(state, name);
  ASSERT(cJSON_IsNumber(v));
  return (int)v->valuedouble;
}

static const cJSON *state_item(const cJSON *state, const char *list, int i)
{
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(state, list);
  ASSERT(cJSON_IsArray(arr));
  if (i < 0)
    i += cJSON_GetArraySize(arr);
  const cJSON *it = cJSON_GetArrayItem(arr, i);
  ASSERT_NOT_NULL(it);
  return it;
}

static const char *item_str(const cJSON *item, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A header of a recorded request, matched case-insensitively; NULL when
 * absent. */
static const char *item_header(const cJSON *item, const char *name)
{
  const cJSON *hs = cJSON_GetObjectItemCaseSensitive(item, "headers");
  const cJSON *h;
  cJSON_ArrayForEach(h, hs) {
    const cJSON *k = cJSON_GetArrayItem(h, 0);
    const cJSON *v = cJSON_GetArrayItem(h, 1);
    if (cJSON_IsString(k) && strcasecmp(k->valuestring, name) == 0)
      return cJSON_IsString(v) ? v->valuestring : NULL;
  }
  return NULL;
}

/* ==== Tests ==== */

static struct runtime_api *new_api(void)
{
  struct runtime_api *api = NULL;
  ASSERT_OK(runtime_api_new(&api, endpoint));
  ASSERT_NOT_NULL(api);
  return api;
}

static void test_next_all_headers(void)
{
  struct runtime_api *api = new_api();
  struct runtime_invocation inv;
  long status = -1;
  runtime_api_invocation_init(&inv);
  mock_reset();
  /* Names in mixed case, values with spaces around them to be trimmed. */
  mock_post("/_mock/event",
            "{\"body\": \"{\\\"hello\\\": \\\"world\\\"}\", \"headers\": {"
            "\"lambda-RUNTIME-aws-request-ID\": \"Req-1.a_b:c~d\","
            "\"LAMBDA-RUNTIME-DEADLINE-MS\": \"  1700000000123  \","
            "\"lambda-runtime-invoked-function-arn\": "
            "\"arn:aws:lambda:eu-west-1:1:function:f\","
            "\"Lambda-Runtime-Trace-Id\": \"Root=1-abc;Sampled=1 \","
            "\"LaMbDa-RuNtImE-cLiEnT-cOnTeXt\": \"{\\\"client\\\":{}}\","
            "\"lambda-runtime-cognito-identity\": \"{\\\"id\\\":\\\"x\\\"}\""
            "}}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_EQ(status, 200);
  ASSERT_STR_EQ(buf_cstr(&inv.body), "{\"hello\": \"world\"}");
  ASSERT_EQ(inv.body.len, 18);
  ASSERT_STR_EQ(inv.request_id, "Req-1.a_b:c~d");
  ASSERT_EQ(inv.request_id_valid, 1);
  ASSERT_EQ(inv.deadline_ms, 1700000000123LL);
  ASSERT_STR_EQ(buf_cstr(&inv.function_arn),
                "arn:aws:lambda:eu-west-1:1:function:f");
  ASSERT_STR_EQ(buf_cstr(&inv.trace_id), "Root=1-abc;Sampled=1");
  ASSERT_EQ(inv.has_trace_id, 1);
  ASSERT_STR_EQ(buf_cstr(&inv.client_context), "{\"client\":{}}");
  ASSERT_STR_EQ(buf_cstr(&inv.cognito_identity), "{\"id\":\"x\"}");

  cJSON *st = mock_state();
  const cJSON *req = state_item(st, "requests", -1);
  ASSERT_STR_EQ(item_str(req, "method"), "GET");
  ASSERT_STR_EQ(item_str(req, "path"), "/2018-06-01/runtime/invocation/next");
  cJSON_Delete(st);

  /* All lower-case, then all upper-case names, on the same handle. */
  mock_post("/_mock/event", "{\"body\": \"1\", \"request_id\": \"low\", "
                            "\"header_case\": \"lower\", \"trace_id\": "
                            "\"T-low\"}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_STR_EQ(inv.request_id, "low");
  ASSERT_STR_EQ(buf_cstr(&inv.trace_id), "T-low");
  ASSERT(inv.deadline_ms > 0);
  mock_post("/_mock/event", "{\"body\": \"2\", \"request_id\": \"UP\", "
                            "\"header_case\": \"upper\", \"trace_id\": "
                            "\"T-up\"}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_STR_EQ(inv.request_id, "UP");
  ASSERT_STR_EQ(buf_cstr(&inv.trace_id), "T-up");
  ASSERT_STR_EQ(buf_cstr(&inv.body), "2");

  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
}

static void test_next_missing_and_garbage_headers(void)
{
  struct runtime_api *api = new_api();
  struct runtime_invocation inv;
  long status = -1;
  runtime_api_invocation_init(&inv);

  /* First an event with everything, so that stale values would show. */
  mock_post("/_mock/event", "{\"body\": \"{}\", \"request_id\": \"full\"}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_EQ(inv.has_trace_id, 1);

  mock_post("/_mock/event",
            "{\"body\": \"[]\", \"trace_id\": null, \"arn\": null, "
            "\"headers\": {\"Lambda-Runtime-Aws-Request-Id\": null, "
            "\"Lambda-Runtime-Deadline-Ms\": null}}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_EQ(status, 200);
  ASSERT_STR_EQ(buf_cstr(&inv.body), "[]");
  ASSERT_STR_EQ(inv.request_id, "");
  ASSERT_EQ(inv.request_id_valid, 0);
  ASSERT_EQ(inv.deadline_ms, 0);
  ASSERT_STR_EQ(buf_cstr(&inv.function_arn), "");
  ASSERT_STR_EQ(buf_cstr(&inv.trace_id), "");
  ASSERT_EQ(inv.has_trace_id, 0);
  ASSERT_STR_EQ(buf_cstr(&inv.client_context), "");
  ASSERT_STR_EQ(buf_cstr(&inv.cognito_identity), "");

  /* Ids that are unsafe in a URL path, and garbage deadlines. */
  static const char *const bad_ids[] = {"a/b",   "..",  "a b",
                                        "x?y=1", "%2e", "caf\\u00e9"};
  static const char *const bad_deadlines[] = {"12abc", "-5", "", "soon",
                                              "99999999999999999999999"};
  for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
    char spec[256];
    snprintf(spec, sizeof spec,
             "{\"body\": \"{}\", \"request_id\": \"%s\", \"headers\": "
             "{\"Lambda-Runtime-Deadline-Ms\": \"%s\"}}",
             bad_ids[i], bad_deadlines[i % 5]);
    mock_post("/_mock/event", spec);
    ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
    if (inv.request_id_valid)
      TEST_FAIL("request id \"%s\" accepted", bad_ids[i]);
    ASSERT_STR_EQ(inv.request_id, "");
    ASSERT_EQ(inv.deadline_ms, 0);
  }

  /* Longest id accepted, one more refused. */
  char spec[1024], id[RUNTIME_API_MAX_ID + 2];
  memset(id, 'a', sizeof id - 1);
  id[RUNTIME_API_MAX_ID] = '\0';
  snprintf(spec, sizeof spec, "{\"request_id\": \"%s\"}", id);
  mock_post("/_mock/event", spec);
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_EQ(inv.request_id_valid, 1);
  ASSERT_STR_EQ(inv.request_id, id);
  id[RUNTIME_API_MAX_ID] = 'a';
  id[RUNTIME_API_MAX_ID + 1] = '\0';
  snprintf(spec, sizeof spec, "{\"request_id\": \"%s\"}", id);
  mock_post("/_mock/event", spec);
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_EQ(inv.request_id_valid, 0);

  /* The POSTs refuse an unsafe id themselves, without a request. */
  mock_reset();
  ASSERT_EQ(runtime_api_post_response(api, "../init/error", "{}", 2, &status),
            RUNTIME_API_EHTTP);
  ASSERT_EQ(status, 0);
  ASSERT_EQ(runtime_api_post_error(api, "", "T", "{}", 2, &status),
            RUNTIME_API_EHTTP);
  cJSON *st = mock_state();
  ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(st, "requests")), 0);
  cJSON_Delete(st);

  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
}

static void test_posts_as_received(void)
{
  struct runtime_api *api = new_api();
  struct runtime_invocation inv;
  long status = -1;
  runtime_api_invocation_init(&inv);
  mock_reset();
  mock_post("/_mock/event", "{\"request_id\": \"id-1\"}");
  mock_post("/_mock/event", "{\"request_id\": \"id-2\"}");

  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  static const char resp[] = "{\"ok\":true,\"n\":[1,2,3]}";
  ASSERT_EQ(runtime_api_post_response(api, inv.request_id, resp,
                                      sizeof resp - 1, &status),
            RUNTIME_API_OK);
  ASSERT_EQ(status, 202);

  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  static const char err[] = "{\"errorMessage\":\"boom\",\"errorType\":"
                            "\"Orders.Invalid\",\"stackTrace\":[]}";
  ASSERT_EQ(runtime_api_post_error(api, inv.request_id, "Orders.Invalid", err,
                                   sizeof err - 1, &status),
            RUNTIME_API_OK);
  ASSERT_EQ(status, 202);

  static const char ierr[] = "{\"errorMessage\":\"no module\",\"errorType\":"
                             "\"Runtime.ImportModuleError\",\"stackTrace\":[]}";
  ASSERT_EQ(runtime_api_post_init_error(api, "Runtime.ImportModuleError", ierr,
                                        sizeof ierr - 1, &status),
            RUNTIME_API_OK);
  ASSERT_EQ(status, 202);

  /* A body with a NUL and no terminator: the length is what counts. */
  mock_post("/_mock/event", "{\"request_id\": \"id-3\"}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  static const char odd[] = {'"', 'a', '\0', 'b', '"', 'X'};
  ASSERT_EQ(runtime_api_post_response(api, "id-3", odd, 5, &status),
            RUNTIME_API_OK);

  cJSON *st = mock_state();
  const cJSON *p = state_item(st, "posts", 0);
  ASSERT_STR_EQ(item_str(p, "kind"), "response");
  ASSERT_STR_EQ(item_str(p, "request_id"), "id-1");
  ASSERT_STR_EQ(item_str(p, "body"), resp);
  ASSERT_STR_EQ(item_header(p, "Content-Type"), "application/json");
  ASSERT_STR_EQ(item_header(p, "Content-Length"), "23");
  ASSERT(item_header(p, "Expect") == NULL);
  ASSERT(item_header(p, "Transfer-Encoding") == NULL);
  ASSERT(item_header(p, "Lambda-Runtime-Function-Error-Type") == NULL);

  p = state_item(st, "posts", 1);
  ASSERT_STR_EQ(item_str(p, "kind"), "error");
  ASSERT_STR_EQ(item_str(p, "request_id"), "id-2");
  ASSERT_STR_EQ(item_str(p, "body"), err);
  ASSERT_STR_EQ(item_header(p, "Lambda-Runtime-Function-Error-Type"),
                "Orders.Invalid");
  ASSERT_STR_EQ(item_header(p, "Content-Type"), "application/json");

  p = state_item(st, "posts", 2);
  ASSERT_STR_EQ(item_str(p, "kind"), "init_error");
  ASSERT_STR_EQ(item_str(p, "body"), ierr);
  ASSERT_STR_EQ(item_header(p, "Lambda-Runtime-Function-Error-Type"),
                "Runtime.ImportModuleError");

  p = state_item(st, "posts", 3);
  ASSERT_EQ(state_int(p, "body_len"), 5);
  ASSERT_STR_EQ(item_header(p, "Content-Length"), "5");

  /* Keep-alive: every API request of this test went over one connection. */
  ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(st, "requests")), 7);
  ASSERT_EQ(state_int(st, "connections"), 1);
  cJSON_Delete(st);

  /* A big response still goes with an explicit length, no Expect. */
  size_t big_len = 2u * 1024u * 1024u;
  char *big = malloc(big_len);
  ASSERT_NOT_NULL(big);
  memset(big, 'z', big_len);
  big[0] = '"';
  big[big_len - 1] = '"';
  mock_post("/_mock/event", "{\"request_id\": \"id-big\"}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_EQ(runtime_api_post_response(api, "id-big", big, big_len, &status),
            RUNTIME_API_OK);
  free(big);
  st = mock_state();
  p = state_item(st, "posts", -1);
  ASSERT_EQ(state_int(p, "body_len"), (int)big_len);
  ASSERT(item_header(p, "Expect") == NULL);
  ASSERT_EQ(state_int(st, "connections"), 1);
  cJSON_Delete(st);

  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
}

static void test_http_statuses(void)
{
  struct runtime_api *api = new_api();
  struct runtime_invocation inv;
  long status = -1;
  runtime_api_invocation_init(&inv);
  mock_reset();

  static const int codes[] = {400, 403, 413, 500};
  static const char *const kinds[] = {"response", "error", "init_error"};
  for (size_t k = 0; k < 3; k++) {
    for (size_t i = 0; i < 4; i++) {
      char spec[128];
      snprintf(spec, sizeof spec, "{\"post\": \"%s\", \"status\": %d}",
               kinds[k], codes[i]);
      mock_post("/_mock/fault", spec);
      int rc;
      if (k == 0)
        rc = runtime_api_post_response(api, "some-id", "1", 1, &status);
      else if (k == 1)
        rc = runtime_api_post_error(api, "some-id", "T", "{}", 2, &status);
      else
        rc = runtime_api_post_init_error(api, "T", "{}", 2, &status);
      ASSERT_EQ(rc, RUNTIME_API_EHTTP);
      ASSERT_EQ(status, codes[i]);
      char want[16];
      snprintf(want, sizeof want, "HTTP %d", codes[i]);
      ASSERT_CONTAINS(runtime_api_last_error(api), want);
    }
  }

  /* 500 on /next: the status, distinct from a transport failure. */
  mock_post("/_mock/fault", "{\"next_status\": 500}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_EHTTP);
  ASSERT_EQ(status, 500);
  ASSERT_CONTAINS(runtime_api_last_error(api), "500");
  /* Statuses are not transport errors: the connection was kept. */
  cJSON *st = mock_state();
  ASSERT_EQ(state_int(st, "connections"), 1);
  cJSON_Delete(st);

  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
}

static void test_proxy_env_ignored(void)
{
  /* A proxy that does not exist: honouring any of these would fail. */
  setenv("http_proxy", "http://127.0.0.1:9", 1);
  setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
  setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
  setenv("all_proxy", "http://127.0.0.1:9", 1);
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  struct runtime_api *api = new_api();
  struct runtime_invocation inv;
  long status = -1;
  runtime_api_invocation_init(&inv);
  mock_reset();
  mock_post("/_mock/event", "{\"body\": \"{}\", \"request_id\": \"px\"}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_STR_EQ(inv.request_id, "px");
  ASSERT_EQ(runtime_api_post_response(api, "px", "1", 1, &status),
            RUNTIME_API_OK);
  cJSON *st = mock_state();
  /* A proxied request would carry an absolute URI as its path. */
  ASSERT_STR_EQ(item_str(state_item(st, "requests", 0), "path"),
                "/2018-06-01/runtime/invocation/next");
  cJSON_Delete(st);
  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  unsetenv("ALL_PROXY");
  unsetenv("all_proxy");
}

static void test_body_cap_and_broken_bodies(void)
{
  struct runtime_api *api = new_api();
  struct runtime_invocation inv;
  long status = -1;
  runtime_api_invocation_init(&inv);
  mock_reset();

  /* Exactly the cap is accepted. */
  char spec[256];
  snprintf(spec, sizeof spec, "{\"body_size\": %u, \"request_id\": \"max\"}",
           RUNTIME_API_MAX_EVENT);
  mock_post("/_mock/event", spec);
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_EQ(inv.body.len, RUNTIME_API_MAX_EVENT);

  /* One byte more is ETOOBIG, not a truncated event. */
  snprintf(spec, sizeof spec, "{\"body_size\": %u, \"request_id\": \"over\"}",
           RUNTIME_API_MAX_EVENT + 1u);
  mock_post("/_mock/event", spec);
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_ETOOBIG);
  ASSERT_EQ(status, 200);
  ASSERT_STR_EQ(inv.request_id, "over"); /* so the loop can post an error */
  ASSERT_CONTAINS(runtime_api_last_error(api), "over");

  /* The next event is fine on the same handle (a new connection). */
  mock_post("/_mock/event", "{\"body\": \"{\\\"a\\\":1}\", \"request_id\": "
                            "\"after\"}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_STR_EQ(buf_cstr(&inv.body), "{\"a\":1}");
  ASSERT_STR_EQ(inv.request_id, "after");

  /* A body cut short by a dropped connection is a transport error. */
  mock_post("/_mock/event", "{\"body\": \"{\\\"abcdefghij\\\": 1}\", "
                            "\"truncate_at\": 5}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_ETRANSPORT);
  ASSERT(runtime_api_last_error(api)[0] != '\0');
  /* A connection closed without an answer, too. */
  mock_post("/_mock/fault", "{\"drop_next\": 1}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_ETRANSPORT);
  ASSERT_EQ(status, 0);
  /* And a slow /next is simply waited for. */
  mock_post("/_mock/fault", "{\"next_delay\": 0.3}");
  mock_post("/_mock/event", "{\"body\": \"3\", \"request_id\": \"slow\"}");
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_OK);
  ASSERT_STR_EQ(inv.request_id, "slow");
  ASSERT_STR_EQ(buf_cstr(&inv.body), "3");
  mock_post("/_mock/fault", "{\"next_delay\": 0}");

  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
}

/* Queue one raw answer for the next /next ('close': end the connection after
 * it), call runtime_api_next and return its result. */
static int next_after_raw(struct runtime_api *api,
                          struct runtime_invocation *inv, const char *raw,
                          int close)
{
  cJSON *spec = cJSON_CreateObject();
  ASSERT_NOT_NULL(spec);
  cJSON_AddStringToObject(spec, "raw_next", raw);
  cJSON_AddBoolToObject(spec, "close", close);
  char *text = cJSON_PrintUnformatted(spec);
  ASSERT_NOT_NULL(text);
  mock_post("/_mock/fault", text);
  free(text);
  cJSON_Delete(spec);
  long status = -1;
  return runtime_api_next(api, inv, &status);
}

/* A plain event after a failure: the client must have recovered. */
static void assert_recovers(struct runtime_api *api,
                            struct runtime_invocation *inv)
{
  long status = -1;
  mock_post("/_mock/event", "{\"body\": \"[7]\", \"request_id\": \"again\"}");
  ASSERT_EQ(runtime_api_next(api, inv, &status), RUNTIME_API_OK);
  ASSERT_STR_EQ(inv->request_id, "again");
  ASSERT_STR_EQ(buf_cstr(&inv->body), "[7]");
}

/* Every framing an HTTP/1.1 server may choose, byte for byte, and the
 * malformed answers that must end the connection, not desynchronise it. */
static void test_answer_framings(void)
{
  struct runtime_api *api = new_api();
  struct runtime_invocation inv;
  runtime_api_invocation_init(&inv);
  mock_reset();

  /* Chunked, with an extension and a trailer; the connection stays. */
  ASSERT_EQ(next_after_raw(api, &inv,
                           "HTTP/1.1 200 OK\r\n"
                           "Lambda-Runtime-Aws-Request-Id: ch-1\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n"
                           "4;name=value\r\n{\"a\"\r\n5\r\n:12}\n\r\n"
                           "0\r\nX-Trailer: 1\r\n\r\n",
                           0),
            RUNTIME_API_OK);
  ASSERT_STR_EQ(inv.request_id, "ch-1");
  ASSERT_STR_EQ(buf_cstr(&inv.body), "{\"a\":12}\n");
  assert_recovers(api, &inv);
  cJSON *st = mock_state();
  ASSERT_EQ(state_int(st, "connections"), 1);
  cJSON_Delete(st);

  /* An interim answer first (its fields do not count), then bare LFs. */
  ASSERT_EQ(next_after_raw(api, &inv,
                           "HTTP/1.1 100 Continue\r\n"
                           "Lambda-Runtime-Aws-Request-Id: interim\r\n\r\n"
                           "HTTP/1.1 200 OK\n"
                           "lambda-runtime-aws-request-id: lf-1\n"
                           "Content-Length: 2\n\n{}",
                           0),
            RUNTIME_API_OK);
  ASSERT_STR_EQ(inv.request_id, "lf-1");
  ASSERT_STR_EQ(buf_cstr(&inv.body), "{}");

  /* HTTP/1.0 with no length: the body ends with the connection. */
  ASSERT_EQ(next_after_raw(api, &inv,
                           "HTTP/1.0 200 OK\r\n"
                           "Lambda-Runtime-Aws-Request-Id: close-1\r\n\r\n"
                           "[1,2]",
                           1),
            RUNTIME_API_OK);
  ASSERT_STR_EQ(buf_cstr(&inv.body), "[1,2]");
  assert_recovers(api, &inv);
  /* Connection: close with a length: honoured, and a new connection next. */
  ASSERT_EQ(next_after_raw(api, &inv,
                           "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                           "Lambda-Runtime-Aws-Request-Id: close-2\r\n"
                           "Content-Length: 1\r\n\r\n5",
                           1),
            RUNTIME_API_OK);
  ASSERT_STR_EQ(buf_cstr(&inv.body), "5");
  assert_recovers(api, &inv);
  st = mock_state();
  ASSERT_EQ(state_int(st, "connections"), 3);
  cJSON_Delete(st);

  /* Malformed answers, the server closing after each: curl refuses them
   * (a transport error) or, where it is lenient, the answer carries no
   * usable request id, so the loop skips it; either way nothing is taken
   * for an event and the next one is served on a clean connection. */
  static const char *const bad[] = {
      "HTTP/1.1 2OO OK\r\n\r\n",
      "HTTP/2 200\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = next_after_raw(api, &inv, bad[i], 1);
    if (rc != RUNTIME_API_ETRANSPORT && rc != RUNTIME_API_OK)
      TEST_FAIL("bad answer %zu: %d", i, rc);
    if (rc == RUNTIME_API_OK && inv.request_id_valid)
      TEST_FAIL("bad answer %zu taken for an event", i);
    if (rc == RUNTIME_API_ETRANSPORT)
      ASSERT(runtime_api_last_error(api)[0] != '\0');
    assert_recovers(api, &inv);
  }

  /* A head that never ends is cut off (curl's own cap on a header). */
  size_t big = 300u * 1024u;
  char *raw = malloc(big + 64);
  ASSERT_NOT_NULL(raw);
  strcpy(raw, "HTTP/1.1 200 OK\r\nX-Big: ");
  memset(raw + strlen(raw), 'a', big);
  raw[25 + big] = '\0';
  ASSERT_EQ(next_after_raw(api, &inv, raw, 1), RUNTIME_API_ETRANSPORT);
  free(raw);
  assert_recovers(api, &inv);

  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
}

static void test_refused_and_endpoints(void)
{
  struct runtime_api *api = NULL;
  ASSERT_EQ(runtime_api_new(&api, ""), -1);
  ASSERT(api == NULL);
  ASSERT_EQ(runtime_api_new(&api, NULL), -1);
  ASSERT_EQ(runtime_api_new(&api, "127.0.0.1:1/evil"), -1);
  ASSERT_EQ(runtime_api_new(&api, "user@127.0.0.1:1"), -1);
  ASSERT_EQ(runtime_api_new(&api, "127.0.0.1 :1"), -1);

  /* A port nobody listens on: bind one, note it, close it. */
  ASSERT_OK(runtime_api_new(&api, "http://127.0.0.1:1/"));
  struct runtime_invocation inv;
  long status = -1;
  runtime_api_invocation_init(&inv);
  ASSERT_EQ(runtime_api_next(api, &inv, &status), RUNTIME_API_ETRANSPORT);
  ASSERT_EQ(status, 0);
  ASSERT_CONTAINS(runtime_api_last_error(api), "GET next");
  ASSERT_EQ(runtime_api_post_response(api, "x", "1", 1, &status),
            RUNTIME_API_ETRANSPORT);
  ASSERT_EQ(status, 0);
  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
  runtime_api_destroy(NULL);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  /* The harness may export these; the tests must see curl's own choice. */
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  control = curl_easy_init();
  ASSERT_NOT_NULL(control);
  start_mock();
  test_next_all_headers();
  test_next_missing_and_garbage_headers();
  test_posts_as_received();
  test_http_statuses();
  test_proxy_env_ignored();
  test_body_cap_and_broken_bodies();
  test_answer_framings();
  test_refused_and_endpoints();
  stop_mock();
  curl_easy_cleanup(control);
  curl_global_cleanup();
  printf("test_runtime_api: ok\n");
  return 0;
}
