/* event_raw: event.raw and record.raw, decoded only when read.
 *
 * Every decoded record and event answers .raw with the delivered JSON as
 * plain Lua values (json.decode's rules). Building that for every record
 * would double the decoding work for fields most handlers never read, and
 * even keeping a copy of the event text costs a large allocation per event,
 * so a shared metatable's __index builds it from the event's cJSON tree
 * (which the host keeps in its arena for the whole invocation) on the first
 * .raw of the invocation, then maps each record to its element of Records.
 * The tree is gone once the invocation ends: each event gets a generation
 * number, event_raw_end() clears the current one, and a .raw read after
 * that (a record kept in a global, a __gc) raises instead of reading freed
 * memory. Knows Lua and cJSON (through json_lua). */
#ifndef LRT_EVENT_RAW_H
#define LRT_EVENT_RAW_H

#include <cjson/cJSON.h>
#include <lua.h>
#include <stddef.h>

#include "arena.h"

/* Push the metatable for one event whose tree is 'root' (alive until
 * event_raw_end), then the table that lists its records in delivery order
 * ('n' of them expected). [-0, +2, m] */
void event_raw_begin(lua_State *L, const cJSON *root, int n);

/* As event_raw_begin for an event decoded straight from its text (a fast
 * scanner's): no tree yet. The first .raw of the invocation parses the
 * text (still the invocation's, unchanged) into 'arena' with json_tree and
 * goes on as with a tree; a parse that fails (the arena over the memory
 * budget) raises. [-0, +2, m] */
void event_raw_begin_text(lua_State *L, const char *text, size_t len,
                          struct arena *arena, int n);

/* Give the record at 'rec' the metatable at 'mt' and list it as element 'n'
 * of Records in the order table at 'order'. [-0, +0, m] */
void event_raw_add_record(lua_State *L, int mt, int order, int rec,
                          lua_Integer n);

/* The invocation is over (its tree about to be freed): later .raw reads
 * raise. Allocates nothing, so it may run outside a protected call.
 * [-0, +0, -] */
void event_raw_end(lua_State *L);

#endif
