/* fuzz_dynamodb: libFuzzer target for the DynamoDB attribute-value
 * converter (src/events/dynamodb_value.c).
 *
 * The input is JSON; an object is converted as an attribute map (a record's
 * NewImage) with dynamodb_value_push_map in a protected call, any other
 * value as a single attribute value with dynamodb_value_push. Properties,
 * beyond the sanitizers': the result is one value (a table for a map), or a
 * typed DynamoDB.InvalidEvent error (or a memory error); decode_error, when
 * set on the record table, is a string; the stack is balanced. Also: every
 * string the number grammar accepts converts to the value strtod gives
 * (integers exactly, within 64 bits). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "dynamodb_value.h"
#include "fuzz_common.h"
#include "json_lua.h"
#include "json_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference decoder's scratch, kept across calls as event_decode keeps
 * it (reachable until exit). */
static struct buf reference_scratch = {.max = (size_t)128 << 20};

static int push_protected(lua_State *L)
{
  const cJSON *root = lua_touserdata(L, 1);
  lua_newtable(L); /* the record, for decode_error */
  struct event_fields f = {L, "DynamoDB", "DynamoDB.InvalidEvent", 1,
                           lua_gettop(L), &reference_scratch};
  struct dynamodb_path path = {NULL, "new_image"};
  if (cJSON_IsObject(root) &&
      !(root->child && !root->child->next && root->child->string &&
        root->child->string[0] >= 'A' && root->child->string[0] <= 'Z'))
    dynamodb_value_push_map(&f, root, &path, 1);
  else
    dynamodb_value_push(&f, root, &path, 1);
  return 2; /* record, value */
}

static struct arena fuzz_arena;

static void check_number(const uint8_t *data, size_t size)
{
  char text[64];
  if (size == 0 || size >= sizeof text)
    return;
  memcpy(text, data, size);
  text[size] = '\0';
  int is_int = 0;
  long long i = 0;
  double d = 0;
  if (!dynamodb_value_number(text, size, &is_int, &i, &d))
    return;
  char *end = NULL;
  double want = strtod(text, &end);
  FUZZ_CHECK(*end == '\0', "grammar accepted %s, strtod stops early", text);
  if (is_int)
    FUZZ_CHECK((double)i == want || (i > (1LL << 53) || i < -(1LL << 53)),
               "integer %lld for %s", i, text);
  else
    FUZZ_CHECK(d == want || (d != d && want != want), "float for %s", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  lua_State *L = fuzz_state();
  check_number(data, size);
  size_t at = 0;
  const char *why = NULL;
  cJSON *root =
      json_tree_parse(&fuzz_arena, (const char *)data, size, &at, &why);
  if (root != NULL) {
    lua_pushcfunction(L, push_protected);
    lua_pushlightuserdata(L, root);
    int status = lua_pcall(L, 1, 2, 0);
    if (status != LUA_OK) {
      fuzz_check_typed_error(L, status, "DynamoDB.InvalidEvent");
    } else {
      FUZZ_CHECK(lua_gettop(L) == 2, "left %d values", lua_gettop(L));
      int t = lua_getfield(L, 1, "decode_error");
      FUZZ_CHECK(t == LUA_TNIL || t == LUA_TSTRING, "decode_error is a %s",
                 lua_typename(L, t));
    }
  }
  lua_settop(L, 0);
  arena_reset(&fuzz_arena);
  return 0;
}
