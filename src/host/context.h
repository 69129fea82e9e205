/* context: the `context` table every handler gets.
 *
 * Per invocation only the request's own fields are built (request id,
 * deadline, function ARN, the decoded identity and client context); what is
 * the same for the whole process (function name, version, memory, log names)
 * and get_remaining_time_in_millis() live in one shared metatable, read from
 * the environment once. Knows Lua and json_lua; nothing of HTTP. */
#ifndef LRT_CONTEXT_H
#define LRT_CONTEXT_H

#include <lua.h>

/* Per-invocation facts from the Runtime API (or synthesised locally). Strings
 * may be NULL when the platform did not send them. */
struct host_context {
  const char *request_id;
  long long deadline_ms; /* epoch ms; 0 when unknown */
  const char *invoked_function_arn;
  const char *trace_id;
  const char *client_context;   /* JSON text */
  const char *cognito_identity; /* JSON text */
};

/* Push the context table for 'ctx'. Header JSON that does not parse is left
 * out. Stack effect: [-0, +1, e]. */
void context_push(lua_State *L, const struct host_context *ctx);

#endif
