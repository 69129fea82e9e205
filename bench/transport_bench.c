/* transport_bench: the CPU the runtime's transport costs per invocation,
 * without Lua.
 *
 * The runtime's own Runtime API client (src/runtime_api.c over
 * src/http_conn.c, libcurl's easy interface) against the bench's load server
 * (bench/load_server.c, started here on 127.0.0.1): GET /next of the event
 * file, then POST the expected answer as the response, N times after a
 * warm-up. Prints this process's user+system CPU per invocation (getrusage),
 * which is the whole of the transport's cost on the runtime's side: what
 * curl does, the copies of the body and the kernel's receive work. The load
 * server's own CPU is its own process's. Run by bench/run.sh; figures in
 * docs/performance.md ("Issue 12").
 *
 *   transport_bench LOAD_SERVER EVENT.json EXPECTED.json [N] [WARMUP]
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_file.h"
#include "runtime_api.h"

extern char **environ;

static double cpu_ms(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static double wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}


/* One GET /next and one POST of the answer. Returns 0 or -1. */
static int invoke(struct runtime_api *api, struct runtime_invocation *inv,
                  const char *answer, size_t answer_len, size_t event_len)
{
  long status = 0;
  if (runtime_api_next(api, inv, &status) != RUNTIME_API_OK ||
      inv->body.len != event_len) {
    fprintf(stderr, "transport_bench: /next failed (HTTP %ld): %s\n", status,
            runtime_api_last_error(api));
    return -1;
  }
  if (runtime_api_post_response(api, inv->request_id, answer, answer_len,
                                &status) != RUNTIME_API_OK) {
    fprintf(stderr, "transport_bench: response failed (HTTP %ld): %s\n", status,
            runtime_api_last_error(api));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: transport_bench LOAD_SERVER EVENT.json "
                    "EXPECTED.json [N] [WARMUP]\n");
    return 2;
  }
  long n = argc > 4 ? strtol(argv[4], NULL, 10) : 100;
  long warmup = argc > 5 ? strtol(argv[5], NULL, 10) : 5;
  size_t event_len = 0, answer_len = 0;
  char *event = bench_read_file(argv[2], &event_len);
  char *answer = bench_read_file(argv[3], &answer_len);
  if (event == NULL || answer == NULL || n <= 0 || warmup < 0) {
    fprintf(stderr, "transport_bench: cannot read %s or %s\n", argv[2],
            argv[3]);
    return 1;
  }
  free(event); /* only its length is checked against what /next gives */
  while (answer_len > 0 &&
         (answer[answer_len - 1] == '\n' || answer[answer_len - 1] == '\r'))
    answer_len--;

  /* The load server, its stdout on a pipe: "port P" first. */
  char count[32];
  snprintf(count, sizeof count, "%ld", n + warmup);
  /* Its stdin on a pipe too: it quits at EOF, so ours stays open. */
  int out[2], in[2];
  if (pipe(out) != 0 || pipe(in) != 0)
    return 1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  posix_spawn_file_actions_addclose(&fa, in[1]);
  /* posix_spawn takes char *const[]: the options as arrays, not literals. */
  char opt_event[] = "--event", opt_expect[] = "--expect",
       opt_count[] = "--count";
  char *sargv[] = {argv[1], opt_event, argv[2], opt_expect,
                   argv[3], opt_count, count,   NULL};
  pid_t pid;
  if (posix_spawn(&pid, argv[1], &fa, NULL, sargv, environ) != 0) {
    fprintf(stderr, "transport_bench: cannot start %s\n", argv[1]);
    return 1;
  }
  close(out[1]);
  close(in[0]);
  FILE *srv = fdopen(out[0], "r");
  int port = 0;
  if (srv == NULL || fscanf(srv, "port %d", &port) != 1) {
    fprintf(stderr, "transport_bench: the load server did not start\n");
    kill(pid, SIGTERM);
    return 1;
  }
  char endpoint[64];
  snprintf(endpoint, sizeof endpoint, "127.0.0.1:%d", port);

  struct runtime_api *api = NULL;
  struct runtime_invocation inv;
  runtime_api_invocation_init(&inv);
  int rc = 1;
  if (runtime_api_new(&api, endpoint) != 0)
    goto out;
  for (long i = 0; i < warmup; i++)
    if (invoke(api, &inv, answer, answer_len, event_len) != 0)
      goto out;
  double c0 = cpu_ms(), w0 = wall_ms();
  for (long i = 0; i < n; i++)
    if (invoke(api, &inv, answer, answer_len, event_len) != 0)
      goto out;
  double c1 = cpu_ms(), w1 = wall_ms();
  printf("transport %-28s %9zu bytes %5ld inv  %8.3f ms cpu/inv  %8.3f ms "
         "wall/inv\n",
         strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2], event_len,
         n, (c1 - c0) / (double)n, (w1 - w0) / (double)n);
  rc = 0;
out:
  runtime_api_destroy(api);
  runtime_api_invocation_free(&inv);
  free(answer);
  close(in[1]); /* EOF: the load server quits */
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  fclose(srv);
  return rc;
}
