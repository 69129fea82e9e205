/* test_host: the Lua host (host.c and loader.c) in a real Lua state, with
 * handler modules written to a temporary task root.
 *
 * The message handler is checked on every kind of value a handler can raise
 * (string, number, nil, boolean, tables with and without __tostring, the
 * {type, message} tables lrt_error makes, userdata with and without a
 * description, a __tostring that raises once or for ever, a message of
 * 10 MB): each becomes
 * one error body, and the same host then serves the next invocation. Every
 * pcall path: success, a runtime error, LUA_ERRMEM over the heap cap, an
 * error while handling an error. The loader's init errors and both handler
 * forms. Hot reload: an edit is picked up, a broken version keeps the old one
 * serving (and is not retried until the next change), a module that loops
 * at its top level (bare or inside pcall) is interrupted by the deadline
 * guard, and a fix after all that is picked up.
 *
 * Links lrt_host, and through it lrt_transport (libcurl): the deadline guard
 * arms the watchdog thread, which lives in the transport layer. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "error_body.h"
#include "host.h"
#include "test.h"

static char root[] = "/tmp/lrt-test-host-XXXXXX";

static void write_file(const char *name, const char *text)
{
  char path[256];
  snprintf(path, sizeof(path), "%s/%s", root, name);
  FILE *f = fopen(path, "w");
  ASSERT_NOT_NULL(f);
  ASSERT_EQ(fputs(text, f) >= 0, 1);
  ASSERT_OK(fclose(f));
}

static void remove_file(const char *name)
{
  char path[256];
  snprintf(path, sizeof(path), "%s/%s", root, name);
  unlink(path);
}

static struct host_config config(const char *handler)
{
  struct host_config cfg = {
      .task_root = root,
      .runtime_lua_dir = LRT_SOURCE_DIR "/lua",
      .handler = handler,
      .memory_limit = 64u << 20,
      .hot_reload = 1,
      .deadline_guard = 1,
  };
  return cfg;
}

static struct host *new_host(const char *handler)
{
  struct host_config cfg = config(handler);
  struct host_result res;
  host_result_init(&res);
  struct host *h = NULL;
  if (host_new(&h, &cfg, &res) != 0)
    TEST_FAIL("init failed: %s", buf_cstr(&res.body));
  host_result_free(&res);
  return h;
}

/* host_new that must fail with 'type'. */
static void expect_init_error(const char *handler, const char *type,
                              const char *message_part)
{
  struct host_config cfg = config(handler);
  struct host_result res;
  host_result_init(&res);
  struct host *h = (struct host *)&res; /* must be reset to NULL */
  ASSERT_EQ(host_new(&h, &cfg, &res), -1);
  ASSERT(h == NULL);
  ASSERT_EQ(res.is_error, 1);
  ASSERT_STR_EQ(res.error_type, type);
  ASSERT_CONTAINS(buf_cstr(&res.body), message_part);
  host_result_free(&res);
}

/* Invoke with 'event'; *body gets the parsed body (caller deletes). */
static cJSON *invoke(struct host *h, const char *event, struct host_result *res)
{
  struct host_context ctx = {
      .request_id = "test-request",
      .deadline_ms = clock_now_ms() + 60000,
  };
  host_invoke(h, event, strlen(event), &ctx, res);
  cJSON *body = cJSON_ParseWithLength(res->body.data, res->body.len);
  if (!body)
    TEST_FAIL("body is not JSON: %.*s", (int)res->body.len,
              res->body.data ? res->body.data : "");
  return body;
}

/* Invoke the case 'name' and expect an error of 'type' whose message
 * contains 'message_part'. */
static void expect_error(struct host *h, const char *name, const char *type,
                         const char *message_part)
{
  char event[128];
  snprintf(event, sizeof(event), "{\"case\":\"%s\"}", name);
  struct host_result res;
  host_result_init(&res);
  cJSON *body = invoke(h, event, &res);
  if (!res.is_error)
    TEST_FAIL("case %s: no error: %s", name, buf_cstr(&res.body));
  ASSERT_STR_EQ(res.error_type, type);
  ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(body, "errorType")),
                type);
  const char *msg =
      cJSON_GetStringValue(cJSON_GetObjectItem(body, "errorMessage"));
  if (!msg || !strstr(msg, message_part))
    TEST_FAIL("case %s: message \"%s\" lacks \"%s\"", name,
              msg ? msg : "(none)", message_part);
  ASSERT(cJSON_IsArray(cJSON_GetObjectItem(body, "stackTrace")));
  cJSON_Delete(body);
  host_result_free(&res);
}

/* The host still answers: the "ok" case returns {ok = true}. */
static void expect_ok(struct host *h)
{
  struct host_result res;
  host_result_init(&res);
  cJSON *body = invoke(h, "{\"case\":\"ok\"}", &res);
  ASSERT_EQ(res.is_error, 0);
  ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(body, "ok")));
  cJSON_Delete(body);
  host_result_free(&res);
}

static const char CASES[] =
    "local router = require 'router'\n"
    "local cases = {}\n"
    "cases.ok = function() return { ok = true } end\n"
    "cases.string = function() error('a plain message') end\n"
    "cases.integer = function() error(42) end\n"
    "cases.float = function() error(1.5) end\n"
    "cases['nil'] = function() error(nil) end\n"
    "cases.boolean = function() error(true) end\n"
    "cases.table = function() error({}) end\n"
    "cases.described = function()\n"
    "  error(setmetatable({}, { __tostring = function() return 'told' end }))\n"
    "end\n"
    "cases.typed = function() error({ type = 'App.Failure', message = 'why' "
    "}) end\n"
    "cases.typed_number = function() error({ type = 'App.N', message = 7 }) "
    "end\n"
    "cases.untyped = function() error({ message = 'only a message' }) end\n"
    "cases.bad_type = function() error({ type = 12, message = 'm' }) end\n"
    "cases.userdata = function() error(io.stdout) end\n"
    "cases.raising_tostring = function()\n"
    "  error(setmetatable({}, { __tostring = function() error('again') end "
    "}))\n"
    "end\n"
    "cases.recursive_tostring = function()\n"
    "  local mt = {}\n"
    "  mt.__tostring = function() error(setmetatable({}, mt)) end\n"
    "  error(setmetatable({}, mt))\n"
    "end\n"
    "cases.huge = function() error(string.rep('x', 10 * 1024 * 1024)) end\n"
    "cases.index = function() local t = nil; return t.field end\n"
    "cases.memory = function()\n"
    "  local t = {}\n"
    "  for i = 1, 1e9 do t[i] = string.rep('y', 64) .. i end\n"
    "end\n"
    "cases.bare_userdata = function()\n"
    "  local mt = debug.getmetatable(io.stdout)\n"
    "  mt.__tostring, mt.__name = nil, nil\n"
    "  error(io.stdout)\n"
    "end\n"
    "router.custom(function(event) return cases[event.case]() end)\n";

static void test_message_handler_and_pcall_paths(void)
{
  write_file("cases.lua", CASES);
  struct host *h = new_host("cases");
  expect_ok(h);
  expect_error(h, "string", "Lua.RuntimeError", "cases.lua:4: a plain message");
  expect_error(h, "integer", "Lua.RuntimeError", "42");
  expect_error(h, "float", "Lua.RuntimeError", "1.5");
  expect_error(h, "nil", "Lua.RuntimeError", "(error object is a nil value)");
  expect_error(h, "boolean", "Lua.RuntimeError",
               "(error object is a boolean value)");
  expect_error(h, "table", "Lua.RuntimeError",
               "(error object is a table value)");
  expect_error(h, "described", "Lua.RuntimeError", "told");
  expect_error(h, "typed", "App.Failure", "why");
  expect_error(h, "typed_number", "App.N", "7");
  expect_error(h, "untyped", "Lua.RuntimeError", "only a message");
  expect_error(h, "bad_type", "Lua.RuntimeError", "m");
  expect_error(h, "userdata", "Lua.RuntimeError", "file (0x");
  /* Lua calls the message handler again on an error inside it, which
   * describes that one... */
  expect_error(h, "raising_tostring", "Lua.RuntimeError", "again");
  /* ...even when that recurses: at 200 C levels Lua raises a string, which
   * the handler describes without recursing (so LUA_ERRERR, 220 levels, is
   * not reached from Lua code through this handler). */
  expect_error(h, "recursive_tostring", "Lua.RuntimeError", "C stack overflow");
  expect_ok(h);
  expect_error(h, "index", "Lua.RuntimeError", "attempt to index");
  expect_error(h, "memory", "Runtime.OutOfMemory",
               "Lua ran out of memory (limit 64 MB for the Lua heap)");
  host_collect(h);
  expect_ok(h);

  /* A 10 MB message: the body stays within error_body's bound. */
  struct host_result res;
  host_result_init(&res);
  cJSON *body = invoke(h, "{\"case\":\"huge\"}", &res);
  ASSERT_EQ(res.is_error, 1);
  ASSERT(res.body.len <= ERROR_BODY_MAX);
  const char *msg =
      cJSON_GetStringValue(cJSON_GetObjectItem(body, "errorMessage"));
  ASSERT_NOT_NULL(msg);
  ASSERT(strlen(msg) <= ERROR_BODY_MAX_MESSAGE + 64);
  ASSERT_CONTAINS(msg, "xxxxxxxx");
  cJSON_Delete(body);
  host_result_free(&res);
  expect_ok(h);

  /* Last: it changes io's metatable for good in this state. */
  expect_error(h, "bare_userdata", "Lua.RuntimeError",
               "(error object is a userdata value)");
  expect_ok(h);
  host_destroy(h);
}

static void test_loader(void)
{
  expect_init_error("absent", "Runtime.ImportModuleError",
                    "cannot find handler module 'absent'");
  write_file("broken.lua", "local x = = 1\n");
  expect_init_error("broken", "Runtime.UserCodeSyntaxError",
                    "syntax error in module 'broken'");
  write_file("needs.lua", "require 'not_there'\n");
  expect_init_error("needs", "Runtime.ImportModuleError",
                    "module 'not_there' not found");
  write_file("silent.lua", "local x = 1\n");
  expect_init_error("silent", "Runtime.HandlerNotFound", "registered no route");
  write_file("raises.lua", "error({ type = 'App.Init', message = 'no' })\n");
  expect_init_error("raises", "App.Init", "no");
  write_file("fn.lua", "return { handle = function() return { ok = true } "
                       "end, n = 1 }\n");
  expect_init_error("fn.missing", "Runtime.HandlerNotFound",
                    "has no function 'missing'");
  expect_init_error("fn.n", "Runtime.HandlerNotFound", "has no function 'n'");
  write_file("num.lua", "return 5\n");
  expect_init_error("num.f", "Runtime.HandlerNotFound",
                    "returned number, not a table");
  /* A precompiled chunk is refused: text only (Lua calls it a syntax
   * error). */
  write_file("binary.lua", "\x1bLua\x54");
  expect_init_error("binary", "Runtime.UserCodeSyntaxError",
                    "attempt to load a binary chunk");

  /* The module.function form takes every event. */
  struct host *h = new_host("fn.handle");
  expect_ok(h);
  host_destroy(h);
}

/* The reload test's handler: version 'v', padded so every version has a
 * size of its own (an edit within one mtime tick is still seen). */
static void write_version(int v)
{
  char text[512];
  snprintf(text, sizeof(text),
           "local router = require 'router'\n"
           "-- %.*s\n"
           "router.custom(function() return { ok = true, v = %d } end)\n",
           v, "pppppppppppppppppppppppppppppppppppppppp", v);
  write_file("live.lua", text);
}

static int served_version(struct host *h)
{
  struct host_result res;
  host_result_init(&res);
  cJSON *body = invoke(h, "{}", &res);
  ASSERT_EQ(res.is_error, 0);
  int v = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(body, "v"));
  cJSON_Delete(body);
  host_result_free(&res);
  return v;
}

static int reload(struct host **h)
{
  return host_reload_if_changed(h, clock_now_ms() + 2000, "test-request");
}

static void test_reload(void)
{
  write_version(1);
  struct host *h = new_host("live");
  ASSERT_EQ(served_version(h), 1);
  ASSERT_EQ(reload(&h), 0); /* nothing changed */

  write_version(2);
  ASSERT_EQ(reload(&h), 1);
  ASSERT_EQ(served_version(h), 2);
  ASSERT_EQ(reload(&h), 0);

  /* A syntax error: the old version serves, and the same broken file is
   * not tried again until it changes. */
  write_file("live.lua", "local router = require 'router'\nrouter.custom(\n");
  ASSERT_EQ(reload(&h), -1);
  ASSERT_EQ(served_version(h), 2);
  ASSERT_EQ(reload(&h), 0);

  /* A module the broken attempt required is watched too. */
  write_file("helper.lua", "error('helper fails')\n");
  write_file("live.lua", "local router = require 'router'\n"
                         "require 'helper'\n"
                         "router.custom(function() return { v = 9 } end)\n");
  ASSERT_EQ(reload(&h), -1);
  ASSERT_EQ(served_version(h), 2);
  write_file("helper.lua", "return {}\n--\n");
  ASSERT_EQ(reload(&h), 1);
  ASSERT_EQ(served_version(h), 9);

  /* Looping at the top level, bare and behind pcall: the guard ends both,
   * the old version serves. */
  write_file("live.lua", "while true do end\n");
  ASSERT_EQ(reload(&h), -1);
  ASSERT_EQ(served_version(h), 9);
  write_file("live.lua",
             "while true do pcall(function() while true do end end) end\n");
  ASSERT_EQ(reload(&h), -1);
  ASSERT_EQ(served_version(h), 9);

  /* A deleted file is a change; its return is another. */
  remove_file("helper.lua");
  write_version(3);
  ASSERT_EQ(reload(&h), 1);
  ASSERT_EQ(served_version(h), 3);
  host_destroy(h);

  /* Without hot reload nothing is watched. */
  struct host_config cfg = config("live");
  cfg.hot_reload = 0;
  struct host_result res;
  host_result_init(&res);
  ASSERT_OK(host_new(&h, &cfg, &res));
  host_result_free(&res);
  write_version(4);
  ASSERT_EQ(reload(&h), 0);
  ASSERT_EQ(served_version(h), 3);
  host_destroy(h);
}

int main(void)
{
  ASSERT_NOT_NULL(mkdtemp(root));
  test_message_handler_and_pcall_paths();
  test_loader();
  test_reload();
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
  ASSERT_OK(system(cmd));
  return 0;
}
