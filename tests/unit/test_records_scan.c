/* test_records_scan: the fast paths of {"Records": [...]} events (sqs_scan,
 * kinesis_scan) against the reference decoder (json_tree + event_source
 * with event_sqs / event_kinesis).
 *
 * For every event fixture and each fast path: when it takes the event, the
 * reference must detect it as that source and build a table equal to it
 * field for field, and event.raw and every record.raw (parsed lazily from
 * the text on the fast path) must equal the reference's; when it declines,
 * nothing may be left on the stack. Every real SQS and Kinesis fixture must
 * take its fast path (or the speed of 6 MB batches silently regresses).
 * Synthetic events check each reason to decline and each rule it shares
 * with the reference: bytes after a \u0000, escapes, nulls, duplicates. */
#include <dirent.h>
#include <lualib.h>

#include "test_records_compare.h"

/* Both fast paths on one text: the SQS one's result (the Kinesis one must
 * decline what SQS takes, and the reverse). */
static int compare(lua_State *L, struct buf *scratch, const char *name,
                   const char *text, size_t len)
{
  int sqs = records_compare_kind(L, scratch, name, text, len, EVENT_SQS);
  int kin = records_compare_kind(L, scratch, name, text, len, EVENT_KINESIS);
  ASSERT(!(sqs && kin));
  return sqs;
}

/* The Kinesis fast path on 'text', which it must take or not. */
static void expect_kinesis(lua_State *L, struct buf *scratch, const char *text,
                           int want_fast)
{
  records_compare_expect(L, scratch, text, EVENT_KINESIS, want_fast);
}

/* One Kinesis record with 'extra' spliced into its kinesis object. */
static void kin(lua_State *L, struct buf *scratch, const char *extra,
                int want_fast)
{
  char text[2048];
  snprintf(text, sizeof text,
           "{\"Records\":[{\"eventSource\":\"aws:kinesis\",\"kinesis\":{"
           "\"partitionKey\":\"p\",\"sequenceNumber\":\"1\"%s}}]}",
           extra);
  expect_kinesis(L, scratch, text, want_fast);
}

static void expect(lua_State *L, struct buf *scratch, const char *text,
                   int want_fast)
{
  int got = compare(L, scratch, text, text, strlen(text));
  if (got != want_fast)
    TEST_FAIL("fast path %s: %s", want_fast ? "declined" : "took", text);
}

/* One SQS record with 'extra' spliced in after messageId. */
static void rec(lua_State *L, struct buf *scratch, const char *extra,
                int want_fast)
{
  char text[2048];
  snprintf(text, sizeof text,
           "{\"Records\":[{\"messageId\":\"m1\"%s,\"eventSource\":"
           "\"aws:sqs\",\"body\":\"b\"}]}",
           extra);
  expect(L, scratch, text, want_fast);
}

int main(void)
{
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  records_compare_init(L);
  struct buf scratch;
  buf_init(&scratch, 64u << 20);

  const char *dir = LRT_SOURCE_DIR "/tests/fixtures/events";
  DIR *d = opendir(dir);
  ASSERT_NOT_NULL(d);
  struct dirent *e;
  int files = 0, taken = 0, sqs = 0, kinesis = 0;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
      continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    char *text = test_read_file(path, &len);
    int took = compare(L, &scratch, e->d_name, text, len);
    int took_kin =
        records_compare_kind(L, &scratch, e->d_name, text, len, EVENT_KINESIS);
    taken += took + took_kin;
    /* Every real SQS and Kinesis sample is Lambda's shape (Powertools'
     * sqsEvent.json has a binaryValue that is not base64, but on a Number
     * attribute, where neither path reads it). */
    struct arena a;
    arena_init(&a);
    size_t at;
    const char *why;
    cJSON *tree = json_tree_parse(&a, text, len, &at, &why);
    enum event_kind kind = tree ? event_source_detect(tree) : EVENT_CUSTOM;
    arena_free(&a);
    if (kind == EVENT_SQS) {
      sqs++;
      if (!took)
        TEST_FAIL("the fast path declined the real SQS fixture %s", e->d_name);
    }
    if (kind == EVENT_KINESIS) {
      kinesis++;
      if (!took_kin)
        TEST_FAIL("the fast path declined the real Kinesis fixture %s",
                  e->d_name);
    }
    files++;
    free(text);
  }
  closedir(d);
  if (sqs == 0 || kinesis == 0)
    TEST_FAIL("no SQS or Kinesis fixture (%d, %d)", sqs, kinesis);

  /* What the fast path takes, equal to the reference. */
  rec(L, &scratch, "", 1);
  rec(L, &scratch, ",\"receiptHandle\":null,\"md5OfBody\":\"x\"", 1);
  rec(L, &scratch, ",\"attributes\":{\"A\":\"1\",\"B\":\"\"}", 1);
  rec(L, &scratch, ",\"attributes\":{}", 1);
  rec(L, &scratch, ",\"attributes\":null", 1);
  rec(L, &scratch, ",\"messageAttributes\":null", 1);
  rec(L, &scratch,
      ",\"messageAttributes\":{\"s\":{\"dataType\":\"String\",\"stringValue\":"
      "\"v\",\"stringListValues\":[],\"binaryListValues\":[]},\"n\":{"
      "\"dataType\":\"Number.int\",\"stringValue\":\"1.50\"},\"b\":{"
      "\"binaryValue\":\"AP8=\",\"dataType\":\"Binary\"},\"e\":{\"dataType\":"
      "\"Binary\"},\"t\":{\"dataType\":\"String\",\"binaryValue\":\"!!\"}}",
      1);
  /* Bytes are bytes: a \u0000 in a body, a name, a value; other escapes. */
  rec(L, &scratch,
      ",\"body\\u0000\":\"x\",\"receiptHandle\":"
      "\"r\\u0000h\\\"\\ud83d\\ude00\","
      "\"messageAttributes\":{\"k\\u0000x\":{\"dataType\":\"String\","
      "\"stringValue\":\"v\"}},\"attributes\":{\"a\\u0000\":\"b\\u0000c\"}",
      1);
  expect(L, &scratch,
         "{\"Records\":[{\"messageId\":\"m\",\"eventSource\":\"aws:sqs\","
         "\"body\":\"a\\u0000b\"}]}",
         1);
  expect(L, &scratch,
         " \n{ \"Records\" : [ { \"messageId\" : \"m\" , \"eventSource\" : "
         "\"aws:sqs\" } , {\"messageId\":\"n\",\"eventSource\":\"aws:s3\"} ] } "
         "\n",
         1);
  /* Null body and later duplicates are the reference's to word or take. */
  expect(L, &scratch,
         "{\"Records\":[{\"messageId\":\"m\",\"eventSource\":\"aws:sqs\","
         "\"body\":null}]}",
         1);
  rec(L, &scratch, ",\"body\":\"c\"", 0);
  rec(L, &scratch, ",\"messageId\":\"m2\"", 0);
  /* Declined: not SQS's shape, or a value the reference notes or rejects. */
  rec(L, &scratch,
      ",\"messageAttributes\":{\"b\":{\"dataType\":\"Binary\",\"binaryValue\":"
      "\"TestBinary\"}}",
      0);
  rec(L, &scratch,
      ",\"messageAttributes\":{\"b\":{\"dataType\":\"Weird\",\"stringValue\":"
      "\"x\"}}",
      0);
  rec(L, &scratch, ",\"messageAttributes\":{\"b\":{\"stringValue\":\"x\"}}", 0);
  rec(L, &scratch, ",\"attributes\":{\"A\":1}", 0);
  rec(L, &scratch, ",\"receiptHandle\":5", 0);
  rec(L, &scratch, ",\"x\":{\"y\":[1,2.5,-3e4,true,false,null,\"s\"]}", 1);
  expect(L, &scratch,
         "{\"Records\":[{\"messageId\":\"m\",\"eventSource\":\"aws:sqs\","
         "\"messageId\":\"n\"}]}",
         0);
  expect(L, &scratch,
         "{\"Records\":[{\"messageId\":null,\"eventSource\":"
         "\"aws:sqs\"}]}",
         0);
  expect(L, &scratch, "{\"Records\":[{\"eventSource\":\"aws:sqs\"}]}", 0);
  expect(L, &scratch, "{\"Records\":[{\"messageId\":\"m\"}]}", 0);
  expect(L, &scratch,
         "{\"Records\":[{\"messageId\":\"m\",\"eventSource\":\"aws:sqs\\u0000\""
         "}]}",
         0);
  expect(L, &scratch, "{\"Records\":[]}", 0);
  expect(L, &scratch,
         "{\"Records\":[{\"messageId\":\"m\",\"eventSource\":\"aws:sqs\"}],"
         "\"eventSource\":\"aws:kafka\"}",
         0);
  expect(L, &scratch,
         "{\"Records\":[{\"messageId\":\"m\",\"eventSource\":\"aws:sqs\"}]} x",
         0);
  expect(L, &scratch,
         "{\"Records\":[{\"messageId\":\"m\",\"eventSource\":\"aws:sqs\"},"
         "\"x\"]}",
         0);
  expect(L, &scratch, "{\"eventSource\":\"aws:kafka\",\"records\":{}}", 0);

  /* Kinesis: taken, equal to the reference. */
  kin(L, &scratch, ",\"data\":\"aGk=\"", 1);
  kin(L, &scratch,
      ",\"data\":\"\",\"approximateArrivalTimestamp\":1.5,"
      "\"kinesisSchemaVersion\":\"1.0\"",
      1);
  kin(L, &scratch, ",\"data\":\"aGk=\",\"approximateArrivalTimestamp\":17", 1);
  kin(L, &scratch, ",\"data\":\"aGk=\",\"approximateArrivalTimestamp\":1e3", 1);
  kin(L, &scratch, ",\"data\":\"aGk=\",\"approximateArrivalTimestamp\":null",
      1);
  kin(L, &scratch, ",\"data\":\"a\\/k=\"", 1);
  kin(L, &scratch, ",\"data\":\"aGk=\",\"partitionKey\\u0000\":\"x\"", 1);
  expect_kinesis(
      L, &scratch,
      "{\"Records\":[{\"eventSource\":\"aws:kinesis\",\"eventID\":\"e\","
      "\"eventSourceARN\":\"arn\",\"awsRegion\":\"r\",\"kinesis\":{"
      "\"partitionKey\":\"a\\u0000b\",\"sequenceNumber\":\"1\",\"data\":"
      "\"AAE=\"}},{\"eventSource\":\"aws:sqs\",\"eventSourceARN\":\"arn\","
      "\"kinesis\":{\"partitionKey\":\"a\",\"sequenceNumber\":\"2\","
      "\"data\":\"\"}}]}",
      1);
  /* Declined: a bad value (a decode_error on the reference path), a wrong
   * type, a field twice or missing, not Kinesis's. */
  kin(L, &scratch, ",\"data\":\"aGk\"", 0);
  kin(L, &scratch, ",\"data\":\"not base64!\"", 0);
  kin(L, &scratch, ",\"data\":7", 0);
  kin(L, &scratch, ",\"data\":null", 0);
  kin(L, &scratch, "", 0);
  kin(L, &scratch, ",\"data\":\"aGk=\",\"approximateArrivalTimestamp\":\"1\"",
      0);
  kin(L, &scratch, ",\"data\":\"aGk=\",\"partitionKey\":\"q\"", 0);
  kin(L, &scratch, ",\"data\":\"aGk=\",\"sequenceNumber\":null", 0);
  expect_kinesis(L, &scratch,
                 "{\"Records\":[{\"eventSource\":\"aws:kinesis\",\"kinesis\":"
                 "null}]}",
                 0);
  expect_kinesis(L, &scratch,
                 "{\"Records\":[{\"eventSource\":\"aws:kinesis\"}]}", 0);
  /* The first record's EventSource makes it SNS to the reference. */
  expect_kinesis(L, &scratch,
                 "{\"Records\":[{\"eventSource\":\"aws:kinesis\","
                 "\"EventSource\":\"aws:sns\",\"kinesis\":{\"partitionKey\":"
                 "\"p\",\"sequenceNumber\":\"1\",\"data\":\"\"}}]}",
                 0);
  expect_kinesis(L, &scratch,
                 "{\"Records\":[{\"kinesis\":{\"partitionKey\":\"p\","
                 "\"sequenceNumber\":\"1\",\"data\":\"\"}}]}",
                 0);

  /* Truncated text at every length never confuses the fast path. */
  const char *full =
      "{\"Records\":[{\"messageId\":\"m\",\"body\":\"b\",\"messageAttributes\":"
      "{\"b\":{\"dataType\":\"Binary\",\"binaryValue\":\"AP8=\"}},"
      "\"eventSource\":\"aws:sqs\",\"attributes\":{\"A\":\"1\"}}]}";
  for (size_t n = 0; n < strlen(full); n++)
    ASSERT_EQ(compare(L, &scratch, "truncated", full, n), 0);
  ASSERT_EQ(compare(L, &scratch, "full", full, strlen(full)), 1);

  buf_free(&scratch);
  lua_close(L);
  printf("records_scan: %d fixtures compared, fast paths took %d (%d SQS, %d "
         "Kinesis)\n",
         files, taken, sqs, kinesis);
  return 0;
}
