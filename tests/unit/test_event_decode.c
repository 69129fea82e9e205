/* Tests for event_decode: the one entry from an event's text to its Lua
 * value. The policy is checked on real events: a routed kind gets its
 * decoded table (by its scanner or, when that declines, by its tree
 * decoder, with the same result), an unrouted kind plain JSON and
 * EVENT_CUSTOM, routes 0 (a catch-all) everything as plain JSON; text that
 * is not JSON, a tree over the memory budget and a malformed routed event
 * raise their typed errors, and the decoder serves the next event after
 * each. */
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

#include "event_decode.h"
#include "heap.h"
#include "test.h"

#define ALL_ROUTES 0xFFFFu

struct decode_args {
  struct event_decoder *d;
  const char *text;
  unsigned routes;
  enum event_kind kind, detected;
};

static int decode_protected(lua_State *L)
{
  struct decode_args *a = lua_touserdata(L, 1);
  lua_pop(L, 1);
  a->kind = event_decode_push(L, a->d, a->text, strlen(a->text), a->routes,
                              &a->detected);
  return 1;
}

/* Decode in a protected call, then end the invocation as host does. The
 * value (or the error) is left on top. Returns the lua_pcall status. */
static int decode(lua_State *L, struct event_decoder *d, const char *text,
                  unsigned routes, struct decode_args *a)
{
  int top = lua_gettop(L);
  *a = (struct decode_args){d, text, routes, (enum event_kind) - 1,
                            (enum event_kind) - 1};
  lua_pushcfunction(L, decode_protected);
  lua_pushlightuserdata(L, a);
  int status = lua_pcall(L, 1, 1, 0);
  ASSERT_EQ(lua_gettop(L), top + 1);
  return status;
}

/* t.<path...> as a string ("" when not a string). */
static const char *field_string(lua_State *L, int t, const char *a,
                                const char *b)
{
  lua_getfield(L, t, a);
  if (b != NULL) {
    lua_getfield(L, -1, b);
    lua_remove(L, -2);
  }
  const char *s = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1); /* the string stays alive in the event table */
  return s;
}

static const char *error_type(lua_State *L)
{
  ASSERT(lua_istable(L, -1));
  return field_string(L, -1, "type", NULL);
}

static const char SQS[] =
    "{\"Records\":[{\"messageId\":\"m1\",\"receiptHandle\":\"r\","
    "\"body\":\"hello\",\"attributes\":{},\"messageAttributes\":{},"
    "\"md5OfBody\":\"x\",\"eventSource\":\"aws:sqs\","
    "\"eventSourceARN\":\"arn:aws:sqs:us-east-1:1:q\","
    "\"awsRegion\":\"us-east-1\"}]}";

static const char KAFKA[] =
    "{\"eventSource\":\"aws:kafka\",\"records\":{\"t-0\":[{\"topic\":\"t\","
    "\"partition\":0,\"offset\":5,\"value\":\"aGk=\",\"headers\":[]}]}}";

/* The same record with its header in the simplified {key, value} form,
 * which kafka_scan declines: the tree path decodes it. */
static const char KAFKA_TREE[] =
    "{\"eventSource\":\"aws:SelfManagedKafka\",\"records\":{\"t-0\":[{"
    "\"topic\":\"t\",\"partition\":0,\"offset\":5,\"value\":\"aGk=\","
    "\"headers\":[{\"key\":\"h\",\"value\":\"v\"}]}]}}";

static void test_routed_kind_gets_its_table(lua_State *L,
                                            struct event_decoder *d)
{
  struct decode_args a;
  ASSERT_EQ(decode(L, d, SQS, EVENT_DECODE_ROUTE(EVENT_SQS), &a), LUA_OK);
  ASSERT_EQ(a.kind, EVENT_SQS);
  ASSERT_EQ(a.detected, EVENT_SQS);
  lua_getfield(L, -1, "records");
  lua_rawgeti(L, -1, 1);
  ASSERT_STR_EQ(field_string(L, -1, "body", NULL), "hello");
  ASSERT_STR_EQ(field_string(L, -1, "message_id", NULL), "m1");
  lua_pop(L, 3);
  event_decode_end(L, d);

  ASSERT_EQ(decode(L, d, KAFKA, ALL_ROUTES, &a), LUA_OK);
  ASSERT_EQ(a.kind, EVENT_KAFKA);
  ASSERT_EQ(a.detected, EVENT_KAFKA);
  ASSERT_STR_EQ(field_string(L, -1, "event_source", NULL), "aws:kafka");
  lua_getfield(L, -1, "records");
  lua_rawgeti(L, -1, 1);
  ASSERT_STR_EQ(field_string(L, -1, "value", NULL), "hi");
  ASSERT_STR_EQ(field_string(L, -1, "topic_partition", NULL), "t-0");
  lua_pop(L, 3);
  event_decode_end(L, d);
}

static void test_scanner_decline_takes_the_tree(lua_State *L,
                                                struct event_decoder *d)
{
  struct decode_args a;
  ASSERT_EQ(decode(L, d, KAFKA_TREE, EVENT_DECODE_ROUTE(EVENT_KAFKA), &a),
            LUA_OK);
  ASSERT_EQ(a.kind, EVENT_KAFKA);
  ASSERT_STR_EQ(field_string(L, -1, "event_source", NULL), "SelfManagedKafka");
  lua_getfield(L, -1, "records");
  lua_rawgeti(L, -1, 1);
  ASSERT_STR_EQ(field_string(L, -1, "value", NULL), "hi");
  lua_getfield(L, -1, "headers");
  lua_rawgeti(L, -1, 1);
  ASSERT_STR_EQ(field_string(L, -1, "key", NULL), "h");
  ASSERT_STR_EQ(field_string(L, -1, "value", NULL), "v");
  lua_pop(L, 5);
  event_decode_end(L, d);
}

static void test_unrouted_kind_is_plain_json(lua_State *L,
                                             struct event_decoder *d)
{
  struct decode_args a;
  /* Routes for everything but SQS: its event is plain JSON. */
  unsigned routes = ALL_ROUTES & ~EVENT_DECODE_ROUTE(EVENT_SQS);
  ASSERT_EQ(decode(L, d, SQS, routes, &a), LUA_OK);
  ASSERT_EQ(a.kind, EVENT_CUSTOM);
  ASSERT_EQ(a.detected, EVENT_SQS);
  lua_getfield(L, -1, "Records");
  lua_rawgeti(L, -1, 1);
  ASSERT_STR_EQ(field_string(L, -1, "messageId", NULL), "m1");
  lua_pop(L, 3);
  event_decode_end(L, d);

  /* Routes 0, a catch-all: a Kafka event as it came. */
  ASSERT_EQ(decode(L, d, KAFKA, 0, &a), LUA_OK);
  ASSERT_EQ(a.kind, EVENT_CUSTOM);
  ASSERT_EQ(a.detected, EVENT_KAFKA);
  ASSERT_STR_EQ(field_string(L, -1, "eventSource", NULL), "aws:kafka");
  lua_getfield(L, -1, "records");
  lua_getfield(L, -1, "t-0");
  lua_rawgeti(L, -1, 1);
  ASSERT_STR_EQ(field_string(L, -1, "value", NULL), "aGk=");
  lua_pop(L, 4);
  event_decode_end(L, d);

  ASSERT_EQ(decode(L, d, "{\"hello\": [1, 2]}", ALL_ROUTES, &a), LUA_OK);
  ASSERT_EQ(a.kind, EVENT_CUSTOM);
  ASSERT_EQ(a.detected, EVENT_CUSTOM);
  lua_pop(L, 1);
  event_decode_end(L, d);
}

static void test_errors_then_the_next_event(lua_State *L,
                                            struct event_decoder *d)
{
  struct decode_args a;
  ASSERT_EQ(decode(L, d, "{\"Records\": [", ALL_ROUTES, &a), LUA_ERRRUN);
  ASSERT_STR_EQ(error_type(L), "Runtime.InvalidEvent");
  ASSERT_CONTAINS(field_string(L, -1, "message", NULL), "not valid JSON");
  lua_pop(L, 1);
  event_decode_end(L, d);

  /* A routed Kafka event without its offset: the tree decoder words it. */
  static const char bad[] =
      "{\"eventSource\":\"aws:kafka\",\"records\":{\"t-0\":[{\"topic\":\"t\","
      "\"partition\":0}]}}";
  ASSERT_EQ(decode(L, d, bad, ALL_ROUTES, &a), LUA_ERRRUN);
  ASSERT_STR_EQ(error_type(L), "Kafka.InvalidEvent");
  ASSERT_CONTAINS(field_string(L, -1, "message", NULL), "offset");
  lua_pop(L, 1);
  event_decode_end(L, d);

  ASSERT_EQ(decode(L, d, KAFKA, ALL_ROUTES, &a), LUA_OK);
  ASSERT_EQ(a.kind, EVENT_KAFKA);
  lua_pop(L, 1);
  event_decode_end(L, d);
  ASSERT_EQ(d->arena.used, 0);
}

/* A tree the budget cannot hold is Runtime.OutOfMemory (not invalid JSON),
 * and the arena is whole again after event_decode_end. */
static void test_tree_over_budget(lua_State *L)
{
  struct heap budget;
  heap_init(&budget, 4096); /* less than one arena chunk */
  struct event_decoder d;
  event_decode_init(&d, &budget);
  struct decode_args a;
  ASSERT_EQ(decode(L, &d, "{\"a\": [1, 2, 3]}", ALL_ROUTES, &a), LUA_ERRRUN);
  ASSERT_STR_EQ(error_type(L), "Runtime.OutOfMemory");
  ASSERT_CONTAINS(field_string(L, -1, "message", NULL), "does not fit");
  lua_pop(L, 1);
  event_decode_end(L, &d);
  ASSERT_EQ(budget.charged, 0);
  /* The scanners need no tree: an SQS event still decodes. */
  ASSERT_EQ(decode(L, &d, SQS, ALL_ROUTES, &a), LUA_OK);
  ASSERT_EQ(a.kind, EVENT_SQS);
  lua_pop(L, 1);
  event_decode_end(L, &d);
  event_decode_free(&d);
}

int main(void)
{
  lua_State *L = luaL_newstate();
  ASSERT_NOT_NULL(L);
  luaL_openlibs(L);
  struct event_decoder d;
  event_decode_init(&d, NULL);

  test_routed_kind_gets_its_table(L, &d);
  test_scanner_decline_takes_the_tree(L, &d);
  test_unrouted_kind_is_plain_json(L, &d);
  test_errors_then_the_next_event(L, &d);
  test_tree_over_budget(L);

  ASSERT_EQ(lua_gettop(L), 0);
  event_decode_free(&d);
  lua_close(L);
  return 0;
}
