/* router: the `router` module handlers register with, and route lookup.
 *
 * router.kafka(fn), router.custom(fn) and the other sources' routes
 * (router.sqs, .sns, .s3, .dynamodb, .kinesis, .eventbridge; see
 * event_source.h) store fn in a registry table keyed by
 * the address of a file static. Registration is legal only while the handler
 * module loads (init); a second registration for the same kind, or one made
 * during an invocation, raises. A handler may be a function or any value with
 * a __call metamethod. router.kafka(fn, opts) also takes the schema-aware
 * options { value = ..., key = ... }, checked by kafka_schema_options() and
 * kept beside the handler. router.apigateway(path, method, fn) adds a route
 * to the API dispatcher written in Lua (lua/lrt_router_http.lua), and
 * router.process(event, fn [, opts]) is lua/lrt_router_batch.lua's
 * partial-batch loop, given the invocation's context. Knows Lua and
 * kafka_schema's options. */
#ifndef LRT_ROUTER_H
#define LRT_ROUTER_H

#include <lua.h>

#include "event_kind.h"

/* The `router` module. Stack effect: [-0, +1, m]. */
int luaopen_router(lua_State *L);

/* End the init phase: later registrations raise. Stack effect: [-0, +0, m]. */
void router_seal(lua_State *L);

/* Register 'fn' at 'idx' for every event (the `module.function` handler form).
 * Stack effect: [-0, +0, m]. */
void router_set_catch_all(lua_State *L, int idx);

/* Number of registered routes (catch-all included). Stack effect: [-0,+0,-]. */
int router_count(lua_State *L);

/* Push the handler that takes an event of 'kind' (the catch-all when one is
 * set), or nil when none does. Stack effect: [-0, +1, -]. */
void router_push_handler(lua_State *L, enum event_kind kind);

/* Nonzero when the catch-all (module.function) handler is in use: it gets the
 * event as plain decoded JSON, whatever its kind. Stack effect: [-0,+0,-]. */
int router_has_catch_all(lua_State *L);

/* Nonzero when a route for 'kind' is registered (the catch-all aside): an
 * event of a kind with no route goes to router.custom as plain JSON.
 * Stack effect: [-0, +0, -]. */
int router_has_route(lua_State *L, enum event_kind kind);

/* The route's name as the router module spells it ("sqs", "apigateway").
 * Never raises. */
const char *router_kind_name(enum event_kind kind);

/* Remember the invocation's context table at 'idx' for router.process, which
 * hands it to every fn. Stack effect: [-0, +0, m]. */
void router_set_context(lua_State *L, int idx);
/* Push router.kafka's options as kafka_schema_options() normalised them, or
 * nil when none were given. Stack effect: [-0, +1, -]. */
void router_push_kafka_options(lua_State *L);

#endif
