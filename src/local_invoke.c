/* local_invoke: one invocation from a file, no network; --watch re-runs it
 * whenever a script changes. See local_invoke.h. */
#include "local_invoke.h"
#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

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
static void make_request_id(char out[37])
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
static int run_once(const char *event_path, const struct lua_host_config *cfg,
                    struct buf *event, struct lua_host_result *res)
{
  if (read_event(event_path, event) != 0)
    return 2;
  const char *body = buf_cstr(event);
  size_t len = event->len;
  /* People's editors add a byte order mark; Lambda never sends one. */
  if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
    body += 3;
    len -= 3;
  }

  struct lua_host *host = NULL;
  if (lua_host_new(&host, cfg, res) != 0) {
    static const char msg[] = "Init Error: the handler failed to load";
    log_emit(stderr, LOG_FATAL, msg, sizeof(msg) - 1, buf_cstr(&res->body));
    return 2;
  }
  char request_id[37];
  make_request_id(request_id);
  char arn[256];
  snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:000000000000:function:%s",
           getenv("AWS_REGION") ? getenv("AWS_REGION") : "us-east-1",
           getenv("AWS_LAMBDA_FUNCTION_NAME"));
  struct lua_host_context ctx = {
      .request_id = request_id,
      .deadline_ms = clock_now_ms() + LOCAL_TIMEOUT_MS,
      .invoked_function_arn = arn,
  };
  log_set_request_id(request_id);
  lua_host_invoke(host, body, len, &ctx, res);
  log_set_request_id(NULL);

  /* The answer goes out before the state is closed: closing runs the
   * handler's finalizers, which may misbehave. */
  fflush(stdout);
  fwrite(res->body.data ? res->body.data : "", 1, res->body.len, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  lua_host_destroy(host);
  return res->is_error ? 1 : 0;
}

/* ==== --watch ==== */

/* A cheap fingerprint of every .lua file under 'dir' (names, sizes, mtimes),
 * so any edit, new file or removal changes it. */
static unsigned long long tree_fingerprint(const char *dir, int depth)
{
  unsigned long long h = 1469598103934665603ULL;
  DIR *d = opendir(dir);
  if (!d || depth > 8) {
    if (d)
      closedir(d);
    return h;
  }
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0)
      continue;
    unsigned long long v = 0;
    if (S_ISDIR(st.st_mode)) {
      v = tree_fingerprint(path, depth + 1);
    } else {
      size_t n = strlen(e->d_name);
      if (n < 4 || strcmp(e->d_name + n - 4, ".lua") != 0)
        continue;
      v = (unsigned long long)st.st_mtim.tv_sec * 1000000007ULL +
          (unsigned long long)st.st_mtim.tv_nsec +
          (unsigned long long)st.st_size * 31ULL;
    }
    for (const char *c = e->d_name; *c; c++)
      v = (v ^ (unsigned char)*c) * 1099511628211ULL;
    h += v * 0x9E3779B97F4A7C15ULL; /* order-independent: readdir order */
  }
  closedir(d);
  return h;
}

static unsigned long long watch_fingerprint(const char *root,
                                            const char *event_path)
{
  unsigned long long h = tree_fingerprint(root, 0);
  struct stat st;
  if (strcmp(event_path, "-") != 0 && stat(event_path, &st) == 0)
    h ^= (unsigned long long)st.st_mtim.tv_nsec * 31ULL +
         (unsigned long long)st.st_mtim.tv_sec + (unsigned long long)st.st_size;
  return h;
}

int local_invoke_run(const char *event_path, const struct lua_host_config *cfg,
                     int watch)
{
  default_env("AWS_LAMBDA_FUNCTION_NAME", "local-function");
  default_env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
  default_env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local-function");
  default_env("AWS_LAMBDA_LOG_STREAM_NAME", "local");

  struct buf event;
  struct lua_host_result res;
  buf_init(&event, LOCAL_MAX_EVENT);
  lua_host_result_init(&res);
  int code;
  if (watch && strcmp(event_path, "-") == 0) {
    log_write(LOG_ERROR, "--watch needs an event file, not stdin");
    code = 2;
  } else if (!watch) {
    code = run_once(event_path, cfg, &event, &res);
  } else {
    for (;;) {
      unsigned long long seen = watch_fingerprint(cfg->task_root, event_path);
      code = run_once(event_path, cfg, &event, &res);
      log_write(LOG_INFO, "--watch: exit %d; waiting for a change under %s",
                code, cfg->task_root);
      while (watch_fingerprint(cfg->task_root, event_path) == seen) {
        struct timespec ts = {0, LOCAL_WATCH_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
      }
    }
  }
  lua_host_result_free(&res);
  buf_free(&event);
  return code;
}
