/* kinesis_scan: one pass from a Kinesis event's JSON text to its Lua table.
 * See kinesis_scan.h; the frame is records_scan's. Every helper returns 1 on
 * success and 0 to decline. The tables built here must equal
 * event_kinesis.c's (through event_source.c) field for field. */
#include "kinesis_scan.h"

#include "json_lua.h"
#include "json_text.h"
#include "records_scan.h"

enum {
  K_EVENT_ID,
  K_EVENT_SOURCE_ARN,
  K_AWS_REGION,
  K_PARTITION_KEY,
  K_SEQUENCE_NUMBER,
  K_APPROXIMATE_ARRIVAL_TIMESTAMP,
  K_DATA,
  K_COUNT
};

static const char *const scan_key_names[K_COUNT] = {
    "event_id",      "event_source_arn", "aws_region",
    "partition_key", "sequence_number",  "approximate_arrival_timestamp",
    "data"};

/* Remembered strings: the stream's ARN, the region, the partition key. */
enum { R_ARN, R_REGION, R_PARTITION_KEY };

enum {
  F_EVENT_ID = 1 << 0,
  F_ARN = 1 << 1,
  F_REGION = 1 << 2,
  F_KINESIS = 1 << 3,
  F_EVENT_SOURCE = 1 << 4,
  F_PARTITION_KEY = 1 << 5,
  F_SEQUENCE_NUMBER = 1 << 6,
  F_TIMESTAMP = 1 << 7,
  F_DATA = 1 << 8
};

/* A required string member (null is the tree path's error). */
static int required_string(struct records_scan *s, int t, int k, int r)
{
  return !json_scan_null(&s->j) && records_scan_set_string(s, t, k, r);
}

/* approximateArrivalTimestamp: a JSON number as json_lua pushes it (the
 * double json_tree reads, then its integer-or-float rule), or null. */
static int set_timestamp(struct records_scan *s, int t)
{
  if (json_scan_null(&s->j))
    return 1;
  size_t n = json_text_number_len(s->j.p, (size_t)(s->j.end - s->j.p));
  double d;
  if (n == 0 || json_text_number(s->j.p, n, &d) != 0)
    return 0;
  s->j.p += n;
  records_scan_push_key(s, K_APPROXIMATE_ARRIVAL_TIMESTAMP);
  json_lua_push_number(s->L, d);
  lua_rawset(s->L, t);
  return 1;
}

/* The kinesis object's members onto the record at 't'. */
static int set_kinesis(struct records_scan *s, int t, int *seen)
{
  lua_State *L = s->L;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *key;
      size_t len;
      if (!json_scan_str(&s->j, &key, &len) || !json_scan_eat(&s->j, ':'))
        return 0;
      int f = json_scan_key_is(key, len, "partitionKey")     ? F_PARTITION_KEY
              : json_scan_key_is(key, len, "sequenceNumber") ? F_SEQUENCE_NUMBER
              : json_scan_key_is(key, len, "data")           ? F_DATA
              : json_scan_key_is(key, len, "approximateArrivalTimestamp")
                  ? F_TIMESTAMP
                  : 0;
      if (f == 0) {
        if (!json_scan_skip(&s->j, 1))
          return 0;
        continue;
      }
      if (*seen & f)
        return 0;
      *seen |= f;
      int ok;
      if (f == F_PARTITION_KEY) {
        ok = required_string(s, t, K_PARTITION_KEY, R_PARTITION_KEY);
      } else if (f == F_SEQUENCE_NUMBER) {
        ok = required_string(s, t, K_SEQUENCE_NUMBER, -1);
      } else if (f == F_TIMESTAMP) {
        ok = set_timestamp(s, t);
      } else {
        records_scan_push_key(s, K_DATA);
        ok = records_scan_push_base64(s);
        if (ok)
          lua_rawset(L, t);
      }
      if (!ok)
        return 0;
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  return 1;
}

/* One member of a record (see records_scan_source.field). */
static int kinesis_field(struct records_scan *s, int t, int ev, const char *key,
                         size_t len, int *seen)
{
  int f = json_scan_key_is(key, len, "eventID")          ? F_EVENT_ID
          : json_scan_key_is(key, len, "eventSourceARN") ? F_ARN
          : json_scan_key_is(key, len, "awsRegion")      ? F_REGION
          : json_scan_key_is(key, len, "kinesis")        ? F_KINESIS
          : json_scan_key_is(key, len, "eventSource")    ? F_EVENT_SOURCE
                                                         : 0;
  if (f == 0)
    return json_scan_skip(&s->j, 1);
  if (*seen & f)
    return 0;
  *seen |= f;
  switch (f) {
  case F_EVENT_ID:
    return records_scan_set_string(s, t, K_EVENT_ID, -1);
  case F_ARN:
    return records_scan_set_string(s, t, K_EVENT_SOURCE_ARN, R_ARN);
  case F_REGION:
    return records_scan_set_string(s, t, K_AWS_REGION, R_REGION);
  case F_KINESIS:
    return set_kinesis(s, t, seen);
  default:
    return records_scan_event_source(s, ev);
  }
}

/* After a record: the kinesis object with its required members (else the
 * tree path words the error), and the first record's eventSource. */
static int kinesis_finish(struct records_scan *s, int t, int ev, int seen)
{
  (void)s;
  (void)t;
  int need = F_KINESIS | F_PARTITION_KEY | F_SEQUENCE_NUMBER | F_DATA;
  return (seen & need) == need && (ev == 0 || (seen & F_EVENT_SOURCE));
}

static const struct records_scan_source kinesis_source = {
    "aws:kinesis", "Kinesis event", scan_key_names, K_COUNT, 7,
    1800,          kinesis_field,   kinesis_finish};

int kinesis_scan_push(lua_State *L, const char *json, size_t len,
                      struct buf *scratch, struct arena *arena)
{
  return records_scan_push(L, json, len, scratch, arena, &kinesis_source);
}
