/* test_kafka_scan: the fast path (kafka_scan) against the reference decoder
 * (cJSON + event_kafka).
 *
 * For every fixture under tests/fixtures/kafka*: when the fast path takes the
 * event, its table must equal the reference's field for field, and the
 * reference must accept the event too; when it declines, nothing may be left
 * on the stack. The real Lambda-shaped fixtures must take the fast path (or
 * the speed of 6 MB batches silently regresses). Synthetic variants check
 * each reason to decline. */
#include <dirent.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "buf.h"
#include "event_kafka.h"
#include "json_tree.h"
#include "kafka_scan.h"
#include "test.h"
#include "test_lua_equal.h"

static const char DEEP_EQUAL[] = TEST_LUA_DEEP_EQUAL "return eq\n";

/* The reference decoder's scratch, kept across calls as event_decode keeps
 * it (reachable until exit). */
static struct buf reference_scratch = {.max = (size_t)128 << 20};

static int reference_push(lua_State *L)
{
  event_kafka_push(L, lua_touserdata(L, 1), &reference_scratch);
  return 1;
}

/* Compare both paths on one text. Returns 1 when the fast path took it. */
static int compare(lua_State *L, struct buf *scratch, const char *name,
                   const char *text, size_t len)
{
  int top = lua_gettop(L);
  int fast = kafka_scan_push(L, text, len, scratch, NULL);
  if (fast != KAFKA_SCAN_PUSHED) {
    ASSERT_EQ(lua_gettop(L), top);
    return 0;
  }
  ASSERT_EQ(lua_gettop(L), top + 1);
  struct arena arena;
  arena_init(&arena);
  size_t at;
  const char *why;
  cJSON *tree = json_tree_parse(&arena, text, len, &at, &why);
  if (!tree || !event_kafka_is_kafka(tree))
    TEST_FAIL("%s: the fast path took an event the reference does not "
              "parse as Kafka",
              name);
  lua_pushcfunction(L, reference_push);
  lua_pushlightuserdata(L, tree);
  int status = lua_pcall(L, 1, 1, 0);
  arena_free(&arena);
  if (status != LUA_OK)
    TEST_FAIL("%s: fast path accepted, reference raised: %s", name,
              luaL_tolstring(L, -1, NULL));
  lua_getglobal(L, "deep_equal");
  lua_pushvalue(L, -3);
  lua_pushvalue(L, -3);
  lua_pushliteral(L, "event");
  lua_call(L, 3, 2);
  if (!lua_toboolean(L, -2))
    TEST_FAIL("%s: fast and reference differ at %s", name, lua_tostring(L, -1));
  lua_settop(L, top);
  return 1;
}

static int compare_dir(lua_State *L, struct buf *scratch, const char *dir,
                       int *files)
{
  DIR *d = opendir(dir);
  ASSERT_NOT_NULL(d);
  struct dirent *e;
  int taken = 0;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
      continue;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    size_t len;
    char *text = test_read_file(path, &len);
    const char *body = text;
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
      body += 3;
      len -= 3;
    }
    taken += compare(L, scratch, e->d_name, body, len);
    (*files)++;
    free(text);
  }
  closedir(d);
  return taken;
}

static void expect(lua_State *L, struct buf *scratch, const char *text,
                   int want_fast)
{
  int got = compare(L, scratch, text, text, strlen(text));
  if (got != want_fast)
    TEST_FAIL("fast path %s: %s", want_fast ? "declined" : "took", text);
}

int main(void)
{
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  ASSERT_OK(luaL_dostring(L, DEEP_EQUAL));
  lua_setglobal(L, "deep_equal");
  struct buf scratch;
  buf_init(&scratch, 64u << 20);

  int files = 0;
  int taken =
      compare_dir(L, &scratch, LRT_SOURCE_DIR "/tests/fixtures/kafka", &files);
  int real = files;
  /* Nearly every real fixture is Lambda-shaped; those that are not (the
   * Jackson round trip with base64 header strings, the response file) take
   * the reference path. */
  if (taken < real - 2)
    TEST_FAIL("the fast path took only %d of %d real fixtures", taken, real);
  compare_dir(L, &scratch, LRT_SOURCE_DIR "/tests/fixtures/kafka-synthetic",
              &files);

  const char *base = "{\"eventSource\":\"aws:kafka\",\"records\":{\"t-0\":[";
  char text[1024];
#define REC(body, fast)                                                        \
  do {                                                                         \
    snprintf(text, sizeof(text), "%s%s]}}", base, body);                       \
    expect(L, &scratch, text, fast);                                           \
  } while (0)
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"value\":\"aGk=\"}", 1);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"key\":null,"
      "\"value\":null,\"headers\":null,\"timestamp\":null}",
      1);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[-1,0,127,-128,255]},{\"h\":[]}]}",
      1);
  /* Header bytes of one, two and three digits in any order, with JSON
   * whitespace around them and signs, as the fast path reads them without
   * a branch per digit; the forms it leaves to the reference decline. */
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[0, 1,2 ,  34,\n255,-0,-1,-99,-128,100,\t7 ,10,99,200]}]}",
      1);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[01]}]}",
      0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[1000]}]}",
      0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[-129]}]}",
      0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[123.5]}]}",
      0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[12E1]}]}",
      0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[5e0]}]}",
      0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[-]}]}",
      0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[9,]}]}",
      0);
  /* A byte array cut off where fewer than four characters are left. */
  expect(L, &scratch,
         "{\"eventSource\":\"aws:kafka\",\"records\":{\"t-0\":[{\"topic\":"
         "\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":[1,12",
         0);
  expect(L, &scratch,
         "{\"eventSource\":\"aws:kafka\",\"records\":{\"t-0\":[{\"topic\":"
         "\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":[-1",
         0);
  /* Strings whose end the lexer finds byte by byte (up to 24 bytes) or by
   * searching: escapes before, at and after that point, and a run of
   * backslashes ending just before a quote. */
  REC("{\"topic\":\"aaaaaaaaaaaaaaaaaaaaaa\\\"b\",\"partition\":0,"
      "\"offset\":1}",
      1);
  REC("{\"topic\":\"aaaaaaaaaaaaaaaaaaaaaaa\\\\\",\"partition\":0,"
      "\"offset\":1}",
      1);
  REC("{\"topic\":\"aaaaaaaaaaaaaaaaaaaaaaaa\\\"\\\\\\\\\",\"partition\":0,"
      "\"offset\":1}",
      1);
  REC("{\"topic\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\\"x\","
      "\"partition\":0,\"offset\":1}",
      1);
  REC("{\"topic\":\"aaaaaaaaaaaaaaaaaaaaaaaa\",\"partition\":0,\"offset\":1}",
      1);
  REC("{\"topic\":\"\\\\\",\"partition\":0,\"offset\":1}", 1);
  /* 2^53 is exact in a double; one more is not: both paths round it the
   * same way, so the fast path takes it. */
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":9007199254740992}", 1);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":9007199254740993}", 1);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":-9223372036854775808}", 1);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":9223372036854775808}", 0);
  /* Escapes anywhere (a \u0000 kept as a byte), fractions, exponents. */
  REC("{\"topic\":\"t\\u0041\",\"partition\":0,\"offset\":1}", 1);
  REC("{\"topic\":\"a\\u0000b\",\"partition\":0,\"offset\":1,\"headers\":"
      "[{\"n\\u0000\\\"\\ud83d\\ude00\":[1]}],\"timestampType\":\"C\\tT\"}",
      1);
  REC("{\"topic\":\"t\\ud800\",\"partition\":0,\"offset\":1}", 0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1.0}", 1);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1e2}", 1);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1.5}", 0);
  REC("{\"topic\":\"t\",\"topic\":\"u\",\"partition\":0,\"offset\":1}", 0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"key\":"
      "\"a\",\"value\":\"b\"}]}",
      0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"value\":\"a\\/b=\"}", 1);
  /* Unknown fields are skipped, as the reference ignores them. */
  REC("{\"topic\":\"t\",\"x\":{\"y\":[1,2.5,-3e4,true,false,null,\"s\"]},"
      "\"partition\":0,\"offset\":1}",
      1);
  /* Malformed events decline: the reference words the error. */
  REC("{\"topic\":\"t\",\"partition\":0}", 0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"value\":\"a!==\"}", 0);
  REC("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"headers\":[{\"h\":"
      "[256]}]}",
      0);
  REC("\"not a record\"", 0);
  expect(L, &scratch, "{\"eventSource\":\"aws:sqs\",\"records\":{}}", 0);
  /* A member name is all its bytes: "bootstrapServers\u0000" is another
   * member, which both paths ignore (fuzz_kafka found the reference taking
   * it for bootstrapServers). */
  expect(L, &scratch,
         "{\"eventSource\":\"aws:kafka\",\"bootstrapServers\\u0000x\":\"b\","
         "\"records\":{\"t-0\":[{\"topic\":\"t\",\"partition\":0,\"offset\":1,"
         "\"offset\\u0000\":2}]}}",
         1);
  /* A member name with raw NUL bytes is all its bytes, another member
   * than "records" (fuzz_kafka, regressions/kafka-records-nul-name.json). */
  {
    static const char raw_nul[] =
        "{\"eventSource\":\"aws:kafka\",\"records\0\0x\":\"s\","
        "\"records\":{\"t-0\":[{\"topic\":\"t\",\"partition\":0,"
        "\"offset\":1}]}}";
    ASSERT_EQ(compare(L, &scratch, "raw NUL", raw_nul, sizeof raw_nul - 1), 1);
    ASSERT_OK(luaL_loadstring(L, "local e = ...\n"
                                 "assert(#e.records == 1)\n"
                                 "assert(e.records[1].offset == 1)\n"));
    ASSERT_EQ(kafka_scan_push(L, raw_nul, sizeof raw_nul - 1, &scratch, NULL),
              KAFKA_SCAN_PUSHED);
    ASSERT_OK(lua_pcall(L, 1, 0, 0));
  }
  /* Keys in any order (events captured from MSK come sorted). */
  expect(L, &scratch, "{\"records\":{},\"eventSource\":\"aws:kafka\"}", 1);
  expect(L, &scratch, "{\"records\":{},\"eventSource\":\"aws:sqs\"}", 0);
  expect(L, &scratch, "{\"a\":1,\"records\":{},\"eventSource\":\"x\"}", 0);
  expect(L, &scratch, "{\"eventSource\":\"aws:kafka\",\"records\":{}} x", 0);
  expect(L, &scratch, "{\"eventSource\":\"aws:kafka\",\"records\":{}}", 1);
  expect(L, &scratch,
         "{\"eventSource\":\"aws:SelfManagedKafka\",\"bootstrapServers\":"
         "null,\"records\":{\"a-1\":[],\"b-2\":[]}}",
         1);
  /* Bytes are bytes: two partitions that differ after a NUL stay two, on
   * the fast path (compare() has checked the reference agrees). */
  const char *nul = "{\"eventSource\":\"aws:kafka\",\"records\":{"
                    "\"a\\u0000x-0\":[{\"topic\":\"a\\u0000x\",\"partition\":0,"
                    "\"offset\":1,\"headers\":[{\"k\\u0000\":[0,1]}]}],"
                    "\"a\\u0000y-0\":[{\"topic\":\"a\\u0000y\",\"partition\":0,"
                    "\"offset\":2}]}}";
  ASSERT_EQ(compare(L, &scratch, "nul", nul, strlen(nul)), 1);
  ASSERT_EQ(kafka_scan_push(L, nul, strlen(nul), &scratch, NULL),
            KAFKA_SCAN_PUSHED);
  lua_setglobal(L, "ev");
  ASSERT_OK(luaL_dostring(
      L, "local r = ev.records\n"
         "assert(r[1].topic == 'a\\0x' and r[2].topic == 'a\\0y')\n"
         "assert(r[1].topic_partition == 'a\\0x-0')\n"
         "assert(r[2].topic_partition == 'a\\0y-0')\n"
         "assert(r[1].headers[1].key == 'k\\0')\n"
         "assert(r[1].headers[1].value == '\\0\\1')\n"));

  /* Truncated text at every length never confuses the fast path. */
  const char *full = "{\"eventSource\":\"aws:kafka\",\"records\":{\"t-0\":[{"
                     "\"topic\":\"t\",\"partition\":0,\"offset\":1,\"key\":"
                     "\"aGk=\",\"headers\":[{\"h\":[1,-2]}]}]}}";
  for (size_t n = 0; n < strlen(full); n++)
    ASSERT_EQ(compare(L, &scratch, "truncated", full, n), 0);
  ASSERT_EQ(compare(L, &scratch, "full", full, strlen(full)), 1);

  buf_free(&scratch);
  lua_close(L);
  printf("kafka_scan: %d files compared, fast path took %d of %d real "
         "fixtures\n",
         files, taken, real);
  return 0;
}
