/* json_tree: a cJSON-shaped tree from JSON text, NUL-safe and locale-free.
 * See json_tree.h.
 *
 * A string is stored as [size_t length][bytes][NUL] and the node is marked
 * with a type bit above cJSON's (cJSON masks types with 0xFF), so the
 * length helpers know to read it; cJSON's own trees lack the bit. */
#include "json_tree.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "json_text.h"
#include "utf8.h"

#define JSON_TREE_VALUE_LEN (1 << 12) /* valuestring is length-prefixed */
#define JSON_TREE_KEY_LEN (1 << 13)   /* string (the name) likewise */
/* Past cJSON's limit the decoders' own (200, json_lua.h) has long been
 * passed: the phrase names that one, as the message always has. */
#define JSON_TREE_DEEP "nesting deeper than 200 levels"

struct parser {
  const char *p, *end;
  struct arena *a;
  const char *why; /* set by the failure that stops the parse */
  int depth;
};

static void *fail(struct parser *ps, const char *why)
{
  if (!ps->why)
    ps->why = why;
  return NULL;
}

static void *take(struct parser *ps, size_t n)
{
  void *p = arena_take(ps->a, n);
  return p ? p : fail(ps, "out of memory");
}

static void ws(struct parser *ps)
{
  ps->p = json_text_skip_space(ps->p, ps->end);
}

/* A string literal at ps->p, stored length-prefixed; returns its bytes. */
static char *string(struct parser *ps)
{
  if (ps->p >= ps->end || *ps->p != '"')
    return fail(ps, "syntax error");
  int escaped;
  const char *body = ps->p + 1;
  size_t n = json_text_string_end(body, (size_t)(ps->end - body), &escaped);
  if (n == (size_t)-1)
    return fail(ps, "syntax error");
  if (n > SIZE_MAX - sizeof(size_t) - 1)
    return fail(ps, "out of memory");
  char *mem = take(ps, sizeof(size_t) + n + 1);
  if (!mem)
    return NULL;
  char *out = mem + sizeof(size_t);
  size_t len = n;
  if (!escaped)
    memcpy(out, body, n);
  else if (json_text_unescape(body, n, out, &len) != 0)
    return fail(ps, "syntax error");
  out[len] = '\0';
  memcpy(mem, &len, sizeof len);
  ps->p = body + n + 1;
  return out;
}

static cJSON *value(struct parser *ps);

static cJSON *node(struct parser *ps, int type)
{
  cJSON *n = take(ps, sizeof(*n));
  if (n) {
    memset(n, 0, sizeof(*n));
    n->type = type;
  }
  return n;
}

/* The members or elements of the container at ps->p ('{' or '['). */
static cJSON *container(struct parser *ps, int object)
{
  if (++ps->depth > CJSON_NESTING_LIMIT)
    return fail(ps, JSON_TREE_DEEP);
  cJSON *c = node(ps, object ? cJSON_Object : cJSON_Array);
  if (!c)
    return NULL;
  char close = object ? '}' : ']';
  ps->p++;
  ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    ps->depth--;
    return c;
  }
  cJSON *last = NULL;
  for (;;) {
    char *key = NULL;
    ws(ps);
    if (object) {
      key = string(ps);
      if (!key)
        return NULL;
      ws(ps);
      if (ps->p >= ps->end || *ps->p != ':')
        return fail(ps, "syntax error");
      ps->p++;
    }
    cJSON *item = value(ps);
    if (!item)
      return NULL;
    if (key) {
      item->string = key;
      item->type |= JSON_TREE_KEY_LEN;
    }
    if (last) {
      last->next = item;
      item->prev = last;
    } else {
      c->child = item;
    }
    last = item;
    ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close)
      break;
    return fail(ps, "syntax error");
  }
  ps->p++;
  c->child->prev = last; /* cJSON's convention: the first's prev is last */
  ps->depth--;
  return c;
}

static cJSON *number(struct parser *ps)
{
  size_t n = json_text_number_len(ps->p, (size_t)(ps->end - ps->p));
  double d;
  if (n == 0 || json_text_number(ps->p, n, &d) != 0)
    return fail(ps, "syntax error");
  cJSON *item = node(ps, cJSON_Number);
  if (!item)
    return NULL;
  item->valuedouble = d;
  /* cJSON's saturating valueint, for readers that use it. */
  item->valueint = d >= INT_MAX ? INT_MAX : d <= INT_MIN ? INT_MIN : (int)d;
  ps->p += n;
  return item;
}

static cJSON *literal(struct parser *ps, const char *text, size_t n, int type)
{
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, text, n) != 0)
    return fail(ps, "syntax error");
  ps->p += n;
  cJSON *item = node(ps, type);
  if (item && type == cJSON_True)
    item->valueint = 1;
  return item;
}

static cJSON *value(struct parser *ps)
{
  ws(ps);
  if (ps->p >= ps->end)
    return fail(ps, "syntax error");
  switch (*ps->p) {
  case '{':
    return container(ps, 1);
  case '[':
    return container(ps, 0);
  case '"': {
    cJSON *item = node(ps, cJSON_String | JSON_TREE_VALUE_LEN);
    if (item && !(item->valuestring = string(ps)))
      return NULL;
    return item;
  }
  case 't':
    return literal(ps, "true", 4, cJSON_True);
  case 'f':
    return literal(ps, "false", 5, cJSON_False);
  case 'n':
    return literal(ps, "null", 4, cJSON_NULL);
  default:
    return number(ps);
  }
}

cJSON *json_tree_parse(struct arena *a, const char *text, size_t len,
                       size_t *at, const char **why)
{
  struct parser ps = {text, text + len, a, NULL, 0};
  if (len >= UTF8_BOM_LEN && memcmp(text, UTF8_BOM, UTF8_BOM_LEN) == 0)
    ps.p += UTF8_BOM_LEN; /* as cJSON skips it */
  cJSON *root = value(&ps);
  if (root) {
    while (ps.p < ps.end &&
           (*ps.p == ' ' || *ps.p == '\t' || *ps.p == '\n' || *ps.p == '\r'))
      ps.p++;
    if (ps.p < ps.end) {
      root = NULL;
      ps.why = "trailing characters after the value";
    }
  }
  *at = (size_t)(ps.p - text);
  if (!root)
    *why = ps.why ? ps.why : "syntax error";
  return root;
}

static size_t prefixed_len(const char *s)
{
  size_t n;
  memcpy(&n, s - sizeof(size_t), sizeof n);
  return n;
}

size_t json_tree_value_len(const cJSON *item)
{
  if (!item->valuestring)
    return 0;
  if (item->type & JSON_TREE_VALUE_LEN)
    return prefixed_len(item->valuestring);
  return strlen(item->valuestring);
}

size_t json_tree_key_len(const cJSON *item)
{
  if (!item->string)
    return 0;
  if (item->type & JSON_TREE_KEY_LEN)
    return prefixed_len(item->string);
  return strlen(item->string);
}

cJSON *json_tree_get(const cJSON *obj, const char *name)
{
  if (!cJSON_IsObject(obj))
    return NULL;
  size_t n = strlen(name);
  for (cJSON *c = obj->child; c; c = c->next) {
    if (c->string && json_tree_key_len(c) == n &&
        memcmp(c->string, name, n) == 0)
      return c;
  }
  return NULL;
}

const char *json_tree_type_name(const cJSON *item)
{
  if (item == NULL)
    return "missing";
  if (cJSON_IsNull(item))
    return "null";
  if (cJSON_IsBool(item))
    return "a boolean";
  if (cJSON_IsNumber(item))
    return "a number";
  if (cJSON_IsString(item))
    return "a string";
  if (cJSON_IsArray(item))
    return "an array";
  if (cJSON_IsObject(item))
    return "an object";
  return "invalid";
}
