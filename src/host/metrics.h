/* metrics: the end-of-invocation flush of the `metrics` module.
 *
 * The module itself is Lua (lua/metrics.lua: metrics.add, .dimension,
 * .property, validation, EMF records). After every invocation, failed ones
 * too, host calls metrics_flush() through its protected call: when the
 * handler loaded the module, its records are written to stdout, one JSON
 * line each (CloudWatch Logs reads EMF from the function's output; in local
 * invoke and lambda.invoke stdout is pointed at stderr, so the response
 * stays alone). A state that never required `metrics` costs one table
 * lookup. Knows Lua and stdio; nothing of HTTP. */
#ifndef LRT_METRICS_H
#define LRT_METRICS_H

#include <lua.h>

/* A lua_CFunction for host_pcall (its light userdata argument is unused):
 * calls package.loaded.metrics._flush(now_ms) and writes each returned
 * record on stdout. Stack effect: [-0, +0, e]. */
int metrics_flush(lua_State *L);

#endif
