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
 * event_decoder_end() after lua_pcall returns on both paths. Buffers
 * (scratch, response) belong to the long-lived host or caller.
 *
 * Collaborators: router (routes), json_lua (responses), event_decode
 * (events), kafka_schema (Kafka schemas), log_module (log module, print),
 * log (our lines).
 */
#include "host.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "context.h"
#include "deadline.h"
#include "error_body.h"
#include "event_decode.h"
#include "guard.h"
#include "heap.h"
#include "json_lua.h"
#include "kafka_schema.h"
#include "log.h"
#include "log_module.h"
#include "lrt_error.h"
#include "metrics.h"
#include "router.h"
#include "runtime_modules.h"
#include "utf8.h"

/* The response buffer may pass Lambda's limit so the error can say by how
 * much; past this the encoder stops. */
#define HOST_MAX_RESPONSE_BUF (64u * 1024u * 1024u)
/* Events from this size on are decoded with the collector paused. */
#define HOST_GC_PAUSE_MIN_EVENT (256u * 1024u)
/* What a full collection between invocations may take, finalizers
 * included (a 1 GB heap takes well under a second). */
#define HOST_GC_BUDGET_MS 5000
/* Heap growth since the last full collection that makes host_collect()
 * run one. */
#define HOST_COLLECT_GROWTH (4u * 1024u * 1024u)
/* Unknown deadlines (local emulators) are taken as Lambda's longest run. */
#define HOST_DEFAULT_TIMEOUT_MS (15LL * 60 * 1000)

static const char FILES_KEY = 'f';
static const char HOST_KEY = 'h';

struct script_stamp {
  char *path;
  long long mtime_ns;
  long long size;
  unsigned long long ino;
};

struct host {
  lua_State *L;
  struct heap heap;
  struct host_config cfg; /* strings point at the owned copies below */
  char *task_root, *runtime_lua_dir, *handler;
  struct script_stamp *scripts;
  size_t nscripts;
  struct event_decoder decoder; /* the event's tree and scratch */
  size_t heap_after_collect;    /* heap.used after the last full collection */
  int collect_pending;          /* the last invocation failed: collect */
};

/* ==== Allocation ==== */

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
    type = "Runtime.OutOfMemory";
  snprintf(res->error_type, sizeof(res->error_type), "%s", type);
}

/* A full collection between invocations. Finalizers (__gc) are handler code
 * that Lua runs with hooks off, so the watchdog bounds them: one that never
 * returns ends the process (after the invocation was answered) instead of
 * hanging it. */
static void full_collect(struct host *h)
{
  if (h->cfg.deadline_guard)
    deadline_watchdog_arm(HOST_GC_BUDGET_MS);
  lua_gc(h->L, LUA_GCCOLLECT);
  if (h->cfg.deadline_guard)
    deadline_watchdog_disarm();
  h->heap_after_collect = h->heap.used;
  h->collect_pending = 0;
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
                 status == LUA_ERRMEM ? "Runtime.OutOfMemory"
                                      : "Runtime.ErrorHandlerFailed",
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
  /* A failed invocation may have left a large heap (an out-of-memory handler
   * certainly did): host_collect() reclaims it once the error is out. */
  h->collect_pending = 1;
}

/* ==== Module search path and script tracking ==== */

/* Push package.searchpath(name, package[field]): the file's name and nil,
 * or nil and the "no file" lines. Stack effect: [-0, +2, e]. */
static void search_path(lua_State *L, const char *name, const char *field)
{
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchpath");
  lua_pushstring(L, name);
  lua_getfield(L, -3, field);
  lua_call(L, 2, 2);
  lua_remove(L, -3); /* package */
}

/* Record a script loaded by our searcher so hot reload can stat it.
 * Stack effect: [-0, +0, m]. */
static void track_script(lua_State *L, const char *path)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &FILES_KEY) == LUA_TTABLE) {
    lua_pushstring(L, path);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  }
  lua_pop(L, 1); /* files */
}

void host_track_file(lua_State *L, const char *path)
{
  int tracking = lua_rawgetp(L, LUA_REGISTRYINDEX, &FILES_KEY) == LUA_TTABLE;
  lua_pop(L, 1); /* files or nil */
  if (tracking)
    track_script(L, path);
}

const char *host_task_root(lua_State *L)
{
  lua_rawgetp(L, LUA_REGISTRYINDEX, &HOST_KEY);
  const struct host *h = lua_touserdata(L, -1);
  lua_pop(L, 1); /* the host */
  return h != NULL ? h->cfg.task_root : NULL;
}

/* package.searchers[2] replacement: find name on package.path, load it as
 * text only (precompiled chunks can crash the VM), and remember the file. A
 * syntax error is raised typed, so init can report it as such. */
static int host_searcher(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  search_path(L, name, "path");
  if (lua_isnil(L, -2))
    return 1; /* the "no file" lines from searchpath */
  const char *path = lua_tostring(L, -2);
  /* Tracked before loading: a file that fails to load must be watched too,
   * so fixing it is seen by hot reload. */
  track_script(L, path);
  int status = luaL_loadfilex(L, path, "t");
  if (status == LUA_ERRSYNTAX)
    return lrt_error_raise(L, "Runtime.UserCodeSyntaxError",
                           "syntax error in module '%s': %s", name,
                           lua_tostring(L, -1));
  if (status != LUA_OK)
    return lrt_error_raise(L, "Runtime.ImportModuleError",
                           "cannot load module '%s' from %s: %s", name, path,
                           lua_tostring(L, -1));
  lua_pushstring(L, path); /* second argument to the loader */
  return 2;
}

/* The last searcher: every other one found nothing. Raised typed, so a
 * missing module at init is reported as Runtime.ImportModuleError. */
static int host_not_found(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  search_path(L, name, "path");  /* stack: name nil path_msg */
  search_path(L, name, "cpath"); /* stack: ... nil cpath_msg */
  return lrt_error_raise(L, "Runtime.ImportModuleError",
                         "module '%s' not found:\n\t%s\n\t%s", name,
                         lua_tostring(L, 3), lua_tostring(L, 5));
}

/* Set package[field] (package on top of the stack) to the contract's search
 * path: each pattern under the task root, /opt/lua and the runtime's lua/
 * folder, then the environment variable 'env'. Stack effect: [-0, +0, m]. */
static void set_search_path(lua_State *L, const struct host_config *cfg,
                            const char *field, const char *const *patterns,
                            const char *env)
{
  const char *dirs[] = {cfg->task_root, "/opt/lua", cfg->runtime_lua_dir};
  luaL_Buffer b;
  int first = 1;
  luaL_buffinit(L, &b);
  for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
    for (const char *const *p = patterns; dirs[d] && *p; p++) {
      if (!first)
        luaL_addchar(&b, ';');
      first = 0;
      luaL_addstring(&b, dirs[d]);
      luaL_addchar(&b, '/');
      luaL_addstring(&b, *p);
    }
  }
  const char *extra = getenv(env);
  if (extra && *extra) {
    luaL_addchar(&b, ';');
    luaL_addstring(&b, extra);
  }
  luaL_pushresult(&b);
  /* ";;" means "the default path" in LUA_PATH; ours is already in front,
   * so it goes, and so does an empty template at the end. */
  size_t len;
  const char *path = luaL_gsub(L, lua_tostring(L, -1), ";;", ";");
  lua_tolstring(L, -1, &len);
  if (len && path[len - 1] == ';')
    lua_pushlstring(L, path, len - 1);
  else
    lua_pushvalue(L, -1);
  lua_setfield(L, -4, field);
  lua_pop(L, 2); /* the raw and the cleaned path */
}

/* Set package.path/cpath to the contract's search path and install the
 * tracking searcher. Stack effect: [-0, +0, m]. */
static void setup_package(lua_State *L, const struct host_config *cfg)
{
  static const char *const lua_patterns[] = {"?.lua", "?/init.lua", NULL};
  static const char *const c_patterns[] = {"?.so", NULL};
  lua_getglobal(L, "package");
  set_search_path(L, cfg, "path", lua_patterns, "LUA_PATH");
  set_search_path(L, cfg, "cpath", c_patterns, "LUA_CPATH");

  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, host_searcher);
  lua_rawseti(L, -2, 2);
  lua_pushcfunction(L, host_not_found);
  lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
  lua_pop(L, 2); /* searchers, package */

  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &FILES_KEY);
}

/* ==== Init ==== */

/* require(name) as a protected step; leaves the module's value on the stack.
 * Stack effect: [-0, +1, e]. */
static void require_module(lua_State *L, const char *name)
{
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
}

/* Nonzero when 'name' is found on package.path. Stack effect: [-0, +0, e]. */
static int module_exists(lua_State *L, const char *name)
{
  search_path(L, name, "path");
  int found = !lua_isnil(L, -2);
  lua_pop(L, 2); /* result, message */
  return found;
}

static int init_protected(lua_State *L)
{
  struct host *h = lua_touserdata(L, 1);
  const char *handler = h->cfg.handler;
  luaL_openlibs(L);
  guard_install(L);
  setup_package(L, &h->cfg);
  runtime_modules_preload(L);
  log_module_install_print(L);
  lua_pushlightuserdata(L, h);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &HOST_KEY);
  /* Before the handler loads, so coroutines it creates at init are
   * guarded too. */
  if (h->cfg.deadline_guard)
    deadline_install(L);

  if (module_exists(L, handler)) {
    require_module(L, handler);
    if (router_count(L) == 0)
      return lrt_error_raise(
          L, "Runtime.HandlerNotFound",
          "handler module '%s' registered no route: call "
          "require(\"router\").kafka(fn) or .custom(fn) at its top level",
          handler);
  } else {
    const char *dot = strrchr(handler, '.');
    lua_pushlstring(L, handler, dot ? (size_t)(dot - handler) : 0);
    const char *module = lua_tostring(L, -1);
    if (!dot || !*module || !module_exists(L, module))
      return lrt_error_raise(
          L, "Runtime.ImportModuleError",
          "cannot find handler module '%s' under the task root %s (nor "
          "/opt/lua, the runtime's lua/ folder or LUA_PATH)",
          handler, h->cfg.task_root);
    /* module.function: the module returns a table whose function handles
     * every event, as other Lua runtimes for Lambda do. */
    require_module(L, module);
    if (!lua_istable(L, -1))
      return lrt_error_raise(L, "Runtime.HandlerNotFound",
                             "handler '%s': module '%s' returned %s, not a "
                             "table of functions",
                             handler, module, luaL_typename(L, -1));
    lua_getfield(L, -1, dot + 1);
    if (lua_type(L, -1) != LUA_TFUNCTION &&
        luaL_getmetafield(L, -1, "__call") == LUA_TNIL)
      return lrt_error_raise(L, "Runtime.HandlerNotFound",
                             "handler '%s': module '%s' has no function '%s'",
                             handler, module, dot + 1);
    lua_settop(L, 4); /* host, module name, module, function */
    router_set_catch_all(L, -1);
  }
  router_seal(L);
  return 0;
}

/* Read a script's stamp. A file that is missing (deleted since it loaded)
 * gets mtime -1, so its return counts as a change. */
static void stamp_file(struct script_stamp *s)
{
  struct stat st;
  if (stat(s->path, &st) != 0) {
    s->mtime_ns = -1;
    s->size = -1;
    s->ino = 0;
    return;
  }
  s->mtime_ns =
      (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  s->size = (long long)st.st_size;
  s->ino = (unsigned long long)st.st_ino;
}

static void stamp_scripts(struct host *h)
{
  lua_State *L = h->L;
  for (size_t i = 0; i < h->nscripts; i++)
    free(h->scripts[i].path);
  free(h->scripts);
  h->scripts = NULL;
  h->nscripts = 0;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &FILES_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  size_t n = (size_t)luaL_len(L, -1);
  h->scripts = calloc(n ? n : 1, sizeof(*h->scripts));
  for (size_t i = 0; h->scripts && i < n; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    const char *path = lua_tostring(L, -1);
    struct script_stamp *s = &h->scripts[h->nscripts];
    s->path = path ? strdup(path) : NULL;
    if (s->path) {
      stamp_file(s);
      h->nscripts++;
    }
    lua_pop(L, 1); /* path */
  }
  lua_pop(L, 1); /* files */
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
  if (r->body.cap > LUA_HOST_MAX_RESPONSE + 4096)
    buf_free(&r->body);
  buf_reset(&r->body);
  r->error_type[0] = '\0';
  r->is_error = 0;
}

/* Build a host. On a failed load with 'failed' set, the half-built host's
 * script stamps (the files the attempt loaded) come back through *failed so
 * hot reload can watch them too; its Lua state is already closed. */
static int host_build(struct host **out, const struct host_config *cfg,
                      struct host_result *res, struct host **failed)
{
  *out = NULL;
  result_clear(res);
  struct host *h = calloc(1, sizeof(*h));
  if (!h)
    goto oom;
  event_decoder_init(&h->decoder, &h->heap);
  h->cfg = *cfg;
  h->task_root = dup_or_null(cfg->task_root ? cfg->task_root : ".");
  h->runtime_lua_dir = dup_or_null(cfg->runtime_lua_dir);
  h->handler = dup_or_null(cfg->handler ? cfg->handler : "handler");
  h->cfg.task_root = h->task_root;
  h->cfg.runtime_lua_dir = h->runtime_lua_dir;
  h->cfg.handler = h->handler;
  heap_init(&h->heap, cfg->memory_limit);
  if (!h->task_root || !h->handler)
    goto oom;
  h->L = lua_newstate(heap_lua_alloc, &h->heap);
  if (!h->L)
    goto oom;
  lua_atpanic(h->L, host_panic);
  int status = host_pcall(h->L, init_protected, h);
  if (status != LUA_OK) {
    error_from_status(h, status, "Runtime.InitError", res);
    if (failed && h->cfg.hot_reload) {
      stamp_scripts(h);
      lua_close(h->L);
      h->L = NULL;
      heap_destroy(&h->heap);
      *failed = h;
    } else {
      host_destroy(h);
    }
    return -1;
  }
  if (h->cfg.hot_reload)
    stamp_scripts(h);
  /* Init garbage (compiler buffers, module loading) is not worth carrying
   * into the first invocation. */
  lua_gc(h->L, LUA_GCCOLLECT);
  h->heap_after_collect = h->heap.used;
  *out = h;
  return 0;

oom:
  result_error(res, "Runtime.OutOfMemory",
               "out of memory creating the Lua state", 36, NULL);
  host_destroy(h);
  return -1;
}

int host_new(struct host **out, const struct host_config *cfg,
             struct host_result *res)
{
  return host_build(out, cfg, res, NULL);
}

void host_destroy(struct host *h)
{
  if (!h)
    return;
  if (h->L) {
    /* Closing runs every pending finalizer, with hooks off. */
    if (h->cfg.deadline_guard)
      deadline_watchdog_arm(HOST_GC_BUDGET_MS);
    lua_close(h->L);
    if (h->cfg.deadline_guard)
      deadline_watchdog_disarm();
  }
  event_decoder_free(&h->decoder); /* uncharged from the heap's budget */
  heap_destroy(&h->heap);
  for (size_t i = 0; i < h->nscripts; i++)
    free(h->scripts[i].path);
  free(h->scripts);
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

/* Restart the collector after a big event was decoded with it paused, due
 * only once the handler has allocated as much again as the heap now holds
 * (at most half the room left under the cap), as Lua's own pause of 200 %
 * would have it for a heap that is all live. Restarted plainly, the
 * collector would be due at once and mark the whole event again while the
 * handler runs (2 of 18 ms on the 6 MB text batch, docs/performance.md),
 * although it all becomes garbage when the handler returns and
 * host_collect() sweeps it. LUA_GCSTEP with a negative size only moves
 * the debt (lapi.c, Lua 5.4): the collector keeps running, so a handler
 * that makes garbage past the allowance gets it collected as usual.
 * Stack effect: [-0, +0, -]. */
static void restart_collector_after_decode(lua_State *L,
                                           const struct heap *heap)
{
  size_t allowance = heap->used;
  if (heap->limit > 0) {
    size_t room = heap->limit > heap->used ? heap->limit - heap->used : 0;
    if (allowance > room / 2)
      allowance = room / 2;
  }
  size_t kb = allowance / 1024;
  if (kb > INT_MAX)
    kb = INT_MAX;
  lua_gc(L, LUA_GCRESTART);
  if (kb > 0)
    lua_gc(L, LUA_GCSTEP, -(int)kb);
}

static int invoke_protected(lua_State *L)
{
  struct invoke_args *a = lua_touserdata(L, 1);
  /* A big event stays alive for the whole call, so collecting while it is
   * decoded only marks it again and again: the collector is paused for the
   * decoder (which allocates only through the core API, so at a memory cap
   * Lua still runs its emergency collection). Not for the handler: lauxlib's
   * buffers allocate directly, with no emergency collection, and a paused
   * collector would turn a handler's garbage into an out-of-memory error; it
   * runs again, with the allowance restart_collector_after_decode gives.
   * Small events are left alone: their decoding makes little to collect. */
  if (a->gc_paused)
    lua_gc(L, LUA_GCSTOP);
  enum event_kind detected;
  enum event_kind kind = push_event(L, a, router_has_catch_all(L), &detected);
  if (a->gc_paused)
    restart_collector_after_decode(L, &a->host->heap);
  router_push_handler(L, kind);
  if (lua_isnil(L, -1))
    return lrt_error_raise(
        L, "Runtime.NoHandler",
        "no handler found for event type '%s': register one with "
        "require(\"router\").%s(fn)",
        router_kind_name(detected), router_kind_name(detected));
  lua_insert(L, -2); /* stack: handler event */
  context_push(L, a->ctx);
  router_set_context(L, -1);
  lua_call(L, 2, 1);
  json_lua_encode(L, -1, &a->res->body, "Runtime.InvalidResponse", "response");
  if (a->res->body.len > LUA_HOST_MAX_RESPONSE)
    return lrt_error_raise(L, "Runtime.ResponseTooLarge",
                           "response is %I bytes, over Lambda's limit of %I "
                           "bytes",
                           (lua_Integer)a->res->body.len,
                           (lua_Integer)LUA_HOST_MAX_RESPONSE);
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
  error_from_status(h, status, "Runtime.MetricsError", &err);
  log_emit(stderr, LOG_ERROR, msg, sizeof(msg) - 1, buf_cstr(&err.body));
  host_result_free(&err);
}

int host_invoke(struct host *h, const char *event, size_t len,
                const struct host_context *ctx, struct host_result *res)
{
  result_clear(res);
  if (len == 0) {
    static const char msg[] = "event body is empty, expected JSON";
    result_error(res, "Runtime.InvalidEvent", msg, sizeof(msg) - 1, NULL);
    return 0;
  }
  struct host_context local = *ctx;
  if (!local.deadline_ms)
    local.deadline_ms = clock_now_ms() + HOST_DEFAULT_TIMEOUT_MS;
  if (h->cfg.deadline_guard)
    deadline_arm(h->L, local.deadline_ms, local.request_id);
  struct invoke_args args = {
      h, len >= HOST_GC_PAUSE_MIN_EVENT, event, len, &local, res};
  int status = host_pcall(h->L, invoke_protected, &args);
  flush_metrics(h); /* above the error, if any: it stays on top */
  if (args.gc_paused) {
    lua_gc(h->L, LUA_GCRESTART); /* decoding may have raised */
    h->collect_pending = 1;      /* its garbage goes after the answer */
  }
  if (h->cfg.deadline_guard)
    deadline_disarm(h->L);
  event_decoder_end(h->L, &h->decoder); /* the tree, if any, is gone */
  if (status != LUA_OK)
    error_from_status(h, status, "Lua.RuntimeError", res);
  return 0;
}

void host_collect(struct host *h)
{
  /* After a big event the heap is mostly garbage: one full collection
   * frees it for the price of marking what is still live (little), where
   * the incremental collector would spread the same sweep over the next
   * invocation. Small invocations are left to the incremental collector. */
  if (h->collect_pending ||
      h->heap.used > h->heap_after_collect + HOST_COLLECT_GROWTH)
    full_collect(h);
}

/* ==== Hot reload ==== */

/* Nonzero when any loaded script changed since the host was built. */
static int scripts_changed(const struct host *h)
{
  for (size_t i = 0; i < h->nscripts; i++) {
    struct script_stamp now = {h->scripts[i].path, 0, 0, 0};
    stamp_file(&now);
    if (now.mtime_ns != h->scripts[i].mtime_ns ||
        now.size != h->scripts[i].size || now.ino != h->scripts[i].ino)
      return 1;
  }
  return 0;
}

/* Add the stamps of 'from' that 'to' does not have (moving the paths). */
static void adopt_scripts(struct host *to, struct host *from)
{
  size_t n = to->nscripts + from->nscripts;
  struct script_stamp *all = realloc(to->scripts, (n ? n : 1) * sizeof(*all));
  if (!all)
    return;
  to->scripts = all;
  for (size_t i = 0; i < from->nscripts; i++) {
    int known = 0;
    for (size_t j = 0; j < to->nscripts && !known; j++)
      known = strcmp(to->scripts[j].path, from->scripts[i].path) == 0;
    if (!known) {
      to->scripts[to->nscripts++] = from->scripts[i];
      from->scripts[i].path = NULL; /* moved */
    }
  }
}

int host_reload_if_changed(struct host **hp)
{
  struct host *old = *hp;
  if (!old->cfg.hot_reload || !scripts_changed(old))
    return 0;
  struct host_result res;
  host_result_init(&res);
  struct host *fresh = NULL, *failed = NULL;
  int rc;
  if (host_build(&fresh, &old->cfg, &res, &failed) == 0) {
    log_write(LOG_INFO, "hot reload: scripts changed, new version loaded");
    host_destroy(old);
    *hp = fresh;
    rc = 1;
  } else {
    static const char msg[] = "hot reload: the changed scripts failed to "
                              "load, keeping the previous version";
    log_emit(stderr, LOG_ERROR, msg, sizeof(msg) - 1, buf_cstr(&res.body));
    /* Do not retry the same broken files on every invocation: wait for the
     * next change to any file either version loaded. */
    stamp_scripts(old);
    if (failed)
      adopt_scripts(old, failed);
    host_destroy(failed);
    rc = -1;
  }
  host_result_free(&res);
  return rc;
}
