/* json_lua: JSON <-> Lua values, with cJSON, and the `json` Lua module.
 *
 * Decoding walks a cJSON-shaped tree (from json_tree_parse, which keeps a
 * string's bytes whole, NULs included) and pushes Lua values: objects become
 * tables, arrays sequences (an empty array is marked with the json.array
 * metatable so it encodes back as []), null becomes json.null, numbers that are
 * exactly integral (and within lua_Integer) become integers, the rest floats.
 * The tree stores every number as a double, so integers above 2^53 are not
 * exact.
 *
 * Encoding writes a Lua value's JSON text straight into a caller's buffer
 * (no tree; strings by json_write, numbers by number_text): nil and
 * json.null are null, integers stay integers (printed exactly, beyond 2^53
 * too), floats stay floats (1.0 is written 1.0), sequences are arrays, other
 * tables objects. Functions, userdata, cycles, NaN, infinities, keys that are
 * neither strings nor numbers, and nesting deeper than JSON_LUA_MAX_DEPTH are
 * errors with a clear message, raised as Lua errors.
 *
 * Knows cJSON and Lua; nothing of HTTP or Kafka. */
#ifndef LRT_JSON_LUA_H
#define LRT_JSON_LUA_H

#include <cjson/cJSON.h>
#include <lua.h>

#include "buf.h"

/* Deepest nesting accepted by json.decode, json.encode and responses. */
#define JSON_LUA_MAX_DEPTH 200

/* As json_lua_push, raising nesting errors with 'error_type'.
 * Stack effect: [-0, +1, e]. */
void json_lua_push_typed(lua_State *L, const cJSON *item,
                         const char *error_type);

/* Push the Lua value for 'item'. Raises (a {type="Runtime.InvalidJSON"} error
 * from lrt_error) when nesting passes JSON_LUA_MAX_DEPTH.
 * Stack effect: [-0, +1, e]. */
void json_lua_push(lua_State *L, const cJSON *item);

/* Encode the value at 'idx' as JSON text appended to 'out' (which the caller
 * owns; nothing else is allocated across a raise). Raises a
 * {type = "Runtime.InvalidResponse"}-style error via lrt_error with 'what'
 * ("response", "json.encode") naming the caller in the message, e.g.
 * "response: cannot encode a function at $.items[3].f".
 * Stack effect: [-0, +0, e]. */
void json_lua_encode(lua_State *L, int idx, struct buf *out,
                     const char *error_type, const char *what);

/* Called by json_lua_encode_members before each member's value: appends to
 * 'out' what goes before it (a separator, the key as a JSON string, ':')
 * for the key's text 'key' ('n' bytes, valid UTF-8; a number key as its
 * decimal text). Returns a buf status (BUF_OK to go on). */
typedef int (*json_lua_key_writer)(struct buf *out, const char *key, size_t n,
                                   void *ud);

/* As json_lua_encode, but for a table that encodes as a JSON object only its
 * members are appended, each key by 'key' (with 'ud'), each value as
 * json_lua_encode writes it, and no braces: for a caller that writes the
 * object's frame itself (log_module, straight into a log line). Returns 1,
 * or 0 with nothing appended when the value is not a table that encodes as
 * an object (an array, json.array). Stack effect: [-0, +0, e]. */
int json_lua_encode_members(lua_State *L, int idx, struct buf *out,
                            const char *error_type, const char *what,
                            json_lua_key_writer key, void *ud);

/* Push json.null (a light userdata shared by every state).
 * Stack effect: [-0, +1, -]. */
void json_lua_push_null(lua_State *L);

/* Push a JSON number as json.decode does: an integer when it is integral
 * and fits lua_Integer, else a float. [-0, +1, -] */
void json_lua_push_number(lua_State *L, double d);

/* Push the metatable that marks a table as a JSON array (creating it on first
 * use). Stack effect: [-0, +1, m]. */
void json_lua_push_array_mt(lua_State *L);

/* The `json` module: encode, decode, null, array. Stack effect: [-0, +1, m]. */
int luaopen_json(lua_State *L);

#endif
