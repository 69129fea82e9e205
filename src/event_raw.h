/* event_raw: event.raw and record.raw, decoded only when read.
 *
 * Every decoded record and event answers .raw with the delivered JSON as
 * plain Lua values (json.decode's rules). Building that for every record
 * would double the decoding work for fields most handlers never read, so
 * the event's JSON text is kept as one Lua string and a shared metatable's
 * __index decodes it on the first .raw of the invocation, then maps each
 * record (in delivery order) to its element of Records. Knows only Lua (and
 * the json module). */
#ifndef LRT_EVENT_RAW_H
#define LRT_EVENT_RAW_H

#include <lua.h>
#include <stddef.h>

/* Push the metatable for one event whose JSON is 'text', then the table
 * that lists its records in delivery order ('n' of them expected); give the
 * event the metatable too. [-0, +2, m] */
void event_raw_begin(lua_State *L, const char *text, size_t len, int n);

/* Give the record at 'rec' the metatable at 'mt' and list it as element 'n'
 * of Records in the order table at 'order'. [-0, +0, m] */
void event_raw_add_record(lua_State *L, int mt, int order, int rec,
                          lua_Integer n);

#endif
