/* fuzz_kafka: libFuzzer target for the Kafka event decoders.
 *
 * The input is an event body, decoded as host decodes one:
 * 1. the fast path, kafka_scan_push on the raw text (in a protected call: it
 *    may raise memory errors), which either declines, pushing nothing, or
 *    pushes the event table;
 * 2. the reference path: json_tree_parse into an arena (as host does),
 *    then, for a Kafka event,
 *    event_kafka_push in a protected call on the reused Lua state.
 * Properties, beyond the sanitizers': the reference leaves exactly one
 * value, an event table of the contract's shape (walked in full) with as
 * many records as the document holds, or raises a typed Kafka.InvalidEvent
 * error (or a memory error); the stack is balanced either way; and whenever
 * the fast path takes an input, the reference accepts it too and builds a
 * deep-equal table (same values, same integer/float subtypes). */
#include <cjson/cJSON.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "event_kafka.h"
#include "fuzz_common.h"
#include "json_lua.h"
#include "json_tree.h"
#include "kafka_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference decoder's scratch, kept across calls as event_decode keeps
 * it (reachable until exit). */
static struct buf reference_scratch = {.max = (size_t)128 << 20};

static int push_protected(lua_State *L)
{
  event_kafka_push(L, lua_touserdata(L, 1), &reference_scratch);
  return 1;
}

struct scan_args {
  const uint8_t *data;
  size_t size;
  struct buf *scratch;
  int result;
};

static int scan_protected(lua_State *L)
{
  struct scan_args *a = lua_touserdata(L, 1);
  lua_pop(L, 1);
  a->result =
      kafka_scan_push(L, (const char *)a->data, a->size, a->scratch, NULL);
  return a->result == KAFKA_SCAN_PUSHED ? 1 : 0;
}

/* Deep equality with subtypes; returns nil or the path of the first
 * difference. */
static const char DEEP_DIFF[] = FUZZ_LUA_DEEP_DIFF "return diff(...)\n";

/* t[field] is nil or of type 'want'. */
static void check_opt(lua_State *L, int t, const char *field, int want)
{
  int got = lua_getfield(L, t, field);
  FUZZ_CHECK(got == LUA_TNIL || got == want, "%s is a %s", field,
             lua_typename(L, got));
  lua_pop(L, 1);
}

static void check_integer(lua_State *L, int t, const char *field, int required)
{
  int got = lua_getfield(L, t, field);
  FUZZ_CHECK((!required && got == LUA_TNIL) || lua_isinteger(L, -1),
             "%s is not an integer (%s)", field, lua_typename(L, got));
  lua_pop(L, 1);
}

static void check_schema(lua_State *L, int t, const char *field)
{
  if (lua_getfield(L, t, field) == LUA_TTABLE) {
    int m = lua_gettop(L);
    check_opt(L, m, "data_format", LUA_TSTRING);
    int id = lua_getfield(L, m, "schema_id");
    FUZZ_CHECK(id == LUA_TNIL || id == LUA_TSTRING || lua_isinteger(L, -1),
               "schema_id is a %s", lua_typename(L, id));
    lua_pop(L, 1);
  } else {
    FUZZ_CHECK(lua_isnil(L, -1), "%s is a %s", field, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
}

static void check_record(lua_State *L, int r)
{
  FUZZ_CHECK(lua_getfield(L, r, "topic") == LUA_TSTRING, "topic");
  lua_pop(L, 1);
  FUZZ_CHECK(lua_getfield(L, r, "topic_partition") == LUA_TSTRING,
             "topic_partition");
  lua_pop(L, 1);
  check_integer(L, r, "partition", 1);
  check_integer(L, r, "offset", 1);
  check_integer(L, r, "timestamp", 0);
  check_opt(L, r, "timestamp_type", LUA_TSTRING);
  check_opt(L, r, "key", LUA_TSTRING);
  check_opt(L, r, "value", LUA_TSTRING);
  check_schema(L, r, "key_schema_metadata");
  check_schema(L, r, "value_schema_metadata");
  FUZZ_CHECK(lua_getfield(L, r, "headers") == LUA_TTABLE, "headers");
  int h = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, h);
  for (lua_Integer i = 1; i <= n; i++) {
    FUZZ_CHECK(lua_rawgeti(L, h, i) == LUA_TTABLE, "header %lld", (long long)i);
    FUZZ_CHECK(lua_getfield(L, -1, "key") == LUA_TSTRING, "header key");
    FUZZ_CHECK(lua_getfield(L, -2, "value") == LUA_TSTRING, "header value");
    lua_pop(L, 3);
  }
  lua_pop(L, 1); /* headers */
}

/* Found by name as the decoders find it, all its bytes: cJSON's own lookup
 * stops at a raw NUL in a member name, and took "records\0..." for
 * "records" (fuzz_kafka, regressions/kafka-records-nul-name.json). */
static lua_Integer count_records(const cJSON *root)
{
  lua_Integer n = 0;
  const cJSON *part, *rec;
  cJSON_ArrayForEach(part, json_tree_get(root, "records")) {
    cJSON_ArrayForEach(rec, part)
      n++;
  }
  return n;
}

/* Known divergence (reported): kafka_scan skips every byte <= 0x20 after the
 * event, as cJSON does between tokens, while json_tree_parse allows only
 * JSON whitespace there, so a control byte after the closing brace is taken
 * by the fast path and refused by the reference. While this is 1 the target
 * accepts exactly that case; set it to 0 once the two agree. */
#ifndef FUZZ_TOLERATE_TRAILING_CONTROL
#define FUZZ_TOLERATE_TRAILING_CONTROL 0
#endif

/* Nonzero when the reference refused only control bytes after the value. */
static int trailing_control_only(const uint8_t *data, size_t size, size_t at,
                                 const char *why)
{
  if (!FUZZ_TOLERATE_TRAILING_CONTROL || !why ||
      strcmp(why, "trailing characters after the value") != 0)
    return 0;
  for (size_t i = at; i < size; i++) {
    if (data[i] > 32)
      return 0;
  }
  return 1;
}

static struct arena fuzz_arena;
static struct buf fuzz_scratch = {NULL, 0, 0, (size_t)64 << 20, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  lua_State *L = fuzz_state();
  struct scan_args sa = {data, size, &fuzz_scratch, -1};
  lua_pushcfunction(L, scan_protected);
  lua_pushlightuserdata(L, &sa);
  int fast_status = lua_pcall(L, 1, LUA_MULTRET, 0);
  if (fast_status != LUA_OK) {
    FUZZ_CHECK(fast_status == LUA_ERRMEM, "kafka_scan_push raised: %s",
               lua_isstring(L, -1) ? lua_tostring(L, -1) : "(not a string)");
    lua_settop(L, 0);
  } else if (sa.result == KAFKA_SCAN_PUSHED) {
    FUZZ_CHECK(lua_gettop(L) == 1 && lua_istable(L, 1),
               "fast path pushed %d values", lua_gettop(L));
  } else {
    FUZZ_CHECK(sa.result == KAFKA_SCAN_DECLINED && lua_gettop(L) == 0,
               "fast path declined but left %d values", lua_gettop(L));
  }
  int fast = fast_status == LUA_OK && sa.result == KAFKA_SCAN_PUSHED;

  size_t at = 0;
  const char *why = NULL;
  cJSON *root =
      json_tree_parse(&fuzz_arena, (const char *)data, size, &at, &why);
  if (!root || !event_kafka_is_kafka(root)) {
    FUZZ_CHECK(!fast || (!root && trailing_control_only(data, size, at, why)),
               "the fast path took an input the reference %s",
               root ? "does not see as Kafka" : "does not parse");
    lua_settop(L, 0);
    arena_reset(&fuzz_arena);
    return 0;
  }
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, root);
  int status = lua_pcall(L, 1, 1, 0);
  FUZZ_CHECK(lua_gettop(L) == 1 + fast, "stack holds %d values after the call",
             lua_gettop(L));
  if (status != LUA_OK) {
    FUZZ_CHECK(!fast || status == LUA_ERRMEM,
               "fast path accepted, reference raised: %s",
               lua_istable(L, -1)
                   ? (lua_getfield(L, -1, "message"), lua_tostring(L, -1))
                   : luaL_typename(L, -1));
    fuzz_check_typed_error(L, status, "Kafka.InvalidEvent");
  } else {
    if (fast) {
      FUZZ_CHECK(luaL_loadbuffer(L, DEEP_DIFF, sizeof(DEEP_DIFF) - 1,
                                 "=deep_diff") == LUA_OK,
                 "deep_diff chunk");
      lua_pushvalue(L, 1);
      lua_pushvalue(L, 2);
      lua_pushliteral(L, "event");
      int st = lua_pcall(L, 3, 1, 0);
      FUZZ_CHECK(st == LUA_OK || st == LUA_ERRMEM, "deep_diff failed");
      FUZZ_CHECK(st != LUA_OK || lua_isnil(L, -1),
                 "fast and reference paths differ at %s", lua_tostring(L, -1));
      lua_pop(L, 1);
      lua_remove(L, 1); /* the fast path's table */
    }
    FUZZ_CHECK(lua_type(L, 1) == LUA_TTABLE, "event is a %s",
               luaL_typename(L, 1));
    FUZZ_CHECK(lua_getfield(L, 1, "event_source") == LUA_TSTRING,
               "event_source");
    const char *src = lua_tostring(L, -1);
    FUZZ_CHECK(strcmp(src, "aws:kafka") == 0 ||
                   strcmp(src, "SelfManagedKafka") == 0,
               "event_source %s", src);
    lua_pop(L, 1);
    check_opt(L, 1, "event_source_arn", LUA_TSTRING);
    check_opt(L, 1, "bootstrap_servers", LUA_TSTRING);
    FUZZ_CHECK(lua_getfield(L, 1, "records") == LUA_TTABLE, "records");
    lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
    FUZZ_CHECK(n == count_records(root), "%lld records, document has %lld",
               (long long)n, (long long)count_records(root));
    for (lua_Integer i = 1; i <= n; i++) {
      FUZZ_CHECK(lua_rawgeti(L, 2, i) == LUA_TTABLE, "record %lld",
                 (long long)i);
      check_record(L, 3);
      lua_pop(L, 1);
    }
  }
  lua_settop(L, 0);
  arena_reset(&fuzz_arena); /* the tree lives in the arena */
  return 0;
}
