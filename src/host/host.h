/* host: the Lua side of the runtime, one lua_State for the process.
 *
 * Creates the state (with a capped allocator), sets the module search path of
 * the contract, preloads `router`, `json` and `log`, loads the handler module
 * once, and runs each invocation: decode the event (Kafka or plain JSON), call
 * the routed handler with (event, context), encode the result. Every entry
 * into Lua is one protected call with a traceback message handler; handler
 * failures come back as Lambda's error body, never as a crash.
 *
 * With hot reload on, host_reload_if_changed() rebuilds the state from
 * changed scripts and keeps the old one when the new scripts fail to load.
 *
 * Knows Lua, cJSON (through json_lua/event_kafka) and buf; nothing of HTTP. */
#ifndef LRT_HOST_H
#define LRT_HOST_H

#include <stddef.h>

#include <lua.h>

#include "buf.h"
#include "context.h"

/* Lambda refuses response bodies above 6 MiB + 100 bytes. */
#define LUA_HOST_MAX_RESPONSE 6291556u

struct host;

struct host_config {
  const char *task_root;       /* where handler modules live */
  const char *runtime_lua_dir; /* the runtime's own lua/ folder, or NULL */
  const char *handler;         /* module name, or module.function */
  size_t memory_limit;         /* cap on Lua's heap in bytes; 0: none */
  int hot_reload;              /* track loaded files for reload */
  int deadline_guard;          /* interrupt handlers near the deadline */
};

/* The outcome of init or of an invocation. On error, 'body' holds
 * {"errorMessage","errorType","stackTrace"} and 'error_type' the errorType. */
struct host_result {
  struct buf body;
  char error_type[128];
  int is_error;
};

void host_result_init(struct host_result *r);
void host_result_free(struct host_result *r);

/* Create the host and load the handler. Returns 0 and sets *out, or returns
 * -1 with an init error in 'res' (errorType Runtime.ImportModuleError,
 * Runtime.UserCodeSyntaxError, Runtime.HandlerNotFound, ...). */
int host_new(struct host **out, const struct host_config *cfg,
             struct host_result *res) __attribute__((warn_unused_result));

/* Run one invocation on the event bytes. Returns 0; 'res' holds the response
 * JSON or (is_error) the error body. Never raises, never exits. */
int host_invoke(struct host *h, const char *event, size_t len,
                const struct host_context *ctx, struct host_result *res);

/* Between invocations (after the response is posted): reclaim a big
 * event's garbage at once, so it neither lingers in RSS nor slows the next
 * invocation. Cheap when the last invocation was small. */
void host_collect(struct host *h);

/* With hot reload: when a loaded script changed, build a new host from the
 * current files and swap it in. Returns 1 when swapped, 0 when nothing
 * changed (or hot reload is off), -1 when the new scripts failed to load (the
 * error is logged; *h is still the previous, working host). */
int host_reload_if_changed(struct host **h);

void host_destroy(struct host *h);

/* For modules that load files at init (kafka schemas): watch 'path' for hot
 * reload like a loaded script. Stack effect: [-0, +0, m]. */
void host_track_file(lua_State *L, const char *path);

/* The task root of the host running 'L', or NULL outside one.
 * Stack effect: [-0, +0, -]. */
const char *host_task_root(lua_State *L);

#endif
