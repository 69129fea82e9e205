/* records_scan: the frame of the {"Records": [...]} scanners. See
 * records_scan.h. */
#include "records_scan.h"

#include <lauxlib.h>
#include <string.h>

#include "event_raw.h"
#include "scan_bytes.h"

void records_scan_push_key(struct records_scan *s, int k)
{
  lua_pushvalue(s->L, s->keys + k);
}

void records_scan_push_recent(struct records_scan *s, int r, const char *text,
                              size_t len)
{
  if (r < 0)
    lua_pushlstring(s->L, text, len);
  else
    scan_recent_push(s->L, &s->recent[r], s->j.in_scratch, text, len);
}

int records_scan_set_string(struct records_scan *s, int t, int k, int r)
{
  const char *text;
  size_t len;
  if (json_scan_null(&s->j))
    return 1;
  if (!records_scan_str(s, &text, &len))
    return 0;
  records_scan_push_key(s, k);
  records_scan_push_recent(s, r, text, len);
  lua_rawset(s->L, t);
  return 1;
}

int records_scan_event_source(struct records_scan *s, int ev)
{
  const char *text;
  size_t len;
  if (ev == 0)
    return json_scan_skip(&s->j, 1);
  if (!records_scan_str(s, &text, &len) ||
      !json_scan_key_is(text, len, s->src->event_source))
    return 0;
  lua_pushstring(s->L, s->src->event_source);
  lua_setfield(s->L, ev, "event_source");
  return 1;
}

int records_scan_push_base64(struct records_scan *s)
{
  return scan_push_base64_string(s->L, &s->j, 1);
}

/* Push one record; 'ev' is the event for the first record, else 0. */
static int push_record(struct records_scan *s, int ev)
{
  lua_State *L = s->L;
  int seen = 0;
  if (!json_scan_eat(&s->j, '{'))
    return 0;
  lua_createtable(L, 0, s->src->fields);
  int t = lua_gettop(L);
  if (!json_scan_eat(&s->j, '}')) {
    do {
      const char *key;
      size_t len;
      if (!records_scan_str(s, &key, &len) || !json_scan_eat(&s->j, ':'))
        return 0;
      /* The first record's EventSource is what detection reads for SNS,
       * before Kinesis and DynamoDB: a record with one is the tree path's
       * to place. */
      if (ev != 0 && json_scan_key_is(key, len, "EventSource"))
        return 0;
      /* The key is in the event or the scratch; either way it is used
       * before the next string is read. */
      if (!s->src->field(s, t, ev, key, len, &seen))
        return 0;
    } while (json_scan_eat(&s->j, ','));
    if (!json_scan_eat(&s->j, '}'))
      return 0;
  }
  return s->src->finish(s, t, ev, seen);
}

/* {"Records": [record, ...]} onto the event at 'ev', with the .raw
 * metatable (at 'ev' + 1) and order table ('ev' + 2) event_raw made. */
static int scan_records(struct records_scan *s, int ev)
{
  lua_State *L = s->L;
  int mt = ev + 1, order = ev + 2;
  const char *key;
  size_t len;
  if (!json_scan_eat(&s->j, '{') || !json_scan_str(&s->j, &key, &len) ||
      !json_scan_key_is(key, len, "Records") || !json_scan_eat(&s->j, ':') ||
      !json_scan_eat(&s->j, '['))
    return 0;
  /* A first guess at the count from the size: growing is cheap, and the
   * table is the same either way. */
  size_t guess = (size_t)(s->j.end - s->j.p) / s->src->record_bytes;
  lua_createtable(L, guess > 10000 ? 10000 : (int)guess, 0);
  int arr = lua_gettop(L);
  lua_Integer n = 0;
  do {
    if (!push_record(s, n == 0 ? ev : 0))
      return 0;
    event_raw_add_record(L, mt, order, lua_gettop(L), ++n);
    lua_rawseti(L, arr, n);
  } while (json_scan_eat(&s->j, ','));
  if (!json_scan_eat(&s->j, ']') || !json_scan_eat(&s->j, '}'))
    return 0;
  lua_setfield(L, ev, "records");
  return json_scan_at_end(&s->j);
}

/* Nonzero when the text starts as a records event: '{', "Records". A cheap
 * test before anything is pushed, so other events decline at once. */
static const char RECORDS_KEY[] = "\"Records\"";

static int starts_as_records(const char *p, const char *end)
{
  p = json_text_skip_space(p, end);
  if (p >= end || *p++ != '{')
    return 0;
  p = json_text_skip_space(p, end);
  return (size_t)(end - p) >= sizeof RECORDS_KEY - 1 &&
         memcmp(p, RECORDS_KEY, sizeof RECORDS_KEY - 1) == 0;
}

int records_scan_push(lua_State *L, const char *json, size_t len,
                      struct buf *scratch, struct arena *arena,
                      const struct records_scan_source *src)
{
  if (!starts_as_records(json, json + len))
    return 0;
  /* The names and recent strings, then event, its metatable and order,
   * records, record, a nested table, a key and a value, plus room for Lua
   * itself. */
  luaL_checkstack(L, src->name_count + RECORDS_SCAN_RECENT + 24, src->what);
  int base = lua_gettop(L);
  struct records_scan s;
  memset(&s, 0, sizeof s);
  s.j.p = json;
  s.j.end = json + len;
  s.j.scratch = scratch;
  s.L = L;
  s.src = src;
  s.keys = base + 1;
  for (int k = 0; k < src->name_count; k++)
    lua_pushstring(L, src->names[k]);
  for (int i = 0; i < RECORDS_SCAN_RECENT; i++) {
    lua_pushnil(L);
    s.recent[i].slot = lua_gettop(L);
  }
  lua_createtable(L, 0, 10);
  int ev = lua_gettop(L);
  event_raw_begin_text(L, json, len, arena, (int)(len / src->record_bytes) + 1);
  if (scan_records(&s, ev)) {
    lua_pushvalue(L, ev + 1);
    lua_setmetatable(L, ev);
    lua_copy(L, ev, base + 1); /* the event, where the names were */
    lua_settop(L, base + 1);
    return 1;
  }
  lua_settop(L, base);
  return 0;
}
