/* test_records_compare: the comparison of a {"Records": [...]} fast path
 * (sqs_scan, kinesis_scan, dynamodb_scan) with the reference decoder
 * (json_tree + event_source_push), written once for test_records_scan and
 * test_dynamodb_scan.
 *
 * records_compare_init() loads the Lua helpers into a state;
 * records_compare_kind() runs one fast path on one text and, when it takes
 * the text, checks that the reference detects it as that source and builds
 * an equal table (values, integer/float subtypes, json.array marks), and
 * that event.raw and every record.raw (parsed lazily from the text on the
 * fast path) equal the reference's; when it declines, that it left nothing
 * on the stack. Static functions: each test includes it once. */
#ifndef LRT_TEST_RECORDS_COMPARE_H
#define LRT_TEST_RECORDS_COMPARE_H

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "buf.h"
#include "dynamodb_scan.h"
#include "event_raw.h"
#include "event_source.h"
#include "json_lua.h"
#include "json_tree.h"
#include "kinesis_scan.h"
#include "sqs_scan.h"
#include "test.h"
#include "test_lua_equal.h"

static const char RECORDS_COMPARE_HELPERS[] = TEST_LUA_DEEP_EQUAL
    "deep_equal = eq\n"
    "function raws(ev)\n"
    "  local t = { event = ev.raw, records = {} }\n"
    "  for i, r in ipairs(ev.records) do t.records[i] = r.raw end\n"
    "  return t\n"
    "end\n";

/* The helpers, and json.array's metatable for eq to compare marks. */
static void records_compare_init(lua_State *L)
{
  ASSERT_OK(luaL_dostring(L, RECORDS_COMPARE_HELPERS));
  json_lua_push_array_mt(L);
  lua_setglobal(L, TEST_LUA_ARRAY_MT);
}

/* The reference decoder's scratch, kept across calls as event_decode keeps
 * it (reachable until exit). */
static struct buf records_compare_scratch = {.max = (size_t)128 << 20};

static int records_compare_reference(lua_State *L)
{
  event_source_push(L, lua_touserdata(L, 1),
                    (enum event_kind)lua_tointeger(L, 2),
                    &records_compare_scratch);
  return 1;
}

/* The fast path of 'kind' (EVENT_SQS, EVENT_KINESIS or EVENT_DYNAMODB):
 * 1 when pushed. */
static int records_compare_scan(lua_State *L, enum event_kind kind,
                                const char *text, size_t len,
                                struct buf *scratch, struct arena *arena)
{
  if (kind == EVENT_SQS)
    return sqs_scan_push(L, text, len, scratch, arena) == SQS_SCAN_PUSHED;
  if (kind == EVENT_DYNAMODB)
    return dynamodb_scan_push(L, text, len, scratch, arena);
  return kinesis_scan_push(L, text, len, scratch, arena);
}

static int records_compare_fast(lua_State *L)
{
  struct buf *scratch = lua_touserdata(L, 1);
  struct arena *arena = lua_touserdata(L, 2);
  const char *text = lua_touserdata(L, 3);
  size_t len = (size_t)lua_tointeger(L, 4);
  enum event_kind kind = (enum event_kind)lua_tointeger(L, 5);
  lua_settop(L, 0);
  if (records_compare_scan(L, kind, text, len, scratch, arena))
    return 1;
  lua_pushinteger(L, lua_gettop(L)); /* 0 when nothing was left */
  return 1;
}

/* deep_equal(a at -2, b at -1, what), both popped; fail with the
 * difference. */
static void records_compare_equal(lua_State *L, const char *name,
                                  const char *what)
{
  lua_getglobal(L, "deep_equal");
  lua_pushvalue(L, -3);
  lua_pushvalue(L, -3);
  lua_pushstring(L, what);
  lua_call(L, 3, 2);
  if (!lua_toboolean(L, -2))
    TEST_FAIL("%s: fast and reference differ at %s", name, lua_tostring(L, -1));
  lua_pop(L, 4);
}

/* Compare both paths of 'kind' on one text. Returns 1 when the fast path
 * took it. */
static int records_compare_kind(lua_State *L, struct buf *scratch,
                                const char *name, const char *text, size_t len,
                                enum event_kind kind)
{
  int top = lua_gettop(L);
  struct arena fast_arena, ref_arena;
  arena_init(&fast_arena);
  lua_pushcfunction(L, records_compare_fast);
  lua_pushlightuserdata(L, scratch);
  lua_pushlightuserdata(L, &fast_arena);
  lua_pushlightuserdata(L, (void *)(size_t)text);
  lua_pushinteger(L, (lua_Integer)len);
  lua_pushinteger(L, (lua_Integer)kind);
  ASSERT_EQ(lua_pcall(L, 5, 1, 0), LUA_OK);
  if (lua_type(L, -1) != LUA_TTABLE) {
    ASSERT_EQ(lua_tointeger(L, -1), 0);
    lua_settop(L, top);
    arena_free(&fast_arena);
    return 0;
  }
  /* The fast raws now, while its generation is the live one. */
  lua_getglobal(L, "raws");
  lua_pushvalue(L, -2);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK)
    TEST_FAIL("%s: fast .raw raised: %s", name, lua_tostring(L, -1));
  arena_init(&ref_arena);
  size_t at;
  const char *why;
  cJSON *tree = json_tree_parse(&ref_arena, text, len, &at, &why);
  if (!tree || event_source_detect(tree) != kind)
    TEST_FAIL("%s: the fast path took an event the reference does not "
              "detect as its source",
              name);
  lua_pushcfunction(L, records_compare_reference);
  lua_pushlightuserdata(L, tree);
  lua_pushinteger(L, (lua_Integer)kind);
  if (lua_pcall(L, 2, 1, 0) != LUA_OK)
    TEST_FAIL("%s: fast path accepted, reference raised: %s", name,
              luaL_tolstring(L, -1, NULL));
  /* stack: fast fast_raws ref */
  lua_getglobal(L, "raws");
  lua_pushvalue(L, -2);
  ASSERT_EQ(lua_pcall(L, 1, 1, 0), LUA_OK);
  /* stack: fast fast_raws ref ref_raws */
  lua_pushvalue(L, top + 2);
  lua_pushvalue(L, top + 4);
  records_compare_equal(L, name, "raw");
  lua_pushvalue(L, top + 1);
  lua_pushvalue(L, top + 3);
  records_compare_equal(L, name, "event");
  lua_getfield(L, top + 1, "decode_error");
  ASSERT(lua_isnil(L, -1));
  lua_settop(L, top);
  event_raw_end(L);
  arena_free(&fast_arena);
  arena_free(&ref_arena);
  return 1;
}

/* The fast path of 'kind' on 'text', which it must take ('want_fast') or
 * decline, and which must match the reference when it takes it. */
static void records_compare_expect(lua_State *L, struct buf *scratch,
                                   const char *text, enum event_kind kind,
                                   int want_fast)
{
  int got = records_compare_kind(L, scratch, text, text, strlen(text), kind);
  if (got != want_fast)
    TEST_FAIL("%s fast path %s: %s",
              kind == EVENT_SQS        ? "SQS"
              : kind == EVENT_DYNAMODB ? "DynamoDB"
                                       : "Kinesis",
              want_fast ? "declined" : "took", text);
}

#endif
