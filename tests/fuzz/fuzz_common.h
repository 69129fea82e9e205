/* fuzz_common: what the libFuzzer targets share.
 *
 * One lua_State per target process, reused across inputs as the runtime
 * reuses its state across invocations (and rebuilt now and then, so state
 * that leaks from input to input cannot hide in it). Its allocator has a cap
 * like the runtime's, so an input that makes the decoder allocate without
 * bound shows as a memory error rather than as the fuzzer's RSS limit.
 * FUZZ_CHECK aborts with a message: a broken property is a crash to
 * libFuzzer, and the input is saved like any other crash. */
#ifndef LRT_FUZZ_COMMON_H
#define LRT_FUZZ_COMMON_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inputs between two rebuilds of the state. */
#define FUZZ_STATE_REUSE 5000
/* Cap on the Lua heap: far above what a 1 MB input can need legitimately. */
#define FUZZ_HEAP_LIMIT ((size_t)256 * 1024 * 1024)

#define FUZZ_CHECK(cond, ...)                                                  \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "fuzz property failed at %s:%d: %s\n", __FILE__,         \
              __LINE__, #cond);                                                \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      abort();                                                                 \
    }                                                                          \
  } while (0)

struct fuzz_heap {
  size_t used;
};

static inline void *fuzz_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  struct fuzz_heap *h = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    h->used -= old;
    return NULL;
  }
  if (nsize > old && h->used + (nsize - old) > FUZZ_HEAP_LIMIT)
    return NULL;
  void *p = realloc(ptr, nsize);
  if (!p)
    return NULL;
  h->used = h->used - old + nsize;
  return p;
}

static struct fuzz_heap fuzz_heap_state;
static lua_State *fuzz_L;
static unsigned long fuzz_runs;

/* The state for this input, empty stack. */
static inline lua_State *fuzz_state(void)
{
  if (fuzz_L && ++fuzz_runs % FUZZ_STATE_REUSE == 0) {
    lua_close(fuzz_L);
    fuzz_L = NULL;
    FUZZ_CHECK(fuzz_heap_state.used == 0, "Lua heap not empty after close: %zu",
               fuzz_heap_state.used);
  }
  if (!fuzz_L) {
    fuzz_L = lua_newstate(fuzz_alloc, &fuzz_heap_state);
    FUZZ_CHECK(fuzz_L != NULL, "cannot create a Lua state");
    luaL_openlibs(fuzz_L);
  }
  lua_settop(fuzz_L, 0);
  return fuzz_L;
}

/* The error a protected call left on top must be a typed runtime error
 * ({type = 'want', message = string}) or a memory error. */
static inline void fuzz_check_typed_error(lua_State *L, int status,
                                          const char *want)
{
  if (status == LUA_ERRMEM)
    return;
  FUZZ_CHECK(status == LUA_ERRRUN, "unexpected pcall status %d", status);
  FUZZ_CHECK(lua_type(L, -1) == LUA_TTABLE, "error is a %s, not a table: %s",
             luaL_typename(L, -1),
             lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
  lua_getfield(L, -1, "type");
  lua_getfield(L, -2, "message");
  FUZZ_CHECK(lua_type(L, -2) == LUA_TSTRING, "error without a type");
  FUZZ_CHECK(strcmp(lua_tostring(L, -2), want) == 0,
             "error type %s, expected %s", lua_tostring(L, -2), want);
  FUZZ_CHECK(lua_type(L, -1) == LUA_TSTRING, "error without a message");
  lua_pop(L, 2);
}

/* Lua source defining the local function diff(a, b, path): nil when a and b
 * are equal values (tables member by member, numbers by value and by
 * math.type; when the global named FUZZ_LUA_ARRAY_MT holds json.array's
 * metatable, a table marked with it equals only a table marked so), else
 * the path of the first difference. For the targets that hold a fast path
 * to its reference; each appends what it does with diff. */
#define FUZZ_LUA_ARRAY_MT "fuzz_array_mt"

#define FUZZ_LUA_DEEP_DIFF \
  "local function diff(a, b, path)\n" \
  "  if type(a) ~= type(b) then return path end\n" \
  "  if type(a) ~= 'table' then\n" \
  "    if a == b and math.type(a) == math.type(b) then return nil end\n" \
  "    return path\n" \
  "  end\n" \
  "  local mt = fuzz_array_mt\n" \
  "  if mt and (getmetatable(a) == mt) ~= (getmetatable(b) == mt) then\n" \
  "    return path .. ' (json.array mark)'\n" \
  "  end\n" \
  "  for k, v in pairs(a) do\n" \
  "    local d = diff(v, b[k], path .. '.' .. tostring(k))\n" \
  "    if d then return d end\n" \
  "  end\n" \
  "  for k in pairs(b) do\n" \
  "    if a[k] == nil then return path .. '.' .. tostring(k) end\n" \
  "  end\n" \
  "  return nil\n" \
  "end\n"

#endif
