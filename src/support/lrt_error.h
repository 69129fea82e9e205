/* lrt_error: raising typed errors from C into Lua.
 *
 * The runtime's own failures inside an invocation (a bad Kafka event, a value
 * JSON cannot hold, a timeout) are raised as a table { type = ..., message =
 * ...} so the host's message handler turns them into Lambda's error shape with
 * the right errorType, exactly as a handler's error({type=..., message=...})
 * is. Knows only Lua. */
#ifndef LRT_ERROR_H
#define LRT_ERROR_H

#include <lua.h>

/* Raise { type = type, message = <formatted> }. The format follows
 * lua_pushfstring (%s %d %I %f %p %c %%): event bytes may only be passed as
 * arguments, never as 'fmt'. Stack effect: [-0, +0, v] (never returns). */
int lrt_error_raise(lua_State *L, const char *type, const char *fmt, ...);

#endif
