/* lambda_module: lambda.invoke for handler tests. See lambda_module.h.
 *
 * Memory: the only C-owned memory is the host (built, invoked and destroyed
 * with no Lua call in between, so nothing can raise while it lives) and the
 * result buffer, which lives in a userdata whose __gc frees it, so a raise
 * while the answer is decoded cannot leak it. Every string handed to the
 * host (handler, root, context fields) is a Lua string kept on the stack for
 * the whole call. Environment changes are applied only after every argument
 * has been checked and every old value saved, and are undone before
 * anything can raise again. */
#include "lambda_module.h"

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "host.h"
#include "json_lua.h"
#include "local_invoke.h"
#include "log.h"
#include "runtime_loop.h"

#define LAMBDA_RESULT_MT "lrt.InvokeResult"
#define LAMBDA_CAPTURE_MT "lrt.InvokeCapture"
/* Local invoke's deadline: far enough for a debugger, still finite. */
#define LAMBDA_TIMEOUT_MS (300LL * 1000)

/* Stack slots of lambda_invoke, in the order they are pushed. */
enum {
  ARG_HANDLER = 1,
  ARG_EVENT,
  ARG_OPTS,
  SLOT_JSON,   /* the json module (upvalue 2) */
  SLOT_BODY,   /* the event's JSON text */
  SLOT_VARS,   /* name -> value | false: the environment for the call */
  SLOT_SAVED,  /* name -> value | false: the environment before it */
  SLOT_CTX,    /* context strings kept alive: request id, arn, identity... */
  SLOT_RESULT, /* the result userdata */
  SLOT_LOGID,  /* the log request id to restore, or nil */
  SLOT_CAPTURE /* the capture userdata: the handler's stdout, in a file */
};

static const struct {
  const char *field, *env;
} LAMBDA_CONTEXT_ENV[] = {
    {"function_name", "AWS_LAMBDA_FUNCTION_NAME"},
    {"function_version", "AWS_LAMBDA_FUNCTION_VERSION"},
    {"memory_limit_in_mb", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"},
    {"log_group_name", "AWS_LAMBDA_LOG_GROUP_NAME"},
    {"log_stream_name", "AWS_LAMBDA_LOG_STREAM_NAME"},
};

/* What local invoke sets when the environment does not. */
static const struct {
  const char *env, *value;
} LAMBDA_DEFAULT_ENV[] = {
    {"AWS_LAMBDA_FUNCTION_NAME", "local-function"},
    {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
    {"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local-function"},
    {"AWS_LAMBDA_LOG_STREAM_NAME", "local"},
};

/* The handler's stdout goes to a temporary file for the call, owned by a
 * userdata so that a raise while it is read cannot leak it. */
struct capture {
  FILE *f;
};

static int capture_gc(lua_State *L)
{
  struct capture *c = luaL_checkudata(L, 1, LAMBDA_CAPTURE_MT);
  if (c->f)
    fclose(c->f);
  c->f = NULL;
  return 0;
}

static int result_gc(lua_State *L)
{
  struct host_result *res = luaL_checkudata(L, 1, LAMBDA_RESULT_MT);
  host_result_free(res);
  host_result_init(res); /* a second __gc frees nothing */
  return 0;
}

/* json.encode(value) or json.decode(text) of the module at SLOT_JSON.
 * Stack effect: [-0, +1, e]. */
static void json_call(lua_State *L, const char *fn, int idx)
{
  idx = lua_absindex(L, idx);
  lua_getfield(L, SLOT_JSON, fn);
  lua_pushvalue(L, idx);
  lua_call(L, 1, 1);
}

/* vars[name] = the value at idx as the environment will hold it: a string,
 * a number as text, or false to unset. Stack effect: [-0, +0, e]. */
static void set_var(lua_State *L, const char *name, int idx, const char *what)
{
  idx = lua_absindex(L, idx);
  int t = lua_type(L, idx);
  if (t == LUA_TSTRING) {
    size_t len = 0;
    const char *v = lua_tolstring(L, idx, &len);
    if (strlen(v) != len)
      luaL_error(L,
                 "lambda.invoke: %s holds a NUL byte, which an environment "
                 "variable cannot",
                 what);
  }
  if (t == LUA_TSTRING || t == LUA_TNUMBER)
    lua_pushstring(L, lua_tostring(L, idx));
  else if (t == LUA_TBOOLEAN && !lua_toboolean(L, idx))
    lua_pushboolean(L, 0);
  else
    luaL_error(L,
               "lambda.invoke: %s must be a string, a number or false, "
               "not %s",
               what, luaL_typename(L, idx));
  lua_setfield(L, SLOT_VARS, name);
}

/* A context string field (string, or a table for identity/client_context,
 * encoded as JSON), kept alive in SLOT_CTX; NULL when absent. */
static const char *context_text(lua_State *L, const char *field, int json)
{
  const char *s = NULL;
  lua_getfield(L, -1, field); /* stack: ... context value */
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return NULL;
  }
  if (json && lua_istable(L, -1))
    json_call(L, "encode", -1);
  else
    lua_pushvalue(L, -1);
  if (lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "lambda.invoke: opts.context.%s must be a string, not %s",
               field, luaL_typename(L, -2));
  s = lua_tostring(L, -1);
  lua_setfield(L, SLOT_CTX, field); /* keeps the string alive */
  lua_pop(L, 1);                    /* the value */
  return s;
}

/* Check opts.context: fill 'ctx' and put the process-wide fields in vars.
 * Stack effect: [-0, +0, e]. */
static void read_context(lua_State *L, struct host_context *ctx)
{
  lua_getfield(L, ARG_OPTS, "context");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  luaL_argexpected(L, lua_istable(L, -1), ARG_OPTS, "opts.context a table");
  lua_pushnil(L);
  while (lua_next(L, -2)) { /* stack: ... context key value */
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
    int known =
        strcmp(key, "aws_request_id") == 0 || strcmp(key, "deadline_ms") == 0 ||
        strcmp(key, "invoked_function_arn") == 0 ||
        strcmp(key, "identity") == 0 || strcmp(key, "client_context") == 0;
    for (size_t i = 0; !known && i < sizeof(LAMBDA_CONTEXT_ENV) /
                                         sizeof(LAMBDA_CONTEXT_ENV[0]);
         i++) {
      if (strcmp(key, LAMBDA_CONTEXT_ENV[i].field) == 0) {
        set_var(L, LAMBDA_CONTEXT_ENV[i].env, -1, key);
        known = 1;
      }
    }
    if (!known)
      luaL_error(L, "lambda.invoke: unknown context field '%s'",
                 *key ? key : luaL_typename(L, -2));
    lua_pop(L, 1); /* value */
  }
  const char *id = context_text(L, "aws_request_id", 0);
  if (id)
    ctx->request_id = id;
  const char *arn = context_text(L, "invoked_function_arn", 0);
  if (arn)
    ctx->invoked_function_arn = arn;
  ctx->cognito_identity = context_text(L, "identity", 1);
  ctx->client_context = context_text(L, "client_context", 1);
  lua_getfield(L, -1, "deadline_ms");
  if (!lua_isnil(L, -1)) {
    int ok = 0;
    lua_Integer d = lua_tointegerx(L, -1, &ok);
    if (!ok)
      luaL_error(L, "lambda.invoke: opts.context.deadline_ms must be an "
                    "integer (epoch milliseconds)");
    ctx->deadline_ms = (long long)d;
  }
  lua_pop(L, 2); /* deadline_ms, context */
}

/* Apply (or, with 'from' SLOT_SAVED, undo) the environment: every name of
 * the table at 'from' set to its string or unset for false. Raises
 * nothing: the tables hold only string keys and string/false values. */
static void apply_env(lua_State *L, int from)
{
  lua_pushnil(L);
  while (lua_next(L, from)) {
    const char *name = lua_tostring(L, -2);
    if (lua_type(L, -1) == LUA_TSTRING)
      setenv(name, lua_tostring(L, -1), 1);
    else
      unsetenv(name);
    lua_pop(L, 1); /* value */
  }
}

/* Push the captured text, in full, as a string; echo it on stderr.
 * Stack effect: [-0, +1, m]. */
static void push_captured(lua_State *L, struct capture *cap)
{
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (cap->f && fflush(cap->f) == 0 && fseek(cap->f, 0, SEEK_SET) == 0) {
    size_t n;
    do {
      char *p = luaL_prepbuffer(&b);
      n = fread(p, 1, LUAL_BUFFERSIZE, cap->f);
      luaL_addsize(&b, n);
    } while (n == LUAL_BUFFERSIZE);
  }
  luaL_pushresult(&b);
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  fwrite(text, 1, len, stderr);
  fflush(stderr);
}

/* The third result: { stdout = text, metrics = { record, ... } }, the EMF
 * records (lines of the text that are JSON objects with an _aws member)
 * decoded. Stack effect: [-0, +1, e]. */
static void push_output(lua_State *L, struct capture *cap)
{
  lua_createtable(L, 0, 2);
  push_captured(L, cap);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "stdout"); /* stack: output text */
  lua_newtable(L);               /* stack: output text metrics */
  size_t len;
  const char *text = lua_tolstring(L, -2, &len);
  const char *end = text + len;
  lua_Integer n = 0;
  for (const char *line = text; line < end;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    size_t line_len = nl ? (size_t)(nl - line) : (size_t)(end - line);
    if (line_len && line[0] == '{') {
      /* Only a valid JSON object with _aws is a record; a probe parse
       * (freed at once) keeps the decode below from raising on a line the
       * handler wrote itself. */
      cJSON *probe = cJSON_ParseWithLength(line, line_len);
      int is_record = cJSON_IsObject(probe) &&
                      cJSON_GetObjectItemCaseSensitive(probe, "_aws");
      cJSON_Delete(probe);
      if (is_record) {
        lua_pushlstring(L, line, line_len);
        json_call(L, "decode", -1);
        lua_rawseti(L, -3, ++n);
        lua_pop(L, 1); /* the line */
      }
    }
    line += line_len + 1;
  }
  lua_setfield(L, -3, "metrics");
  lua_pop(L, 1); /* text */
}

static int lambda_invoke(lua_State *L)
{
  const char *handler = luaL_checkstring(L, ARG_HANDLER);
  luaL_checkany(L, ARG_EVENT);
  if (!lua_isnoneornil(L, ARG_OPTS))
    luaL_checktype(L, ARG_OPTS, LUA_TTABLE);
  lua_settop(L, ARG_OPTS);
  if (lua_isnil(L, ARG_OPTS)) {
    lua_newtable(L);
    lua_replace(L, ARG_OPTS);
  }
  lua_pushvalue(L, lua_upvalueindex(2)); /* SLOT_JSON */
  if (lua_type(L, ARG_EVENT) == LUA_TSTRING)
    lua_pushvalue(L, ARG_EVENT);
  else if (lua_istable(L, ARG_EVENT))
    json_call(L, "encode", ARG_EVENT);
  else
    return luaL_typeerror(L, ARG_EVENT, "JSON text or table");
  lua_newtable(L); /* SLOT_VARS */
  lua_newtable(L); /* SLOT_SAVED */
  lua_newtable(L); /* SLOT_CTX */

  /* The task root: opts.root, made absolute as main.c does. */
  lua_getfield(L, ARG_OPTS, "root");
  const char *root = lua_isnil(L, -1) ? "." : lua_tostring(L, -1);
  if (!root)
    return luaL_error(L, "lambda.invoke: opts.root must be a string");
  char root_abs[PATH_MAX];
  struct stat st;
  if (!realpath(root, root_abs) || stat(root_abs, &st) != 0 ||
      !S_ISDIR(st.st_mode))
    return luaL_error(L, "lambda.invoke: task root %s is not a directory",
                      root);
  lua_pop(L, 1); /* root */

  for (size_t i = 0;
       i < sizeof(LAMBDA_DEFAULT_ENV) / sizeof(LAMBDA_DEFAULT_ENV[0]); i++) {
    if (!getenv(LAMBDA_DEFAULT_ENV[i].env)) {
      lua_pushstring(L, LAMBDA_DEFAULT_ENV[i].value);
      lua_setfield(L, SLOT_VARS, LAMBDA_DEFAULT_ENV[i].env);
    }
  }
  lua_getfield(L, ARG_OPTS, "env");
  if (!lua_isnil(L, -1)) {
    luaL_argexpected(L, lua_istable(L, -1), ARG_OPTS, "opts.env a table");
    lua_pushnil(L);
    while (lua_next(L, -2)) { /* stack: ... env name value */
      if (lua_type(L, -2) != LUA_TSTRING || !*lua_tostring(L, -2) ||
          strchr(lua_tostring(L, -2), '=') ||
          strlen(lua_tostring(L, -2)) != lua_rawlen(L, -2))
        return luaL_error(L, "lambda.invoke: opts.env names must be "
                             "non-empty strings without '='");
      set_var(L, lua_tostring(L, -2), -1, "an opts.env value");
      lua_pop(L, 1); /* value */
    }
  }
  lua_pop(L, 1); /* env */

  char request_id[37];
  local_invoke_request_id(request_id);
  struct host_context ctx = {.request_id = request_id};
  read_context(L, &ctx);
  if (!ctx.deadline_ms)
    ctx.deadline_ms = clock_now_ms() + LAMBDA_TIMEOUT_MS;

  /* Save what the call changes. */
  lua_pushnil(L);
  while (lua_next(L, SLOT_VARS)) {
    const char *old = getenv(lua_tostring(L, -2));
    lua_pop(L, 1); /* value */
    lua_pushvalue(L, -1);
    if (old)
      lua_pushstring(L, old);
    else
      lua_pushboolean(L, 0);
    lua_rawset(L, SLOT_SAVED);
  }

  struct host_result *res = lua_newuserdatauv(L, sizeof(*res), 0);
  memset(res, 0, sizeof(*res));
  if (luaL_newmetatable(L, LAMBDA_RESULT_MT)) {
    lua_pushcfunction(L, result_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2); /* SLOT_RESULT */
  host_result_init(res);
  const char *log_id = log_get_request_id();
  if (log_id)
    lua_pushstring(L, log_id); /* SLOT_LOGID */
  else
    lua_pushnil(L);
  struct capture *cap = lua_newuserdatauv(L, sizeof(*cap), 0);
  cap->f = NULL;
  if (luaL_newmetatable(L, LAMBDA_CAPTURE_MT)) {
    lua_pushcfunction(L, capture_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2); /* SLOT_CAPTURE */
  cap->f = tmpfile();

  /* From here to the restore, nothing raises. The ARN needs the function
   * name of the call's environment, so it is built after applying it. */
  apply_env(L, SLOT_VARS);
  char arn[256];
  if (!ctx.invoked_function_arn) {
    const char *region = getenv("AWS_REGION");
    const char *name = getenv("AWS_LAMBDA_FUNCTION_NAME");
    snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:000000000000:function:%s",
             region ? region : "us-east-1", name ? name : "local-function");
    ctx.invoked_function_arn = arn;
  }
  const char *mem = getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
  const char *lua_dir = lua_tostring(L, lua_upvalueindex(1));
  struct host_config cfg = {
      .task_root = root_abs,
      .runtime_lua_dir = lua_dir && *lua_dir ? lua_dir : NULL,
      .handler = handler,
      .memory_limit = runtime_loop_memory_limit(mem),
      .hot_reload = 0,
      .deadline_guard = 1,
  };
  struct host *host = NULL;
  size_t body_len = 0;
  const char *body = lua_tolstring(L, SLOT_BODY, &body_len);
  /* The handler's stdout (print, log, metrics) is captured, then shown on
   * stderr: stdout stays the test runner's (busted's report). */
  int stdout_fd =
      local_invoke_divert_stdout(cap->f ? fileno(cap->f) : STDERR_FILENO);
  if (host_new(&host, &cfg, res) == 0) {
    log_set_request_id(ctx.request_id);
    host_invoke(host, body, body_len, &ctx, res);
    host_destroy(host);
  }
  local_invoke_restore_stdout(stdout_fd);
  log_set_request_id(lua_tostring(L, SLOT_LOGID));
  apply_env(L, SLOT_SAVED);

  lua_pushboolean(L, !res->is_error);
  if (res->body.len)
    lua_pushlstring(L, res->body.data, res->body.len);
  else
    lua_pushliteral(L, "null");
  json_call(L, "decode", -1);
  lua_remove(L, -2); /* the JSON text */
  push_output(L, cap);
  return 3;
}

static const luaL_Reg lambda_funcs[] = {{"invoke", lambda_invoke},
                                        {NULL, NULL}};

int luaopen_lambda(lua_State *L)
{
  luaL_newlibtable(L, lambda_funcs);
  lua_pushvalue(L, lua_upvalueindex(1)); /* the lua/ folder */
  luaL_requiref(L, "json", luaopen_json, 0);
  luaL_setfuncs(L, lambda_funcs, 2);
  return 1;
}
