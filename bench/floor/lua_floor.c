/* lua_floor: what Lua 5.4 itself takes to build and free an event's values.
 *
 * Replays a tape written by capture.lua (the Lua values of an event as the
 * runtime decoded it) through the C API with nothing else: no JSON, no
 * base64, no wire format. Every table is created once at its exact size,
 * every entry set once raw, every string interned once per event (a repeat
 * is fetched from an array of the strings seen, as the decoders fetch their
 * field names), and after each replay the values are dropped and one full
 * collection frees them, on the runtime's own allocator (src/support/heap.c)
 * as the host does. No decoder building the same values can cost less, so
 * the figure is a floor: docs/performance.md compares it with the targets.
 *
 *   lua_floor TAPE EVENT_BYTES [SECONDS]
 * prints ms per replay (CPU), the share of it the collection took, and ms
 * per MB of the event the tape came from (EVENT_BYTES, 10^6 bytes a MB).
 *   lua_floor --canon TAPE OUT
 * rebuilds the values once and writes them in capture.lua's canonical form
 * (tests/bench/test_floor.py: the floor builds what the runtime built). */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench_file.h"
#include "heap.h"

static struct heap floor_heap;

static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t u32(const unsigned char *p)
{
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* One replay of the whole tape: the values land in a table at 'out'. */
static void replay(lua_State *L, const unsigned char *p, int cache, int out)
{
  lua_Integer nstr = 0, nval = 0;
  for (;;) {
    switch (*p++) {
    case 'T':
      lua_createtable(L, (int)u32(p), (int)u32(p + 4));
      p += 8;
      break;
    case 'S': {
      uint32_t n = u32(p);
      lua_pushlstring(L, (const char *)p + 4, n);
      lua_pushvalue(L, -1);
      lua_rawseti(L, cache, ++nstr);
      p += 4 + n;
      break;
    }
    case 'C':
      lua_rawgeti(L, cache, u32(p));
      p += 4;
      break;
    case 'I': {
      int64_t v;
      memcpy(&v, p, 8);
      lua_pushinteger(L, (lua_Integer)v);
      p += 8;
      break;
    }
    case 'F': {
      double d;
      memcpy(&d, p, 8);
      lua_pushnumber(L, d);
      p += 8;
      break;
    }
    case 'B':
      lua_pushboolean(L, *p++);
      break;
    case 'U': /* a shared sentinel: no object made per use */
      lua_pushlightuserdata(L, NULL);
      break;
    case 'A':
      lua_rawseti(L, -2, u32(p));
      p += 4;
      break;
    case 'N':
      lua_rawset(L, -3);
      break;
    case 'E':
      lua_rawseti(L, out, ++nval);
      break;
    case 'Z':
      return;
    default:
      fprintf(stderr, "lua_floor: bad tape byte %d\n", p[-1]);
      exit(1);
    }
  }
}

/* ==== The canonical form (capture.lua's canon) ==== */

struct canon_key {
  int is_int;
  lua_Integer i;
  const char *s;
  size_t len;
};

/* Integers before strings (the type names' order), each by value; strings
 * bytewise, a prefix first, as Lua's < in the C locale. */
static int canon_key_cmp(const void *pa, const void *pb)
{
  const struct canon_key *a = pa, *b = pb;
  if (a->is_int != b->is_int)
    return a->is_int ? -1 : 1;
  if (a->is_int)
    return (a->i > b->i) - (a->i < b->i);
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->s, b->s, n);
  if (c != 0)
    return c;
  return (a->len > b->len) - (a->len < b->len);
}

/* Write the value at 'idx'. [-0, +0, m] */
static void canon(lua_State *L, int idx, FILE *out)
{
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    fprintf(out, "s%zu:", n);
    fwrite(s, 1, n, out);
    break;
  }
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx))
      fprintf(out, "i%lld;", (long long)lua_tointeger(L, idx));
    else
      fprintf(out, "f%.17g;", lua_tonumber(L, idx));
    break;
  case LUA_TBOOLEAN:
    fputs(lua_toboolean(L, idx) ? "b1" : "b0", out);
    break;
  case LUA_TLIGHTUSERDATA:
    fputc('u', out);
    break;
  case LUA_TTABLE: {
    size_t n = 0, cap = 16;
    struct canon_key *keys = malloc(cap * sizeof *keys);
    lua_pushnil(L);
    while (keys && lua_next(L, idx)) {
      lua_pop(L, 1);
      if (n == cap) {
        cap *= 2;
        struct canon_key *more = realloc(keys, cap * sizeof *keys);
        if (!more) {
          free(keys);
          keys = NULL;
          break;
        }
        keys = more;
      }
      if (!lua_isinteger(L, -1) && lua_type(L, -1) != LUA_TSTRING) {
        fprintf(stderr, "lua_floor: a %s key in the values\n",
                luaL_typename(L, -1));
        exit(1);
      }
      struct canon_key *k = &keys[n++];
      k->is_int = lua_isinteger(L, -1);
      k->i = k->is_int ? lua_tointeger(L, -1) : 0;
      k->s = k->is_int ? NULL : lua_tolstring(L, -1, &k->len);
    }
    if (!keys) {
      fprintf(stderr, "lua_floor: out of memory\n");
      exit(1);
    }
    qsort(keys, n, sizeof *keys, canon_key_cmp);
    fputc('{', out);
    for (size_t i = 0; i < n; i++) {
      if (keys[i].is_int)
        lua_pushinteger(L, keys[i].i);
      else
        lua_pushlstring(L, keys[i].s, keys[i].len);
      canon(L, -1, out);
      lua_rawget(L, idx);
      canon(L, -1, out);
      lua_pop(L, 1);
    }
    fputc('}', out);
    free(keys);
    break;
  }
  default:
    fprintf(stderr, "lua_floor: a %s in the values\n", luaL_typename(L, idx));
    exit(1);
  }
}

static unsigned char *read_tape(const char *path, long *len)
{
  size_t n = 0;
  unsigned char *tape = (unsigned char *)bench_read_file(path, &n);
  if (!tape || n < 5) {
    fprintf(stderr, "lua_floor: cannot read %s\n", path);
    exit(1);
  }
  *len = (long)n;
  return tape;
}

static int write_canon(const char *tape_path, const char *out_path)
{
  long len;
  unsigned char *tape = read_tape(tape_path, &len);
  heap_init(&floor_heap, 0);
  lua_State *L = lua_newstate(heap_lua_alloc, &floor_heap);
  lua_gc(L, LUA_GCSTOP);
  lua_createtable(L, (int)u32(tape + len - 4), 0);
  lua_createtable(L, 0, 0);
  replay(L, tape, 1, 2);
  FILE *out = fopen(out_path, "wb");
  if (!out) {
    perror(out_path);
    return 1;
  }
  lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 2, i);
    canon(L, -1, out);
    fputc('\n', out);
    lua_pop(L, 1);
  }
  fclose(out);
  lua_close(L);
  free(tape);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc == 4 && strcmp(argv[1], "--canon") == 0)
    return write_canon(argv[2], argv[3]);
  if (argc < 3) {
    fprintf(stderr,
            "usage: lua_floor TAPE EVENT_BYTES [SECONDS] | --canon TAPE OUT\n");
    return 2;
  }
  long len;
  unsigned char *tape = read_tape(argv[1], &len);
  double event_mb = atof(argv[2]) / 1e6;
  double seconds = argc > 3 ? atof(argv[3]) : 3.0;
  uint32_t nstrings = u32(tape + len - 4);

  heap_init(&floor_heap, 0);
  lua_State *L = lua_newstate(heap_lua_alloc, &floor_heap);
  lua_gc(L, LUA_GCCOLLECT);
  int runs = 0;
  double total = 0, in_gc = 0;
  while (total < seconds || runs < 3) {
    lua_gc(L, LUA_GCSTOP); /* as the host pauses it for a big event */
    double t0 = cpu_now();
    lua_createtable(L, (int)nstrings, 0);
    int cache = lua_gettop(L);
    lua_createtable(L, 1024, 0);
    replay(L, tape, cache, cache + 1);
    lua_settop(L, cache - 1);
    double t1 = cpu_now();
    lua_gc(L, LUA_GCRESTART);
    lua_gc(L, LUA_GCCOLLECT);
    double t2 = cpu_now();
    total += t2 - t0;
    in_gc += t2 - t1;
    runs++;
  }
  double ms = total / runs * 1e3;
  printf("floor %-28s %8.3f ms per event (%d runs, %2.0f%% of it freeing), "
         "%6.3f ms per MB, %7.1f MB/s, %u strings\n",
         argv[1], ms, runs, 100.0 * in_gc / total, ms / event_mb,
         event_mb / (ms / 1e3), nstrings);
  lua_close(L);
  free(tape);
  return 0;
}
