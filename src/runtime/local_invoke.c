/* local_invoke: one invocation from a file, no network; --watch re-runs it
 * whenever a script changes (script_watch.h, the detector hot reload uses
 * too). See local_invoke.h. */
#include "local_invoke.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "script_watch.h"
#include "utf8.h"

/* Events bigger than Lambda ever sends are still accepted locally, within
 * reason. */
#define LOCAL_MAX_EVENT (64u * 1024u * 1024u)
#define LOCAL_TIMEOUT_MS (300LL * 1000)
#define LOCAL_WATCH_POLL_MS 200

static int read_event(const char *path, struct buf *out)
{
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rbe");
  if (!f) {
    log_write(LOG_ERROR, "cannot open event file %s: %s", path,
              strerror(errno));
    return -1;
  }
  char chunk[65536];
  size_t n;
  int rc = 0;
  buf_reset(out);
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if (buf_append(out, chunk, n) != BUF_OK) {
      log_write(LOG_ERROR, "event file %s is over %u bytes", path,
                LOCAL_MAX_EVENT);
      rc = -1;
      break;
    }
  }
  if (rc == 0 && ferror(f)) {
    log_write(LOG_ERROR, "cannot read event file %s: %s", path,
              strerror(errno));
    rc = -1;
  }
  if (f != stdin)
    fclose(f);
  return rc;
}

/* A random v4 UUID, like Lambda's request ids, so handlers that parse or
 * key on the id behave as they will in Lambda. */
void local_invoke_request_id(char out[37])
{
  unsigned char b[16];
  FILE *f = fopen("/dev/urandom", "rbe");
  size_t got = f ? fread(b, 1, sizeof(b), f) : 0;
  if (f)
    fclose(f);
  if (got != sizeof(b)) {
    unsigned long long seed = (unsigned long long)clock_now_ms();
    for (size_t i = 0; i < sizeof(b); i++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      b[i] = (unsigned char)(seed >> 56);
    }
  }
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out[o++] = '-';
    out[o++] = hex[b[i] >> 4];
    out[o++] = hex[b[i] & 15];
  }
  out[o] = '\0';
}

static void default_env(const char *name, const char *value)
{
  if (!getenv(name))
    setenv(name, value, 0);
}

/* Run once. Returns the exit code of the contract: 0, 1 or 2. */
static int run_once(const char *event_path, const struct host_config *cfg,
                    struct buf *event, struct host_result *res, FILE *response)
{
  if (read_event(event_path, event) != 0)
    return 2;
  const char *body = buf_cstr(event);
  size_t len = event->len;
  /* People's editors add a byte order mark. */
  if (len >= UTF8_BOM_LEN && memcmp(body, UTF8_BOM, UTF8_BOM_LEN) == 0) {
    body += UTF8_BOM_LEN;
    len -= UTF8_BOM_LEN;
  }

  struct host *host = NULL;
  if (host_new(&host, cfg, res) != 0) {
    static const char msg[] = "Init Error: the handler failed to load";
    log_emit(stderr, LOG_FATAL, msg, sizeof(msg) - 1, buf_cstr(&res->body));
    return 2;
  }
  char request_id[37];
  local_invoke_request_id(request_id);
  char arn[256];
  snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:000000000000:function:%s",
           getenv("AWS_REGION") ? getenv("AWS_REGION") : "us-east-1",
           getenv("AWS_LAMBDA_FUNCTION_NAME"));
  struct host_context ctx = {
      .request_id = request_id,
      .deadline_ms = clock_now_ms() + LOCAL_TIMEOUT_MS,
      .invoked_function_arn = arn,
  };
  log_set_request_id(request_id);
  host_invoke(host, body, len, &ctx, res);
  log_set_request_id(NULL);

  /* The answer goes out before the state is closed: closing runs the
   * handler's finalizers, which may misbehave. */
  fflush(stdout);
  fwrite(res->body.data ? res->body.data : "", 1, res->body.len, response);
  fputc('\n', response);
  fflush(response);
  host_destroy(host);
  return res->is_error ? 1 : 0;
}

/* ==== stdout for the response alone ==== */

/* `bootstrap --event e.json | jq .` must work whatever the handler writes,
 * as with `sam local invoke`. Rather than teach every writer (print, log,
 * io.write, io.stdout, EMF records, a child process of os.execute, a C
 * module) another stream, file descriptor 1 itself is pointed at stderr for
 * the run and the response is written to a copy of the original stdout. */
int local_invoke_divert_stdout(int to_fd)
{
  fflush(stdout);
  int fd = dup(STDOUT_FILENO);
  if (fd < 0)
    return -1;
  if (dup2(to_fd, STDOUT_FILENO) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void local_invoke_restore_stdout(int fd)
{
  if (fd < 0)
    return;
  fflush(stdout);
  dup2(fd, STDOUT_FILENO);
  close(fd);
}

/* The response's stream: the original stdout, or stdout itself (with a
 * warning) when the descriptors cannot be rearranged. */
static FILE *response_stream_open(void)
{
  int fd = local_invoke_divert_stdout(STDERR_FILENO);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    local_invoke_restore_stdout(fd);
    log_write(LOG_WARN, "cannot separate the response from the handler's "
                        "output: both go to stdout");
    return stdout;
  }
  return f;
}

static void response_stream_close(FILE *f)
{
  if (f != stdout)
    fclose(f);
}

/* ==== --watch ==== */

/* The watch for one run: every .lua file and folder under the root (so a new
 * or removed file counts) and the event file, stamped now, before the run;
 * the run's loader adds every script it loads from elsewhere (LUA_PATH,
 * /opt/lua) and the schema files modules read. NULL when out of memory. */
static struct script_watch *watch_open(const char *root, const char *event_path)
{
  struct script_watch *w = script_watch_new();
  if (w && (script_watch_add_tree(w, root, ".lua") != 0 ||
            script_watch_add(w, event_path) != 0)) {
    script_watch_free(w);
    w = NULL;
  }
  if (!w)
    log_write(LOG_ERROR, "--watch: out of memory watching %s", root);
  return w;
}

int local_invoke_run(const char *event_path, const struct host_config *cfg,
                     int watch)
{
  default_env("AWS_LAMBDA_FUNCTION_NAME", "local-function");
  default_env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
  default_env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local-function");
  default_env("AWS_LAMBDA_LOG_STREAM_NAME", "local");

  struct buf event;
  struct host_result res;
  buf_init(&event, LOCAL_MAX_EVENT);
  host_result_init(&res);
  FILE *response = response_stream_open();
  int code;
  if (watch && strcmp(event_path, "-") == 0) {
    log_write(LOG_ERROR, "--watch needs an event file, not stdin");
    code = 2;
  } else if (!watch) {
    code = run_once(event_path, cfg, &event, &res, response);
  } else {
    struct host_config run = *cfg;
    while ((run.watch = watch_open(cfg->task_root, event_path)) != NULL) {
      code = run_once(event_path, &run, &event, &res, response);
      log_write(LOG_INFO, "--watch: exit %d; waiting for a change under %s",
                code, cfg->task_root);
      while (!script_watch_changed(run.watch)) {
        struct timespec ts = {0, LOCAL_WATCH_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
      }
      script_watch_free(run.watch);
    }
    code = 2;
  }
  response_stream_close(response);
  host_result_free(&res);
  buf_free(&event);
  return code;
}
