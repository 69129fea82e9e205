/* test_event_kafka: the Kafka event decoder against real Lua and cJSON.
 *
 * Every fixture in tests/fixtures/kafka and tests/fixtures/kafka-synthetic
 * decodes under lua_pcall with the stack balanced; selected fixtures are
 * checked field by field here (tests/kafka/test_kafka_events.py checks every
 * field of every fixture through the real binary). Each bad-input rule
 * raises Kafka.InvalidEvent with a message naming the record and field. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <lauxlib.h>
#include <lualib.h>

#include "buf.h"
#include "event_kafka.h"
#include "test.h"

#ifndef LRT_SOURCE_DIR
#define LRT_SOURCE_DIR "."
#endif

/* The reference decoder's scratch, kept across calls as event_decode keeps
 * it (reachable until exit). */
static struct buf reference_scratch = {.max = (size_t)128 << 20};

/* ==== Harness ==== */

static int push_event(lua_State *L)
{
  event_kafka_push(L, (const cJSON *)lua_touserdata(L, 1), &reference_scratch);
  return 1;
}

/* Decode 'text' (length 'len') in a protected call. On success the event
 * table is on top (+1); on failure the error object is (+1). Returns the
 * lua_pcall status. The tree is freed on both paths, as host does. */
static int decode_len(lua_State *L, const char *text, size_t len)
{
  int top = lua_gettop(L);
  size_t skip = 0;
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    skip = 3;
  cJSON *root = cJSON_ParseWithLength(text + skip, len - skip);
  if (root == NULL)
    TEST_FAIL("fixture is not JSON: %.60s", text);
  ASSERT(event_kafka_is_kafka(root));
  lua_pushcfunction(L, push_event);
  lua_pushlightuserdata(L, root);
  int status = lua_pcall(L, 1, 1, 0);
  cJSON_Delete(root);
  ASSERT_EQ(lua_gettop(L), top + 1);
  return status;
}

static int decode(lua_State *L, const char *text)
{
  return decode_len(L, text, strlen(text));
}

/* Decode a fixture; the event table is left on top. */
static void decode_fixture(lua_State *L, const char *dir, const char *name)
{
  char path[1024];
  size_t len = 0;
  snprintf(path, sizeof path, "%s/tests/fixtures/%s/%s", LRT_SOURCE_DIR, dir,
           name);
  char *text = test_read_file(path, &len);
  int status = decode_len(L, text, len);
  free(text);
  if (status != LUA_OK) {
    lua_getfield(L, -1, "message");
    TEST_FAIL("%s: %s", name, lua_tostring(L, -1));
  }
  ASSERT(lua_istable(L, -1));
}

/* Push t[k] for the table at the top. */
static int field(lua_State *L, const char *k)
{
  return lua_getfield(L, -1, k);
}

static void expect_str(lua_State *L, const char *k, const char *want)
{
  ASSERT_EQ(field(L, k), LUA_TSTRING);
  ASSERT_STR_EQ(lua_tostring(L, -1), want);
  lua_pop(L, 1);
}

static void expect_bytes(lua_State *L, const char *k, const char *want,
                         size_t want_len)
{
  size_t len = 0;
  ASSERT_EQ(field(L, k), LUA_TSTRING);
  const char *s = lua_tolstring(L, -1, &len);
  ASSERT_EQ(len, want_len);
  ASSERT_MEM_EQ(s, want, want_len);
  lua_pop(L, 1);
}

static void expect_int(lua_State *L, const char *k, lua_Integer want)
{
  ASSERT_EQ(field(L, k), LUA_TNUMBER);
  ASSERT(lua_isinteger(L, -1));
  ASSERT_EQ(lua_tointeger(L, -1), want);
  lua_pop(L, 1);
}

static void expect_nil(lua_State *L, const char *k)
{
  ASSERT_EQ(field(L, k), LUA_TNIL);
  lua_pop(L, 1);
}

/* Push event.records[i] (event on top). */
static void record(lua_State *L, lua_Integer i)
{
  ASSERT_EQ(field(L, "records"), LUA_TTABLE);
  ASSERT_EQ(lua_rawgeti(L, -1, i), LUA_TTABLE);
  lua_remove(L, -2);
}

static lua_Integer count_records(lua_State *L)
{
  ASSERT_EQ(field(L, "records"), LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  lua_pop(L, 1);
  return n;
}

/* Check header i of the record on top. */
static void expect_header(lua_State *L, lua_Integer i, const char *name,
                          const char *value, size_t value_len)
{
  ASSERT_EQ(field(L, "headers"), LUA_TTABLE);
  ASSERT_EQ(lua_rawgeti(L, -1, i), LUA_TTABLE);
  expect_str(L, "key", name);
  expect_bytes(L, "value", value, value_len);
  lua_pop(L, 2);
}

static lua_Integer count_headers(lua_State *L)
{
  ASSERT_EQ(field(L, "headers"), LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  lua_pop(L, 1);
  return n;
}

/* Decode 'text' expecting Kafka.InvalidEvent with every 'parts' substring
 * in the message. */
static void expect_invalid(lua_State *L, const char *text, const char *part1,
                           const char *part2)
{
  int top = lua_gettop(L);
  if (decode(L, text) == LUA_OK)
    TEST_FAIL("decoded but should not: %s", text);
  ASSERT(lua_istable(L, -1));
  expect_str(L, "type", "Kafka.InvalidEvent");
  ASSERT_EQ(field(L, "message"), LUA_TSTRING);
  const char *msg = lua_tostring(L, -1);
  ASSERT_CONTAINS(msg, part1);
  if (part2 != NULL)
    ASSERT_CONTAINS(msg, part2);
  lua_pop(L, 2);
  ASSERT_EQ(lua_gettop(L), top);
}

/* ==== Fixtures ==== */

static void test_every_fixture_decodes(lua_State *L, const char *dir)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/fixtures/%s", LRT_SOURCE_DIR, dir);
  DIR *d = opendir(path);
  ASSERT_NOT_NULL(d);
  int seen = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0 ||
        strstr(e->d_name, "_response") != NULL)
      continue;
    int top = lua_gettop(L);
    decode_fixture(L, dir, e->d_name);
    ASSERT(count_records(L) >= 0);
    lua_pop(L, 1);
    ASSERT_EQ(lua_gettop(L), top);
    seen++;
  }
  closedir(d);
  ASSERT(seen > 0);
  printf("  %d fixtures in %s decode\n", seen, dir);
}

static void test_go_signed_header_bytes(lua_State *L)
{
  decode_fixture(L, "kafka", "aws__aws-lambda-go__kafka-event.json");
  expect_str(L, "event_source", "aws:kafka");
  expect_str(L, "bootstrap_servers",
             "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,"
             "b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092");
  ASSERT_EQ(count_records(L), 1);
  record(L, 1);
  expect_str(L, "topic", "AWSKafkaTopic");
  expect_int(L, "partition", 0);
  expect_int(L, "offset", 0);
  expect_int(L, "timestamp", 1595035749700);
  expect_str(L, "timestamp_type", "CREATE_TIME");
  expect_str(L, "topic_partition", "AWSKafkaTopic-0");
  expect_bytes(L, "key", "8d5596b4-1813-4238-b24b-6dad8e3d1c0c", 36);
  expect_bytes(L, "value", "8d5596b4-1813-4238-b24b-6dad8e3d1c0c", 36);
  expect_nil(L, "key_schema_metadata");
  ASSERT_EQ(count_headers(L), 1);
  /* [118, -36, 0, 127, -128]: signed bytes, a NUL inside. */
  expect_header(L, 1, "headerKey", "\x76\xdc\x00\x7f\x80", 5);
  lua_pop(L, 2);
}

static void test_dotnet_binary_headers(lua_State *L)
{
  decode_fixture(L, "kafka", "aws__aws-lambda-dotnet__kafka-event.json");
  record(L, 1);
  expect_int(L, "partition", 12);
  expect_str(L, "topic_partition", "mytopic-0");
  ASSERT_EQ(count_headers(L), 8);
  expect_header(L, 1, "headerKey", "headerValue", 11);
  expect_header(L, 4, "Version", "\0\0\0\0\0\0\0\x03", 8);
  expect_header(L, 5, "IsFullBuild", "\x01", 1);
  expect_header(L, 7, "OriginationTimestamp",
                "\x00\x00\x01\x85\xf5\xaf\xce\xfe", 8);
  lua_pop(L, 2);
}

static void test_docs_noncanonical_key(lua_State *L)
{
  decode_fixture(L, "kafka",
                 "awsdocs__aws-lambda-developer-guide__with-msk.md.2023.json");
  record(L, 1);
  expect_bytes(L, "key",
               "\x69\xb7\x03\x10\x58\x21\x88\x92\x8b\x9a\x7a\x0f\x41\x1b\x2d"
               "\xb9\x55\x97\xcb\x3d\x76\xdf",
               22);
  expect_bytes(L, "value", "Hello, this is a test.", 22);
  lua_pop(L, 2);
}

static void test_key_present_absent_null(lua_State *L)
{
  decode_fixture(
      L, "kafka",
      "aws-powertools__powertools-lambda-python__kafkaEventMsk.json");
  ASSERT_EQ(count_records(L), 3);
  record(L, 1);
  expect_bytes(L, "key", "recordKey", 9);
  ASSERT_EQ(field(L, "key_schema_metadata"), LUA_TTABLE);
  expect_str(L, "data_format", "AVRO");
  expect_str(L, "schema_id", "1234");
  lua_pop(L, 2);
  record(L, 2);
  expect_nil(L, "key");
  lua_pop(L, 1);
  record(L, 3);
  expect_nil(L, "key");
  ASSERT_EQ(field(L, "value_schema_metadata"), LUA_TTABLE);
  lua_pop(L, 3);
}

static void test_two_partitions_no_headers(lua_State *L)
{
  decode_fixture(L, "kafka",
                 "aws-powertools__powertools-lambda-java__kafka_event.json");
  expect_str(L, "event_source", "aws:kafka");
  lua_Integer n = count_records(L);
  ASSERT(n >= 2);
  record(L, 1);
  ASSERT_EQ(count_headers(L), 0);
  expect_nil(L, "key");
  expect_nil(L, "key_schema_metadata");
  lua_pop(L, 2);
}

static void test_self_managed_spellings(lua_State *L)
{
  decode_fixture(
      L, "kafka",
      "aws-powertools__powertools-lambda-python__kafkaEventSelfManaged.json");
  expect_str(L, "event_source", "SelfManagedKafka"); /* normalised */
  expect_nil(L, "event_source_arn");
  lua_pop(L, 1);
  decode_fixture(
      L, "kafka",
      "awsdocs__aws-lambda-developer-guide__with-kafka.md.2023.json");
  expect_str(L, "event_source", "SelfManagedKafka");
  lua_pop(L, 1);
}

static void test_roundtrip_base64_header(lua_State *L)
{
  decode_fixture(L, "kafka",
                 "aws__aws-lambda-java-libs__kafka_event_roundtrip.json");
  record(L, 1);
  expect_str(L, "topic_partition", "mytopic-01");
  expect_header(L, 1, "headerKey", "headerValue", 11);
  lua_pop(L, 2);
}

static void test_synthetic_headers(lua_State *L)
{
  decode_fixture(L, "kafka-synthetic", "headers.json");
  record(L, 1);
  ASSERT_EQ(count_headers(L), 8);
  expect_header(L, 1, "signed", "\x80\xff\xc3\xab\x00\x7f", 6);
  expect_header(L, 2, "unsigned", "\x80\xff\xc3\xab\x00", 5);
  expect_header(L, 3, "dup", "1", 1);
  expect_header(L, 4, "Message-Type", "priority", 8);
  expect_header(L, 5, "dup", "2", 1);
  expect_header(L, 6, "empty", "", 0);
  expect_header(L, 7, "nul", "", 0);
  expect_header(L, 8, "version", "\0\0\0\0\0\0\x01\x2c", 8);
  lua_pop(L, 1);
  record(L, 2);
  ASSERT_EQ(count_headers(L), 6);
  expect_header(L, 1, "message-type", "standard", 8);
  expect_header(L, 2, "bytes-form", "hi", 2);
  expect_header(L, 3, "b64", "headerValue", 11);
  expect_header(L, 4, "first", "a", 1);
  expect_header(L, 5, "second", "b", 1);
  expect_header(L, 6, "key", "k", 1);
  lua_pop(L, 1);
  for (lua_Integer i = 3; i <= 5; i++) {
    record(L, i);
    ASSERT_EQ(count_headers(L), 0);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void test_synthetic_integers(lua_State *L)
{
  decode_fixture(L, "kafka-synthetic", "integers.json");
  expect_str(L, "event_source", "SelfManagedKafka");
  expect_nil(L, "event_source_arn");
  expect_nil(L, "bootstrap_servers");
  record(L, 1);
  expect_int(L, "partition", 2147483647);
  expect_int(L, "offset", 9007199254740992);
  expect_int(L, "timestamp", 9007199254740991);
  lua_pop(L, 1);
  record(L, 2);
  /* Above 2^53 cJSON's double rounds: documented in docs/kafka.md. */
  expect_int(L, "offset", 9007199254740992);
  expect_int(L, "timestamp", 1000);
  lua_pop(L, 1);
  record(L, 3);
  expect_nil(L, "timestamp");
  expect_nil(L, "timestamp_type");
  lua_pop(L, 1);
  record(L, 4);
  expect_nil(L, "timestamp");
  expect_nil(L, "timestamp_type");
  lua_pop(L, 2);
}

static void test_synthetic_order(lua_State *L)
{
  static const char *const keys[] = {"orders.v1-eu-3", "orders.v1-eu-3",
                                     "users-0", "orders.v1-eu-1", "remapped-0"};
  static const lua_Integer offsets[] = {100, 101, 7, 5, 0};
  decode_fixture(L, "kafka-synthetic", "multi-partition.json");
  ASSERT_EQ(count_records(L), 5);
  for (lua_Integer i = 1; i <= 5; i++) {
    record(L, i);
    expect_str(L, "topic_partition", keys[i - 1]);
    expect_int(L, "offset", offsets[i - 1]);
    lua_pop(L, 1);
  }
  record(L, 5);
  expect_int(L, "partition", 12);
  expect_bytes(L, "value", "", 0);
  lua_pop(L, 2);
  decode_fixture(L, "kafka-synthetic", "empty-records.json");
  ASSERT_EQ(count_records(L), 0);
  lua_pop(L, 1);
}

static void test_large_value(lua_State *L)
{
  /* Values that grow the scratch, growing, then small again. */
  static const size_t sizes[] = {3000, 1, 100000, 5000, 0};
  size_t cap = 400000;
  char *text = malloc(cap);
  ASSERT_NOT_NULL(text);
  size_t o = (size_t)snprintf(text, cap,
                              "{\"eventSource\":\"aws:kafka\",\"records\":{"
                              "\"big-0\":[");
  for (size_t r = 0; r < 5; r++) {
    o += (size_t)snprintf(text + o, cap - o,
                          "%s{\"topic\":\"big\",\"partition\":0,\"offset\":%zu,"
                          "\"value\":\"",
                          r ? "," : "", r);
    /* "QUJD" is "ABC": sizes are multiples of 3 bytes. */
    for (size_t i = 0; i < sizes[r] / 3; i++) {
      memcpy(text + o, "QUJD", 4);
      o += 4;
    }
    o += (size_t)snprintf(text + o, cap - o, "\"}");
  }
  o += (size_t)snprintf(text + o, cap - o, "]}}");
  ASSERT(o < cap);
  ASSERT_EQ(decode(L, text), LUA_OK);
  free(text);
  for (lua_Integer r = 1; r <= 5; r++) {
    size_t len = 0;
    record(L, r);
    ASSERT_EQ(field(L, "value"), LUA_TSTRING);
    const char *v = lua_tolstring(L, -1, &len);
    ASSERT_EQ(len, sizes[r - 1] / 3 * 3);
    for (size_t i = 0; i < len; i++)
      ASSERT(v[i] == "ABC"[i % 3]);
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
}

/* ==== Bad events ==== */

#define EV(records)                                                            \
  "{\"eventSource\":\"aws:kafka\",\"eventSourceArn\":\"arn\","                 \
  "\"records\":" records "}"
#define REC(extra)                                                             \
  EV("{\"t-0\":[{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"value\":"      \
     "\"eA==\"},{\"topic\":\"t\",\"partition\":0,\"offset\":42" extra "}]}")

static void test_invalid_events(lua_State *L)
{
  expect_invalid(L, EV("[]"), "records", "must be an object (got an array)");
  expect_invalid(L, "{\"eventSource\":\"aws:kafka\"}", "records",
                 "got missing");
  expect_invalid(L, EV("null"), "records", "got null");
  expect_invalid(L, EV("{\"t-0\":{}}"), "records \"t-0\"", "partition entry");
  expect_invalid(L, EV("{\"t-0\":[1]}"), "record \"t-0\" #1",
                 "must be an object (got a number)");
  expect_invalid(L, EV("{\"a-0\":[],\"t-0\":[{\"offset\":1},\"x\"]}"),
                 "record \"t-0\" #1 (offset 1): topic", "got missing");
  ASSERT_EQ(decode(L, REC("")), LUA_OK); /* the base the cases extend */
  lua_pop(L, 1);
  expect_invalid(L, EV("{\"t-0\":[{\"topic\":\"t\",\"partition\":0}]}"),
                 "record \"t-0\" #1: offset", "got missing");
  expect_invalid(L,
                 EV("{\"t-0\":[{\"topic\":\"t\",\"partition\":0,\"offset\":"
                    "\"1\"}]}"),
                 "record \"t-0\" #1: offset", "got a string");
  expect_invalid(L,
                 EV("{\"t-0\":[{\"topic\":\"t\",\"partition\":0,\"offset\":"
                    "1.5}]}"),
                 "offset", "must be an integer (got 1.5)");
  expect_invalid(L,
                 EV("{\"t-0\":[{\"topic\":\"t\",\"partition\":0,\"offset\":"
                    "1e300}]}"),
                 "offset", "must be an integer");
  expect_invalid(L,
                 EV("{\"t-0\":[{\"topic\":7,\"partition\":0,\"offset\":3}]}"),
                 "(offset 3): topic", "must be a string (got a number)");
  expect_invalid(
      L, EV("{\"t-0\":[{\"topic\":\"t\",\"partition\":\"0\",\"offset\":3}]}"),
      "(offset 3): partition", "got a string");
  expect_invalid(
      L, EV("{\"t-0\":[{\"topic\":\"t\",\"partition\":0.5,\"offset\":3}]}"),
      "(offset 3): partition", "must be an integer");
  expect_invalid(L, REC(",\"timestamp\":\"now\""), "(offset 42): timestamp",
                 "got a string");
  expect_invalid(L, REC(",\"timestamp\":1.25"), "(offset 42): timestamp",
                 "must be an integer");
  expect_invalid(L, REC(",\"timestampType\":1"), "(offset 42): timestampType",
                 "must be a string");
  expect_invalid(L, REC(",\"key\":123"), "(offset 42): key",
                 "must be a base64 string (got a number)");
  expect_invalid(L, REC(",\"value\":[1]"), "(offset 42): value",
                 "got an array");
  expect_invalid(L, REC(",\"value\":\"eAB*\""), "(offset 42): value",
                 "invalid base64 at position 3 (of 4)");
  expect_invalid(L, REC(",\"key\":\"ab cd\""), "(offset 42): key",
                 "invalid base64 at position 2");
  expect_invalid(L, REC(",\"value\":\"eA-_\""), "value",
                 "invalid base64 at position 2");
  expect_invalid(L, REC(",\"value\":\"e\""), "value",
                 "invalid base64 at position 0");
  expect_invalid(L, REC(",\"headers\":{}"), "(offset 42): headers",
                 "must be an array (got an object)");
  expect_invalid(L, REC(",\"headers\":[[1]]"), "(offset 42): headers[1]",
                 "must be an object (got an array)");
  expect_invalid(L, REC(",\"headers\":[{\"a\":[1]},\"x\"]"), "headers[2]",
                 "must be an object (got a string)");
  expect_invalid(L, REC(",\"headers\":[{\"a\":[1]},{\"h\":[1,256]}]"),
                 "(offset 42): headers[2]",
                 "header \"h\" byte 2: 256 is not a byte (-128..255)");
  expect_invalid(L, REC(",\"headers\":[{\"h\":[-129]}]"), "headers[1]",
                 "byte 1: -129 is not a byte");
  expect_invalid(L, REC(",\"headers\":[{\"h\":[1.5]}]"), "headers[1]",
                 "byte 1: 1.5 is not a byte");
  expect_invalid(L, REC(",\"headers\":[{\"h\":[\"1\"]}]"), "headers[1]",
                 "byte 1: must be a number (got a string)");
  expect_invalid(L, REC(",\"headers\":[{\"h\":7}]"), "headers[1] \"h\"",
                 "must be an array of bytes (got a number)");
  expect_invalid(L, REC(",\"headers\":[{\"h\":\"not base64!\"}]"),
                 "headers[1] \"h\"", "invalid base64 at position 3");
  expect_invalid(L, REC(",\"keySchemaMetadata\":\"AVRO\""),
                 "(offset 42): keySchemaMetadata", "must be an object");
  expect_invalid(L, REC(",\"valueSchemaMetadata\":{\"dataFormat\":1}"),
                 "valueSchemaMetadata.dataFormat", "must be a string");
  expect_invalid(L, REC(",\"valueSchemaMetadata\":{\"schemaId\":true}"),
                 "valueSchemaMetadata.schemaId", "got a boolean");
  expect_invalid(L, "{\"eventSource\":\"aws:kafka\",\"eventSourceArn\":5}",
                 "eventSourceArn", "must be a string");
  expect_invalid(L,
                 "{\"eventSource\":\"aws:kafka\",\"bootstrapServers\":[],"
                 "\"records\":{}}",
                 "bootstrapServers", "got an array");
}

static void test_error_never_shows_bytes(lua_State *L)
{
  /* A secret-looking value with one bad character: the message has the
   * position, not the text. */
  ASSERT(decode(L, REC(",\"value\":\"c2VjcmV0LXRva2Vu$\"")) != LUA_OK);
  ASSERT_EQ(field(L, "message"), LUA_TSTRING);
  ASSERT(strstr(lua_tostring(L, -1), "c2VjcmV0") == NULL);
  lua_pop(L, 2);
}

static void test_is_kafka(void)
{
  static const char *const yes[] = {
      "{\"eventSource\":\"aws:kafka\"}",
      "{\"eventSource\":\"SelfManagedKafka\"}",
      "{\"eventSource\":\"aws:SelfManagedKafka\"}"};
  static const char *const no[] = {"{\"eventSource\":\"aws:sqs\"}",
                                   "{\"eventSource\":\"AWS:KAFKA\"}",
                                   "{\"eventSource\":1}",
                                   "{}",
                                   "[]",
                                   "1",
                                   "{\"Records\":[]}"};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
    cJSON *j = cJSON_Parse(yes[i]);
    ASSERT(event_kafka_is_kafka(j));
    cJSON_Delete(j);
  }
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
    cJSON *j = cJSON_Parse(no[i]);
    ASSERT_NOT_NULL(j);
    ASSERT(!event_kafka_is_kafka(j));
    cJSON_Delete(j);
  }
  ASSERT(!event_kafka_is_kafka(NULL));
}

int main(void)
{
  lua_State *L = luaL_newstate();
  ASSERT_NOT_NULL(L);
  luaL_openlibs(L);

  test_every_fixture_decodes(L, "kafka");
  test_every_fixture_decodes(L, "kafka-synthetic");
  test_go_signed_header_bytes(L);
  test_dotnet_binary_headers(L);
  test_docs_noncanonical_key(L);
  test_key_present_absent_null(L);
  test_two_partitions_no_headers(L);
  test_self_managed_spellings(L);
  test_roundtrip_base64_header(L);
  test_synthetic_headers(L);
  test_synthetic_integers(L);
  test_synthetic_order(L);
  test_large_value(L);
  test_invalid_events(L);
  test_error_never_shows_bytes(L);
  test_is_kafka();

  ASSERT_EQ(lua_gettop(L), 0);
  lua_close(L);
  puts("test_event_kafka: ok");
  return 0;
}
