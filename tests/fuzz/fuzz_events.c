/* fuzz_events: libFuzzer target for the non-Kafka event decoders.
 *
 * The input is an event body, handled as host handles one: parsed by
 * json_tree_parse into an arena, detected by event_source_detect and, for
 * SQS, SNS, S3, DynamoDB, Kinesis, EventBridge and API Gateway (REST and
 * HTTP API), decoded by event_source_push in a protected call; then every
 * record's .raw and the event's .raw are read, so the lazy decoding runs
 * too. Properties, beyond the sanitizers': the decoder leaves exactly one
 * table with a records array (batch sources) or a method and path (API
 * Gateway), or raises a typed "<Source>.InvalidEvent" error (or a memory
 * error); the stack is balanced either way. Seeds: tests/fixtures/events. */
#include <cjson/cJSON.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "event_source.h"
#include "fuzz_common.h"
#include "json_lua.h"
#include "json_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct push_args {
  const cJSON *root;
  enum event_kind kind;
  const uint8_t *data;
  size_t size;
};

/* The reference decoder's scratch, kept across calls as event_decode keeps
 * it (reachable until exit). */
static struct buf reference_scratch = {.max = (size_t)128 << 20};

static int push_protected(lua_State *L)
{
  struct push_args *a = lua_touserdata(L, 1);
  event_source_push(L, a->root, a->kind, &reference_scratch);
  return 1;
}

static const char TOUCH_RAW[] =
    "local e = ...\n"
    "local n = 0\n"
    "for _, r in ipairs(e.records or {}) do\n"
    "  if r.raw == nil then error('record without raw') end\n"
    "  n = n + 1\n"
    "end\n"
    "if e.raw == nil then error('event without raw') end\n"
    "return n\n";

static struct arena fuzz_arena;

static const char *error_type(enum event_kind k)
{
  switch (k) {
  case EVENT_SQS:
    return "SQS.InvalidEvent";
  case EVENT_SNS:
    return "SNS.InvalidEvent";
  case EVENT_S3:
    return "S3.InvalidEvent";
  case EVENT_DYNAMODB:
    return "DynamoDB.InvalidEvent";
  case EVENT_KINESIS:
    return "Kinesis.InvalidEvent";
  case EVENT_EVENTBRIDGE:
    return "EventBridge.InvalidEvent";
  default:
    return "APIGateway.InvalidEvent";
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  lua_State *L = fuzz_state();
  size_t at = 0;
  const char *why = NULL;
  cJSON *root =
      json_tree_parse(&fuzz_arena, (const char *)data, size, &at, &why);
  enum event_kind kind = root ? event_source_detect(root) : EVENT_CUSTOM;
  if (kind == EVENT_CUSTOM || kind == EVENT_KAFKA) {
    arena_reset(&fuzz_arena);
    return 0;
  }
  struct push_args a = {root, kind, data, size};
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, &a);
  int status = lua_pcall(L, 1, 1, 0);
  if (status != LUA_OK) {
    fuzz_check_typed_error(L, status, error_type(kind));
  } else {
    FUZZ_CHECK(lua_gettop(L) == 1 && lua_istable(L, 1), "pushed %d values",
               lua_gettop(L));
    if (kind == EVENT_APIGATEWAY) {
      FUZZ_CHECK(lua_getfield(L, 1, "method") == LUA_TSTRING, "no method");
      FUZZ_CHECK(lua_getfield(L, 1, "route_path") == LUA_TSTRING,
                 "no route_path");
      lua_pop(L, 2);
    } else if (kind != EVENT_EVENTBRIDGE) {
      FUZZ_CHECK(lua_getfield(L, 1, "records") == LUA_TTABLE, "no records");
      lua_pop(L, 1);
    }
    FUZZ_CHECK(luaL_loadbuffer(L, TOUCH_RAW, sizeof(TOUCH_RAW) - 1, "raw") ==
                   LUA_OK,
               "TOUCH_RAW does not load");
    lua_pushvalue(L, 1);
    int st = lua_pcall(L, 1, 1, 0);
    /* json.decode may only fail on memory, or on nesting (a typed error),
     * for text that cJSON already parsed. */
    FUZZ_CHECK(st == LUA_OK || st == LUA_ERRMEM || lua_istable(L, -1),
               "reading raw failed: %s",
               lua_isstring(L, -1) ? lua_tostring(L, -1) : "(not a string)");
  }
  lua_settop(L, 0);
  arena_reset(&fuzz_arena);
  return 0;
}
