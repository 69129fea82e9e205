/* event_decode: the one entry from an event's JSON text to the value its
 * handler gets, and the decode policy written once.
 *
 * The policy: an event whose kind has a route tries that kind's one-pass
 * scanner first (sqs_scan, kinesis_scan, kafka_scan: one row each in
 * event_decode.c's table); whatever they decline (other events, unusual or
 * malformed ones) is parsed by json_tree into the decoder's arena, detected
 * by event_source, and decoded by the kind's reference decoder (event_kafka,
 * event_source) or, for a kind without a route, pushed as plain JSON by
 * json_lua. The reference decoders word the errors. The decoder's state
 * (the arena, the scratch) belongs to the long-lived caller, so an error
 * raised mid-decode leaks nothing; event_decode_end() releases the
 * invocation's tree. Knows the scanners, the tree decoders, json_tree and
 * json_lua; nothing of routes or handlers (the caller says which kinds it
 * routes), nothing of HTTP or schemas. */
#ifndef LRT_EVENT_DECODE_H
#define LRT_EVENT_DECODE_H

#include <stddef.h>

#include <lua.h>

#include "arena.h"
#include "buf.h"
#include "event_kind.h"

struct heap;

/* One scratch strategy for every decoder (docs/events.md, "Decoding"):
 * 'scratch' holds the bytes on their way into a Lua string (an unescaped
 * string, decoded base64, header bytes), reused value after value and kept
 * across invocations; 'arena' holds the invocation's cJSON tree and
 * record.raw's, released at once by event_decode_end(). */
struct event_decoder {
  struct arena arena;
  struct buf scratch;
};

/* The scratch's cap: an unescaped value and its decoded bytes side by side,
 * at most twice the largest event a transport takes (local invoke's 64 MB;
 * the Runtime API's is 16 MB), so no event is refused for the scratch. */
#define EVENT_DECODE_MAX_SCRATCH (128u * 1024u * 1024u)

/* The routes bit of 'kind', for event_decode_push's 'routes'. */
#define EVENT_DECODE_ROUTE(kind) (1u << (kind))

/* An empty decoder whose arena is charged to 'budget' (may be NULL). */
void event_decode_init(struct event_decoder *d, struct heap *budget);

/* The invocation is over: record.raw stops reading the tree, which goes.
 * Allocates nothing, so it may run outside a protected call. [-0, +0, -] */
void event_decode_end(lua_State *L, struct event_decoder *d);

void event_decode_free(struct event_decoder *d);

/* Push the event in json[0..len) (which must stay unchanged until
 * event_decode_end) as its handler sees it and return the route kind that
 * takes it: a kind whose bit (EVENT_DECODE_ROUTE) is in 'routes' gets its
 * decoded table, any other event plain JSON and EVENT_CUSTOM (routes 0:
 * everything as plain JSON, as a catch-all handler wants it). *detected is
 * the source the event came from, whatever its route. Raises
 * Runtime.InvalidEvent for text that is not JSON, Runtime.OutOfMemory for
 * a tree over the arena's budget, <Source>.InvalidEvent for a malformed
 * event of a routed kind. [-0, +1, e] */
enum event_kind event_decode_push(lua_State *L, struct event_decoder *d,
                                  const char *json, size_t len, unsigned routes,
                                  enum event_kind *detected);

#endif
