/* log_module: the `log` module and the handler's print(). See log_module.h.
 *
 * log.<level>(msg, fields?) checks the level first, so a disabled level
 * costs one comparison and never formats its arguments. The message is
 * converted as tostring() would (__tostring, __name); fields, a table, is
 * written by the encoder straight into log.c's line (json_lua_encode_members
 * with log_fields_key: no text is parsed back), inside a protected call of
 * its own so that a failing encoding drops the line before its error goes
 * on: a value JSON cannot hold raises a {type = ERROR_TYPE_INVALID_LOG_FIELDS}
 * error naming the path.
 *
 * print() writes the tab-joined tostring() of its arguments to stdout as one
 * INFO record through log_emit, like Lambda's console.log: in TEXT format
 * "<timestamp>\t<request id>\tINFO\t<text>" with newlines kept inside the
 * one record, in JSON format one object; dropped when AWS_LAMBDA_LOG_LEVEL is
 * above INFO. Each line is one write followed by a flush: stdout may be a
 * pipe that Lambda or a test reads while the process runs. */
#include "log_module.h"

#include <lauxlib.h>
#include <stdio.h>

#include "buf.h"
#include "error_types.h"
#include "json_lua.h"
#include "log.h"
#include "number_text.h"

/* Largest fields text accepted per record. */
#define LOG_MODULE_MAX_FIELDS ((size_t)64 * 1024)

/* One record with fields, between log_record and its protected body. */
struct fields_record {
  enum log_level level;
  const char *msg; /* anchored on log_record's stack */
  size_t len;
  const char *what;
  struct buf text; /* the fallback's text; freed by log_record */
  int opened;      /* this record holds log.c's line */
};

const char *log_module_tostring(lua_State *L, int idx, size_t *len)
{
  if (lua_type(L, idx) == LUA_TNUMBER && !lua_isinteger(L, idx) &&
      !luaL_getmetafield(L, idx, "__tostring")) {
    char text[NUMBER_TEXT_MAX];
    number_text_lua((double)lua_tonumber(L, idx), text, sizeof text);
    lua_pushstring(L, text);
    return lua_tolstring(L, -1, len);
  }
  if (lua_type(L, idx) == LUA_TNUMBER && !lua_isinteger(L, idx))
    lua_pop(L, 1); /* the __tostring field: luaL_tolstring calls it */
  return luaL_tolstring(L, idx, len);
}

/* json_lua_key_writer for log.c's line. */
static int write_key(struct buf *out, const char *key, size_t n, void *ud)
{
  (void)ud;
  return log_fields_key(out, key, n);
}

/* Protected body of a record with fields: [rec, fields] -> nothing. The
 * encoder writes the members straight into log.c's line; a table that is
 * no object (an array), or a record logged from a __gc finalizer inside
 * another's encoding, goes as text through log_emit instead. */
static int fields_body(lua_State *L)
{
  struct fields_record *r = lua_touserdata(L, 1);
  struct buf *line =
      log_fields_begin(r->level, r->msg, r->len, LOG_MODULE_MAX_FIELDS);
  if (line) {
    r->opened = 1;
    if (json_lua_encode_members(L, 2, line, ERROR_TYPE_INVALID_LOG_FIELDS,
                                r->what, write_key, NULL)) {
      r->opened = 0;
      log_fields_end(line, stdout);
      return 0;
    }
    r->opened = 0;
    log_fields_abandon();
  }
  json_lua_encode(L, 2, &r->text, ERROR_TYPE_INVALID_LOG_FIELDS, r->what);
  log_emit(stdout, r->level, r->msg, r->len, buf_cstr(&r->text));
  return 0;
}

static int log_record(lua_State *L, enum log_level level, const char *what)
{
  /* The argument is checked whatever the level: a wrong call must fail at
   * INFO as it does at DEBUG, not only once the level is lowered. */
  if (!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  if (!log_enabled(level))
    return 0;
  struct fields_record r = {level, "", 0, what, {0}, 0};
  int has_msg = !lua_isnone(L, 1);
  lua_settop(L, 2); /* msg fields */
  if (has_msg)
    r.msg = log_module_tostring(L, 1, &r.len); /* at 3; kept to the end */
  /* stdout like print: Lambda takes both streams, and handler lines stay
   * apart from the runtime's own on stderr. */
  if (lua_isnil(L, 2)) {
    log_emit(stdout, level, r.msg, r.len, NULL);
    return 0;
  }
  buf_init(&r.text, LOG_MODULE_MAX_FIELDS);
  lua_pushcfunction(L, fields_body);
  lua_pushlightuserdata(L, &r);
  lua_pushvalue(L, 2);
  int status = lua_pcall(L, 2, 0, 0);
  /* Nothing of ours outlives an error: the line is dropped, the text
   * freed, then the error (a typed one from the encoder) goes on. */
  if (r.opened)
    log_fields_abandon();
  buf_free(&r.text);
  if (status != LUA_OK)
    return lua_error(L);
  return 0;
}

static int log_trace(lua_State *L)
{
  return log_record(L, LOG_TRACE, "log.trace");
}

static int log_debug(lua_State *L)
{
  return log_record(L, LOG_DEBUG, "log.debug");
}

static int log_info(lua_State *L)
{
  return log_record(L, LOG_INFO, "log.info");
}

static int log_warn(lua_State *L)
{
  return log_record(L, LOG_WARN, "log.warn");
}

static int log_error(lua_State *L)
{
  return log_record(L, LOG_ERROR, "log.error");
}

static int log_fatal(lua_State *L)
{
  return log_record(L, LOG_FATAL, "log.fatal");
}

/* log.level(): the lowest level written, as a name ("INFO"). */
static int log_level(lua_State *L)
{
  enum log_level l = LOG_TRACE;
  while (l < LOG_FATAL && !log_enabled(l))
    l++;
  lua_pushstring(L, log_level_name(l));
  return 1;
}

/* log.enabled(name): whether a record at that level would be written. */
static int log_is_enabled(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  int l = log_level_parse(name);
  luaL_argcheck(L, l >= 0, 1, "unknown log level");
  lua_pushboolean(L, log_enabled((enum log_level)l));
  return 1;
}

/* log.format(): "TEXT" or "JSON". */
static int log_format_name(lua_State *L)
{
  lua_pushstring(L, log_get_format() == LOG_FORMAT_JSON ? "JSON" : "TEXT");
  return 1;
}

static const luaL_Reg log_funcs[] = {
    {"trace", log_trace},        {"debug", log_debug},
    {"info", log_info},          {"warn", log_warn},
    {"error", log_error},        {"fatal", log_fatal},
    {"level", log_level},        {"enabled", log_is_enabled},
    {"format", log_format_name}, {NULL, NULL}};

int luaopen_log(lua_State *L)
{
  luaL_newlib(L, log_funcs);
  /* log.levels: the names in order, lowest first */
  lua_createtable(L, LOG_FATAL + 1, 0);
  for (int i = LOG_TRACE; i <= LOG_FATAL; i++) {
    lua_pushstring(L, log_level_name((enum log_level)i));
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "levels");
  return 1;
}

static int log_print(lua_State *L)
{
  if (!log_enabled(LOG_INFO))
    return 0;
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1)
      luaL_addchar(&b, '\t');
    /* pushes the text; luaL_addvalue pops it into the buffer */
    log_module_tostring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len;
  const char *line = lua_tolstring(L, -1, &len);
  log_emit(stdout, LOG_INFO, line, len, NULL);
  return 0;
}

void log_module_install_print(lua_State *L)
{
  lua_pushcfunction(L, log_print);
  lua_setglobal(L, "print");
}
