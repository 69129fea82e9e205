/* test_heap: the capped Lua allocator, through Lua and directly.
 *
 * As lua_newstate's allocator with a limit, a chunk that allocates without
 * bound must fail with LUA_ERRMEM ("not enough memory") and leave the state
 * usable, and a full collection must bring 'used' back to about where it was.
 * Called directly, the accounting in 'used' must be exact, resizes across the
 * small size classes and malloc'd blocks must keep their contents, a resize
 * within one class must keep the block, the cap must refuse growth (but never
 * a shrink or a free), and heap_destroy must release every slab (ASan's leak
 * check fails the test otherwise). */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "heap.h"
#include "test.h"

static void *halloc(struct heap *h, void *p, size_t osize, size_t nsize)
{
  return heap_lua_alloc(h, p, osize, nsize);
}

static void fill(void *p, size_t n, unsigned seed)
{
  unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    c[i] = (unsigned char)(seed + i * 7);
}

static void check(const void *p, size_t n, unsigned seed)
{
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    if (c[i] != (unsigned char)(seed + i * 7))
      TEST_FAIL("byte %zu of %zu changed", i, n);
}

static void test_direct_calls(void)
{
  struct heap h;
  heap_init(&h, 0);
  ASSERT_EQ(h.used, 0);

  /* A new block: osize is a type tag when ptr is NULL, not counted. */
  void *p = halloc(&h, NULL, LUA_TSTRING, 20);
  ASSERT_NOT_NULL(p);
  ASSERT_EQ(h.used, 20);
  fill(p, 20, 1);

  /* Same class (17..32): the block is kept. */
  void *q = halloc(&h, p, 20, 32);
  ASSERT(q == p);
  ASSERT_EQ(h.used, 32);
  check(q, 20, 1);
  q = halloc(&h, q, 32, 17);
  ASSERT(q == p);
  ASSERT_EQ(h.used, 17);
  check(q, 17, 1);

  /* Another small class: moved, contents kept. */
  fill(q, 17, 2);
  void *r = halloc(&h, q, 17, 500);
  ASSERT_NOT_NULL(r);
  ASSERT(r != q);
  ASSERT_EQ(h.used, 500);
  check(r, 17, 2);
  fill(r, 500, 3);

  /* Small to large (malloc): contents kept. */
  void *big = halloc(&h, r, 500, HEAP_SMALL_MAX + 1);
  ASSERT_NOT_NULL(big);
  ASSERT_EQ(h.used, HEAP_SMALL_MAX + 1);
  check(big, 500, 3);
  fill(big, HEAP_SMALL_MAX + 1, 4);

  /* Large to larger (realloc): contents kept. */
  void *bigger = halloc(&h, big, HEAP_SMALL_MAX + 1, 100000);
  ASSERT_NOT_NULL(bigger);
  ASSERT_EQ(h.used, 100000);
  check(bigger, HEAP_SMALL_MAX + 1, 4);
  fill(bigger, 100000, 5);

  /* Large to small: contents kept up to the new size. */
  void *small = halloc(&h, bigger, 100000, HEAP_SMALL_MAX);
  ASSERT_NOT_NULL(small);
  ASSERT_EQ(h.used, HEAP_SMALL_MAX);
  check(small, HEAP_SMALL_MAX, 5);
  void *tiny = halloc(&h, small, HEAP_SMALL_MAX, 3);
  ASSERT_NOT_NULL(tiny);
  ASSERT_EQ(h.used, 3);
  check(tiny, 3, 5);

  /* Free returns the bytes to the accounting, exactly. */
  void *other = halloc(&h, NULL, LUA_TTABLE, 64);
  ASSERT_NOT_NULL(other);
  ASSERT_EQ(h.used, 67);
  ASSERT(halloc(&h, other, 64, 0) == NULL);
  ASSERT_EQ(h.used, 3);
  ASSERT(halloc(&h, tiny, 3, 0) == NULL);
  ASSERT_EQ(h.used, 0);

  /* A freed small block is reused for the next request of its class. */
  void *a = halloc(&h, NULL, LUA_TSTRING, 40);
  ASSERT_NOT_NULL(a);
  ASSERT(halloc(&h, a, 40, 0) == NULL);
  void *b = halloc(&h, NULL, LUA_TSTRING, 48);
  ASSERT(b == a);
  ASSERT_EQ(h.used, 48);
  ASSERT(halloc(&h, b, 48, 0) == NULL);

  /* Many small blocks of every class (several slabs), all different, all
   * intact, then all freed. */
  enum { N = 2000 };
  static void *blocks[N];
  size_t total = 0;
  for (unsigned i = 0; i < N; i++) {
    size_t n = 1 + (i * 37) % HEAP_SMALL_MAX;
    blocks[i] = halloc(&h, NULL, LUA_TUSERDATA, n);
    ASSERT_NOT_NULL(blocks[i]);
    fill(blocks[i], n, i);
    total += n;
  }
  ASSERT_EQ(h.used, total);
  for (unsigned i = 0; i < N; i++) {
    size_t n = 1 + (i * 37) % HEAP_SMALL_MAX;
    check(blocks[i], n, i);
    ASSERT(halloc(&h, blocks[i], n, 0) == NULL);
  }
  ASSERT_EQ(h.used, 0);

  /* free(NULL) in Lua's sense is a no-op. */
  ASSERT(halloc(&h, NULL, LUA_TNIL, 0) == NULL);
  ASSERT_EQ(h.used, 0);
  heap_destroy(&h);
  ASSERT_EQ(h.used, 0);
  ASSERT(h.slabs == NULL);
}

static void test_direct_limit(void)
{
  struct heap h;
  heap_init(&h, 100);
  void *p = halloc(&h, NULL, LUA_TSTRING, 60);
  ASSERT_NOT_NULL(p);
  ASSERT(halloc(&h, NULL, LUA_TSTRING, 41) == NULL); /* 101 > 100 */
  ASSERT_EQ(h.used, 60);
  ASSERT(halloc(&h, p, 60, 101) == NULL); /* growth past the cap */
  ASSERT_EQ(h.used, 60);
  void *q = halloc(&h, NULL, LUA_TSTRING, 40); /* exactly at the cap */
  ASSERT_NOT_NULL(q);
  ASSERT_EQ(h.used, 100);
  void *p2 = halloc(&h, p, 60, 10); /* a shrink is always allowed */
  ASSERT_NOT_NULL(p2);
  ASSERT_EQ(h.used, 50);
  ASSERT(halloc(&h, p2, 10, 0) == NULL);
  ASSERT(halloc(&h, q, 40, 0) == NULL);
  ASSERT_EQ(h.used, 0);
  heap_destroy(&h);
  ASSERT_EQ(h.limit, 100); /* destroy keeps the limit for reuse */
}

static void test_lua_state(void)
{
  struct heap h;
  heap_init(&h, 8u * 1024u * 1024u);
  lua_State *L = lua_newstate(heap_lua_alloc, &h);
  ASSERT_NOT_NULL(L);
  luaL_openlibs(L);
  lua_gc(L, LUA_GCCOLLECT);
  size_t before = h.used;
  ASSERT(before > 0);
  ASSERT(before < h.limit);

  /* Unbounded allocation: an ordinary memory error, not a crash. */
  int top = lua_gettop(L);
  ASSERT_OK(luaL_loadstring(L, "local t = {}\n"
                               "for i = 1, math.huge do\n"
                               "  t[i] = string.rep('x', 100) .. i\n"
                               "end\n"));
  ASSERT_EQ(lua_pcall(L, 0, 0, 0), LUA_ERRMEM);
  ASSERT_STR_EQ(lua_tostring(L, -1), "not enough memory");
  lua_pop(L, 1);
  ASSERT_EQ(lua_gettop(L), top);
  ASSERT(h.used <= h.limit);

  /* The garbage is collectable: back near where it was. */
  lua_gc(L, LUA_GCCOLLECT);
  ASSERT(h.used < before + 64 * 1024);

  /* And the state still works. */
  ASSERT_OK(luaL_dostring(L, "local s = 0\n"
                             "for i = 1, 1000 do s = s + #tostring(i) end\n"
                             "return s .. ':' .. string.rep('ab', 3)"));
  ASSERT_STR_EQ(lua_tostring(L, -1), "2893:ababab");
  lua_pop(L, 1);

  /* A second memory error behaves the same way. */
  ASSERT_OK(luaL_loadstring(L, "return string.rep('y', 16 * 1024 * 1024)"));
  ASSERT_EQ(lua_pcall(L, 0, 1, 0), LUA_ERRMEM);
  ASSERT_STR_EQ(lua_tostring(L, -1), "not enough memory");
  lua_pop(L, 1);
  ASSERT_OK(luaL_dostring(L, "return 6 * 7"));
  ASSERT_EQ(lua_tointeger(L, -1), 42);
  lua_pop(L, 1);

  lua_close(L);
  ASSERT_EQ(h.used, 0); /* Lua freed everything it took */
  heap_destroy(&h);
  ASSERT(h.slabs == NULL);
}

int main(void)
{
  test_direct_calls();
  test_direct_limit();
  test_lua_state();
  puts("ok");
  return 0;
}
