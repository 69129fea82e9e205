/* schema_props: the properties the schema decoders must keep on any input,
 * shared by the libFuzzer targets (fuzz_avro, fuzz_protobuf, fuzz_framing)
 * and the unit test that replays their saved inputs
 * (tests/unit/test_schema_codecs.c over tests/fuzz/schema/regressions/).
 *
 * A decoder given arbitrary bytes either pushes exactly one value or pushes
 * nothing and reports a position inside the input with a reason; it may
 * raise only a memory error; the framing reader never points past the input,
 * and inflating gives what counting said. The schemas are the files in
 * tests/fuzz/schema/ (LRT_SOURCE_DIR is defined by the build). */
#ifndef LRT_SCHEMA_PROPS_H
#define LRT_SCHEMA_PROPS_H

#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_decode.h"
#include "kafka_framing.h"
#include "protobuf_decode.h"
#include "protobuf_desc.h"

#ifndef SCHEMA_CHECK
#define SCHEMA_CHECK(cond, ...)                                                \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "schema property failed at %s:%d: %s\n", __FILE__,       \
              __LINE__, #cond);                                                \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      abort();                                                                 \
    }                                                                          \
  } while (0)
#endif

static inline unsigned char *schema_props_read(const char *name, size_t *len)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/fuzz/schema/%s", LRT_SOURCE_DIR, name);
  FILE *f = fopen(path, "rb");
  SCHEMA_CHECK(f != NULL, "cannot open %s", path);
  unsigned char *buf = malloc(1 << 20);
  SCHEMA_CHECK(buf != NULL, "out of memory");
  *len = fread(buf, 1, 1 << 20, f);
  fclose(f);
  return buf;
}

/* ==== Avro ==== */

static struct lrt_avro_plan *schema_props_avro_plans[2];

static inline void schema_props_avro_init(void)
{
  static const char list[] = "{\"type\": \"array\", \"items\": \"null\"}";
  char msg[256];
  size_t len;
  if (schema_props_avro_plans[0] != NULL)
    return;
  unsigned char *text = schema_props_read("order.avsc", &len);
  SCHEMA_CHECK(lrt_avro_plan_compile((const char *)text, len,
                                 &schema_props_avro_plans[0], msg,
                                 sizeof msg) == 0,
               "order.avsc: %s", msg);
  free(text);
  SCHEMA_CHECK(lrt_avro_plan_compile(list, sizeof list - 1,
                                 &schema_props_avro_plans[1], msg,
                                 sizeof msg) == 0,
               "list: %s", msg);
}

struct schema_props_call {
  const struct lrt_avro_plan *avro;
  const struct pb_set *pb;
  long msg;
  const unsigned char *data;
  size_t len;
  struct wire_error err;
  int rc;
};

/* Under lua_pcall: push the names table, decode, check the stack; returns
 * the decoded value. */
static inline int schema_props_decode(lua_State *L)
{
  struct schema_props_call *c = lua_touserdata(L, 1);
  size_t n = c->avro ? lrt_avro_plan_name_count(c->avro) : c->pb->nnames;
  lua_createtable(L, (int)n, 0);
  for (size_t i = 1; i <= n; i++) {
    lua_pushstring(L,
                   c->avro ? lrt_avro_plan_name(c->avro, i) : c->pb->names[i - 1]);
    lua_rawseti(L, -2, (lua_Integer)i);
  }
  int names = lua_gettop(L);
  memset(&c->err, 0, sizeof c->err);
  if (c->avro)
    c->rc = lrt_avro_decode_push(L, c->avro, names, c->data, c->len, &c->err);
  else
    c->rc =
        protobuf_decode_push(L, c->pb, c->msg, names, c->data, c->len, &c->err);
  if (c->rc == 0) {
    SCHEMA_CHECK(lua_gettop(L) == names + 1, "decoded: stack %d, want %d",
                 lua_gettop(L), names + 1);
  } else {
    SCHEMA_CHECK(c->rc == -1, "rc %d", c->rc);
    SCHEMA_CHECK(lua_gettop(L) == names, "failed: stack %d, want %d",
                 lua_gettop(L), names);
    SCHEMA_CHECK(c->err.what != NULL, "no reason");
    SCHEMA_CHECK(c->err.pos <= c->len, "position %zu past %zu", c->err.pos,
                 c->len);
  }
  return c->rc == 0 ? 1 : 0; /* the value, for callers that look at it */
}

static inline void schema_props_run(lua_State *L, struct schema_props_call *c)
{
  int top = lua_gettop(L);
  lua_pushcfunction(L, schema_props_decode);
  lua_pushlightuserdata(L, c);
  int status = lua_pcall(L, 1, 0, 0);
  SCHEMA_CHECK(status == LUA_OK || status == LUA_ERRMEM, "decode raised %d: %s",
               status, lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
  lua_settop(L, top);
}

/* First byte: which schema; the rest: the datum. */
static inline void schema_props_avro(lua_State *L, const uint8_t *data,
                                     size_t size)
{
  struct schema_props_call c;
  schema_props_avro_init();
  if (size == 0)
    return;
  memset(&c, 0, sizeof c);
  c.avro = schema_props_avro_plans[data[0] & 1];
  c.data = data + 1;
  c.len = size - 1;
  schema_props_run(L, &c);
}

/* ==== Protobuf ==== */

static struct pb_set *schema_props_pb_set;

/* First byte even: decode the rest as a message of all.pb (which one by the
 * byte); odd: the rest is a descriptor set to load, then the tail of the
 * input is decoded as each of its first messages. */
static inline void schema_props_protobuf(lua_State *L, const uint8_t *data,
                                         size_t size)
{
  struct schema_props_call c;
  char msg[256];
  if (schema_props_pb_set == NULL) {
    size_t len;
    unsigned char *d = schema_props_read("all.pb", &len);
    SCHEMA_CHECK(
        protobuf_desc_load(d, len, &schema_props_pb_set, msg, sizeof msg) == 0,
        "all.pb: %s", msg);
    free(d);
  }
  if (size == 0)
    return;
  memset(&c, 0, sizeof c);
  if ((data[0] & 1) == 0) {
    c.pb = schema_props_pb_set;
    c.msg = (long)((data[0] >> 1) % schema_props_pb_set->nmessages);
    c.data = data + 1;
    c.len = size - 1;
    schema_props_run(L, &c);
    return;
  }
  struct pb_set *set = NULL;
  if (protobuf_desc_load(data + 1, size - 1, &set, msg, sizeof msg) != 0) {
    SCHEMA_CHECK(set == NULL && msg[0] != '\0', "failed load without reason");
    return;
  }
  c.pb = set;
  c.data = data + size / 2;
  c.len = size - size / 2;
  for (size_t m = 0; m < set->nmessages && m < 8; m++) {
    c.msg = (long)m;
    schema_props_run(L, &c);
  }
  protobuf_desc_free(set);
}

/* ==== Framing ==== */

static inline void schema_props_framing(const uint8_t *data, size_t size)
{
  static const char *const ids[] = {NULL, "12",
                                    "574f6a9a-9548-4dea-86a3-d82c0479a116"};
  for (int mode = KAFKA_FRAMING_AUTO; mode <= KAFKA_FRAMING_LAMBDA; mode++) {
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
      struct kafka_frame f;
      struct wire_error err;
      if (kafka_framing_read(data, size, (enum kafka_framing_mode)mode, ids[i],
                             &f, &err) != 0) {
        SCHEMA_CHECK(err.what != NULL && err.pos <= size, "bad error");
        continue;
      }
      SCHEMA_CHECK(f.offset <= size, "offset %zu past %zu", f.offset, size);
      const uint8_t *p = data + f.offset;
      size_t n = size - f.offset;
      uint8_t *inflated = NULL;
      if (f.compressed) {
        size_t want = 0;
        if (kafka_framing_inflated_size(p, n, 1u << 20, &want, &err) != 0) {
          SCHEMA_CHECK(err.what != NULL && err.pos <= n, "bad zlib error");
          continue;
        }
        SCHEMA_CHECK(want <= 1u << 20, "over the cap: %zu", want);
        inflated = malloc(want ? want : 1);
        SCHEMA_CHECK(inflated != NULL, "out of memory");
        SCHEMA_CHECK(kafka_framing_inflate(p, n, inflated, want, &err) == 0,
                     "inflate after counting failed: %s", err.what);
        p = inflated;
        n = want;
      }
      size_t skip = 0;
      if (kafka_framing_skip_index(p, n, f.index, &skip, &err) == 0)
        SCHEMA_CHECK(skip <= n, "skip %zu past %zu", skip, n);
      else
        SCHEMA_CHECK(err.what != NULL && err.pos <= n, "bad index error");
      free(inflated);
    }
  }
}

#endif
