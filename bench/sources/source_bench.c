/* source_bench: decode throughput and CPU per invocation for the event
 * sources (docs/performance.md, "Every event source").
 *
 * For each event file, two phases, each repeated for about SECONDS of
 * process CPU time:
 *   decode  the event JSON -> Lua tables exactly as host does it: an
 *           SQS, Kinesis, DynamoDB or Kafka event through its scanner
 *           (sqs_scan_push, kinesis_scan_push, dynamodb_scan_push,
 *           kafka_scan_push) straight from the text, any other (or one
 *           they decline) through json_tree_parse into an arena, then
 *           event_source_detect and event_source_push; the collector
 *           stopped while decoding, then the table dropped and a full
 *           collection run, so the MB/s (10^6 bytes of event JSON per CPU
 *           second) include freeing what was built (the share of the time
 *           that collection took is printed beside them); with
 *           SOURCE_BENCH_TREE=1 every event takes the tree path (the A/B
 *           of the scanners);
 *   invoke  host_invoke with bench/handlers/bench.lua (the main
 *           bench's handler), then host_collect:
 *           the runtime's whole invocation but the HTTP (decode, handler,
 *           response encoding, garbage), in CPU ms per invocation;
 *           SOURCE_BENCH_DECODE_ONLY=1 leaves it out (an A/B of the
 *           decode alone).
 * Built by bench/sources/run.sh from the repo's src/ with -O2. */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench_file.h"
#include "arena.h"
#include "buf.h"
#include "dynamodb_scan.h"
#include "event_source.h"
#include "heap.h"
#include "json_lua.h"
#include "json_tree.h"
#include "kafka_scan.h"
#include "kinesis_scan.h"
#include "host.h"
#include "sqs_scan.h"

static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


struct decode_args {
  const char *text;
  size_t len;
  struct arena *arena;
  struct buf *scratch;
  int tree_only; /* SOURCE_BENCH_TREE=1: no scanner */
};

static int decode_protected(lua_State *L)
{
  struct decode_args *a = lua_touserdata(L, 1);
  lua_pop(L, 1);
  if (!a->tree_only &&
      (sqs_scan_push(L, a->text, a->len, a->scratch, a->arena) ==
           SQS_SCAN_PUSHED ||
       kinesis_scan_push(L, a->text, a->len, a->scratch, a->arena) ||
       dynamodb_scan_push(L, a->text, a->len, a->scratch, a->arena) ||
       kafka_scan_push(L, a->text, a->len, a->scratch, a->arena) ==
           KAFKA_SCAN_PUSHED))
    return 1;
  size_t at = 0;
  const char *why = NULL;
  cJSON *tree = json_tree_parse(a->arena, a->text, a->len, &at, &why);
  if (!tree)
    return luaL_error(L, "not JSON: %s", why);
  enum event_kind kind = event_source_detect(tree);
  if (kind == EVENT_CUSTOM || kind == EVENT_KAFKA)
    return luaL_error(L, "not a source event");
  event_source_push(L, tree, kind, a->scratch);
  return 1;
}

static void bench_decode(const char *name, const char *text, size_t len,
                         double seconds)
{
  struct heap heap;
  heap_init(&heap, 0);
  lua_State *L = lua_newstate(heap_lua_alloc, &heap);
  luaL_openlibs(L);
  struct arena arena;
  arena_init(&arena);
  struct buf scratch;
  buf_init(&scratch, (size_t)64 << 20);
  const char *tree = getenv("SOURCE_BENCH_TREE");
  struct decode_args a = {text, len, &arena, &scratch,
                          tree != NULL && strcmp(tree, "1") == 0};
  long n = 0;
  double t0 = cpu_now(), in_gc = 0;
  do {
    lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, decode_protected);
    lua_pushlightuserdata(L, &a);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
      fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
      exit(1);
    }
    lua_pop(L, 1);
    arena_reset(&arena);
    double g0 = cpu_now();
    lua_gc(L, LUA_GCRESTART);
    lua_gc(L, LUA_GCCOLLECT);
    in_gc += cpu_now() - g0;
    n++;
  } while (cpu_now() - t0 < seconds);
  double t = cpu_now() - t0;
  printf("decode  %-14s %7.2f MB  %6.1f MB/s  (%ld runs, %2.0f%% of it "
         "freeing)\n",
         name, len / 1e6, (double)len * (double)n / 1e6 / t, n,
         100 * in_gc / t);
  buf_free(&scratch);
  arena_free(&arena);
  lua_close(L);
  heap_destroy(&heap);
}

static void bench_invoke(const char *name, const char *text, size_t len,
                         double seconds, const char *root, const char *lua)
{
  struct host_config cfg = {root, lua, "bench", 0, 0, 0};
  struct host_result res;
  host_result_init(&res);
  struct host *h = NULL;
  if (host_new(&h, &cfg, &res) != 0) {
    fprintf(stderr, "init: %.*s\n", (int)res.body.len, res.body.data);
    exit(1);
  }
  struct host_context ctx = {"bench", 0, NULL, NULL, NULL, NULL};
  long n = 0;
  double t0 = cpu_now();
  do {
    host_invoke(h, text, len, &ctx, &res);
    if (res.is_error) {
      fprintf(stderr, "%s: %.*s\n", name, (int)res.body.len, res.body.data);
      exit(1);
    }
    host_collect(h);
    n++;
  } while (cpu_now() - t0 < seconds);
  double t = cpu_now() - t0;
  printf("invoke  %-14s %7.2f ms/invocation  %s  (%ld runs)\n", name,
         t * 1000 / (double)n, buf_cstr(&res.body), n);
  host_result_free(&res);
  host_destroy(h);
}

int main(int argc, char **argv)
{
  if (argc < 5) {
    fprintf(stderr, "usage: source_bench SECONDS HANDLER_ROOT LUA_DIR FILE...\n");
    return 2;
  }
  double seconds = atof(argv[1]);
  const char *only = getenv("SOURCE_BENCH_DECODE_ONLY");
  int decode_only = only != NULL && strcmp(only, "1") == 0;
  for (int i = 4; i < argc; i++) {
    size_t len = 0;
    char *text = bench_read_file(argv[i], &len);
    if (!text) {
      perror(argv[i]);
      return 1;
    }
    const char *name = strrchr(argv[i], '/');
    name = name ? name + 1 : argv[i];
    bench_decode(name, text, len, seconds);
    if (!decode_only)
      bench_invoke(name, text, len, seconds, argv[2], argv[3]);
    free(text);
  }
  return 0;
}
