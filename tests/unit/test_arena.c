/* test_arena: JSON trees parsed into the arena.
 *
 * json_tree_parse allocates from the arena (arena.used grows) and the tree
 * reads back correctly; arena_reset forgets it and the arena parses the
 * next document into the same memory; a document of several MB spans
 * several chunks and, once reset, the next one of that size fits in the
 * single kept chunk; cJSON's own malloc'd trees are untouched by the arena
 * (under ASan a free() of arena memory would fail the test), and
 * arena_free releases everything (ASan's leak check). */
#include <cjson/cJSON.h>

#include "arena.h"
#include "json_tree.h"
#include "test.h"

static cJSON *parse_in(struct arena *a, const char *json, size_t len)
{
  size_t at = 0;
  const char *why = NULL;
  return json_tree_parse(a, json, len, &at, &why);
}

static void check_small(const cJSON *root)
{
  ASSERT_NOT_NULL(root);
  ASSERT(cJSON_IsObject(root));
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
  ASSERT(cJSON_IsString(name));
  ASSERT_STR_EQ(name->valuestring, "widget \xC3\xA9");
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "n");
  ASSERT(cJSON_IsNumber(n));
  ASSERT_EQ(n->valueint, 42);
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "list");
  ASSERT(cJSON_IsArray(list));
  ASSERT_EQ(cJSON_GetArraySize(list), 3);
  ASSERT(cJSON_IsTrue(cJSON_GetArrayItem(list, 0)));
  ASSERT(cJSON_IsNull(cJSON_GetArrayItem(list, 1)));
  const cJSON *inner = cJSON_GetArrayItem(list, 2);
  ASSERT_STR_EQ(cJSON_GetObjectItemCaseSensitive(inner, "k")->valuestring, "v");
}

static const char small_json[] = "{\"name\": \"widget \\u00e9\", \"n\": 42,"
                                 " \"list\": [true, null, {\"k\": \"v\"}]}";

static void test_parse_reset_reuse(void)
{
  struct arena a;
  arena_init(&a);
  ASSERT_EQ(a.used, 0);
  ASSERT(a.head == NULL);

  cJSON *root = parse_in(&a, small_json, sizeof small_json - 1);
  ASSERT(a.used > 0); /* the tree came from the arena */
  size_t used = a.used;
  check_small(root); /* valid until the reset */
  const void *head = a.head;
  ASSERT_NOT_NULL(head);

  arena_reset(&a);
  ASSERT_EQ(a.used, 0);
  ASSERT(a.head == head); /* one chunk: kept as is */

  root = parse_in(&a, small_json, sizeof small_json - 1);
  check_small(root);
  ASSERT_EQ(a.used, used); /* same document, same bytes */
  ASSERT(a.head == head);  /* same memory reused */

  /* A parse error allocates from the arena too and returns NULL. */
  arena_reset(&a);
  ASSERT(parse_in(&a, "{\"a\": [1, 2", 11) == NULL);
  arena_reset(&a);
  root = parse_in(&a, "[1,2,3]", 7);
  ASSERT_EQ(cJSON_GetArraySize(root), 3);
  ASSERT_EQ(cJSON_GetArrayItem(root, 2)->valueint, 3);
  arena_free(&a);
  ASSERT(a.head == NULL);
  ASSERT_EQ(a.used, 0);
}

/* '[{"i":0,"s":"item-0"},...]' with 'count' objects; sets *len. */
static char *make_doc(int count, size_t *len)
{
  size_t cap = (size_t)count * 48 + 16;
  char *doc = malloc(cap);
  ASSERT_NOT_NULL(doc);
  size_t o = 0;
  doc[o++] = '[';
  for (int i = 0; i < count; i++) {
    int n = snprintf(doc + o, cap - o, "%s{\"i\":%d,\"s\":\"item-%d\"}",
                     i ? "," : "", i, i);
    ASSERT(n > 0 && (size_t)n < cap - o);
    o += (size_t)n;
  }
  doc[o++] = ']';
  doc[o] = '\0';
  *len = o;
  return doc;
}

static void check_doc(const cJSON *root, int count)
{
  ASSERT(cJSON_IsArray(root));
  int i = 0;
  char want[32];
  const cJSON *item;
  cJSON_ArrayForEach(item, root) {
    ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(item, "i")->valueint, i);
    snprintf(want, sizeof want, "item-%d", i);
    ASSERT_STR_EQ(cJSON_GetObjectItemCaseSensitive(item, "s")->valuestring,
                  want);
    i++;
  }
  ASSERT_EQ(i, count);
}

static void test_large_documents(void)
{
  struct arena a;
  arena_init(&a);

  /* A few MB of tree: more than the first 1 MB chunk, within ARENA_KEEP. */
  size_t len;
  int count = 16000;
  char *doc = make_doc(count, &len);
  cJSON *root = parse_in(&a, doc, len);
  ASSERT_NOT_NULL(root);
  size_t used = a.used;
  ASSERT(used > 2u * 1024u * 1024u);
  ASSERT(used < ARENA_KEEP / 2);
  check_doc(root, count);

  /* Reset: the next document of this size fits in one kept chunk, so the
   * parse allocates no new chunk. */
  arena_reset(&a);
  ASSERT_EQ(a.used, 0);
  const void *head = a.head;
  ASSERT_NOT_NULL(head);
  root = parse_in(&a, doc, len);
  check_doc(root, count);
  ASSERT_EQ(a.used, used);
  ASSERT(a.head == head);
  arena_reset(&a);
  ASSERT(a.head == head);
  free(doc);

  /* Larger than ARENA_KEEP: still parses, resets and parses again. */
  count = 60000;
  doc = make_doc(count, &len);
  root = parse_in(&a, doc, len);
  ASSERT_NOT_NULL(root);
  used = a.used;
  ASSERT(used > ARENA_KEEP);
  check_doc(root, count);
  arena_reset(&a);
  ASSERT_EQ(a.used, 0);
  root = parse_in(&a, doc, len);
  check_doc(root, count);
  ASSERT_EQ(a.used, used);
  arena_reset(&a);

  /* And a small one after the big one. */
  root = parse_in(&a, small_json, sizeof small_json - 1);
  check_small(root);
  free(doc);
  arena_free(&a);
  ASSERT(a.head == NULL);
}

static void test_malloc_after_remove(void)
{
  struct arena a;
  arena_init(&a);
  cJSON *root = parse_in(&a, small_json, sizeof small_json - 1);
  check_small(root);
  size_t used = a.used;

  /* cJSON is back on malloc: a tree it builds is its own to delete. */
  cJSON *obj = cJSON_CreateObject();
  ASSERT_NOT_NULL(obj);
  ASSERT_NOT_NULL(cJSON_AddStringToObject(obj, "k", "value"));
  ASSERT_NOT_NULL(cJSON_AddNumberToObject(obj, "n", 7));
  char *text = cJSON_PrintUnformatted(obj);
  ASSERT_STR_EQ(text, "{\"k\":\"value\",\"n\":7}");
  cJSON_free(text);
  cJSON_Delete(obj);
  cJSON *parsed = cJSON_Parse(small_json);
  check_small(parsed);
  cJSON_Delete(parsed);
  ASSERT_EQ(a.used, used); /* none of that came from the arena */

  check_small(root); /* the arena tree is untouched */
  arena_free(&a);
}

int main(void)
{
  test_parse_reset_reuse();
  test_large_documents();
  test_malloc_after_remove();
  puts("ok");
  return 0;
}
