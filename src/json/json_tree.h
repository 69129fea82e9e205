/* json_tree: JSON text -> a cJSON-shaped tree in an arena, bytes kept whole.
 *
 * The runtime's own parser for every JSON text it decodes through a tree
 * (events the fast path declines, custom events, json.decode). It builds
 * ordinary cJSON nodes, so event_kafka and json_lua read them with cJSON's
 * accessors, but differs from cJSON_Parse where cJSON loses data:
 * - a string's bytes are kept whole, a \u0000 included: every string node
 *   (and member name) carries its length, read with json_tree_value_len()
 *   and json_tree_key_len(); cJSON's C strings would end at the NUL;
 * - numbers are read in the "C" locale whatever os.setlocale() did;
 * - the nodes come from an arena (arena.h) charged to the memory budget, so
 *   a tree too big for the function fails to parse with *why "out of
 *   memory" (and arena->failed set) instead of growing past it.
 * Otherwise it accepts what cJSON_ParseWithLengthOpts accepts (a UTF-8 BOM,
 * raw control bytes in strings, nesting up to CJSON_NESTING_LIMIT), and then
 * only JSON whitespace after the value. Knows cJSON's struct, not Lua. */
#ifndef LRT_JSON_TREE_H
#define LRT_JSON_TREE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "arena.h"

/* Parse 'len' bytes as one JSON value into 'a'. Returns the root (valid
 * until the next arena_reset; never cJSON_Delete it), or NULL with *at the
 * byte where parsing stopped and *why a static phrase ("syntax error",
 * "nesting deeper than N levels", "trailing characters after the value",
 * "out of memory"). Never raises. */
cJSON *json_tree_parse(struct arena *a, const char *text, size_t len,
                       size_t *at, const char **why);

/* The byte length of a string node's valuestring, and of a member's name.
 * For nodes cJSON itself made, strlen. */
size_t json_tree_value_len(const cJSON *item);
size_t json_tree_key_len(const cJSON *item);

/* The first member of object 'obj' whose name is exactly 'name' (all its
 * bytes: "a\u0000b" is not "a"), or NULL. cJSON's own lookup compares C
 * strings, which would take "bootstrapServers\u0000x" for
 * "bootstrapServers". */
cJSON *json_tree_get(const cJSON *obj, const char *name);

/* What a node is, for error messages: "missing" (NULL), "null",
 * "a boolean", "a number", "a string", "an array", "an object". */
const char *json_tree_type_name(const cJSON *item);

#endif
