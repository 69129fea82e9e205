/* sqs_scan: one pass from an SQS event's JSON text to its Lua table. See
 * sqs_scan.h; the frame (the Records loop, .raw, names, remembered strings)
 * is records_scan's. Every helper returns 1 on success and 0 to decline.
 * The tables built here must equal event_sqs.c's (through event_source.c)
 * field for field. */
#include "sqs_scan.h"

#include <string.h>

#include "records_scan.h"

/* Field names, pushed once per event at fixed stack slots, as kafka_scan
 * does: lua_setfield would intern each name again for every record. */
enum {
  K_MESSAGE_ID,
  K_RECEIPT_HANDLE,
  K_BODY,
  K_MD5_OF_BODY,
  K_EVENT_SOURCE_ARN,
  K_AWS_REGION,
  K_ATTRIBUTES,
  K_MESSAGE_ATTRIBUTES,
  K_DATA_TYPE,
  K_VALUE,
  K_COUNT
};

static const char *const scan_key_names[K_COUNT] = {
    "message_id",       "receipt_handle", "body",       "md5_of_body",
    "event_source_arn", "aws_region",     "attributes", "message_attributes",
    "data_type",        "value"};

/* Remembered strings (records_scan.h): the queue's ARN, the region, and
 * the first attribute names and data types by position in the record. */
#define SCAN_RECENT_ATTRS 4
enum {
  R_ARN,
  R_REGION,
  R_ATTR_NAME,
  R_ATTR_TYPE = R_ATTR_NAME + SCAN_RECENT_ATTRS
};

/* attributes: an object of strings (what SQS sends), as json_lua pushes
 * it; any other value declines. */
static int set_attributes(struct records_scan *s, int t)
{
  lua_State *L = s->L;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  records_scan_push_key(s, K_ATTRIBUTES);
  lua_createtable(L, 0, 4);
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *name, *text;
      size_t name_len, len;
      if (!json_scan_str(&s->j, &name, &name_len))
        return 0;
      lua_pushlstring(L, name, name_len);
      if (!json_scan_eat(&s->j, ':') || !json_scan_str(&s->j, &text, &len))
        return 0;
      lua_pushlstring(L, text, len);
      lua_rawset(L, -3); /* later duplicates win, as in json_lua */
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  lua_rawset(L, t);
  return 1;
}

enum { A_TYPE = 1, A_STRING = 2, A_BINARY = 4 };

/* One message attribute's object, pushed as { data_type, value } ('n' its
 * position, for the recent slots). */

/* SQS's data types are one of three, optionally followed by a custom label
 * ("Number.float"): the prefix decides. */
static int data_type_is(const char *type, size_t len, const char *base)
{
  size_t n = strlen(base);
  return len >= n && memcmp(type, base, n) == 0;
}

static int push_attribute(struct records_scan *s, int n)
{
  lua_State *L = s->L;
  const char *type = NULL, *sv = NULL, *bv = NULL, *text;
  size_t type_len = 0, sv_len = 0, bv_len = 0, len;
  const char *bv_at = NULL;
  int seen = 0;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  if (!json_scan_eat(&s->j, '}')) {
    do {
      if (!json_scan_str(&s->j, &text, &len) || !json_scan_eat(&s->j, ':'))
        return 0;
      int f = json_scan_key_is(text, len, "dataType")      ? A_TYPE
              : json_scan_key_is(text, len, "stringValue") ? A_STRING
              : json_scan_key_is(text, len, "binaryValue") ? A_BINARY
                                                           : 0;
      if (f == 0) {
        if (!json_scan_skip(&s->j, 1))
          return 0;
        continue;
      }
      if (seen & f)
        return 0;
      seen |= f;
      if (f == A_BINARY) {
        /* Decoded once the type is known: remember where it is. */
        if (!json_scan_at_string(&s->j))
          return 0;
        bv_at = s->j.p;
        if (!json_scan_str(&s->j, &bv, &bv_len))
          return 0;
        continue;
      }
      if (!json_scan_str(&s->j, f == A_TYPE ? &type : &sv,
                         f == A_TYPE ? &type_len : &sv_len))
        return 0;
      if (s->j.in_scratch)
        return 0; /* an escape in a type or value: rare, the tree's */
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  if (type == NULL)
    return 0;
  int binary = data_type_is(type, type_len, "Binary");
  if (!binary && !data_type_is(type, type_len, "String") &&
      !data_type_is(type, type_len, "Number"))
    return 0;
  lua_createtable(L, 0, 2);
  records_scan_push_key(s, K_DATA_TYPE);
  records_scan_push_recent(s, n < SCAN_RECENT_ATTRS ? R_ATTR_TYPE + n : -1,
                           type, type_len);
  lua_rawset(L, -3);
  if (binary && bv_at != NULL) {
    const char *resume = s->j.p;
    s->j.p = bv_at;
    records_scan_push_key(s, K_VALUE);
    if (!records_scan_push_base64(s))
      return 0;
    lua_rawset(L, -3);
    s->j.p = resume;
  } else if (!binary && sv != NULL) {
    records_scan_push_key(s, K_VALUE);
    lua_pushlstring(L, sv, sv_len);
    lua_rawset(L, -3);
  }
  return 1;
}

/* messageAttributes: name -> attribute object. */
static int set_message_attributes(struct records_scan *s, int t)
{
  lua_State *L = s->L;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  records_scan_push_key(s, K_MESSAGE_ATTRIBUTES);
  lua_createtable(L, 0, 3);
  int m = lua_gettop(L);
  int n = 0;
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *name;
      size_t len;
      if (!json_scan_str(&s->j, &name, &len))
        return 0;
      records_scan_push_recent(s, n < SCAN_RECENT_ATTRS ? R_ATTR_NAME + n : -1,
                               name, len);
      if (!json_scan_eat(&s->j, ':') || !push_attribute(s, n))
        return 0;
      lua_rawset(L, m); /* later duplicates win, as in event_sqs.c */
      n++;
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  lua_rawset(L, t);
  return 1;
}

enum {
  F_MESSAGE_ID = 1 << 0,
  F_RECEIPT_HANDLE = 1 << 1,
  F_BODY = 1 << 2,
  F_MD5_OF_BODY = 1 << 3,
  F_ARN = 1 << 4,
  F_REGION = 1 << 5,
  F_ATTRIBUTES = 1 << 6,
  F_MESSAGE_ATTRIBUTES = 1 << 7,
  F_EVENT_SOURCE = 1 << 8,
  /* body or messageAttributes was null: "" or {} as when absent. */
  F_BODY_NULL = 1 << 9,
  F_MESSAGE_ATTRIBUTES_NULL = 1 << 10
};

/* One field of a record onto the table at 't'; 'seen' catches duplicates
 * (the tree path reads the first, this reader would keep the last). 'ev'
 * is the event for the first record, else 0. */
static int sqs_field(struct records_scan *s, int t, int ev, const char *key,
                     size_t len, int *seen)
{
  int f = json_scan_key_is(key, len, "messageId")        ? F_MESSAGE_ID
          : json_scan_key_is(key, len, "receiptHandle")  ? F_RECEIPT_HANDLE
          : json_scan_key_is(key, len, "body")           ? F_BODY
          : json_scan_key_is(key, len, "md5OfBody")      ? F_MD5_OF_BODY
          : json_scan_key_is(key, len, "eventSourceARN") ? F_ARN
          : json_scan_key_is(key, len, "awsRegion")      ? F_REGION
          : json_scan_key_is(key, len, "attributes")     ? F_ATTRIBUTES
          : json_scan_key_is(key, len, "messageAttributes")
              ? F_MESSAGE_ATTRIBUTES
          : json_scan_key_is(key, len, "eventSource") ? F_EVENT_SOURCE
                                                      : 0;
  if (f == 0)
    return json_scan_skip(&s->j, 1);
  if (*seen & f)
    return 0;
  *seen |= f;
  switch (f) {
  case F_MESSAGE_ID:
    return !json_scan_null(&s->j) &&
           records_scan_set_string(s, t, K_MESSAGE_ID, -1);
  case F_RECEIPT_HANDLE:
    return records_scan_set_string(s, t, K_RECEIPT_HANDLE, -1);
  case F_BODY:
    if (json_scan_null(&s->j)) {
      *seen |= F_BODY_NULL;
      return 1;
    }
    return records_scan_set_string(s, t, K_BODY, -1);
  case F_MD5_OF_BODY:
    return records_scan_set_string(s, t, K_MD5_OF_BODY, -1);
  case F_ARN:
    return records_scan_set_string(s, t, K_EVENT_SOURCE_ARN, R_ARN);
  case F_REGION:
    return records_scan_set_string(s, t, K_AWS_REGION, R_REGION);
  case F_ATTRIBUTES:
    return json_scan_null(&s->j) || set_attributes(s, t);
  case F_MESSAGE_ATTRIBUTES:
    if (json_scan_null(&s->j)) {
      *seen |= F_MESSAGE_ATTRIBUTES_NULL;
      return 1;
    }
    return set_message_attributes(s, t);
  default:
    return records_scan_event_source(s, ev);
  }
}

/* After a record: what the tree path requires, and its defaults. */
static int sqs_finish(struct records_scan *s, int t, int ev, int seen)
{
  lua_State *L = s->L;
  /* Without a messageId the tree path words the error; without the first
   * record's eventSource the event is not SQS's. */
  if (!(seen & F_MESSAGE_ID) || (ev != 0 && !(seen & F_EVENT_SOURCE)))
    return 0;
  if (!(seen & F_BODY) || (seen & F_BODY_NULL)) {
    records_scan_push_key(s, K_BODY);
    lua_pushliteral(L, "");
    lua_rawset(L, t);
  }
  if (!(seen & F_MESSAGE_ATTRIBUTES) || (seen & F_MESSAGE_ATTRIBUTES_NULL)) {
    records_scan_push_key(s, K_MESSAGE_ATTRIBUTES);
    lua_createtable(L, 0, 0);
    lua_rawset(L, t);
  }
  return 1;
}

static const struct records_scan_source sqs_source = {
    "aws:sqs", "SQS event", scan_key_names, K_COUNT,
    10,        1024,        sqs_field,      sqs_finish};

int sqs_scan_push(lua_State *L, const char *json, size_t len,
                  struct buf *scratch, struct arena *arena)
{
  return records_scan_push(L, json, len, scratch, arena, &sqs_source)
             ? SQS_SCAN_PUSHED
             : SQS_SCAN_DECLINED;
}
