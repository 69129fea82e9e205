/* log_module: the `log` module and the handler's print(). See log_module.h.
 *
 * log.<level>(msg, fields?) checks the level first, so a disabled level
 * costs one comparison and never formats its arguments. The message is
 * converted as tostring() would (__tostring, __name); fields, a table, is
 * encoded with json_lua_encode: a value JSON cannot hold raises a
 * {type = "Runtime.InvalidLogFields"} error naming the path.
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
#include "json_text.h"
#include "log.h"

/* Largest encoded fields object accepted per record. */
#define LUA_LOG_MAX_FIELDS ((size_t)64 * 1024)

/* Reused between records, so logging with fields does not allocate each
 * time. json_lua_encode appends nothing on failure, so a raise leaves it
 * holding only memory that the next record reuses. */
static struct buf lua_log_fields = {NULL, 0, 0, LUA_LOG_MAX_FIELDS, 0};

const char *log_module_tostring(lua_State *L, int idx, size_t *len)
{
  if (lua_type(L, idx) == LUA_TNUMBER && !lua_isinteger(L, idx) &&
      !luaL_getmetafield(L, idx, "__tostring")) {
    char text[64];
    json_text_format_lua((double)lua_tonumber(L, idx), text, sizeof text);
    lua_pushstring(L, text);
    return lua_tolstring(L, -1, len);
  }
  if (lua_type(L, idx) == LUA_TNUMBER && !lua_isinteger(L, idx))
    lua_pop(L, 1); /* the __tostring field: luaL_tolstring calls it */
  return luaL_tolstring(L, idx, len);
}

static int log_record(lua_State *L, enum log_level level, const char *what)
{
  /* The argument is checked whatever the level: a wrong call must fail at
   * INFO as it does at DEBUG, not only once the level is lowered. */
  if (!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  if (!log_enabled(level))
    return 0;
  size_t len = 0;
  const char *msg = "";
  int has_msg = !lua_isnone(L, 1);
  lua_settop(L, 2); /* msg fields */
  if (has_msg)
    msg = log_module_tostring(L, 1, &len); /* pushed at 3; kept until the end */
  const char *fields = NULL;
  if (!lua_isnoneornil(L, 2)) {
    buf_reset(&lua_log_fields);
    json_lua_encode(L, 2, &lua_log_fields, ERROR_TYPE_INVALID_LOG_FIELDS, what);
    fields = buf_cstr(&lua_log_fields);
  }
  /* stdout like print: Lambda takes both streams, and handler lines stay
   * apart from the runtime's own on stderr. */
  log_emit(stdout, level, msg, len, fields);
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
