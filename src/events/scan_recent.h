/* scan_recent: the one-pass scanners' remembered strings, written once.
 *
 * A batch repeats a few strings in every record (a topic, a timestamp type,
 * header and attribute names, a stream's ARN). Interning each again costs a
 * hash and a walk of Lua's string table per record; a scanner instead keeps
 * the last Lua string of each such field in a stack slot and pushes that
 * when the bytes are the same. Only bytes that lie in the event text (which
 * outlives the scan) are remembered: unescaped bytes in the scratch buffer
 * are overwritten by the next string. Static inline: this runs per field of
 * a 6 MB batch. Knows Lua, nothing of JSON. */
#ifndef LRT_SCAN_RECENT_H
#define LRT_SCAN_RECENT_H

#include <stddef.h>
#include <string.h>

#include <lua.h>

struct scan_recent {
  const char *text; /* in the event text, or NULL */
  size_t len;
  int slot; /* stack index holding the last pushed string */
};

/* Push text[0..len), reusing r's string when it holds the same bytes, else
 * remembering this one (unless 'in_scratch': the bytes are the scratch
 * buffer's, which the next string overwrites). Stack effect: [-0, +1, m]. */
static inline void scan_recent_push(lua_State *L, struct scan_recent *r,
                                    int in_scratch, const char *text,
                                    size_t len)
{
  if (in_scratch) {
    lua_pushlstring(L, text, len);
    r->text = NULL;
    return;
  }
  if (r->text != NULL && r->len == len && memcmp(r->text, text, len) == 0) {
    lua_pushvalue(L, r->slot);
    return;
  }
  lua_pushlstring(L, text, len);
  lua_copy(L, -1, r->slot);
  r->text = text;
  r->len = len;
}

#endif
