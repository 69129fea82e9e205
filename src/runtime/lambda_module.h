/* lambda_module: the `lambda` module of `bootstrap --exec`, for testing
 * handlers in Lua (busted specs and plain scripts).
 *
 * lambda.invoke(handler, event [, opts]) builds a fresh host (host_new:
 * the handler module loaded in a new state, exactly as at a cold start),
 * runs one invocation through host_invoke (the same decoding, routing,
 * memory cap, deadline guard, response limits and error shaping as in
 * Lambda; metrics are flushed as in Lambda too) and destroys the host.
 * Returns true, response (the response JSON decoded with the json module) or
 * false, error (the error object {errorMessage, errorType, stackTrace}); an
 * init error (missing module, syntax error, no route) is such an error too.
 * A third value, output, holds what the call wrote to stdout: output.stdout
 * (the text: print and log records, io.write) and output.metrics (the EMF
 * records of the metrics module, decoded). That text is also copied to
 * stderr, so a test run shows it while stdout stays the runner's.
 *
 *   event         a JSON text, or a table encoded with json.encode first
 *   opts.root     the task root (default "."): the handler is resolved
 *                 against it the way `require` resolves modules
 *   opts.env      { NAME = "value" | number | false } environment variables
 *                 for the call (false unsets), restored afterwards
 *   opts.context  overrides of context fields: aws_request_id, deadline_ms,
 *                 invoked_function_arn, identity and client_context (tables
 *                 or JSON text), and function_name, function_version,
 *                 memory_limit_in_mb, log_group_name, log_stream_name (set
 *                 through their AWS_LAMBDA_* variables for the call). Any
 *                 other field is an error.
 *
 * Unset, AWS_LAMBDA_FUNCTION_NAME and friends get local invoke's defaults
 * for the call. Misuse (wrong argument types, an unknown context field, an
 * event that does not encode) raises; what the handler does never raises
 * here. Knows Lua, host and log; nothing of HTTP. */
#ifndef LRT_LAMBDA_MODULE_H
#define LRT_LAMBDA_MODULE_H

#include <lua.h>

/* The `lambda` module. Upvalue 1: the runtime's lua/ folder (a string, ""
 * when unknown), handed to the hosts it builds. Stack effect: [-0, +1, m]. */
int luaopen_lambda(lua_State *L);

#endif
