/* codec_bench: per-value cost of decoding Avro into Lua values two ways,
 * and of the Protobuf decoder, on the schema bench's payloads
 * (gen_events.py's <shape>.payloads).
 *
 *   avro-c   avro_value_read() into a generic value (avro-c's documented
 *            reading path, the value reused for every datum), then that value
 *            converted to Lua tables with avro_value_get_*;
 *   avro-c read only   the same without the conversion (avro-c's share);
 *   walker   src/codecs/avro_decode.c: the plan compiled from avro-c's schema, the
 *            binary walked straight into Lua values (what the runtime does);
 *   protobuf src/codecs/protobuf_decode.c on the Protobuf payloads.
 *
 * Usage: codec_bench EVENTS_DIR [SECONDS]. Prints ns per value and MB/s of
 * payload for each; docs/performance.md has the figures and the command. */
#include <avro.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench_file.h"
#include "avro_decode.h"
#include "protobuf_decode.h"
#include "protobuf_desc.h"

struct payloads {
  unsigned char *data;
  size_t len;
  size_t *off, *size, n;
};

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *slurp(const char *path, size_t *len)
{
  unsigned char *buf = (unsigned char *)bench_read_file(path, len);
  if (!buf) {
    perror(path);
    exit(1);
  }
  return buf;
}

static void load_payloads(const char *path, struct payloads *p)
{
  p->data = slurp(path, &p->len);
  p->off = malloc(sizeof *p->off * (p->len / 4 + 1));
  p->size = malloc(sizeof *p->size * (p->len / 4 + 1));
  p->n = 0;
  for (size_t at = 0; at + 4 <= p->len;) {
    uint32_t n;
    memcpy(&n, p->data + at, 4);
    p->off[p->n] = at + 4;
    p->size[p->n++] = n;
    at += 4 + n;
  }
}

/* ==== avro-c generic value -> Lua ==== */

static void push_value(lua_State *L, avro_value_t *v)
{
  const char *s;
  const void *b;
  size_t size, n;
  int32_t i32;
  int64_t i64;
  double d;
  float f;
  int boolean;
  luaL_checkstack(L, 4, "avro-c value");
  switch (avro_value_get_type(v)) {
  case AVRO_STRING:
    avro_value_get_string(v, &s, &size);
    lua_pushlstring(L, s, size ? size - 1 : 0); /* size counts the NUL */
    break;
  case AVRO_BYTES:
    avro_value_get_bytes(v, &b, &size);
    lua_pushlstring(L, b, size);
    break;
  case AVRO_FIXED:
    avro_value_get_fixed(v, &b, &size);
    lua_pushlstring(L, b, size);
    break;
  case AVRO_INT32:
    avro_value_get_int(v, &i32);
    lua_pushinteger(L, i32);
    break;
  case AVRO_INT64:
    avro_value_get_long(v, &i64);
    lua_pushinteger(L, (lua_Integer)i64);
    break;
  case AVRO_FLOAT:
    avro_value_get_float(v, &f);
    lua_pushnumber(L, f);
    break;
  case AVRO_DOUBLE:
    avro_value_get_double(v, &d);
    lua_pushnumber(L, d);
    break;
  case AVRO_BOOLEAN:
    avro_value_get_boolean(v, &boolean);
    lua_pushboolean(L, boolean);
    break;
  case AVRO_NULL:
    lua_pushnil(L);
    break;
  case AVRO_ENUM: {
    int sym;
    avro_value_get_enum(v, &sym);
    lua_pushstring(L, avro_schema_enum_get(avro_value_get_schema(v), sym));
    break;
  }
  case AVRO_RECORD:
    avro_value_get_size(v, &n);
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
      avro_value_t field;
      const char *name;
      avro_value_get_by_index(v, i, &field, &name);
      push_value(L, &field);
      lua_setfield(L, -2, name);
    }
    break;
  case AVRO_ARRAY:
    avro_value_get_size(v, &n);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
      avro_value_t item;
      avro_value_get_by_index(v, i, &item, NULL);
      push_value(L, &item);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  case AVRO_MAP:
    avro_value_get_size(v, &n);
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
      avro_value_t item;
      const char *key;
      avro_value_get_by_index(v, i, &item, &key);
      push_value(L, &item);
      lua_setfield(L, -2, key);
    }
    break;
  case AVRO_UNION: {
    avro_value_t branch;
    avro_value_get_current_branch(v, &branch);
    push_value(L, &branch);
    break;
  }
  default:
    lua_pushnil(L);
  }
}

typedef void (*decode_fn)(lua_State *L, const unsigned char *p, size_t n,
                          void *ud);

struct avro_c_ud {
  avro_reader_t reader;
  avro_value_t value;
  int convert;
};

static void decode_avro_c(lua_State *L, const unsigned char *p, size_t n,
                          void *ud)
{
  struct avro_c_ud *a = ud;
  avro_reader_memory_set_source(a->reader, (const char *)p, (int64_t)n);
  avro_value_reset(&a->value);
  if (avro_value_read(a->reader, &a->value) != 0) {
    fprintf(stderr, "avro-c: %s\n", avro_strerror());
    exit(1);
  }
  if (a->convert) {
    push_value(L, &a->value);
    lua_pop(L, 1);
  }
}

struct walker_ud {
  struct lrt_avro_plan *plan;
  struct pb_set *set;
  long msg;
  int names;
};

static void decode_walker(lua_State *L, const unsigned char *p, size_t n,
                          void *ud)
{
  struct walker_ud *w = ud;
  struct wire_error err;
  if (lrt_avro_decode_push(L, w->plan, w->names, p, n, &err) != 0) {
    fprintf(stderr, "walker: %s at %zu\n", err.what, err.pos);
    exit(1);
  }
  lua_pop(L, 1);
}

static void decode_protobuf(lua_State *L, const unsigned char *p, size_t n,
                            void *ud)
{
  struct walker_ud *w = ud;
  struct wire_error err;
  /* Skip the registry-mode message index [0] (one 0x00 byte). */
  if (protobuf_decode_push(L, w->set, w->msg, w->names, p + 1, n - 1, &err) !=
      0) {
    fprintf(stderr, "protobuf: %s at %zu\n", err.what, err.pos);
    exit(1);
  }
  lua_pop(L, 1);
}

static void measure(const char *name, lua_State *L, const struct payloads *p,
                    decode_fn fn, void *ud, double seconds)
{
  size_t values = 0, bytes = 0;
  double start = now(), t;
  do {
    for (size_t i = 0; i < p->n; i++)
      fn(L, p->data + p->off[i], p->size[i], ud);
    lua_gc(L, LUA_GCCOLLECT);
    values += p->n;
    for (size_t i = 0; i < p->n; i++)
      bytes += p->size[i];
    t = now() - start;
  } while (t < seconds);
  printf("%-20s %8.0f ns/value %8.1f MB/s  (%zu values)\n", name,
         t * 1e9 / (double)values, (double)bytes / t / 1e6, values);
}

static void push_names(lua_State *L, size_t n, const char *(*get)(void *, size_t),
                       void *ud)
{
  lua_createtable(L, (int)n, 0);
  for (size_t i = 1; i <= n; i++) {
    lua_pushstring(L, get(ud, i));
    lua_rawseti(L, -2, (lua_Integer)i);
  }
}

static const char *avro_name(void *plan, size_t i)
{
  return lrt_avro_plan_name(plan, i);
}

static const char *pb_name(void *set, size_t i)
{
  return ((struct pb_set *)set)->names[i - 1];
}

int main(int argc, char **argv)
{
  char path[4096], msg[256];
  double seconds = argc > 2 ? atof(argv[2]) : 2.0;
  struct payloads avro_p, pb_p;
  size_t len;
  if (argc < 2) {
    fprintf(stderr, "usage: codec_bench EVENTS_DIR [SECONDS]\n");
    return 2;
  }
  snprintf(path, sizeof path, "%s/avro.payloads", argv[1]);
  load_payloads(path, &avro_p);
  snprintf(path, sizeof path, "%s/protobuf.payloads", argv[1]);
  load_payloads(path, &pb_p);

  const char *here = getenv("CODEC_BENCH_SCHEMAS");
  snprintf(path, sizeof path, "%s/order.avsc", here ? here : ".");
  unsigned char *text = slurp(path, &len);
  avro_schema_t schema;
  if (avro_schema_from_json_length((const char *)text, len, &schema) != 0) {
    fprintf(stderr, "%s: %s\n", path, avro_strerror());
    return 1;
  }
  struct walker_ud w;
  memset(&w, 0, sizeof w);
  if (lrt_avro_plan_compile((const char *)text, len, &w.plan, msg, sizeof msg)) {
    fprintf(stderr, "%s\n", msg);
    return 1;
  }
  snprintf(path, sizeof path, "%s/order.pb", here ? here : ".");
  unsigned char *pb = slurp(path, &len);
  if (protobuf_desc_load(pb, len, &w.set, msg, sizeof msg) != 0) {
    fprintf(stderr, "%s\n", msg);
    return 1;
  }
  w.msg = protobuf_desc_find(w.set, "bench.v1.Order");

  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  printf("%zu Avro values (%zu bytes), %zu Protobuf values\n", avro_p.n,
         avro_p.len, pb_p.n);

  /* CODEC_BENCH_ONLY=protobuf (or avro): one decoder, for a profile. */
  const char *only = getenv("CODEC_BENCH_ONLY");
  int do_avro = !only || strcmp(only, "avro") == 0;
  int do_pb = !only || strcmp(only, "protobuf") == 0;
  struct avro_c_ud a;
  avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
  avro_generic_value_new(iface, &a.value);
  a.reader = avro_reader_memory(NULL, 0);
  if (do_avro) {
    a.convert = 1;
    measure("avro-c + to Lua", L, &avro_p, decode_avro_c, &a, seconds);
    a.convert = 0;
    measure("avro-c read only", L, &avro_p, decode_avro_c, &a, seconds);
    push_names(L, lrt_avro_plan_name_count(w.plan), avro_name, w.plan);
    w.names = lua_gettop(L);
    measure("walker (runtime)", L, &avro_p, decode_walker, &w, seconds);
    lua_pop(L, 1);
  }
  if (do_pb) {
    push_names(L, w.set->nnames, pb_name, w.set);
    w.names = lua_gettop(L);
    measure("protobuf (runtime)", L, &pb_p, decode_protobuf, &w, seconds);
  }

  lua_close(L);
  avro_value_decref(&a.value);
  avro_value_iface_decref(iface);
  avro_reader_free(a.reader);
  avro_schema_decref(schema);
  lrt_avro_plan_free(w.plan);
  protobuf_desc_free(w.set);
  free(text);
  free(pb);
  return 0;
}
