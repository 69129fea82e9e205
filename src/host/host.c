/* host: one lua_State for the process and every call into it.
 *
 * Init (host_new) and each invocation (host_invoke) enter Lua exactly
 * once, through host_pcall(), which puts msghandler() under the function:
 * whatever a handler raises (a string, a {type, message} table, nil, a
 * number, userdata) comes back as one normalised table { type, message,
 * traceback } that error_body.c turns into Lambda's error shape.
 *
 * C-owned memory never lives across a raise: inside the protected call,
 * the event is decoded by event_decode (its tree, if any, in the host's
 * decoder arena, charged to the memory budget), released by
 * event_decode_end() after lua_pcall returns on both paths. Buffers
 * (scratch, response) belong to the long-lived host or caller.
 *
 * Around each invocation it arms the deadline guard (deadline.c) for the one
 * protected call, lets collector.c pause and restart the collector, flushes
 * the invocation's metrics (metrics.c) and refuses a response over Lambda's
 * limit. Loading is loader.c's, change detection script_watch.c's; a reload
 * is a new host built under the deadline guard, swapped in or dropped.
 *
 * Collaborators: loader (search path, handler), router (routes), json_lua
 * (responses), event_decode (events), kafka_schema (Kafka schemas),
 * log_module (log module, print), log (our lines).
 */
#include "host.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "collector.h"
#include "context.h"
#include "deadline.h"
#include "error_body.h"
#include "error_types.h"
#include "event_decode.h"
#include "guard.h"
#include "heap.h"
#include "json_lua.h"
#include "kafka_schema.h"
#include "loader.h"
#include "log.h"
#include "log_module.h"
#include "lrt_error.h"
#include "metrics.h"
#include "router.h"
#include "runtime_modules.h"
#include "script_watch.h"

/* The response buffer may pass Lambda's limit so the error can say by how
 * much; past this the encoder stops. */
#define HOST_MAX_RESPONSE_BUF (64u * 1024u * 1024u)
/* What a reload's init may take at most (Lambda's own init limit). */
#define HOST_RELOAD_BUDGET_MS 10000
/* Unknown deadlines (local emulators) are taken as Lambda's longest run. */
#define HOST_DEFAULT_TIMEOUT_MS (15LL * 60 * 1000)

struct host {
  lua_State *L;
  struct heap heap;
  struct host_config cfg; /* strings point at the owned copies below */
  char *task_root, *runtime_lua_dir, *handler;
  struct loader loader;         /* points at the strings above and the watch */
  struct script_watch *watch;   /* hot reload's, owned; NULL without it */
  struct event_decoder decoder; /* the event's tree and scratch */
  struct collector gc;          /* when the collector runs (collector.h) */
};

/* ==== Panic: the last resort outside any protected call ==== */

static int host_panic(lua_State *L)
{
  const char *msg = lua_tostring(L, -1);
  log_write(LOG_FATAL, "Lua panic (unprotected error): %s",
            msg ? msg : "(not a string)");
  abort();
}

/* ==== Protected calls ==== */

/* The message handler under every protected call: normalise the error value
 * into { type = string|nil, message = string, traceback = string }. */
static int msghandler(lua_State *L)
{
  const char *type = NULL;
  int t = lua_type(L, 1);
  if (t == LUA_TTABLE) {
    if (lua_getfield(L, 1, "type") == LUA_TSTRING)
      type = lua_tostring(L, -1);
    /* keep 'type' on the stack so the string stays alive */
    if (lua_getfield(L, 1, "message") != LUA_TNIL) {
      luaL_tolstring(L, -1, NULL);
    } else if (luaL_callmeta(L, 1, "__tostring") &&
               lua_type(L, -1) == LUA_TSTRING) {
      /* the table's own description */
    } else {
      lua_pushliteral(L, "(error object is a table value)");
    }
  } else if (t == LUA_TSTRING || t == LUA_TNUMBER) {
    log_module_tostring(L, 1, NULL); /* error(1.5) reads 1.5 in any locale */
  } else if (luaL_callmeta(L, 1, "__tostring") &&
             lua_type(L, -1) == LUA_TSTRING) {
    /* userdata with a description */
  } else {
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  int msg = lua_gettop(L);
  lua_createtable(L, 0, 3);
  if (type) {
    lua_pushstring(L, type);
    lua_setfield(L, -2, "type");
  }
  lua_pushvalue(L, msg);
  lua_setfield(L, -2, "message");
  luaL_traceback(L, L, NULL, 1);
  lua_setfield(L, -2, "traceback");
  return 1;
}

/* Call the C function 'fn' with one light userdata argument, under
 * msghandler. Returns the lua_pcall status; on error the normalised error
 * table (or, for LUA_ERRMEM, the memory error message) is left on top.
 * Stack effect: [-0, +(0|1), -]. */
static int host_pcall(lua_State *L, lua_CFunction fn, void *arg)
{
  int base = lua_gettop(L);
  lua_pushcfunction(L, msghandler);
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, arg);
  int status = lua_pcall(L, 1, 0, base + 1);
  lua_remove(L, base + 1); /* msghandler */
  return status;
}

/* ==== Error bodies ==== */

/* The error of an init or an invocation into 'res'. */
static void result_error(struct host_result *res, const char *type,
                         const char *message, size_t message_len,
                         const char *traceback)
{
  res->is_error = 1;
  if (error_body_build(&res->body, type, message, message_len, traceback) != 0)
    type = ERROR_TYPE_OUT_OF_MEMORY;
  snprintf(res->error_type, sizeof(res->error_type), "%s", type);
}

/* Turn the result of a failed host_pcall (on top of the stack) into an error
 * body; 'default_type' applies when the error carries no type of its own.
 * Pops the error. */
static void error_from_status(struct host *h, int status,
                              const char *default_type, struct host_result *res)
{
  lua_State *L = h->L;
  if (status == LUA_ERRMEM || lua_type(L, -1) != LUA_TTABLE) {
    char msg[160];
    if (status == LUA_ERRMEM && h->heap.limit)
      snprintf(msg, sizeof(msg),
               "Lua ran out of memory (limit %zu MB for the Lua heap)",
               h->heap.limit >> 20);
    else if (status == LUA_ERRMEM)
      snprintf(msg, sizeof(msg), "Lua ran out of memory");
    else
      snprintf(msg, sizeof(msg), "error while handling an error");
    /* Out of memory only when it was; a message handler that failed (a C
     * stack overflow while the error was being described) is its own. */
    result_error(res,
                 status == LUA_ERRMEM ? ERROR_TYPE_OUT_OF_MEMORY
                                      : ERROR_TYPE_ERROR_HANDLER_FAILED,
                 msg, strlen(msg), NULL);
  } else {
    size_t len = 0;
    lua_getfield(L, -1, "type");
    lua_getfield(L, -2, "message");
    lua_getfield(L, -3, "traceback");
    const char *type = lua_tostring(L, -3);
    const char *msg = lua_tolstring(L, -2, &len);
    result_error(res, type && *type ? type : default_type, msg ? msg : "",
                 msg ? len : 0, lua_tostring(L, -1));
    lua_pop(L, 3); /* type, message, traceback */
  }
  lua_pop(L, 1); /* the error */
}

/* ==== Init ==== */

static int init_protected(lua_State *L)
{
  struct host *h = lua_touserdata(L, 1);
  luaL_openlibs(L);
  guard_install(L);
  loader_install(L, &h->loader);
  runtime_modules_preload(L);
  log_module_install_print(L);
  /* Before the handler loads, so coroutines it creates at init are
   * guarded too. */
  if (h->cfg.deadline_guard)
    deadline_install(L);
  loader_load_handler(L, h->cfg.handler);
  return 0;
}

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

void host_result_init(struct host_result *r)
{
  buf_init(&r->body, HOST_MAX_RESPONSE_BUF);
  r->error_type[0] = '\0';
  r->is_error = 0;
}

void host_result_free(struct host_result *r)
{
  buf_free(&r->body);
}

static void result_clear(struct host_result *r)
{
  /* A body the size of a response is kept for the next one; a bigger one
   * (an oversized response that was refused) is not carried as RSS into
   * an invocation that may need the whole budget. */
  if (r->body.cap > HOST_MAX_RESPONSE + 4096)
    buf_free(&r->body);
  buf_reset(&r->body);
  r->error_type[0] = '\0';
  r->is_error = 0;
}

/* Build a host whose loader puts the files it loads into 'watch' (may be
 * NULL). With 'guard_deadline_ms', init runs under the deadline guard for
 * the invocation 'request_id' (a reload): a module that loops at its top
 * level is interrupted like a handler. */
static int host_build(struct host **out, const struct host_config *cfg,
                      struct host_result *res, struct script_watch *watch,
                      long long guard_deadline_ms, const char *request_id)
{
  *out = NULL;
  result_clear(res);
  struct host *h = calloc(1, sizeof(*h));
  if (!h)
    goto oom;
  event_decode_init(&h->decoder, &h->heap);
  h->cfg = *cfg;
  h->task_root = dup_or_null(cfg->task_root ? cfg->task_root : ".");
  h->runtime_lua_dir = dup_or_null(cfg->runtime_lua_dir);
  h->handler = dup_or_null(cfg->handler ? cfg->handler : "handler");
  h->cfg.task_root = h->task_root;
  h->cfg.runtime_lua_dir = h->runtime_lua_dir;
  h->cfg.handler = h->handler;
  h->loader = (struct loader){h->task_root, h->runtime_lua_dir, watch};
  heap_init(&h->heap, cfg->memory_limit);
  if (!h->task_root || !h->handler)
    goto oom;
  h->L = lua_newstate(heap_lua_alloc, &h->heap);
  if (!h->L)
    goto oom;
  lua_atpanic(h->L, host_panic);
  int guarded = cfg->deadline_guard && guard_deadline_ms > 0;
  if (guarded)
    deadline_arm(h->L, guard_deadline_ms, request_id);
  int status = host_pcall(h->L, init_protected, h);
  if (guarded)
    deadline_disarm(h->L);
  if (status != LUA_OK) {
    error_from_status(h, status, ERROR_TYPE_INIT, res);
    host_destroy(h);
    return -1;
  }
  /* Init garbage (compiler buffers, module loading) is not worth carrying
   * into the first invocation. */
  lua_gc(h->L, LUA_GCCOLLECT);
  collector_init(&h->gc, h->L, &h->heap, h->cfg.deadline_guard);
  *out = h;
  return 0;

oom:
  result_error(res, ERROR_TYPE_OUT_OF_MEMORY,
               "out of memory creating the Lua state", 36, NULL);
  host_destroy(h);
  return -1;
}

int host_new(struct host **out, const struct host_config *cfg,
             struct host_result *res)
{
  /* Hot reload needs a watch of its own; --watch passes its own. */
  struct script_watch *own = NULL;
  if (!cfg->watch && cfg->hot_reload && !(own = script_watch_new())) {
    *out = NULL;
    result_clear(res);
    result_error(res, ERROR_TYPE_OUT_OF_MEMORY,
                 "out of memory creating the script watch", 39, NULL);
    return -1;
  }
  if (host_build(out, cfg, res, cfg->watch ? cfg->watch : own, 0, NULL) != 0) {
    script_watch_free(own);
    return -1;
  }
  (*out)->watch = own;
  return 0;
}

void host_destroy(struct host *h)
{
  if (!h)
    return;
  if (h->L)
    collector_close_state(h->L, h->cfg.deadline_guard);
  event_decode_free(&h->decoder); /* uncharged from the heap's budget */
  heap_destroy(&h->heap);
  script_watch_free(h->watch);
  free(h->task_root);
  free(h->runtime_lua_dir);
  free(h->handler);
  free(h);
}

/* ==== Invocation ==== */

struct invoke_args {
  struct host *host;
  int gc_paused; /* a big event: the collector is paused while it lives */
  const char *event;
  size_t len;
  const struct host_context *ctx;
  struct host_result *res;
};

/* Push the event as the handler will see it (event_decode.h, the decode
 * policy); returns the route kind that takes it and sets *detected to the
 * source it came from (they differ when the source has no route and
 * router.custom gets it as plain JSON). A Kafka event decoded for its
 * route gets its schemas applied, the same step on both of its decoders'
 * paths. Stack effect: [-0, +1, e]. */
static enum event_kind push_event(lua_State *L, struct invoke_args *a,
                                  int catch_all, enum event_kind *detected)
{
  /* The kinds with a route; none under a catch-all, which takes every
   * event as plain JSON. */
  unsigned routes = 0;
  for (int k = 0; !catch_all && k <= EVENT_KIND_LAST; k++)
    if (router_has_route(L, (enum event_kind)k))
      routes |= EVENT_DECODE_ROUTE(k);
  enum event_kind kind = event_decode_push(L, &a->host->decoder, a->event,
                                           a->len, routes, detected);
  if (kind == EVENT_KAFKA)
    kafka_schema_apply(L, lua_gettop(L));
  return kind;
}

static int invoke_protected(lua_State *L)
{
  struct invoke_args *a = lua_touserdata(L, 1);
  if (a->gc_paused)
    collector_pause_decode(&a->host->gc);
  enum event_kind detected;
  enum event_kind kind = push_event(L, a, router_has_catch_all(L), &detected);
  if (a->gc_paused)
    collector_resume_after_decode(&a->host->gc);
  router_push_handler(L, kind);
  if (lua_isnil(L, -1))
    return lrt_error_raise(
        L, ERROR_TYPE_NO_HANDLER,
        "no handler found for event type '%s': register one with "
        "require(\"router\").%s(fn)",
        router_kind_name(detected), router_kind_name(detected));
  lua_insert(L, -2); /* stack: handler event */
  context_push(L, a->ctx);
  router_set_context(L, -1);
  lua_call(L, 2, 1);
  json_lua_encode(L, -1, &a->res->body, ERROR_TYPE_INVALID_RESPONSE,
                  "response");
  if (a->res->body.len > HOST_MAX_RESPONSE)
    return lrt_error_raise(L, ERROR_TYPE_RESPONSE_TOO_LARGE,
                           "response is %I bytes, over Lambda's limit of %I "
                           "bytes",
                           (lua_Integer)a->res->body.len,
                           (lua_Integer)HOST_MAX_RESPONSE);
  return 0;
}

/* The invocation's metrics (metrics.h), after an error too. Run while
 * the deadline guard is still armed: the flush is Lua code a handler can
 * reach. A failure is logged; the invocation's answer stands. */
static void flush_metrics(struct host *h)
{
  int status = host_pcall(h->L, metrics_flush, NULL);
  if (status == LUA_OK)
    return;
  static const char msg[] = "metrics: the invocation's records were not "
                            "written";
  struct host_result err;
  host_result_init(&err);
  error_from_status(h, status, ERROR_TYPE_METRICS, &err);
  log_emit(stderr, LOG_ERROR, msg, sizeof(msg) - 1, buf_cstr(&err.body));
  host_result_free(&err);
}

void host_invoke(struct host *h, const char *event, size_t len,
                 const struct host_context *ctx, struct host_result *res)
{
  result_clear(res);
  if (len == 0) {
    static const char msg[] = "event body is empty, expected JSON";
    result_error(res, ERROR_TYPE_INVALID_EVENT, msg, sizeof(msg) - 1, NULL);
    return;
  }
  struct host_context local = *ctx;
  if (!local.deadline_ms)
    local.deadline_ms = clock_now_ms() + HOST_DEFAULT_TIMEOUT_MS;
  if (h->cfg.deadline_guard)
    deadline_arm(h->L, local.deadline_ms, local.request_id);
  struct invoke_args args = {h,  collector_pauses_for(len), event, len, &local,
                             res};
  int status = host_pcall(h->L, invoke_protected, &args);
  flush_metrics(h); /* above the error, if any: it stays on top */
  collector_end_invocation(&h->gc, args.gc_paused, status != LUA_OK);
  if (h->cfg.deadline_guard)
    deadline_disarm(h->L);
  event_decode_end(h->L, &h->decoder); /* the tree, if any, is gone */
  if (status != LUA_OK)
    error_from_status(h, status, ERROR_TYPE_LUA_RUNTIME, res);
}

void host_collect(struct host *h)
{
  collector_between_invocations(&h->gc);
}

/* ==== Hot reload ==== */

int host_reload_if_changed(struct host **hp, long long deadline_ms,
                           const char *request_id)
{
  struct host *old = *hp;
  if (!old->watch || !script_watch_changed(old->watch))
    return 0;
  /* The reload is the invocation's time: the module's top level gets what
   * is left of it, and no more than Lambda gives an init. */
  long long now = clock_now_ms();
  long long guard = now + HOST_RELOAD_BUDGET_MS;
  if (deadline_ms > now && deadline_ms < guard)
    guard = deadline_ms;
  struct script_watch *watch = script_watch_new();
  struct host_result res;
  host_result_init(&res);
  struct host *fresh = NULL;
  int rc;
  if (watch &&
      host_build(&fresh, &old->cfg, &res, watch, guard, request_id) == 0) {
    log_write(LOG_INFO, "hot reload: scripts changed, new version loaded");
    fresh->watch = watch;
    host_destroy(old);
    *hp = fresh;
    rc = 1;
  } else {
    static const char msg[] = "hot reload: the changed scripts failed to "
                              "load, keeping the previous version";
    log_emit(stderr, LOG_ERROR, msg, sizeof(msg) - 1,
             watch ? buf_cstr(&res.body) : "out of memory");
    /* Do not retry the same broken files on every invocation: wait for the
     * next change to any file either version loaded. */
    script_watch_restamp(old->watch);
    if (watch)
      script_watch_merge(old->watch, watch);
    script_watch_free(watch);
    rc = -1;
  }
  host_result_free(&res);
  return rc;
}
