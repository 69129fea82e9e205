/* host: the Lua side of the runtime, one lua_State for the process.
 *
 * Creates the state (with a capped allocator), has the loader (loader.h) set
 * the module search path of the contract and load the handler, preloads
 * `router`, `json` and `log`, and runs each invocation: push the event, call
 * the routed handler with (event, context), encode the result. Every entry
 * into Lua is one protected call with a traceback message handler; handler
 * failures come back as Lambda's error body, never as a crash.
 *
 * With hot reload on, host_reload_if_changed() asks the host's script watch
 * (script_watch.h) whether a loaded file changed, builds a new state from
 * the current files under the deadline guard, and keeps the old one when the
 * new scripts fail to load.
 *
 * Knows Lua, cJSON (through json_lua/event_kafka) and buf; nothing of HTTP. */
#ifndef LRT_HOST_H
#define LRT_HOST_H

#include <stddef.h>

#include <lua.h>

#include "buf.h"
#include "context.h"
#include "script_watch.h"

/* Lambda refuses response bodies above 6 MiB + 100 bytes. */
#define HOST_MAX_RESPONSE 6291556u

struct host;

struct host_config {
  const char *task_root;       /* where handler modules live */
  const char *runtime_lua_dir; /* the runtime's own lua/ folder, or NULL */
  const char *handler;         /* module name, or module.function */
  size_t memory_limit;         /* cap on Lua's heap in bytes; 0: none */
  int hot_reload;              /* watch loaded files for reload */
  /* With --watch: the files the loader finds go into this watch, owned by
   * the caller (who must keep it past host_destroy); NULL otherwise. */
  struct script_watch *watch;
  int deadline_guard; /* interrupt handlers near the deadline */
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

/* Run one invocation on the event bytes: 'res' holds the response JSON or
 * (is_error) the error body. Never raises, never exits. */
void host_invoke(struct host *h, const char *event, size_t len,
                 const struct host_context *ctx, struct host_result *res);

/* Between invocations (after the response is posted): reclaim a big
 * event's garbage at once, so it neither lingers in RSS nor slows the next
 * invocation. Cheap when the last invocation was small. */
void host_collect(struct host *h);

/* With hot reload: when a watched file changed, build a new host from the
 * current files and swap it in. The new scripts' top level runs under the
 * deadline guard (with deadline_guard) for invocation 'request_id', until
 * 'deadline_ms' (epoch ms; 0: unknown) or 10 s from now, whichever comes
 * first. Returns 1 when swapped, 0 when nothing changed (or hot reload is
 * off), -1 when the new scripts failed to load (the error is logged; *h is
 * still the previous, working host, and the watch now also holds every file
 * the attempt loaded). */
int host_reload_if_changed(struct host **h, long long deadline_ms,
                           const char *request_id);

void host_destroy(struct host *h);

#endif
