/* decoder_bench: how fast the runtime turns Kafka event JSON into Lua tables.
 *
 * The decoder alone, no HTTP and no handler. The event file is read once,
 * then each phase repeats for about SECONDS of CPU time and prints MB/s of
 * event JSON (10^6 bytes) on process CPU time and on wall time:
 *   scan   kafka_scan_push straight from the text (src/events/kafka_scan.c): the
 *          path the runtime takes for every Kafka event Lambda sends
 *   parse  cJSON_ParseWithLength + cJSON_Delete (the reference path's parse)
 *   push   event_kafka_push of one parsed tree (src/events/event_kafka.c)
 *   full   parse + push + delete: the reference path, taken for events the
 *          scanner declines
 * As in host, the Lua state allocates through the runtime's own
 * allocator (src/support/heap.c, when the tree has it), the collector is stopped
 * while an event is pushed, and each iteration then drops the table and runs
 * a full collection, so the MB/s include freeing what the decoder built (the
 * host also collects after a big event). A push runs in lua_pcall, the tree
 * owned here and freed after.
 *
 * Built by bench/run.sh from the repo's own src/ files with -O2: it measures
 * the code the runtime ships. The scan phase is compiled in when
 * src/events/kafka_scan.h exists. */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_file.h"
#include "event_kafka.h"
#if __has_include("heap.h")
#include "heap.h"
#define BENCH_HAVE_HEAP 1
static struct heap bench_heap; /* the Lua state's, as in host */
#else
#define BENCH_HAVE_HEAP 0
#endif

#if defined(__has_include)
#if __has_include("kafka_scan.h")
#include "buf.h"
#include "kafka_scan.h"
#define BENCH_HAVE_SCAN 1
#endif
#endif
#ifndef BENCH_HAVE_SCAN
#define BENCH_HAVE_SCAN 0
#endif

struct bench_input {
  char *data;
  size_t len;
};

static double bench_now(clockid_t clock)
{
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_read(const char *path, struct bench_input *in)
{
  in->data = bench_read_file(path, &in->len);
  return in->data != NULL && in->len > 0 ? 0 : -1;
}

/* The reference decoder's scratch, kept across calls as event_decode keeps
 * it (reachable until exit). */
static struct buf reference_scratch = {.max = (size_t)128 << 20};

/* lua_pcall'ed: [tree as light userdata] -> [event table]. */
static int bench_push(lua_State *L)
{
  const cJSON *root = lua_touserdata(L, 1);
  lua_gc(L, LUA_GCSTOP);
  event_kafka_push(L, root, &reference_scratch);
  lua_gc(L, LUA_GCRESTART);
  return 1;
}

/* Pop the event on top, returning its record count, and collect it, so
 * each iteration also pays for freeing what it built. */
static long drop_event(lua_State *L)
{
  lua_getfield(L, -1, "records");
  long n = (long)luaL_len(L, -1);
  lua_pop(L, 2); /* records, event */
  lua_gc(L, LUA_GCCOLLECT);
  return n;
}

#if BENCH_HAVE_SCAN
static struct buf bench_scratch;

/* The scan path as host takes it; returns the record count or -1. */
static long bench_scan(lua_State *L, const char *text, size_t len)
{
  int r;

  lua_gc(L, LUA_GCSTOP);
  r = kafka_scan_push(L, text, len, &bench_scratch, NULL);
  lua_gc(L, LUA_GCRESTART);
  if (r != KAFKA_SCAN_PUSHED) {
    fprintf(stderr, "decoder_bench: kafka_scan declined the event\n");
    return -1;
  }
  return drop_event(L);
}
#endif

/* Push the event for 'root' in protected mode; returns its record count, or
 * -1 after printing the error. Leaves the stack as it found it. */
static long bench_decode(lua_State *L, const cJSON *root)
{
  lua_pushcfunction(L, bench_push);
  lua_pushlightuserdata(L, (void *)(size_t)root);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    if (lua_istable(L, -1))
      lua_getfield(L, -1, "message");
    fprintf(stderr, "decoder_bench: decode failed: %s\n",
            lua_tostring(L, -1) ? lua_tostring(L, -1) : "(no message)");
    lua_settop(L, 0);
    return -1;
  }
  return drop_event(L);
}

struct bench_phase {
  const char *name;
  long iters;
  double cpu;
  double wall;
  long records;
};

enum bench_kind { BENCH_SCAN, BENCH_PARSE, BENCH_PUSH, BENCH_FULL };

static int bench_run(lua_State *L, const struct bench_input *in,
                     enum bench_kind kind, double seconds,
                     struct bench_phase *ph)
{
  cJSON *tree = NULL;
  double cpu0, wall0;
  int rc = -1;

  if (kind == BENCH_PUSH) {
    tree = cJSON_ParseWithLength(in->data, in->len);
    if (tree == NULL)
      goto out;
  }
  ph->iters = 0;
  cpu0 = bench_now(CLOCK_PROCESS_CPUTIME_ID);
  wall0 = bench_now(CLOCK_MONOTONIC);
  do {
    cJSON *root = tree;
    long n = 0;
#if BENCH_HAVE_SCAN
    if (kind == BENCH_SCAN) {
      n = bench_scan(L, in->data, in->len);
      if (n < 0)
        goto out;
      ph->records = n;
      ph->iters++;
      ph->cpu = bench_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
      continue;
    }
#endif
    if (kind != BENCH_PUSH) {
      root = cJSON_ParseWithLength(in->data, in->len);
      if (root == NULL) {
        fprintf(stderr, "decoder_bench: not JSON\n");
        goto out;
      }
    }
    if (kind != BENCH_PARSE)
      n = bench_decode(L, root);
    if (kind != BENCH_PUSH)
      cJSON_Delete(root);
    if (n < 0)
      goto out;
    ph->records = n;
    ph->iters++;
    ph->cpu = bench_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  } while (ph->cpu < seconds || ph->iters < 3);
  ph->wall = bench_now(CLOCK_MONOTONIC) - wall0;
  rc = 0;
out:
  cJSON_Delete(tree);
  return rc;
}

static void bench_print(const struct bench_phase *ph, size_t len)
{
  double mb = (double)len * (double)ph->iters / 1e6;
  printf("decoder %-5s %6ld iter %9.1f MB/s cpu %9.1f MB/s wall %11.0f "
         "records/s %8.3f ms/event\n",
         ph->name, ph->iters, mb / ph->cpu, mb / ph->wall,
         (double)ph->records * (double)ph->iters / ph->cpu,
         ph->cpu * 1000.0 / (double)ph->iters);
}

int main(int argc, char **argv)
{
  struct bench_input in = {NULL, 0};
  struct bench_phase phases[4] = {{"scan", 0, 0, 0, 0},
                                  {"parse", 0, 0, 0, 0},
                                  {"push", 0, 0, 0, 0},
                                  {"full", 0, 0, 0, 0}};
  double seconds = 2.0;
  lua_State *L = NULL;
  int rc = 1;

  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: decoder_bench EVENT.json [SECONDS_PER_PHASE "
                    "[PHASE]]\n(PHASE: one of scan, parse, push, full; for "
                    "profiling one phase alone)\n");
    return 2;
  }
  if (argc >= 3)
    seconds = strtod(argv[2], NULL);
  const char *only = argc == 4 ? argv[3] : NULL;
  if (bench_read(argv[1], &in) != 0) {
    fprintf(stderr, "decoder_bench: cannot read %s\n", argv[1]);
    return 2;
  }
#if BENCH_HAVE_HEAP
  heap_init(&bench_heap, 0); /* no cap: the bench measures, it does not limit */
  L = lua_newstate(heap_lua_alloc, &bench_heap);
#else
  L = luaL_newstate();
#endif
  if (L == NULL)
    goto out;
  luaL_openlibs(L);
  printf("decoder input %s: %zu bytes\n", argv[1], in.len);
#if BENCH_HAVE_SCAN
  buf_init(&bench_scratch, 16u * 1024u * 1024u);
#endif
  for (int i = BENCH_HAVE_SCAN ? 0 : 1; i < 4; i++) {
    if (only != NULL && strcmp(only, phases[i].name) != 0)
      continue;
    if (bench_run(L, &in, (enum bench_kind)i, seconds, &phases[i]) != 0)
      goto out;
    bench_print(&phases[i], in.len);
  }
  if (BENCH_HAVE_SCAN && only == NULL &&
      phases[0].records != phases[3].records) {
    fprintf(stderr, "decoder_bench: scan saw %ld records, cJSON %ld\n",
            phases[0].records, phases[3].records);
    goto out;
  }
  printf("decoder records per event: %ld\n", phases[3].records);
  rc = 0;
out:
  if (L != NULL)
    lua_close(L);
#if BENCH_HAVE_HEAP
  heap_destroy(&bench_heap);
#endif
  free(in.data);
#if BENCH_HAVE_SCAN
  buf_free(&bench_scratch);
#endif
  return rc;
}
