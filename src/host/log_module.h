/* log_module: the `log` Lua module and the handler-facing print().
 *
 * log.trace/debug/info/warn/error/fatal(msg, fields?) write one record through
 * log.c with the handler's fields; print() is replaced so its line also goes
 * through log.c (to stdout, level INFO), which makes AWS_LAMBDA_LOG_FORMAT=JSON
 * cover it. Knows Lua and log.c; nothing of HTTP or Kafka. */
#ifndef LRT_LOG_MODULE_H
#define LRT_LOG_MODULE_H

#include <lua.h>

/* The `log` module. Stack effect: [-0, +1, m]. */
int luaopen_log(lua_State *L);

/* Replace the global print with one that writes through log.c.
 * Stack effect: [-0, +0, m]. */
void log_module_install_print(lua_State *L);

/* Push the text of the value at 'idx' as tostring() gives it, except that
 * a float (without a __tostring of its own) is written in the "C" locale,
 * whatever os.setlocale() a handler called: for log lines, print and error
 * messages. Returns the text. Stack effect: [-0, +1, e]. */
const char *log_module_tostring(lua_State *L, int idx, size_t *len);

#endif
