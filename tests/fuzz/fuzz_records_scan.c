/* fuzz_records_scan: libFuzzer target for the fast paths of {"Records":
 * [...]} events (src/events/sqs_scan.c, src/events/kinesis_scan.c, src/events/dynamodb_scan.c on
 * src/events/records_scan.c) against the reference (json_tree +
 * event_source_push).
 *
 * The input is an event body, given to each fast path in turn.
 * Properties, beyond the sanitizers': the fast path (in a protected call:
 * it may raise memory errors) either declines, leaving the stack as it
 * was, or pushes one table; and whenever it takes an input, the reference
 * parses it, detects that source, decodes it without raising and builds a
 * deep-equal table (same values, same integer/float subtypes, the same
 * tables marked as JSON arrays), and
 * event.raw and every record.raw (parsed lazily from the text on the fast
 * path) equal the reference's. */
#include <cjson/cJSON.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "dynamodb_scan.h"
#include "event_raw.h"
#include "event_source.h"
#include "fuzz_common.h"
#include "json_lua.h"
#include "json_tree.h"
#include "kinesis_scan.h"
#include "sqs_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena fuzz_arena, fuzz_raw_arena;
static struct buf fuzz_scratch = {NULL, 0, 0, (size_t)64 << 20, 0};

struct scan_args {
  const uint8_t *data;
  size_t size;
  enum event_kind kind;
  int result; /* 1 pushed, 0 declined */
};

static int scan_protected(lua_State *L)
{
  struct scan_args *a = lua_touserdata(L, 1);
  lua_pop(L, 1);
  const char *text = (const char *)a->data;
  if (a->kind == EVENT_SQS)
    a->result = sqs_scan_push(L, text, a->size, &fuzz_scratch,
                              &fuzz_raw_arena) == SQS_SCAN_PUSHED;
  else if (a->kind == EVENT_DYNAMODB)
    a->result =
        dynamodb_scan_push(L, text, a->size, &fuzz_scratch, &fuzz_raw_arena);
  else
    a->result =
        kinesis_scan_push(L, text, a->size, &fuzz_scratch, &fuzz_raw_arena);
  return a->result;
}

static int push_protected(lua_State *L)
{
  event_source_push(L, lua_touserdata(L, 1),
                    (enum event_kind)lua_tointeger(L, 2), &fuzz_scratch);
  return 1;
}

/* diff(a, b, path) -> nil or the path of the first difference; raws(ev)
 * -> { event = ev.raw, records = { r.raw... } }. */
static const char HELPERS[] =
    FUZZ_LUA_DEEP_DIFF
    "local function raws(ev)\n"
    "  local t = { event = ev.raw, records = {} }\n"
    "  for i, r in ipairs(ev.records) do t.records[i] = r.raw end\n"
    "  return t\n"
    "end\n"
    "return diff, raws\n";

/* Call global helper 'name' ("fuzz_diff" or "fuzz_raws", loaded on first
 * use) with the 'nargs' arguments on top. [-nargs, +1, -] */
static int call_helper(lua_State *L, const char *name, int nargs)
{
  if (lua_getglobal(L, name) == LUA_TNIL) {
    lua_pop(L, 1);
    FUZZ_CHECK(luaL_loadbuffer(L, HELPERS, sizeof(HELPERS) - 1, "=helpers") ==
                   LUA_OK,
               "helpers chunk");
    lua_call(L, 0, 2);
    lua_setglobal(L, "fuzz_raws");
    lua_setglobal(L, "fuzz_diff");
    json_lua_push_array_mt(L); /* the mark diff compares */
    lua_setglobal(L, FUZZ_LUA_ARRAY_MT);
    lua_getglobal(L, name);
  }
  lua_insert(L, -1 - nargs);
  return lua_pcall(L, nargs, 1, 0);
}

/* One fast path on the input. */
static void check_kind(const uint8_t *data, size_t size, enum event_kind kind)
{
  lua_State *L = fuzz_state();
  struct scan_args sa = {data, size, kind, -1};
  lua_pushcfunction(L, scan_protected);
  lua_pushlightuserdata(L, &sa);
  int fast_status = lua_pcall(L, 1, LUA_MULTRET, 0);
  if (fast_status != LUA_OK) {
    FUZZ_CHECK(fast_status == LUA_ERRMEM, "sqs_scan_push raised: %s",
               lua_isstring(L, -1) ? lua_tostring(L, -1) : "(not a string)");
    lua_settop(L, 0);
    arena_reset(&fuzz_raw_arena);
    return;
  }
  if (sa.result != 1) {
    FUZZ_CHECK(sa.result == 0 && lua_gettop(L) == 0,
               "fast path declined but left %d values", lua_gettop(L));
    return;
  }
  FUZZ_CHECK(lua_gettop(L) == 1 && lua_istable(L, 1),
             "fast path pushed %d values", lua_gettop(L));
  /* The fast raws while the fast event's generation is the live one. */
  lua_pushvalue(L, 1);
  int st = call_helper(L, "fuzz_raws", 1);
  FUZZ_CHECK(st == LUA_OK || st == LUA_ERRMEM, "fast .raw raised: %s",
             lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
  if (st != LUA_OK) {
    lua_settop(L, 0);
    event_raw_end(L);
    arena_reset(&fuzz_raw_arena);
    return;
  }
  size_t at = 0;
  const char *why = NULL;
  cJSON *root =
      json_tree_parse(&fuzz_arena, (const char *)data, size, &at, &why);
  FUZZ_CHECK(root != NULL, "the fast path took an input the reference does "
                           "not parse (%s at %zu)",
             why, at);
  FUZZ_CHECK(event_source_detect(root) == kind,
             "the fast path took an input the reference does not see as "
             "its source");
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, root);
  lua_pushinteger(L, (lua_Integer)kind);
  int status = lua_pcall(L, 2, 1, 0);
  FUZZ_CHECK(status == LUA_OK || status == LUA_ERRMEM,
             "fast path accepted, reference raised");
  if (status == LUA_OK) {
    /* stack: fast fast_raws ref */
    lua_pushvalue(L, 3);
    st = call_helper(L, "fuzz_raws", 1);
    FUZZ_CHECK(st == LUA_OK || st == LUA_ERRMEM, "reference .raw raised");
    if (st == LUA_OK) {
      lua_pushvalue(L, 2);
      lua_pushvalue(L, 4);
      lua_pushliteral(L, "raw");
      st = call_helper(L, "fuzz_diff", 3);
      FUZZ_CHECK(st != LUA_OK || lua_isnil(L, -1),
                 "fast and reference raws differ at %s", lua_tostring(L, -1));
      lua_pushvalue(L, 1);
      lua_pushvalue(L, 3);
      lua_pushliteral(L, "event");
      st = call_helper(L, "fuzz_diff", 3);
      FUZZ_CHECK(st != LUA_OK || lua_isnil(L, -1),
                 "fast and reference paths differ at %s", lua_tostring(L, -1));
    }
  }
  lua_settop(L, 0);
  event_raw_end(L);
  arena_reset(&fuzz_arena);
  arena_reset(&fuzz_raw_arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_kind(data, size, EVENT_SQS);
  check_kind(data, size, EVENT_KINESIS);
  check_kind(data, size, EVENT_DYNAMODB);
  return 0;
}
