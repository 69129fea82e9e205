/* sqs_scan: one pass from an SQS event's JSON text to its Lua table. See
 * sqs_scan.h. Every helper returns 1 on success and 0 to decline; a decline
 * anywhere unwinds to sqs_scan_push(), which restores the stack. The tables
 * built here must equal event_sqs.c's (through event_source.c) field for
 * field. */
#include "sqs_scan.h"

#include <lauxlib.h>
#include <string.h>

#include "base64.h"
#include "event_raw.h"
#include "json_scan.h"

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

/* A string of the previous record kept at a stack slot (the queue's ARN,
 * the region, an attribute name or data type): most records repeat them,
 * and pushing the slot skips hashing the same bytes again. */
struct recent {
  const char *text;
  size_t len;
  int slot;
};

/* Attribute names and data types remembered, by position in the record. */
#define SCAN_RECENT_ATTRS 4
/* Stack slots at the deepest point: the names and recent strings, then
 * event, records, record, message_attributes, one attribute, name, value,
 * plus room for Lua itself. */
#define SCAN_STACK_NEED (K_COUNT + 2 + 2 * SCAN_RECENT_ATTRS + 16)

struct scan {
  struct json_scan j;
  lua_State *L;
  int keys; /* stack index of scan_key_names[0] */
  struct recent arn, region, attr_name[SCAN_RECENT_ATTRS],
      attr_type[SCAN_RECENT_ATTRS];
};

/* Push field name 'k'. [-0, +1, -] */
static void push_key(struct scan *s, int k)
{
  lua_pushvalue(s->L, s->keys + k);
}

/* Push 'text', reusing 'r' when it holds the same bytes. [-0, +1, m] */
static void push_recent(struct scan *s, struct recent *r, const char *text,
                        size_t len)
{
  if (s->j.in_scratch) {
    /* Unescaped bytes do not outlive the scratch: not remembered. */
    lua_pushlstring(s->L, text, len);
    r->text = NULL;
    return;
  }
  if (r->text != NULL && r->len == len && memcmp(r->text, text, len) == 0) {
    lua_pushvalue(s->L, r->slot);
    return;
  }
  lua_pushlstring(s->L, text, len);
  lua_copy(s->L, -1, r->slot);
  r->text = text;
  r->len = len;
}

/* t[key k] = the string value next, or nothing for null; 'r' (may be
 * NULL) the recent slot to use. */
static int set_string(struct scan *s, int t, int k, struct recent *r)
{
  const char *text;
  size_t len;
  if (json_scan_null(&s->j))
    return 1;
  if (!json_scan_str(&s->j, &text, &len))
    return 0;
  push_key(s, k);
  if (r != NULL)
    push_recent(s, r, text, len);
  else
    lua_pushlstring(s->L, text, len);
  lua_rawset(s->L, t);
  return 1;
}

/* attributes: an object of strings (what SQS sends), as json_lua pushes
 * it; any other value declines. */
static int set_attributes(struct scan *s, int t)
{
  lua_State *L = s->L;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  push_key(s, K_ATTRIBUTES);
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

/* The bytes of a padded base64 string, pushed; 0 when it is not that. */
static int push_base64(struct scan *s)
{
  const char *text;
  size_t len, out_len = 0, bad = 0;
  if (!json_scan_str(&s->j, &text, &len) || len % 4 != 0)
    return 0;
  luaL_Buffer b;
  unsigned char *out =
      (unsigned char *)luaL_buffinitsize(s->L, &b, base64_decoded_max(len) + 1);
  if (base64_decode(text, len, out, &out_len, &bad) != 0)
    return 0; /* the buffer is on the stack, which the decline restores */
  luaL_pushresultsize(&b, out_len);
  return 1;
}

enum { A_TYPE = 1, A_STRING = 2, A_BINARY = 4 };

/* One message attribute's object, pushed as { data_type, value } ('n' its
 * position, for the recent slots). */
static int push_attribute(struct scan *s, int n)
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
  if (type == NULL || type_len < 6)
    return 0;
  int binary = memcmp(type, "Binary", 6) == 0;
  if (!binary && memcmp(type, "String", 6) != 0 &&
      memcmp(type, "Number", 6) != 0)
    return 0;
  lua_createtable(L, 0, 2);
  push_key(s, K_DATA_TYPE);
  if (n < SCAN_RECENT_ATTRS)
    push_recent(s, &s->attr_type[n], type, type_len);
  else
    lua_pushlstring(L, type, type_len);
  lua_rawset(L, -3);
  if (binary && bv_at != NULL) {
    const char *resume = s->j.p;
    s->j.p = bv_at;
    push_key(s, K_VALUE);
    if (!push_base64(s))
      return 0;
    lua_rawset(L, -3);
    s->j.p = resume;
  } else if (!binary && sv != NULL) {
    push_key(s, K_VALUE);
    lua_pushlstring(L, sv, sv_len);
    lua_rawset(L, -3);
  }
  return 1;
}

/* messageAttributes: name -> attribute object. */
static int set_message_attributes(struct scan *s, int t)
{
  lua_State *L = s->L;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  push_key(s, K_MESSAGE_ATTRIBUTES);
  lua_createtable(L, 0, 3);
  int m = lua_gettop(L);
  int n = 0;
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *name;
      size_t len;
      if (!json_scan_str(&s->j, &name, &len))
        return 0;
      if (n < SCAN_RECENT_ATTRS)
        push_recent(s, &s->attr_name[n], name, len);
      else
        lua_pushlstring(L, name, len);
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

/* eventSource: for the first record it must be "aws:sqs" (the detection
 * rule) and becomes event.event_source at 'ev'; the others' are not read,
 * as on the tree path. */
static int event_source(struct scan *s, int ev)
{
  const char *text;
  size_t len;
  if (ev == 0)
    return json_scan_skip(&s->j, 1);
  if (!json_scan_str(&s->j, &text, &len) ||
      !json_scan_key_is(text, len, "aws:sqs"))
    return 0;
  lua_pushliteral(s->L, "aws:sqs");
  lua_setfield(s->L, ev, "event_source");
  return 1;
}

/* One field of a record onto the table at 't'; 'seen' catches duplicates
 * (the tree path reads the first, this reader would keep the last). 'ev'
 * is the event for the first record, else 0. */
static int record_field(struct scan *s, int t, int ev, const char *key,
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
    return !json_scan_null(&s->j) && set_string(s, t, K_MESSAGE_ID, NULL);
  case F_RECEIPT_HANDLE:
    return set_string(s, t, K_RECEIPT_HANDLE, NULL);
  case F_BODY:
    if (json_scan_null(&s->j)) {
      *seen |= F_BODY_NULL;
      return 1;
    }
    return set_string(s, t, K_BODY, NULL);
  case F_MD5_OF_BODY:
    return set_string(s, t, K_MD5_OF_BODY, NULL);
  case F_ARN:
    return set_string(s, t, K_EVENT_SOURCE_ARN, &s->arn);
  case F_REGION:
    return set_string(s, t, K_AWS_REGION, &s->region);
  case F_ATTRIBUTES:
    return json_scan_null(&s->j) || set_attributes(s, t);
  case F_MESSAGE_ATTRIBUTES:
    if (json_scan_null(&s->j)) {
      *seen |= F_MESSAGE_ATTRIBUTES_NULL;
      return 1;
    }
    return set_message_attributes(s, t);
  default:
    return event_source(s, ev);
  }
}

/* Push one record; 'ev' as for record_field. */
static int push_record(struct scan *s, int ev)
{
  lua_State *L = s->L;
  int seen = 0;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  lua_createtable(L, 0, 10);
  int t = lua_gettop(L);
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *key;
      size_t len;
      if (!json_scan_str(&s->j, &key, &len) || !json_scan_eat(&s->j, ':'))
        return 0;
      /* The key is in the event or the scratch; either way it is used
       * before the next string is read. */
      if (!record_field(s, t, ev, key, len, &seen))
        return 0;
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  /* Without a messageId the tree path words the error; without the first
   * record's eventSource the event is not SQS's. */
  if (!(seen & F_MESSAGE_ID) || (ev != 0 && !(seen & F_EVENT_SOURCE)))
    return 0;
  if (!(seen & F_BODY) || (seen & F_BODY_NULL)) {
    push_key(s, K_BODY);
    lua_pushliteral(L, "");
    lua_rawset(L, t);
  }
  if (!(seen & F_MESSAGE_ATTRIBUTES) || (seen & F_MESSAGE_ATTRIBUTES_NULL)) {
    push_key(s, K_MESSAGE_ATTRIBUTES);
    lua_createtable(L, 0, 0);
    lua_rawset(L, t);
  }
  return 1;
}

/* {"Records": [record, ...]} onto the event at 'ev', with the .raw
 * metatable (at 'ev' + 1) and order table ('ev' + 2) event_raw made. */
static int scan_records(struct scan *s, int ev)
{
  lua_State *L = s->L;
  int mt = ev + 1, order = ev + 2;
  const char *key;
  size_t len;
  if (!json_scan_eat(&s->j, '{') || !json_scan_str(&s->j, &key, &len) ||
      !json_scan_key_is(key, len, "Records") || !json_scan_eat(&s->j, ':') ||
      !json_scan_eat(&s->j, '['))
    return 0;
  /* A first guess at the count from the size (a record is ~1.4 KB). */
  size_t guess = (size_t)(s->j.end - s->j.p) / 1024;
  lua_createtable(L, guess > 10000 ? 10000 : (int)guess, 0);
  int arr = lua_gettop(L);
  lua_Integer n = 0;
  do {
    if (!push_record(s, n == 0 ? ev : 0))
      return 0;
    int rec = lua_gettop(L);
    event_raw_add_record(L, mt, order, rec, ++n);
    lua_rawseti(L, arr, n);
  } while (json_scan_eat(&s->j, ','));
  if (!json_scan_eat(&s->j, ']') || !json_scan_eat(&s->j, '}'))
    return 0;
  lua_setfield(L, ev, "records");
  return json_scan_at_end(&s->j);
}

/* Nonzero when the text starts as an SQS event: '{', "Records". A cheap
 * test before anything is pushed, so other events decline at once. */
static int starts_as_sqs(const char *p, const char *end)
{
  while (p < end && (unsigned char)*p <= 32)
    p++;
  if (p >= end || *p++ != '{')
    return 0;
  while (p < end && (unsigned char)*p <= 32)
    p++;
  return end - p >= 9 && memcmp(p, "\"Records\"", 9) == 0;
}

int sqs_scan_push(lua_State *L, const char *json, size_t len,
                  struct buf *scratch, struct arena *arena)
{
  if (!starts_as_sqs(json, json + len))
    return SQS_SCAN_DECLINED;
  luaL_checkstack(L, SCAN_STACK_NEED, "SQS event");
  int base = lua_gettop(L);
  struct scan s;
  memset(&s, 0, sizeof s);
  s.j.p = json;
  s.j.end = json + len;
  s.j.scratch = scratch;
  s.L = L;
  s.keys = base + 1;
  for (int k = 0; k < K_COUNT; k++)
    lua_pushstring(L, scan_key_names[k]);
  struct recent *recent[2 + 2 * SCAN_RECENT_ATTRS] = {&s.arn, &s.region};
  for (int i = 0; i < SCAN_RECENT_ATTRS; i++) {
    recent[2 + i] = &s.attr_name[i];
    recent[2 + SCAN_RECENT_ATTRS + i] = &s.attr_type[i];
  }
  for (size_t i = 0; i < sizeof recent / sizeof recent[0]; i++) {
    lua_pushnil(L);
    recent[i]->slot = lua_gettop(L);
  }
  lua_createtable(L, 0, 10);
  int ev = lua_gettop(L);
  event_raw_begin_text(L, json, len, arena, (int)(len / 1024));
  if (scan_records(&s, ev)) {
    lua_pushvalue(L, ev + 1);
    lua_setmetatable(L, ev);
    lua_copy(L, ev, base + 1); /* the event, where the names were */
    lua_settop(L, base + 1);
    return SQS_SCAN_PUSHED;
  }
  lua_settop(L, base);
  return SQS_SCAN_DECLINED;
}
