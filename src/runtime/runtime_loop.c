/* runtime_loop: init, then next -> invoke -> post until SIGTERM or a fatal
 * platform error. See runtime_loop.h for the policy. */
#include "runtime_loop.h"
#include "clock.h"
#include "error_body.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error_types.h"
#include "log.h"
#include "memory_size.h"
#include "runtime_api.h"
#include "watchdog.h"

#define LOOP_NEXT_RETRIES 3
#define LOOP_BACKOFF_MS 100
/* Deadline-Ms values below this are not epoch times: some local emulators
 * send the function timeout ("5000") instead. */
#define LOOP_EPOCH_MS_FLOOR 100000000000LL

/* 1 while an invocation is in flight: SIGTERM then waits for it. */
static volatile sig_atomic_t loop_busy;
static volatile sig_atomic_t loop_terminate;

/* Format "YYYY-MM-DDTHH:MM:SS.mmmZ" with arithmetic only (async-signal-safe).
 * Days to civil date after Howard Hinnant's algorithm. */
static size_t signal_safe_timestamp(char *out)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long long secs = ts.tv_sec;
  long long days = secs / 86400, rem = secs % 86400;
  long long z = days + 719468, era = z / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  long long d = doy - (153 * mp + 2) / 5 + 1;
  long long m = mp < 10 ? mp + 3 : mp - 9;
  long long y = yoe + era * 400 + (m <= 2);
  long long parts[] = {
      y, m, d, rem / 3600, rem % 3600 / 60, rem % 60, ts.tv_nsec / 1000000};
  static const int widths[] = {4, 2, 2, 2, 2, 2, 3};
  static const char seps[] = "--T::.Z";
  size_t n = 0;
  for (int i = 0; i < 7; i++) {
    for (int w = widths[i] - 1; w >= 0; w--) {
      long long v = parts[i];
      for (int k = 0; k < w; k++)
        v /= 10;
      out[n++] = (char)('0' + v % 10);
    }
    out[n++] = seps[i];
  }
  return n;
}

static void on_sigterm(int sig)
{
  (void)sig;
  loop_terminate = 1;
  if (loop_busy)
    return; /* the loop exits after posting the invocation in flight */
  /* Idle (waiting on /next): nothing is lost by leaving now. Only
   * async-signal-safe calls from here on. */
  char line[128];
  size_t n = 0;
  if (log_get_format() == LOG_FORMAT_JSON) {
    static const char a[] = "{\"timestamp\":\"";
    static const char b[] = "\",\"level\":\"INFO\",\"message\":\"SIGTERM "
                            "received, shutting down\"}\n";
    memcpy(line, a, sizeof(a) - 1);
    n = sizeof(a) - 1;
    n += signal_safe_timestamp(line + n);
    memcpy(line + n, b, sizeof(b) - 1);
    n += sizeof(b) - 1;
  } else {
    static const char b[] = "\tINFO\tSIGTERM received, shutting down\n";
    n = signal_safe_timestamp(line);
    memcpy(line + n, b, sizeof(b) - 1);
    n += sizeof(b) - 1;
  }
  ssize_t w = write(STDERR_FILENO, line, n);
  (void)w;
  _exit(0);
}

static void install_signals(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigterm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* A peer closing the socket must be an error from curl, not a kill. */
  signal(SIGPIPE, SIG_IGN);
}

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && !loop_terminate) {
  }
}

size_t runtime_loop_memory_limit(const char *memory_size)
{
  if (!memory_size || !*memory_size)
    return 0; /* a local run: no cap */
  int valid;
  long long mb = memory_size_mb(memory_size, &valid);
  if (!valid)
    log_write(LOG_WARN,
              "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%.40s is not a size in MB "
              "(%d..%d); using %d MB",
              memory_size, MEMORY_SIZE_MIN_MB, MEMORY_SIZE_MAX_MB,
              MEMORY_SIZE_DEFAULT_MB);
  /* Keep 40 MB plus 15% for the runtime itself: the 6 MB event body, the
   * response being posted and the process's own pages live outside the
   * budget (the cJSON-path tree and the encoder's text are charged to it,
   * heap.h). mb is at most 10240, so nothing here overflows. */
  long long total = mb << 20;
  long long lua = total - total * 15 / 100 - (40LL << 20);
  if (lua < (16LL << 20))
    lua = 16LL << 20;
  return (size_t)lua;
}

/* A task root that is not a directory we can read and search is an init
 * error of its own, posted like a handler that fails to load. Returns 0
 * when usable, else -1 with the error in 'res'. */
static int check_task_root(const char *root, struct host_result *res)
{
  struct stat st;
  const char *why = NULL;
  if (!root)
    return 0; /* host's default, the current directory */
  if (stat(root, &st) != 0)
    why = strerror(errno);
  else if (!S_ISDIR(st.st_mode))
    why = "not a directory";
  else if (access(root, R_OK | X_OK) != 0)
    why = strerror(errno);
  if (!why)
    return 0;
  char msg[PATH_MAX + 128];
  snprintf(msg, sizeof msg,
           "the task root %s (LAMBDA_TASK_ROOT) is unusable: %s", root, why);
  res->is_error = 1;
  snprintf(res->error_type, sizeof res->error_type, "%s",
           ERROR_TYPE_INVALID_TASK_ROOT);
  if (error_body_build(&res->body, res->error_type, msg, strlen(msg), NULL) !=
      0)
    snprintf(res->error_type, sizeof res->error_type, "%s",
             ERROR_TYPE_OUT_OF_MEMORY);
  return -1;
}

/* Post an init error and report; the caller exits non-zero. */
static void report_init_error(struct runtime_api *api,
                              const struct host_result *res)
{
  long status = 0;
  static const char msg[] = "Init Error: the handler failed to load";
  log_emit(stderr, LOG_FATAL, msg, sizeof(msg) - 1, buf_cstr(&res->body));
  int rc = runtime_api_post_init_error(api, res->error_type, res->body.data,
                                       res->body.len, &status);
  if (rc != RUNTIME_API_OK)
    log_write(LOG_ERROR, "could not post /init/error (HTTP %ld): %s", status,
              runtime_api_last_error(api));
}

/* Apply the POST policy. Returns 0 to carry on, 1 to exit non-zero. */
static int post_outcome(struct runtime_api *api, const char *what, int rc,
                        long status)
{
  if (rc == RUNTIME_API_OK)
    return 0;
  if (rc == RUNTIME_API_ETRANSPORT) {
    log_write(LOG_ERROR, "posting the %s failed: %s", what,
              runtime_api_last_error(api));
    return 0; /* the next /next decides whether the API is gone */
  }
  if (status == 413) {
    log_write(LOG_ERROR,
              "the Runtime API refused the %s as too large (HTTP 413); this "
              "invocation is over",
              what);
    return 0;
  }
  if (status >= 500) {
    log_write(LOG_FATAL,
              "the Runtime API answered HTTP %ld to the %s; exiting as "
              "Lambda requires",
              status, what);
    return 1;
  }
  log_write(LOG_ERROR, "the Runtime API answered HTTP %ld to the %s", status,
            what);
  return 0;
}

/* Log an invocation's error and post it. Returns 0 to carry on, 1 to exit
 * non-zero. */
static int post_invoke_error(struct runtime_api *api, const char *request_id,
                             const char *type, const struct buf *body)
{
  /* In JSON format the error's fields become the line's own members. */
  static const char msg[] = "Invoke Error";
  log_emit(stderr, LOG_ERROR, msg, sizeof(msg) - 1, buf_cstr(body));
  long status = 0;
  int rc = runtime_api_post_error(api, request_id, type, body->data, body->len,
                                  &status);
  return post_outcome(api, "error", rc, status);
}

/* _X_AMZN_TRACE_ID lives in one buffer of ours, put in the environment with
 * putenv and rewritten in place: glibc's setenv never frees a replaced
 * value, so calling it per event grows the process without bound. */
static char *trace_env;
static size_t trace_env_cap;
static int trace_env_in_environ = -1; /* -1: not yet known */

static void trace_env_set(const char *value)
{
  static const char name[] = "_X_AMZN_TRACE_ID=";
  if (trace_env_in_environ < 0)
    trace_env_in_environ = getenv("_X_AMZN_TRACE_ID") != NULL;
  if (!value) {
    if (trace_env_in_environ)
      unsetenv("_X_AMZN_TRACE_ID");
    trace_env_in_environ = 0;
    return;
  }
  size_t need = sizeof(name) + strlen(value);
  if (need > trace_env_cap) {
    size_t cap = need < 256 ? 256 : need;
    char *fresh = malloc(cap);
    if (!fresh) {
      unsetenv("_X_AMZN_TRACE_ID"); /* better none than a stale one */
      trace_env_in_environ = 0;
      return;
    }
    snprintf(fresh, cap, "%s%s", name, value);
    putenv(fresh); /* the environment now points at 'fresh' */
    free(trace_env);
    trace_env = fresh;
    trace_env_cap = cap;
  } else {
    snprintf(trace_env, trace_env_cap, "%s%s", name, value);
    if (!trace_env_in_environ)
      putenv(trace_env);
  }
  trace_env_in_environ = 1;
}

/* Serve one event already fetched into 'inv'. Returns 0 to carry on, 1 to
 * exit non-zero. */
static int serve(struct runtime_api *api, struct host **host,
                 struct runtime_invocation *inv, struct host_result *res)
{
  trace_env_set(inv->has_trace_id ? buf_cstr(&inv->trace_id) : NULL);
  log_set_request_id(inv->request_id);

  struct host_context ctx = {
      .request_id = inv->request_id,
      .deadline_ms = inv->deadline_ms,
      .invoked_function_arn = buf_cstr(&inv->function_arn),
      .trace_id = inv->has_trace_id ? buf_cstr(&inv->trace_id) : NULL,
      .client_context = buf_cstr(&inv->client_context),
      .cognito_identity = buf_cstr(&inv->cognito_identity),
  };
  if (ctx.deadline_ms > 0 && ctx.deadline_ms < LOOP_EPOCH_MS_FLOOR)
    ctx.deadline_ms += clock_now_ms();
  host_reload_if_changed(host, ctx.deadline_ms, inv->request_id);

  host_invoke(*host, inv->body.data ? inv->body.data : "", inv->body.len, &ctx,
              res);
  int fatal;
  if (res->is_error) {
    fatal =
        post_invoke_error(api, inv->request_id, res->error_type, &res->body);
  } else {
    long status = 0;
    int rc = runtime_api_post_response(api, inv->request_id, res->body.data,
                                       res->body.len, &status);
    fatal = post_outcome(api, "response", rc, status);
  }
  log_set_request_id(NULL);
  host_collect(*host);
  return fatal;
}

/* An event the runtime cannot take (over the body cap): answer it with an
 * error so Lambda does not wait for the timeout. */
static int refuse_event(struct runtime_api *api,
                        const struct runtime_invocation *inv, struct buf *body)
{
  const char *type = ERROR_TYPE_EVENT_TOO_LARGE;
  char msg[96];
  snprintf(msg, sizeof(msg),
           "event body is over the runtime's limit of %u bytes",
           RUNTIME_API_MAX_EVENT);
  error_body_build(body, type, msg, strlen(msg), NULL);
  log_set_request_id(inv->request_id);
  int fatal = post_invoke_error(api, inv->request_id, type, body);
  log_set_request_id(NULL);
  return fatal;
}

int runtime_loop_run(const char *endpoint, const struct host_config *cfg)
{
  struct runtime_api *api = NULL;
  struct host *host = NULL;
  struct runtime_invocation inv;
  struct host_result res;
  int code = 1;

  install_signals();
  runtime_api_invocation_init(&inv);
  host_result_init(&res);
  watchdog_set_endpoint(endpoint);
  if (runtime_api_new(&api, endpoint) != 0) {
    log_write(LOG_FATAL, "cannot set up the Runtime API client for %s",
              endpoint);
    goto out;
  }
  if (check_task_root(cfg->task_root, &res) != 0 ||
      host_new(&host, cfg, &res) != 0) {
    report_init_error(api, &res);
    goto out;
  }
  log_write(LOG_DEBUG, "handler %s loaded, waiting for events", cfg->handler);

  int failures = 0;
  for (;;) {
    long status = 0;
    loop_busy = 0;
    if (loop_terminate) {
      log_write(LOG_INFO, "SIGTERM received, shutting down");
      code = 0;
      goto out;
    }
    runtime_api_invocation_reset(&inv);
    int rc = runtime_api_next(api, &inv, &status);
    loop_busy = 1;
    if (rc == RUNTIME_API_ETOOBIG && inv.request_id_valid) {
      failures = 0;
      if (refuse_event(api, &inv, &res.body))
        goto out;
      continue;
    }
    if (rc != RUNTIME_API_OK) {
      if (status >= 500) {
        log_write(LOG_FATAL,
                  "the Runtime API answered HTTP %ld to /next; exiting",
                  status);
        goto out;
      }
      if (++failures > LOOP_NEXT_RETRIES) {
        log_write(LOG_FATAL, "giving up on /next after %d attempts: %s",
                  failures, runtime_api_last_error(api));
        goto out;
      }
      long backoff = LOOP_BACKOFF_MS << (failures - 1);
      log_write(LOG_WARN,
                "/next failed (attempt %d, HTTP %ld): %s; retrying "
                "in %ld ms",
                failures, status, runtime_api_last_error(api), backoff);
      sleep_ms(backoff);
      continue;
    }
    failures = 0;
    if (!inv.request_id_valid) {
      log_write(LOG_ERROR, "event without a usable "
                           "Lambda-Runtime-Aws-Request-Id header skipped");
      continue;
    }
    if (serve(api, &host, &inv, &res))
      goto out;
  }

out:
  host_destroy(host);
  host_result_free(&res);
  runtime_api_invocation_free(&inv);
  runtime_api_destroy(api);
  return code;
}
