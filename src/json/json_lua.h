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
 * Encoding turns a Lua value into JSON text through a cJSON tree: nil and
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
