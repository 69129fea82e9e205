/* watchdog: a thread that ends an invocation Lua will not end. See
 * watchdog.h. */
#include "watchdog.h"

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error_types.h"

/* How long the watchdog's own post may take before it exits anyway. */
#define WATCHDOG_POST_TIMEOUT_MS 1000L
/* Request ids are the platform's; longer ones are not ours to post for. */
#define WATCHDOG_MAX_ID 256

enum watch_state { WATCH_IDLE, WATCH_ARMED, WATCH_FIRED };

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cond = PTHREAD_COND_INITIALIZER;
static int watch_started;
static enum watch_state watch_state;
static long long watch_fire_at; /* epoch ms */
/* When the thread will look again by itself (epoch ms): the deadline of
 * its timed wait, LLONG_MAX while it waits for an arm. An arm wakes it only
 * to fire earlier than that, and a disarm never does: it finds the state
 * changed when it looks. Each invocation arms and disarms, and waking the
 * thread for both was two context switches per invocation. */
static long long watch_sleep_until = LLONG_MAX;
static int watch_post; /* post Runtime.Timeout when firing */
static char watch_id[WATCHDOG_MAX_ID + 1];
static char watch_what[96];
static char watch_api[256]; /* the Runtime API, "" in a local invocation */

/* Write one line to stderr with write(2): the process ends right after. */
static void fatal_line(const char *text)
{
  char line[512];
  int n = snprintf(line, sizeof line, "FATAL\t%.480s\n", text);
  if (n > 0) {
    ssize_t w = write(STDERR_FILENO, line,
                      (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)w;
  }
}

/* POST /invocation/<id>/error with Runtime.Timeout; best effort. */
static void post_timeout(const char *id)
{
  const char *api = watch_api;
  if (!*api)
    return;
  CURL *curl = curl_easy_init();
  if (!curl)
    return;
  char *escaped = curl_easy_escape(curl, id, 0);
  char url[WATCHDOG_MAX_ID * 3 + 256];
  snprintf(url, sizeof url, "http://%s/2018-06-01/runtime/invocation/%s/error",
           api, escaped ? escaped : "");
  curl_free(escaped);
  char body[256], type_header[96];
  int body_len = snprintf(
      body, sizeof body,
      "{\"errorMessage\":\"the handler did not return by the invocation "
      "deadline and could not be interrupted; the runtime process is "
      "replaced\",\"errorType\":\"%s\",\"stackTrace\":[]}",
      ERROR_TYPE_TIMEOUT);
  snprintf(type_header, sizeof type_header,
           "Lambda-Runtime-Function-Error-Type: %s", ERROR_TYPE_TIMEOUT);
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, type_header);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, WATCHDOG_POST_TIMEOUT_MS);
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK)
    fatal_line("watchdog: could not post the timeout error");
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
}

static void *watch_main(void *arg)
{
  (void)arg;
  pthread_mutex_lock(&watch_lock);
  for (;;) {
    while (watch_state != WATCH_ARMED) {
      watch_sleep_until = LLONG_MAX;
      pthread_cond_wait(&watch_cond, &watch_lock);
    }
    long long now = clock_now_ms();
    if (now < watch_fire_at) {
      long long at = watch_fire_at;
      struct timespec ts = {(time_t)(at / 1000), (long)(at % 1000) * 1000000L};
      watch_sleep_until = at;
      pthread_cond_timedwait(&watch_cond, &watch_lock, &ts);
      continue; /* disarmed, re-armed or due: look again */
    }
    watch_state = WATCH_FIRED;
    break;
  }
  char id[sizeof watch_id], what[sizeof watch_what];
  int post = watch_post;
  memcpy(id, watch_id, sizeof id);
  memcpy(what, watch_what, sizeof what);
  pthread_mutex_unlock(&watch_lock);

  char line[256];
  if (post) {
    snprintf(line, sizeof line,
             "invocation %.100s: the handler outlived its deadline where no "
             "interrupt reaches; answered %s, exiting so a "
             "fresh runtime serves the next event",
             id, ERROR_TYPE_TIMEOUT);
    fatal_line(line);
    post_timeout(id);
  } else {
    snprintf(line, sizeof line,
             "%.90s did not finish within its budget; exiting so a fresh "
             "runtime serves the next event",
             what);
    fatal_line(line);
  }
  _exit(1);
}

/* Start the thread once, with every signal blocked in it. Under the lock. */
static int watch_start(void)
{
  if (watch_started)
    return 0;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return -1;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  int rc = pthread_create(&t, NULL, watch_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return -1;
  pthread_detach(t);
  watch_started = 1;
  return 0;
}

static int watch_arm(long long fire_at, int post, const char *id,
                     const char *what)
{
  pthread_mutex_lock(&watch_lock);
  int rc = watch_start();
  if (rc == 0) {
    watch_fire_at = fire_at;
    watch_post = post;
    snprintf(watch_id, sizeof watch_id, "%s", id ? id : "");
    snprintf(watch_what, sizeof watch_what, "%s", what ? what : "");
    watch_state = WATCH_ARMED;
    if (fire_at < watch_sleep_until)
      pthread_cond_signal(&watch_cond);
  }
  pthread_mutex_unlock(&watch_lock);
  return rc;
}

void watchdog_set_endpoint(const char *endpoint)
{
  pthread_mutex_lock(&watch_lock);
  snprintf(watch_api, sizeof watch_api, "%s", endpoint ? endpoint : "");
  pthread_mutex_unlock(&watch_lock);
}

int watchdog_arm_invocation(const char *request_id, long long fire_at_ms)
{
  return watch_arm(fire_at_ms, 1, request_id, NULL);
}

int watchdog_arm_budget(long long budget_ms, const char *what)
{
  return watch_arm(clock_now_ms() + budget_ms, 0, NULL, what);
}

void watchdog_disarm(void)
{
  pthread_mutex_lock(&watch_lock);
  int fired = watch_state == WATCH_FIRED;
  if (!fired)
    watch_state = WATCH_IDLE; /* the thread sees it when it next looks */
  pthread_mutex_unlock(&watch_lock);
  while (fired)
    pause(); /* the watchdog thread is answering, then exits the process */
}
