/* dynamodb_scan: one pass from a DynamoDB Streams event's JSON text to its
 * Lua table. See dynamodb_scan.h; the frame is records_scan's. Every helper
 * returns 1 on success and 0 to decline. The tables built here must equal
 * event_dynamodb.c's and dynamodb_value.c's (through event_source.c) field
 * for field; the depth rule and the number rule are theirs
 * (DYNAMODB_VALUE_MAX_DEPTH, dynamodb_value_number). */
#include "dynamodb_scan.h"

#include <lauxlib.h>
#include <string.h>

#include "dynamodb_value.h"
#include "json_lua.h"
#include "records_scan.h"

enum {
  K_EVENT_NAME,
  K_EVENT_ID,
  K_EVENT_SOURCE_ARN,
  K_AWS_REGION,
  K_SEQUENCE_NUMBER,
  K_KEYS,
  K_NEW_IMAGE,
  K_OLD_IMAGE,
  K_INSERT, /* the three event names, pushed once per event like the keys */
  K_MODIFY,
  K_REMOVE,
  K_COUNT
};

static const char *const scan_key_names[K_COUNT] = {
    "event_name", "event_id",        "event_source_arn",
    "aws_region", "sequence_number", "keys",
    "new_image",  "old_image",       "INSERT",
    "MODIFY",     "REMOVE"};

/* Remembered strings (records_scan.h): the stream's ARN, the region, and
 * attribute names by position, in an image and in the maps one level down
 * (the records of one table list them in the same order, Keys' first). */
#define SCAN_RECENT_NAMES 16
#define SCAN_RECENT_NESTED (RECORDS_SCAN_RECENT - 2 - SCAN_RECENT_NAMES)
enum { R_ARN, R_REGION, R_NAME, R_NESTED_NAME = R_NAME + SCAN_RECENT_NAMES };

/* The source's counters in records_scan.hint, each the last one's size as
 * the first guess at the next table's (a table grown from a wrong guess is
 * rehashed at every power of two): a nested map's members, a list's or
 * set's elements, and each of Keys, NewImage and OldImage's attributes
 * (H_IMAGE_SIZE + k - K_KEYS), which differ. */
enum { H_MAP_SIZE, H_SEQ_SIZE, H_IMAGE_SIZE };
_Static_assert(K_NEW_IMAGE == K_KEYS + 1 && K_OLD_IMAGE == K_KEYS + 2 &&
                   H_IMAGE_SIZE + 3 <= RECORDS_SCAN_HINTS &&
                   R_NESTED_NAME + SCAN_RECENT_NESTED <= RECORDS_SCAN_RECENT,
               "the images' counters and the remembered names fit the frame");

/* Nesting that set_image() makes stack room for, two slots a level (a map
 * and a name, or a list) and the leaf's few; deeper values check their
 * own. */
#define SCAN_CHECKED_DEPTH 8
#define SCAN_CHECKED_SLOTS (2 * SCAN_CHECKED_DEPTH + 12)

enum {
  F_EVENT_NAME = 1 << 0,
  F_EVENT_ID = 1 << 1,
  F_ARN = 1 << 2,
  F_REGION = 1 << 3,
  F_EVENT_SOURCE = 1 << 4,
  F_DYNAMODB = 1 << 5,
  F_SEQUENCE_NUMBER = 1 << 6,
  F_KEYS = 1 << 7,
  F_NEW_IMAGE = 1 << 8,
  F_OLD_IMAGE = 1 << 9,
  F_KEYS_SET = 1 << 10 /* Keys was an object, not null */
};

static int push_value(struct records_scan *s, int depth);

/* The number N's string holds, as dynamodb_value_number reads it. Short
 * integer literals, nearly every N, are read here straight from the text
 * (the 21 bytes they can span looked at without a bounds test per byte,
 * hence the room asked for); the rest go through
 * dynamodb_value_number on a NUL-terminated copy. A string with escapes, or
 * too long for any number DynamoDB sends, declines. [-0, +(0|1), -] */
static int push_number(struct records_scan *s)
{
  json_scan_ws(&s->j);
  /* The common N, "-?digits" with 1 to 18 digits (which always fit a
   * lua_Integer), read in the one pass that finds its closing quote. */
  const char *p = s->j.p, *end = s->j.end;
  if (end - p > 21 && *p == '"') {
    p++;
    int neg = *p == '-';
    p += neg;
    const char *digits = p;
    lua_Integer v = 0;
    while (*p >= '0' && *p <= '9' && p - digits < 18)
      v = v * 10 + (*p++ - '0');
    if (*p == '"' && p > digits) {
      s->j.p = p + 1;
      lua_pushinteger(s->L, neg ? -v : v);
      return 1;
    }
  }
  const char *text;
  size_t len;
  if (!records_scan_str(s, &text, &len) || s->j.in_scratch)
    return 0;
  char num[64];
  int is_int = 0;
  long long i = 0;
  double d = 0;
  if (len >= sizeof num)
    return 0;
  memcpy(num, text, len);
  num[len] = '\0';
  if (!dynamodb_value_number(num, len, &is_int, &i, &d))
    return 0;
  if (is_int)
    lua_pushinteger(s->L, (lua_Integer)i);
  else
    lua_pushnumber(s->L, (lua_Number)d);
  return 1;
}

/* A string value, its bytes whole. [-0, +(0|1), m] */
static int push_string(struct records_scan *s)
{
  const char *text;
  size_t len;
  if (!records_scan_str(s, &text, &len))
    return 0;
  lua_pushlstring(s->L, text, len);
  return 1;
}

/* true or false, for BOOL and NULL (whose value the tree path only checks
 * is a boolean); *b is which. */
static int scan_bool(struct records_scan *s, int *b)
{
  json_scan_ws(&s->j);
  *b = 1;
  if (json_scan_literal(&s->j, "true", 4))
    return 1;
  *b = 0;
  return json_scan_literal(&s->j, "false", 5);
}

/* A list (L) or set (SS, NS, BS: 'tag' is 'S', 'N' or 'B'; 'L' for a
 * list) at 'depth', as a sequence; an empty one is marked as a JSON array.
 * [-0, +(0|1), m] */
static int push_seq(struct records_scan *s, char tag, int depth)
{
  lua_State *L = s->L;
  if (!json_scan_eat(&s->j, '['))
    return 0;
  lua_createtable(L, s->hint[H_SEQ_SIZE], 0);
  lua_Integer n = 0;
  if (!json_scan_eat(&s->j, ']')) {
    do {
      int ok;
      if (tag == 'S')
        ok = json_scan_at_string(&s->j) && push_string(s);
      else if (tag == 'N')
        ok = push_number(s);
      else if (tag == 'B')
        ok = records_scan_push_base64(s);
      else
        ok = push_value(s, depth + 1);
      if (!ok)
        return 0;
      lua_rawseti(L, -2, ++n);
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, ']'))
      return 0;
  }
  s->hint[H_SEQ_SIZE] = (int)n;
  if (n == 0) {
    json_lua_push_array_mt(L);
    lua_setmetatable(L, -2);
  }
  return 1;
}

/* A string through remembered string 'r' (an attribute name, the ARN):
 * when the text there is the remembered bytes between quotes, its string
 * is pushed without looking for the end (the remembered bytes hold no
 * quote or backslash: only unescaped text is remembered), else the string
 * is read and pushed as records_scan_push_recent does. [-0, +(0|1), m] */
static int push_name(struct records_scan *s, int r)
{
  struct scan_recent *m = &s->recent[r];
  json_scan_ws(&s->j);
  const char *p = s->j.p;
  if (m->text != NULL && (size_t)(s->j.end - p) > m->len + 2 && p[0] == '"' &&
      p[m->len + 1] == '"' && memcmp(p + 1, m->text, m->len) == 0) {
    lua_pushvalue(s->L, m->slot);
    s->j.p = p + m->len + 2;
    return 1;
  }
  const char *name;
  size_t len;
  if (!records_scan_str(s, &name, &len))
    return 0;
  records_scan_push_recent(s, r, name, len);
  return 1;
}

/* t[name k] = the string value next through remembered string 'r' (as
 * push_name reads it), or nothing for null: the stream's ARN and the
 * region, the same in every record. */
static int set_recent_string(struct records_scan *s, int t, int k, int r)
{
  if (json_scan_null(&s->j))
    return 1;
  records_scan_push_key(s, k);
  if (!push_name(s, r))
    return 0; /* the key is on the stack, which the decline restores */
  lua_rawset(s->L, t);
  return 1;
}

/* An attribute map (an image, or an M's object) at 'depth': name -> value,
 * later duplicates winning as on the tree path; 'hint' is its size guess's
 * counter. [-0, +(0|1), m] */
static int push_map(struct records_scan *s, int depth, int hint)
{
  lua_State *L = s->L;
  /* The map, a name and a value. */
  if (depth > DYNAMODB_VALUE_MAX_DEPTH ||
      (depth > SCAN_CHECKED_DEPTH && !lua_checkstack(L, 4)) ||
      !json_scan_eat(&s->j, '{'))
    return 0;
  int image = depth == 1;
  int recent = image ? R_NAME : R_NESTED_NAME;
  int recent_count = image        ? SCAN_RECENT_NAMES
                     : depth == 2 ? SCAN_RECENT_NESTED
                                  : 0;
  lua_createtable(L, 0, s->hint[hint]);
  int n = 0;
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *name;
      size_t len;
      if (n < recent_count) {
        if (!push_name(s, recent + n))
          return 0;
      } else {
        if (!records_scan_str(s, &name, &len))
          return 0;
        lua_pushlstring(L, name, len);
      }
      n++;
      if (!json_scan_eat(&s->j, ':') || !push_value(s, depth))
        return 0;
      lua_rawset(L, -3);
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  s->hint[hint] = n;
  return 1;
}

static int is_upper(char c)
{
  return c >= 'A' && c <= 'Z';
}

/* A typed value's opening, '{', its type tag and ':'. Lambda's compact
 * text, a tag of 1, 2 or 4 capital letters (every tag there is) right
 * after the brace and followed by the colon, is read here in one look;
 * anything else (whitespace, escapes, another tag) as any other member,
 * and the caller's switch declines a tag it does not know. */
static int scan_open(struct records_scan *s, const char **tag, size_t *len)
{
  json_scan_ws(&s->j);
  const char *p = s->j.p;
  if (s->j.end - p > 8 && p[0] == '{' && p[1] == '"' && is_upper(p[2])) {
    size_t n =
        p[3] == '"'                                                         ? 1
        : is_upper(p[3]) && p[4] == '"'                                     ? 2
        : is_upper(p[3]) && is_upper(p[4]) && is_upper(p[5]) && p[6] == '"' ? 4
                                                                            : 0;
    if (n > 0 && p[n + 3] == ':') {
      *tag = p + 2;
      *len = n;
      s->j.p = p + n + 4;
      return 1;
    }
  }
  return json_scan_eat(&s->j, '{') && records_scan_str(s, tag, len) &&
         json_scan_eat(&s->j, ':');
}

/* One typed attribute value {"<type>": ...} at 'depth': exactly one member,
 * a known type, the JSON type it wants. [-0, +(0|1), m] */
static int push_value(struct records_scan *s, int depth)
{
  const char *tag;
  size_t len;
  int ok, b;
  /* A list's table, or a map's table and a name, then this value and its
   * temporaries (a base64 buffer, json.array's metatable). */
  if (depth > DYNAMODB_VALUE_MAX_DEPTH ||
      (depth > SCAN_CHECKED_DEPTH && !lua_checkstack(s->L, 4)) ||
      !scan_open(s, &tag, &len) || len == 0 || len > 4)
    return 0;
  /* The tag is read before the value's first string overwrites it. */
  switch (len * 256 + (unsigned char)tag[0]) {
  case 256 + 'S':
    ok = json_scan_at_string(&s->j) && push_string(s);
    break;
  case 256 + 'N':
    ok = push_number(s);
    break;
  case 256 + 'B':
    ok = records_scan_push_base64(s);
    break;
  case 256 + 'M':
    ok = push_map(s, depth + 1, H_MAP_SIZE);
    break;
  case 256 + 'L':
    ok = push_seq(s, 'L', depth);
    break;
  case 512 + 'S':
    ok = tag[1] == 'S' && push_seq(s, 'S', depth);
    break;
  case 512 + 'N':
    ok = tag[1] == 'S' && push_seq(s, 'N', depth);
    break;
  case 512 + 'B':
    ok = tag[1] == 'S' && push_seq(s, 'B', depth);
    break;
  case 1024 + 'B':
    ok = memcmp(tag, "BOOL", 4) == 0 && scan_bool(s, &b);
    if (ok)
      lua_pushboolean(s->L, b);
    break;
  case 1024 + 'N':
    ok = memcmp(tag, "NULL", 4) == 0 && scan_bool(s, &b);
    if (ok)
      json_lua_push_null(s->L);
    break;
  default:
    ok = 0;
  }
  return ok && json_scan_eat(&s->j, '}');
}

/* A Keys / NewImage / OldImage member: an attribute map onto t[name k], or
 * null (absent, as on the tree path). 'f' is its bit, set in *seen. */
static int set_image(struct records_scan *s, int t, int k, int f, int *seen)
{
  if (*seen & f)
    return 0;
  *seen |= f;
  if (json_scan_null(&s->j))
    return 1;
  if (!lua_checkstack(s->L, SCAN_CHECKED_SLOTS))
    return 0;
  records_scan_push_key(s, k);
  if (!push_map(s, 1, H_IMAGE_SIZE + k - K_KEYS))
    return 0;
  lua_rawset(s->L, t);
  if (f == F_KEYS)
    *seen |= F_KEYS_SET;
  return 1;
}

/* The dynamodb object's members onto the record at 't'. */
static int set_dynamodb(struct records_scan *s, int t, int *seen)
{
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  if (json_scan_eat(&s->j, '}'))
    return 1;
  do {
    const char *key;
    size_t len;
    int ok;
    if (!records_scan_str(s, &key, &len) || !json_scan_eat(&s->j, ':'))
      return 0;
    if (json_scan_key_is(key, len, "SequenceNumber")) {
      ok = !(*seen & F_SEQUENCE_NUMBER) && !json_scan_null(&s->j) &&
           records_scan_set_string(s, t, K_SEQUENCE_NUMBER, -1);
      *seen |= F_SEQUENCE_NUMBER;
    } else if (json_scan_key_is(key, len, "Keys")) {
      ok = set_image(s, t, K_KEYS, F_KEYS, seen);
    } else if (json_scan_key_is(key, len, "NewImage")) {
      ok = set_image(s, t, K_NEW_IMAGE, F_NEW_IMAGE, seen);
    } else if (json_scan_key_is(key, len, "OldImage")) {
      ok = set_image(s, t, K_OLD_IMAGE, F_OLD_IMAGE, seen);
    } else {
      ok = json_scan_skip(&s->j, 1);
    }
    if (!ok)
      return 0;
  } while (json_scan_eat(&s->j, ','));
  return json_scan_eat(&s->j, '}');
}

/* eventName, a string (null is the tree path's error): one of the three
 * names Lambda sends is the string pushed once per event. */
static int set_event_name(struct records_scan *s, int t)
{
  const char *text;
  size_t len;
  if (!records_scan_str(s, &text, &len))
    return 0;
  records_scan_push_key(s, K_EVENT_NAME);
  int k = json_scan_key_is(text, len, "INSERT")   ? K_INSERT
          : json_scan_key_is(text, len, "MODIFY") ? K_MODIFY
          : json_scan_key_is(text, len, "REMOVE") ? K_REMOVE
                                                  : -1;
  if (k >= 0)
    records_scan_push_key(s, k);
  else
    lua_pushlstring(s->L, text, len);
  lua_rawset(s->L, t);
  return 1;
}

/* One member of a record (see records_scan_source.field). */
static int dynamodb_field(struct records_scan *s, int t, int ev,
                          const char *key, size_t len, int *seen)
{
  int f = json_scan_key_is(key, len, "eventName")        ? F_EVENT_NAME
          : json_scan_key_is(key, len, "eventID")        ? F_EVENT_ID
          : json_scan_key_is(key, len, "eventSourceARN") ? F_ARN
          : json_scan_key_is(key, len, "awsRegion")      ? F_REGION
          : json_scan_key_is(key, len, "dynamodb")       ? F_DYNAMODB
          : json_scan_key_is(key, len, "eventSource")    ? F_EVENT_SOURCE
                                                         : 0;
  if (f == 0)
    return json_scan_skip(&s->j, 1);
  if (*seen & f)
    return 0;
  *seen |= f;
  switch (f) {
  case F_EVENT_NAME:
    return set_event_name(s, t);
  case F_EVENT_ID:
    return records_scan_set_string(s, t, K_EVENT_ID, -1);
  case F_ARN:
    return set_recent_string(s, t, K_EVENT_SOURCE_ARN, R_ARN);
  case F_REGION:
    return set_recent_string(s, t, K_AWS_REGION, R_REGION);
  case F_DYNAMODB:
    return set_dynamodb(s, t, seen);
  default:
    return records_scan_event_source(s, ev);
  }
}

/* After a record: what the tree path requires (else it words the error),
 * and keys = {} when Keys was absent or null, as event_dynamodb does. */
static int dynamodb_finish(struct records_scan *s, int t, int ev, int seen)
{
  int need = F_EVENT_NAME | F_DYNAMODB | F_SEQUENCE_NUMBER;
  if ((seen & need) != need || (ev != 0 && !(seen & F_EVENT_SOURCE)))
    return 0;
  if (!(seen & F_KEYS_SET)) {
    records_scan_push_key(s, K_KEYS);
    lua_createtable(s->L, 0, 0);
    lua_rawset(s->L, t);
  }
  return 1;
}

static const struct records_scan_source dynamodb_source = {
    "aws:dynamodb", "DynamoDB event", scan_key_names, K_COUNT, 8,
    1000,           dynamodb_field,   dynamodb_finish};

int dynamodb_scan_push(lua_State *L, const char *json, size_t len,
                       struct buf *scratch, struct arena *arena)
{
  return records_scan_push(L, json, len, scratch, arena, &dynamodb_source);
}
