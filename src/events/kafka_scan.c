/* kafka_scan: one pass from a Kafka event's JSON text to its Lua table.
 * See kafka_scan.h. Every helper returns 1 on success and 0 to decline; a
 * decline anywhere unwinds to kafka_scan_push(), which restores the stack.
 * The tables built here must equal event_kafka.c's field for field. */
#include "kafka_scan.h"

#include <lauxlib.h>
#include <string.h>

#include "json_scan.h"
#include "json_text.h"
#include "kafka_rules.h"
#include "scan_bytes.h"
#include "scan_recent.h"

/* Header names remembered from one record to the next, by position. */
#define SCAN_RECENT_HEADERS 4
/* Stack slots at the deepest point: the field names and recent strings
 * below, then event, records, map key, record, headers, header table, key,
 * value, plus room for Lua itself. */
#define SCAN_STACK_NEED (KAFKA_FIELD_COUNT + 2 + SCAN_RECENT_HEADERS + 16)

/* The record's field names (kafka_rules.h), pushed once per event at fixed
 * stack slots: lua_setfield would look each one up in Lua's string cache
 * again (a strcmp) for every record, and a 6 MB batch sets ~80,000 of
 * them. */
/* A short string of the previous record (its topic, timestamp type, a header
 * name) kept at a stack slot: most records repeat them, and pushing the slot
 * skips hashing and interning the same bytes again. 'text' points into the
 * event, which outlives the scan. */
struct scan {
  struct json_scan j; /* the text and the scratch */
  lua_State *L;
  int keys; /* stack index of kafka_rules_fields[0].lua */
  struct scan_recent topic, timestamp_type, header[SCAN_RECENT_HEADERS];
};

/* ==== Lexing (json_scan.h), numbers ==== */

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* A JSON number that is integral and within lua_Integer, read as the
 * reference path reads it: cJSON keeps numbers as doubles, so past 2^53 the
 * value is the double nearest the text (docs/kafka.md), and 1.0 or 1e3 are
 * integers too. Plain digits up to 2^53 are read directly; the rest through
 * the locale-free strtod. Anything else declines, for the reference path to
 * word the error. */
static int integer(struct scan *s, lua_Integer *v)
{
  json_scan_ws(&s->j);
  const char *p = s->j.p;
  const char *end = s->j.end;
  /* The common case in one pass: up to 15 plain digits (below 2^53, exact
   * as a double), no leading zero, nothing number-like after them. */
  const char *d = p < end && *p == '-' ? p + 1 : p;
  const char *q = d;
  lua_Integer acc = 0;
  while (q < end && q - d < 16 && is_digit(*q))
    acc = acc * 10 + (*q++ - '0');
  if (q > d && q - d <= 15 && !(*d == '0' && q - d > 1) &&
      !(q < end && (is_digit(*q) || *q == '.' || *q == 'e' || *q == 'E'))) {
    *v = d > p ? -acc : acc;
    s->j.p = q;
    return 1;
  }
  size_t n = json_text_number_len(p, (size_t)(end - p));
  double x;
  if (n == 0 || json_text_number(p, n, &x) != 0 || !kafka_rules_integer(x, v))
    return 0;
  s->j.p = p + n;
  return 1;
}

/* ==== Values ==== */

/* Push field name 'k'. Stack effect: [-0, +1, -]. */
static void push_key(struct scan *s, enum kafka_field k)
{
  lua_pushvalue(s->L, s->keys + (int)k);
}

/* Push the string 'text' through 'r' (scan_recent.h). [-0, +1, m] */
static void push_recent(struct scan *s, struct scan_recent *r, const char *text,
                        size_t len)
{
  scan_recent_push(s->L, r, s->j.in_scratch, text, len);
}

/* One header byte (kafka_rules_header_byte) written plainly, with no leading
 * zero, as every encoder writes them, read from *pp (JSON whitespace before
 * it skipped); anything else (exponents, other numbers) declines. The
 * cursor is a local: stores through 'out' may alias the scan's own, which
 * would otherwise be reloaded for every character. */
static int header_byte(const char **pp, const char *end, unsigned char *out)
{
  const char *p = json_text_skip_space(*pp, end);
  int neg = 0;
  if (p < end && *p == '-') {
    neg = 1;
    p++;
  }
  /* Read without a branch per digit: the lengths of a header's bytes (1 to
   * 3 digits) vary at random, and mispredicting them was most of the scan's
   * own time. The fourth character must end the number. Fewer than four
   * bytes left means the text ends inside the event, which the reference
   * path refuses: decline. */
  if (end - p < 4)
    return 0;
  unsigned d0 = (unsigned char)p[0] - '0', d1 = (unsigned char)p[1] - '0';
  unsigned d2 = (unsigned char)p[2] - '0', c3 = (unsigned char)p[3];
  if (d0 > 9 || (d0 == 0 && d1 <= 9))
    return 0;
  unsigned two = d1 <= 9, three = two & (d2 <= 9);
  unsigned after = three ? c3 : two ? (unsigned char)p[2] : (unsigned char)p[1];
  if (after - '0' <= 9 || after == '.' || after == 'e' || after == 'E')
    return 0;
  int v = (int)(three ? d0 * 100 + d1 * 10 + d2 : two ? d0 * 10 + d1 : d0);
  p += 1 + two + three;
  if (!kafka_rules_header_byte(neg ? -v : v, out))
    return 0;
  *pp = p;
  return 1;
}

/* Push the bytes of a header value: a JSON array of Java (signed) bytes. */
static int push_byte_array(struct scan *s)
{
  size_t n = 0;
  if (!json_scan_eat(&s->j, '['))
    return 0;
  if (!json_scan_eat(&s->j, ']')) {
    /* Every byte takes at least two characters ("1,"): that bounds the
     * count, so the scratch is sized once for the whole array. */
    const char *close = memchr(s->j.p, ']', (size_t)(s->j.end - s->j.p));
    if (!close || buf_reserve(s->j.scratch, (size_t)(close - s->j.p) / 2 + 1))
      return 0;
    unsigned char *out = (unsigned char *)s->j.scratch->data;
    const char *p = s->j.p, *end = s->j.end;
    for (;;) {
      if (!header_byte(&p, end, &out[n++]))
        return 0;
      p = json_text_skip_space(p, end);
      if (p >= end || *p != ',')
        break;
      p++;
    }
    s->j.p = p;
    if (!json_scan_eat(&s->j, ']'))
      return 0;
  }
  lua_pushlstring(s->L, n ? s->j.scratch->data : "", n);
  return 1;
}

/* headers: [ {name: [bytes]}, ... ] onto the record at 't'. Any other form
 * (the simplified {key, value}, base64 strings, null values) declines. */
static int set_headers(struct scan *s, int t)
{
  lua_State *L = s->L;
  push_key(s, KAFKA_HEADERS);
  if (json_scan_null(&s->j)) {
    lua_createtable(L, 0, 0);
    lua_rawset(L, t);
    return 1;
  }
  if (!json_scan_eat(&s->j, '['))
    return 0;
  lua_createtable(L, 2, 0);
  int h = lua_gettop(L);
  lua_Integer n = 0;
  if (!json_scan_eat(&s->j, ']')) {
    do {
      const char *name;
      size_t name_len;
      if (!json_scan_eat(&s->j, '{') ||
          !json_scan_str(&s->j, &name, &name_len) || !json_scan_eat(&s->j, ':'))
        return 0;
      lua_createtable(L, 0, 2);
      push_key(s, KAFKA_KEY);
      if (n < SCAN_RECENT_HEADERS)
        push_recent(s, &s->header[n], name, name_len);
      else
        lua_pushlstring(L, name, name_len);
      lua_rawset(L, -3);
      push_key(s, KAFKA_VALUE);
      if (!push_byte_array(s))
        return 0;
      lua_rawset(L, -3);
      lua_rawseti(L, h, ++n);
      if (!json_scan_eat(&s->j, '}'))
        return 0;
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, ']'))
      return 0;
  }
  lua_rawset(L, t);
  return 1;
}

/* keySchemaMetadata / valueSchemaMetadata onto the record at 't'. */
static int set_schema(struct scan *s, int t, enum kafka_field field)
{
  lua_State *L = s->L;
  if (json_scan_null(&s->j))
    return 1;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  lua_createtable(L, 0, 2);
  int m = lua_gettop(L);
  int seen_format = 0, seen_id = 0;
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *key, *text;
      size_t key_len, len;
      lua_Integer v;
      if (!json_scan_str(&s->j, &key, &key_len) || !json_scan_eat(&s->j, ':'))
        return 0;
      if (json_scan_key_is(key, key_len, KAFKA_M_DATA_FORMAT)) {
        if (seen_format++)
          return 0;
        if (json_scan_null(&s->j))
          continue;
        if (!json_scan_str(&s->j, &text, &len))
          return 0;
        lua_pushlstring(L, text, len);
        lua_setfield(L, m, KAFKA_F_DATA_FORMAT);
      } else if (json_scan_key_is(key, key_len, KAFKA_M_SCHEMA_ID)) {
        if (seen_id++)
          return 0;
        if (json_scan_null(&s->j))
          continue;
        json_scan_ws(&s->j);
        if (s->j.p < s->j.end && *s->j.p == '"') {
          if (!json_scan_str(&s->j, &text, &len))
            return 0;
          lua_pushlstring(L, text, len);
        } else {
          if (!integer(s, &v))
            return 0;
          lua_pushinteger(L, v);
        }
        lua_setfield(L, m, KAFKA_F_SCHEMA_ID);
      } else if (!json_scan_skip(&s->j, 1)) {
        return 0;
      }
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  push_key(s, field);
  lua_insert(L, -2);
  lua_rawset(L, t);
  return 1;
}

/* A record member's bit in the set of members seen. */
#define F(field) (1 << (field))

/* One field of a record onto the table at 't'; 'seen' catches duplicates
 * (cJSON would use the first, this reader the last: decline instead). */
static int record_field(struct scan *s, int t, const char *key, size_t len,
                        int *seen)
{
  lua_State *L = s->L;
  const char *text;
  size_t n;
  lua_Integer v;
  enum kafka_field id;
  /* Compared with literals, which the compiler measures. */
#define KAFKA_MATCH(fid, member, field)                                        \
  if (json_scan_key_is(key, len, member))                                      \
    id = fid;                                                                  \
  else
  KAFKA_MEMBERS(KAFKA_MATCH)
#undef KAFKA_MATCH
  return json_scan_skip(&s->j, 1);
  if (*seen & F(id))
    return 0;
  *seen |= F(id);

  /* Each case pushes the name, then the value, then sets both raw. */
  switch (id) {
  case KAFKA_TOPIC:
    if (!json_scan_str(&s->j, &text, &n))
      return 0;
    push_key(s, KAFKA_TOPIC);
    push_recent(s, &s->topic, text, n);
    break;
  case KAFKA_PARTITION:
  case KAFKA_OFFSET:
    if (!integer(s, &v))
      return 0;
    push_key(s, id);
    lua_pushinteger(L, v);
    break;
  case KAFKA_TIMESTAMP:
    if (json_scan_null(&s->j))
      return 1;
    if (!integer(s, &v))
      return 0;
    push_key(s, KAFKA_TIMESTAMP);
    lua_pushinteger(L, v);
    break;
  case KAFKA_TIMESTAMP_TYPE:
    if (json_scan_null(&s->j))
      return 1;
    if (!json_scan_str(&s->j, &text, &n))
      return 0;
    push_key(s, KAFKA_TIMESTAMP_TYPE);
    push_recent(s, &s->timestamp_type, text, n);
    break;
  case KAFKA_KEY:
  case KAFKA_VALUE:
    if (json_scan_null(&s->j))
      return 1;
    push_key(s, id);
    if (!scan_push_base64_string(L, &s->j, 0))
      return 0;
    break;
  case KAFKA_HEADERS:
    return set_headers(s, t);
  case KAFKA_KEY_SCHEMA:
    return set_schema(s, t, KAFKA_KEY_SCHEMA);
  default:
    return set_schema(s, t, KAFKA_VALUE_SCHEMA);
  }
  lua_rawset(L, t);
  return 1;
}

/* Push one record; the map key string is at absolute index 'key_idx'. */
static int push_record(struct scan *s, int key_idx)
{
  lua_State *L = s->L;
  int seen = 0;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  lua_createtable(L, 0, KAFKA_RECORD_FIELDS);
  int t = lua_gettop(L);
  do {
    const char *key;
    size_t len;
    if (!json_scan_str(&s->j, &key, &len) || !json_scan_eat(&s->j, ':'))
      return 0;
    if (!record_field(s, t, key, len, &seen))
      return 0;
  } while (json_scan_eat(&s->j, ','));
  if (!json_scan_eat(&s->j, '}'))
    return 0;
  /* Records without these are errors the reference path words precisely. */
  if ((seen & (F(KAFKA_TOPIC) | F(KAFKA_PARTITION) | F(KAFKA_OFFSET))) !=
      (F(KAFKA_TOPIC) | F(KAFKA_PARTITION) | F(KAFKA_OFFSET)))
    return 0;
  if (!(seen & F(KAFKA_HEADERS))) {
    push_key(s, KAFKA_HEADERS);
    lua_createtable(L, 0, 0);
    lua_rawset(L, t);
  }
  push_key(s, KAFKA_TOPIC_PARTITION);
  lua_pushvalue(L, key_idx); /* one string shared by the partition */
  lua_rawset(L, t);
  return 1;
}

/* records: { "<topic>-<partition>": [ record, ... ], ... } onto 'ev'. */
static int set_records(struct scan *s, int ev)
{
  lua_State *L = s->L;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  /* A first guess at the count from the size: growing is cheap, and the
   * table is the same either way. */
  size_t guess = (size_t)(s->j.end - s->j.p) / 512;
  lua_createtable(L, guess > 100000 ? 100000 : (int)guess, 0);
  int arr = lua_gettop(L);
  lua_Integer n = 0;
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *key;
      size_t len;
      if (!json_scan_str(&s->j, &key, &len) || !json_scan_eat(&s->j, ':') ||
          !json_scan_eat(&s->j, '['))
        return 0;
      lua_pushlstring(L, key, len);
      int key_idx = lua_gettop(L);
      if (!json_scan_eat(&s->j, ']')) {
        do {
          if (!push_record(s, key_idx))
            return 0;
          lua_rawseti(L, arr, ++n);
        } while (json_scan_eat(&s->j, ','));
        if (!json_scan_eat(&s->j, ']'))
          return 0;
      }
      lua_pop(L, 1); /* map key */
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  lua_setfield(L, ev, KAFKA_F_RECORDS);
  return 1;
}

/* An optional top-level string (eventSourceArn, bootstrapServers). */
static int set_opt_string(struct scan *s, int ev, const char *field)
{
  const char *text;
  size_t len;
  if (json_scan_null(&s->j))
    return 1;
  if (!json_scan_str(&s->j, &text, &len))
    return 0;
  lua_pushlstring(s->L, text, len);
  lua_setfield(s->L, ev, field);
  return 1;
}

/* eventSource onto 'ev', or 0 when it is not one of Kafka's spellings. */
static int set_event_source(struct scan *s, int ev)
{
  const char *source;
  size_t len;
  if (!json_scan_str(&s->j, &source, &len))
    return 0;
  const char *spelling = kafka_rules_event_source(source, len);
  if (spelling == NULL)
    return 0;
  lua_pushstring(s->L, spelling);
  lua_setfield(s->L, ev, KAFKA_F_EVENT_SOURCE);
  return 1;
}

/* Nonzero when the text may hold a Kafka eventSource at all: a cheap test
 * before building tables for an event whose eventSource is not first. */
static int mentions_kafka(const struct scan *s)
{
  const char *p = s->j.p;
  while ((p = memchr(p, '"', (size_t)(s->j.end - p))) != NULL) {
    if (p - s->j.p >= 5 && memcmp(p - 4, "afka", 4) == 0 &&
        (p[-5] == 'K' || p[-5] == 'k'))
      return 1;
    p++;
  }
  return 0;
}

static int scan_event(struct scan *s)
{
  lua_State *L = s->L;
  const char *key;
  size_t key_len;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  lua_createtable(L, 0, 4);
  int ev = lua_gettop(L);
  int seen_source = 0, seen_arn = 0, seen_servers = 0, seen_records = 0;
  int first = 1;
  do {
    if (!json_scan_str(&s->j, &key, &key_len) || !json_scan_eat(&s->j, ':'))
      return 0;
    int is_source = json_scan_key_is(key, key_len, KAFKA_M_EVENT_SOURCE);
    /* Lambda's events start with eventSource or (captured from MSK) keep
     * their keys sorted; either way decide early for non-Kafka events. */
    if (first && !is_source && !mentions_kafka(s))
      return 0;
    first = 0;
    int ok;
    if (is_source)
      ok = !seen_source++ && set_event_source(s, ev);
    else if (json_scan_key_is(key, key_len, KAFKA_M_EVENT_SOURCE_ARN))
      ok = !seen_arn++ && set_opt_string(s, ev, KAFKA_F_EVENT_SOURCE_ARN);
    else if (json_scan_key_is(key, key_len, KAFKA_M_BOOTSTRAP_SERVERS))
      ok = !seen_servers++ && set_opt_string(s, ev, KAFKA_F_BOOTSTRAP_SERVERS);
    else if (json_scan_key_is(key, key_len, KAFKA_M_RECORDS))
      ok = !seen_records++ && set_records(s, ev);
    else
      ok = json_scan_skip(&s->j, 1);
    if (!ok)
      return 0;
  } while (json_scan_eat(&s->j, ','));
  if (!json_scan_eat(&s->j, '}') || !seen_records || !seen_source)
    return 0;
  /* After the value only JSON's own whitespace, as json_tree allows;
   * anything else is for the general path to reject. */
  return json_scan_at_end(&s->j);
}

int kafka_scan_push(lua_State *L, const char *json, size_t len,
                    struct buf *scratch, struct arena *arena)
{
  (void)arena;
  luaL_checkstack(L, SCAN_STACK_NEED, "Kafka event");
  int base = lua_gettop(L);
  struct scan s;
  memset(&s, 0, sizeof s);
  s.j.p = json;
  s.j.end = json + len;
  s.L = L;
  s.j.scratch = scratch;
  s.keys = base + 1;
  for (int k = 0; k < KAFKA_FIELD_COUNT; k++)
    lua_pushstring(L, kafka_rules_fields[k].lua);
  struct scan_recent *recent[2 + SCAN_RECENT_HEADERS] = {&s.topic,
                                                         &s.timestamp_type};
  for (int i = 0; i < SCAN_RECENT_HEADERS; i++)
    recent[2 + i] = &s.header[i];
  for (size_t i = 0; i < sizeof recent / sizeof recent[0]; i++) {
    lua_pushnil(L);
    recent[i]->slot = lua_gettop(L);
  }
  int top = lua_gettop(L);
  if (scan_event(&s)) {
    lua_copy(L, top + 1, base + 1); /* the event, where the names were */
    lua_settop(L, base + 1);
    return KAFKA_SCAN_PUSHED;
  }
  lua_settop(L, base);
  return KAFKA_SCAN_DECLINED;
}
