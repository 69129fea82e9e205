/* test_schema_codecs: the framing rules on known bytes, the Avro and
 * Protobuf decoders' limits, and every saved fuzz input of the schema
 * targets (tests/fuzz/schema/regressions/<target>-*) replayed through the
 * same properties the fuzzers check (tests/fuzz/schema_props.h). The full
 * type mappings are checked end to end by tests/kafka/test_schemas.py. */
#include <dirent.h>
#include <lauxlib.h>
#include <lualib.h>
#include <zlib.h>

#include "../fuzz/schema_props.h"
#include "test.h"

static void test_confluent_and_glue_headers(void)
{
  static const unsigned char confluent[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x08};
  static const unsigned char glue[18 + 2] = {
      0x03, 0x00, 0x57, 0x4f, 0x6a, 0x9a, 0x95, 0x48, 0x4d, 0xea,
      0x86, 0xa3, 0xd8, 0x2c, 0x04, 0x79, 0xa1, 0x16, 0x08, 0x01};
  struct kafka_frame f;
  struct wire_error err;
  ASSERT_OK(kafka_framing_read(confluent, sizeof confluent, KAFKA_FRAMING_AUTO,
                               NULL, &f, &err));
  ASSERT_EQ(f.offset, 5);
  ASSERT_STR_EQ(f.id, "256");
  ASSERT_EQ(f.index, KAFKA_INDEX_CONFLUENT);
  ASSERT_OK(kafka_framing_read(glue, sizeof glue, KAFKA_FRAMING_AUTO, NULL, &f,
                               &err));
  ASSERT_EQ(f.offset, 18);
  ASSERT_STR_EQ(f.id, "574f6a9a-9548-4dea-86a3-d82c0479a116");
  ASSERT_EQ(f.compressed, 0);
  /* With metadata nothing is sniffed, even bytes that look framed. */
  ASSERT_OK(kafka_framing_read(confluent, sizeof confluent, KAFKA_FRAMING_AUTO,
                               "7", &f, &err));
  ASSERT_EQ(f.offset, 0);
  ASSERT_EQ(f.index, KAFKA_INDEX_IF_PRESENT_CONFLUENT);
  ASSERT_OK(kafka_framing_read(confluent, sizeof confluent, KAFKA_FRAMING_AUTO,
                               "574f6a9a-9548-4dea-86a3-d82c0479a116", &f,
                               &err));
  ASSERT_EQ(f.index, KAFKA_INDEX_IF_PRESENT_GLUE);
  ASSERT(kafka_framing_read(glue, sizeof glue, KAFKA_FRAMING_CONFLUENT, NULL,
                            &f, &err) != 0);
  ASSERT_CONTAINS(err.what, "Confluent");
}

static void test_message_indexes(void)
{
  struct wire_error err;
  size_t skip = 99;
  static const unsigned char zero[] = {0x00, 0x08};
  static const unsigned char list[] = {0x04, 0x02, 0x00, 0x08};
  static const unsigned char glue[] = {0x81, 0x01, 0x08};
  static const unsigned char tag[] = {0x08, 0x01};
  ASSERT_OK(kafka_framing_skip_index(zero, sizeof zero, KAFKA_INDEX_CONFLUENT,
                                     &skip, &err));
  ASSERT_EQ(skip, 1);
  ASSERT_OK(kafka_framing_skip_index(list, sizeof list, KAFKA_INDEX_CONFLUENT,
                                     &skip, &err));
  ASSERT_EQ(skip, 3);
  ASSERT_OK(kafka_framing_skip_index(glue, sizeof glue, KAFKA_INDEX_GLUE, &skip,
                                     &err));
  ASSERT_EQ(skip, 2);
  /* Registry mode: a first byte of 0x08 or more is a field tag. */
  ASSERT_OK(kafka_framing_skip_index(
      tag, sizeof tag, KAFKA_INDEX_IF_PRESENT_CONFLUENT, &skip, &err));
  ASSERT_EQ(skip, 0);
  ASSERT_OK(kafka_framing_skip_index(
      list, sizeof list, KAFKA_INDEX_IF_PRESENT_CONFLUENT, &skip, &err));
  ASSERT_EQ(skip, 3);
  ASSERT(kafka_framing_skip_index(list, 2, KAFKA_INDEX_CONFLUENT, &skip,
                                  &err) != 0);
}

static void test_zlib_cap(void)
{
  size_t n = 1u << 20;
  unsigned char *zeros = calloc(n, 1);
  uLongf clen = compressBound((uLong)n);
  unsigned char *z = malloc(clen);
  ASSERT_NOT_NULL(zeros);
  ASSERT_NOT_NULL(z);
  ASSERT_EQ(compress(z, &clen, zeros, (uLong)n), Z_OK);
  size_t size = 0;
  struct wire_error err;
  ASSERT_OK(kafka_framing_inflated_size(z, clen, n, &size, &err));
  ASSERT_EQ(size, n);
  ASSERT(kafka_framing_inflated_size(z, clen, n - 1, &size, &err) != 0);
  ASSERT_CONTAINS(err.what, "cap");
  ASSERT(kafka_framing_inflated_size(z, clen - 4, n, &size, &err) != 0);
  ASSERT_OK(kafka_framing_inflate(z, clen, zeros, n, &err));
  free(zeros);
  free(z);
}

static void replay(lua_State *L)
{
  char dir[4096];
  int n = 0;
  snprintf(dir, sizeof dir, "%s/tests/fuzz/schema/regressions", LRT_SOURCE_DIR);
  DIR *d = opendir(dir);
  ASSERT_NOT_NULL(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char path[8192];
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    static unsigned char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (strncmp(e->d_name, "avro-", 5) == 0)
      schema_props_avro(L, buf, len);
    else if (strncmp(e->d_name, "protobuf-", 9) == 0)
      schema_props_protobuf(L, buf, len);
    else if (strncmp(e->d_name, "framing-", 8) == 0)
      schema_props_framing(buf, len);
    else
      TEST_FAIL("%s: name must start with avro-, protobuf- or framing-",
                e->d_name);
    ASSERT_EQ(lua_gettop(L), 0);
    n++;
  }
  closedir(d);
  ASSERT(n >= 4);
}

/* A decoded seed must be the value, not just "no crash". */
static void test_seed_values(lua_State *L)
{
  size_t len;
  unsigned char *data = schema_props_read("regressions/avro-seed-order", &len);
  struct schema_props_call c;
  schema_props_avro_init();
  memset(&c, 0, sizeof c);
  c.avro = schema_props_avro_plans[0];
  c.data = data + 1;
  c.len = len - 1;
  lua_pushcfunction(L, schema_props_decode);
  lua_pushlightuserdata(L, &c);
  ASSERT_EQ(lua_pcall(L, 1, 1, 0), LUA_OK);
  ASSERT_OK(c.rc);
  ASSERT(lua_istable(L, -1));
  lua_getfield(L, -1, "name");
  ASSERT_STR_EQ(lua_tostring(L, -1), "order-1");
  lua_getfield(L, -2, "status");
  ASSERT_STR_EQ(lua_tostring(L, -1), "PAID");
  lua_getfield(L, -3, "next");
  lua_getfield(L, -1, "name");
  ASSERT_STR_EQ(lua_tostring(L, -1), "order-2");
  lua_settop(L, 0);
  free(data);
}

int main(void)
{
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  test_confluent_and_glue_headers();
  test_message_indexes();
  test_zlib_cap();
  replay(L);
  test_seed_values(L);
  lua_close(L);
  for (int i = 0; i < 2; i++)
    lrt_avro_plan_free(schema_props_avro_plans[i]);
  protobuf_desc_free(schema_props_pb_set);
  puts("test_schema_codecs: ok");
  return 0;
}
