/* test_dynamodb_scan: the DynamoDB Streams fast path (dynamodb_scan, on
 * records_scan) against the reference decoder (json_tree + event_source
 * with event_dynamodb / dynamodb_value), through test_records_compare.h.
 *
 * Every event fixture goes through all three records fast paths (at most
 * one may take it, and whatever one takes must equal the reference, .raw
 * included); every real DynamoDB Streams fixture must take this one, or the
 * speed of 6 MB batches silently regresses. Synthetic events then check
 * each attribute type, nesting, escapes, numbers at and past the 64-bit
 * edge, the strings remembered from record to record, and each reason to
 * decline (a value the reference notes in decode_error or rejects). */
#include <dirent.h>
#include <lualib.h>

#include "test_records_compare.h"

static void expect(lua_State *L, struct buf *scratch, const char *text,
                   int want_fast)
{
  records_compare_expect(L, scratch, text, EVENT_DYNAMODB, want_fast);
}

/* One INSERT record whose NewImage is 'image' (an attribute map's text). */
static void image(lua_State *L, struct buf *scratch, const char *image,
                  int want_fast)
{
  char text[8192];
  snprintf(text, sizeof text,
           "{\"Records\":[{\"eventName\":\"INSERT\",\"eventSource\":"
           "\"aws:dynamodb\",\"dynamodb\":{\"SequenceNumber\":\"1\","
           "\"NewImage\":%s}}]}",
           image);
  expect(L, scratch, text, want_fast);
}

/* One attribute value 'av' as the image's only attribute "a". */
static void value(lua_State *L, struct buf *scratch, const char *av,
                  int want_fast)
{
  char text[4096];
  snprintf(text, sizeof text, "{\"a\":%s}", av);
  image(L, scratch, text, want_fast);
}

/* 'av' as attribute "a" with text after it: the scanner reads a compact
 * type tag, a short N and a remembered name straight from the text only
 * with room for the longest of them ahead, which value()'s short tail
 * does not leave. */
static void padded(lua_State *L, struct buf *scratch, const char *av,
                   int want_fast)
{
  char text[4096];
  snprintf(text, sizeof text, "{\"a\":%s,\"z\":{\"S\":\"%s\"}}", av,
           "0123456789012345678901234567890123456789012345678901234567890123");
  image(L, scratch, text, want_fast);
}

/* One record: 'fields' the record's members before its dynamodb object
 * 'ddb'. */
static void record(lua_State *L, struct buf *scratch, const char *fields,
                   const char *ddb, int want_fast)
{
  char text[4096];
  snprintf(text, sizeof text,
           "{\"Records\":[{\"eventSource\":\"aws:dynamodb\"%s,\"dynamodb\":%s"
           "}]}",
           fields, ddb);
  expect(L, scratch, text, want_fast);
}

/* The image {"a": V}, V an S inside 'levels' M values (or L, 'list'). */
static void nested(lua_State *L, struct buf *scratch, int levels, int list,
                   int want_fast)
{
  static char text[8192];
  const char *open = list ? "{\"L\":[" : "{\"M\":{\"a\":";
  const char *close = list ? "]}" : "}}";
  size_t n = (size_t)snprintf(text, sizeof text, "{\"a\":");
  for (int i = 0; i < levels; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%s", open);
  n += (size_t)snprintf(text + n, sizeof text - n, "{\"S\":\"x\"}");
  for (int i = 0; i < levels; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%s", close);
  n += (size_t)snprintf(text + n, sizeof text - n, "}");
  ASSERT(n < sizeof text - 1);
  image(L, scratch, text, want_fast);
}

static void fixtures(lua_State *L, struct buf *scratch)
{
  const char *dir = LRT_SOURCE_DIR "/tests/fixtures/events";
  DIR *d = opendir(dir);
  ASSERT_NOT_NULL(d);
  struct dirent *e;
  int files = 0, dynamodb = 0;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
      continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    char *text = test_read_file(path, &len);
    int took =
        records_compare_kind(L, scratch, e->d_name, text, len, EVENT_DYNAMODB);
    int others =
        records_compare_kind(L, scratch, e->d_name, text, len, EVENT_SQS) +
        records_compare_kind(L, scratch, e->d_name, text, len, EVENT_KINESIS);
    ASSERT(took + others <= 1);
    struct arena a;
    arena_init(&a);
    size_t at;
    const char *why;
    cJSON *tree = json_tree_parse(&a, text, len, &at, &why);
    enum event_kind kind = tree ? event_source_detect(tree) : EVENT_CUSTOM;
    arena_free(&a);
    if (kind == EVENT_DYNAMODB) {
      dynamodb++;
      if (!took)
        TEST_FAIL("the fast path declined the real DynamoDB fixture %s",
                  e->d_name);
    }
    files++;
    free(text);
  }
  closedir(d);
  if (dynamodb < 3)
    TEST_FAIL("expected the 3 DynamoDB Streams fixtures, found %d", dynamodb);
  printf("dynamodb_scan: %d fixtures compared, %d DynamoDB taken\n", files,
         dynamodb);
}

static void attribute_types(lua_State *L, struct buf *scratch)
{
  value(L, scratch, "{\"S\":\"text\"}", 1);
  value(L, scratch, "{\"S\":\"\"}", 1);
  value(L, scratch, "{\"B\":\"AP8=\"}", 1);
  value(L, scratch, "{\"B\":\"\"}", 1);
  value(L, scratch, "{\"B\":\"a\\/k=\"}", 1);
  value(L, scratch, "{\"BOOL\":true}", 1);
  value(L, scratch, "{\"BOOL\":false}", 1);
  value(L, scratch, "{\"NULL\":true}", 1);
  value(L, scratch, "{\"NULL\":false}", 1);
  value(L, scratch, "{\"M\":{}}", 1);
  value(L, scratch, "{\"M\":{\"x\":{\"N\":\"1\"},\"y\":{\"S\":\"v\"}}}", 1);
  value(L, scratch, "{\"L\":[]}", 1);
  value(L, scratch,
        "{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"},{\"L\":[]},{\"M\":{}},{\"NULL\":"
        "true},{\"BOOL\":false},{\"B\":\"AA==\"},{\"SS\":[]}]}",
        1);
  value(L, scratch, "{\"SS\":[\"a\",\"b\",\"a\\u0000\"]}", 1);
  value(L, scratch, "{\"SS\":[]}", 1);
  value(L, scratch, "{\"NS\":[\"1\",\"-2.5\",\"1e400\",\"007\"]}", 1);
  value(L, scratch, "{\"NS\":[]}", 1);
  value(L, scratch, "{\"BS\":[\"AP8=\",\"\",\"aGk=\"]}", 1);
  value(L, scratch, "{\"BS\":[]}", 1);
  image(L, scratch, "{}", 1);
  /* Whitespace anywhere JSON allows it. */
  image(L, scratch,
        " { \"a\" : { \"L\" : [ { \"N\" : \"1\" } , { \"SS\" : [ \"x\" ] } ] "
        "} , \"b\" : { \"BOOL\" : true } , \"c\" : { \"NULL\" : true } } ",
        1);
}

static void numbers(lua_State *L, struct buf *scratch)
{
  static const char *const taken[] = {
      "0",
      "-0",
      "007",
      "42",
      "-42",
      "123456789012345678",
      "-123456789012345678",
      "999999999999999999",
      "1234567890123456789",
      "9223372036854775807",
      "-9223372036854775808",
      "9223372036854775808",
      "-9223372036854775809",
      "99999999999999999999999999999999999999",
      "9007199254740993",
      "1.0",
      "0.1",
      "-0.0",
      "1.5e3",
      "1E+3",
      "1e-3",
      "2E2",
      "1e400",
      "-1e400",
      "1e-400",
      "12345678901234567890123456789012345678E+86",
  };
  for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
    char av[256];
    snprintf(av, sizeof av, "{\"N\":\"%s\"}", taken[i]);
    value(L, scratch, av, 1);
    padded(L, scratch, av, 1);
  }
  /* Not numbers: the reference notes a decode_error, so the fast path
   * leaves them to it; so are escapes in an N, and numbers longer than any
   * DynamoDB sends. */
  static const char *const declined[] = {
      "",
      "-",
      "abc",
      "1.",
      ".5",
      " 1",
      "1 ",
      "+1",
      "0x10",
      "inf",
      "NaN",
      "1e",
      "1e+",
      "1.2.3",
      "--1",
      "1\\u0000",
      "\\u0031",
      "1_000",
      "1000000000000000000000000000000000000000000000000000000000000000",
  };
  for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
    char av[256];
    snprintf(av, sizeof av, "{\"N\":\"%s\"}", declined[i]);
    value(L, scratch, av, 0);
    padded(L, scratch, av, 0);
  }
  value(L, scratch, "{\"N\":5}", 0);
  value(L, scratch, "{\"N\":null}", 0);
  value(L, scratch, "{\"NS\":[\"1\",\"x\"]}", 0);
  value(L, scratch, "{\"NS\":[1]}", 0);
}

/* Type tags as the scanner reads them straight from the text: each
 * tag's compact form, and what falls back to reading the tag as a name
 * (whitespace, escapes) or declines (tags no type has). */
static void tags(lua_State *L, struct buf *scratch)
{
  static const char *const taken[] = {
      "{\"S\":\"x\"}",
      "{\"N\":\"-12\"}",
      "{\"B\":\"AP8=\"}",
      "{\"M\":{\"k\":{\"N\":\"1\"}}}",
      "{\"L\":[{\"N\":\"1\"}]}",
      "{\"SS\":[\"a\"]}",
      "{\"NS\":[\"1\",\"2.5\"]}",
      "{\"BS\":[\"AA==\"]}",
      "{\"BOOL\":true}",
      "{\"NULL\":true}",
      "{ \"S\":\"x\"}",
      "{\"S\" :\"x\"}",
      "{\n\"BOOL\"\t: false }",
      "{\"\\u0053\":\"x\"}",
      "{\"N\":\"7\" }",
  };
  for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
    value(L, scratch, taken[i], 1);
    padded(L, scratch, taken[i], 1);
  }
  static const char *const declined[] = {
      "{\"s\":\"x\"}",    "{\"SN\":[\"1\"]}",     "{\"SSS\":[\"a\"]}",
      "{\"BOOLX\":true}", "{\"BOOM\":true}",      "{\"NULS\":true}",
      "{\"ABC\":1}",      "{\"\":\"x\"}",         "{\"S\"\"x\"}",
      "{\"S\",\"x\"}",    "{\"S\\u0000\":\"x\"}",
  };
  for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
    value(L, scratch, declined[i], 0);
    padded(L, scratch, declined[i], 0);
  }
}

static void escapes(lua_State *L, struct buf *scratch)
{
  /* Bytes are bytes: a \u0000 in a value, a name, a set element; other
   * escapes in values, names and even a type tag. */
  value(L, scratch, "{\"S\":\"a\\u0000b\"}", 1);
  value(L, scratch,
        "{\"S\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}", 1);
  image(L, scratch, "{\"n\\u0000m\":{\"S\":\"x\"},\"n\":{\"S\":\"y\"}}", 1);
  value(L, scratch, "{\"\\u0053\":\"tag escaped\"}", 1);
  value(L, scratch, "{\"S\\u0000\":\"x\"}", 0);
  /* A later duplicate name wins, as on the tree path. */
  image(L, scratch, "{\"a\":{\"S\":\"1\"},\"a\":{\"N\":\"2\"}}", 1);
  /* Record strings with escapes. */
  record(L, scratch,
         ",\"eventName\":\"IN\\u0000SERT\",\"eventID\":\"e\\\"1\","
         "\"awsRegion\":\"r\\u00e9\",\"eventSourceARN\":\"a\\/b\"",
         "{\"SequenceNumber\":\"1\\u0000\",\"Keys\":{\"k\":{\"S\":\"v\"}}}", 1);
}

static void shapes(lua_State *L, struct buf *scratch)
{
  const char *name = ",\"eventName\":\"MODIFY\"";
  /* Taken: Keys absent, null or empty (keys = {}), images null or absent,
   * fields the contract does not name. */
  record(L, scratch, name, "{\"SequenceNumber\":\"1\"}", 1);
  record(L, scratch, name, "{\"SequenceNumber\":\"1\",\"Keys\":null}", 1);
  record(L, scratch, name, "{\"SequenceNumber\":\"1\",\"Keys\":{}}", 1);
  record(L, scratch, name,
         "{\"SequenceNumber\":\"1\",\"NewImage\":null,\"OldImage\":null,"
         "\"SizeBytes\":26,\"StreamViewType\":\"KEYS_ONLY\","
         "\"ApproximateCreationDateTime\":1.5e9,\"x\":[{\"y\":[true,null]}]}",
         1);
  record(L, scratch,
         ",\"eventName\":\"REMOVE\",\"eventID\":null,\"awsRegion\":null,"
         "\"eventSourceARN\":null,\"eventVersion\":\"1.1\","
         "\"userIdentity\":{\"type\":\"Service\"}",
         "{\"SequenceNumber\":\"1\",\"OldImage\":{\"a\":{\"S\":\"b\"}}}", 1);
  /* Declined: what the reference rejects. */
  record(L, scratch, "", "{\"SequenceNumber\":\"1\"}", 0);
  record(L, scratch, ",\"eventName\":null", "{\"SequenceNumber\":\"1\"}", 0);
  record(L, scratch, ",\"eventName\":5", "{\"SequenceNumber\":\"1\"}", 0);
  record(L, scratch, ",\"eventName\":\"A\",\"eventName\":\"B\"",
         "{\"SequenceNumber\":\"1\"}", 0);
  record(L, scratch, ",\"eventID\":5,\"eventName\":\"A\"",
         "{\"SequenceNumber\":\"1\"}", 0);
  record(L, scratch, name, "null", 0);
  record(L, scratch, name, "[]", 0);
  record(L, scratch, name, "{}", 0);
  record(L, scratch, name, "{\"SequenceNumber\":null}", 0);
  record(L, scratch, name, "{\"SequenceNumber\":1}", 0);
  record(L, scratch, name,
         "{\"SequenceNumber\":\"1\",\"SequenceNumber\":\"2\"}", 0);
  record(L, scratch, name, "{\"SequenceNumber\":\"1\",\"Keys\":[]}", 0);
  record(L, scratch, name, "{\"SequenceNumber\":\"1\",\"Keys\":{},\"Keys\":{}}",
         0);
  record(L, scratch, name, "{\"SequenceNumber\":\"1\",\"NewImage\":\"x\"}", 0);
  /* The first record's EventSource is what the reference detects SNS by. */
  record(L, scratch, ",\"EventSource\":\"aws:sns\",\"eventName\":\"A\"",
         "{\"SequenceNumber\":\"1\"}", 0);
  expect(L, scratch,
         "{\"Records\":[{\"eventSource\":\"aws:kinesis\",\"eventName\":\"A\","
         "\"dynamodb\":{\"SequenceNumber\":\"1\"}}]}",
         0);
  expect(L, scratch, "{\"Records\":[]}", 0);
  expect(L, scratch,
         "{\"Records\":[{\"eventSource\":\"aws:dynamodb\",\"eventName\":\"A\","
         "\"dynamodb\":{\"SequenceNumber\":\"1\"}}],\"x\":1}",
         0);
  /* Bad attribute values: two types, none, an unknown one, the wrong JSON
   * type for the tag, bad base64 (a decode_error on the reference path). */
  value(L, scratch, "{\"S\":\"a\",\"N\":\"1\"}", 0);
  value(L, scratch, "{}", 0);
  value(L, scratch, "{\"X\":\"1\"}", 0);
  value(L, scratch, "{\"SSS\":[]}", 0);
  value(L, scratch, "{\"BOOLEAN\":true}", 0);
  value(L, scratch, "\"a\"", 0);
  value(L, scratch, "null", 0);
  value(L, scratch, "{\"S\":5}", 0);
  value(L, scratch, "{\"S\":null}", 0);
  value(L, scratch, "{\"BOOL\":\"true\"}", 0);
  value(L, scratch, "{\"BOOL\":1}", 0);
  value(L, scratch, "{\"NULL\":null}", 0);
  value(L, scratch, "{\"M\":[]}", 0);
  value(L, scratch, "{\"M\":{\"x\":\"y\"}}", 0);
  value(L, scratch, "{\"L\":{}}", 0);
  value(L, scratch, "{\"L\":[\"x\"]}", 0);
  value(L, scratch, "{\"SS\":[1]}", 0);
  value(L, scratch, "{\"SS\":\"a\"}", 0);
  value(L, scratch, "{\"B\":\"TestBinary\"}", 0);
  value(L, scratch, "{\"B\":\"!!!!\"}", 0);
  value(L, scratch, "{\"B\":5}", 0);
  value(L, scratch, "{\"BS\":[\"AP8=\",\"AP8\"]}", 0);
  /* Nesting: within dynamodb_value's 64 levels taken, past it declined. */
  nested(L, scratch, 62, 0, 1);
  nested(L, scratch, 63, 0, 1);
  nested(L, scratch, 64, 0, 0);
  nested(L, scratch, 80, 0, 0);
  nested(L, scratch, 63, 1, 1);
  nested(L, scratch, 64, 1, 0);
  nested(L, scratch, 80, 1, 0);
}

/* Remembered strings: names by position change between records, escaped
 * names are never remembered, records take ARNs and regions from the
 * previous one only when the bytes are the same. */
static void remembered(lua_State *L, struct buf *scratch)
{
  expect(L, scratch,
         "{\"Records\":["
         "{\"eventSource\":\"aws:dynamodb\",\"eventName\":\"INSERT\","
         "\"eventSourceARN\":\"arn1\",\"awsRegion\":\"r1\",\"dynamodb\":{"
         "\"SequenceNumber\":\"1\",\"Keys\":{\"id\":{\"N\":\"1\"}},"
         "\"NewImage\":{\"id\":{\"N\":\"1\"},\"b\":{\"S\":\"x\"},\"c\":{"
         "\"BOOL\":true}}}},"
         "{\"eventSource\":\"aws:dynamodb\",\"eventName\":\"MODIFY\","
         "\"eventSourceARN\":\"arn1\",\"awsRegion\":\"r2\",\"dynamodb\":{"
         "\"SequenceNumber\":\"2\",\"Keys\":{\"id\":{\"N\":\"2\"}},"
         "\"NewImage\":{\"c\":{\"N\":\"1\"},\"id\":{\"N\":\"2\"},\"b\\u0000\":{"
         "\"S\":\"y\"}},\"OldImage\":{\"id\":{\"N\":\"2\"},\"b\":{\"S\":\"x\"}}"
         "}},"
         "{\"eventSource\":\"aws:sqs\",\"eventName\":\"INSERT\","
         "\"eventSourceARN\":\"arn2\",\"awsRegion\":\"r2\",\"dynamodb\":{"
         "\"SequenceNumber\":\"3\",\"NewImage\":{\"id\":{\"N\":\"3\"},"
         "\"b\\u0000\":{\"S\":\"z\"},\"c\":{\"NULL\":true},\"d\":{\"SS\":["
         "\"q\"]}}}}]}",
         1);
  /* A name read against the remembered one at its position: longer,
   * shorter, the same bytes then an escape, a remembered name that ended
   * in the scratch (escaped), and the same names again. */
  static const char *const names[][3] = {
      {"id", "name", "n\\u0000"}, {"idx", "nam", "n\\u0000"},
      {"i", "name\\\"", "n"},     {"id\\u0041", "name", "n"},
      {"id", "name", "n"},        {"id", "name", "n"},
  };
  char text[8192];
  int at = snprintf(text, sizeof text, "{\"Records\":[");
  for (size_t r = 0; r < sizeof names / sizeof names[0]; r++)
    at += snprintf(text + at, sizeof text - (size_t)at,
                   "%s{\"eventSource\":\"aws:dynamodb\",\"eventName\":"
                   "\"INSERT\",\"dynamodb\":{\"SequenceNumber\":\"%zu\","
                   "\"NewImage\":{\"%s\":{\"N\":\"1\"},\"%s\":{\"M\":{"
                   "\"%s\":{\"S\":\"v\"},\"%s\":{\"N\":\"2\"}}},\"%s\":{"
                   "\"BOOL\":true}}}}",
                   r == 0 ? "" : ",", r, names[r][0], names[r][1], names[r][2],
                   names[r][0], names[r][2]);
  snprintf(text + at, sizeof text - (size_t)at, "]}");
  expect(L, scratch, text, 1);
}

int main(void)
{
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  records_compare_init(L);
  struct buf scratch;
  buf_init(&scratch, 64u << 20);

  fixtures(L, &scratch);
  attribute_types(L, &scratch);
  numbers(L, &scratch);
  tags(L, &scratch);
  escapes(L, &scratch);
  shapes(L, &scratch);
  remembered(L, &scratch);

  /* Truncated text at every length never confuses the fast path. */
  const char *full =
      "{\"Records\":[{\"eventSource\":\"aws:dynamodb\",\"eventName\":\"I\","
      "\"dynamodb\":{\"SequenceNumber\":\"1\",\"Keys\":{\"k\":{\"N\":\"12\"}},"
      "\"NewImage\":{\"m\":{\"M\":{\"l\":{\"L\":[{\"NS\":[\"1.5\"]},{\"BS\":"
      "[\"AP8=\"]}]}}},\"t\":{\"BOOL\":false},\"n\":{\"NULL\":true}}}}]}";
  for (size_t n = 0; n < strlen(full); n++)
    ASSERT_EQ(
        records_compare_kind(L, &scratch, "truncated", full, n, EVENT_DYNAMODB),
        0);
  ASSERT_EQ(records_compare_kind(L, &scratch, "full", full, strlen(full),
                                 EVENT_DYNAMODB),
            1);
  ASSERT_EQ(lua_gettop(L), 0);

  buf_free(&scratch);
  lua_close(L);
  printf("dynamodb_scan: every case matches the reference\n");
  return 0;
}
