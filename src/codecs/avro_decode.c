/* avro_decode: Avro binary -> Lua values. See avro_decode.h.
 *
 * The plan is built from avro-c's parsed schema with its public accessors
 * only (avro_typeof, avro_schema_record_field_get_by_index, ...), once at
 * init; the decoder then never calls avro-c. Decoding pushes straight into
 * Lua; a bad datum unwinds to lrt_avro_decode_push(), which drops what was
 * pushed and reports where it stopped. */
#include "avro_decode.h"

#include <avro.h>
#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_lua.h"

/* Nesting the compiler follows through a schema text (jansson has parsed
 * it already; this only bounds our own recursion). */
#define AVRO_PLAN_MAX_DEPTH 256

enum avro_kind {
  AK_NULL,
  AK_BOOLEAN,
  AK_INT,
  AK_LONG,
  AK_FLOAT,
  AK_DOUBLE,
  AK_BYTES,
  AK_STRING,
  AK_RECORD,
  AK_ENUM,
  AK_FIXED,
  AK_ARRAY,
  AK_MAP,
  AK_UNION
};

struct avro_node {
  unsigned char kind;
  unsigned char zero_size; /* a datum of this type takes no bytes */
  uint32_t n;     /* record fields, union branches, enum symbols, fixed size */
  uint32_t kids;  /* record/union: first slot in plan->kids; array/map: the
                     items' node */
  uint32_t names; /* record fields / enum symbols: first name (1-based) */
};

struct avro_memo {
  avro_schema_t schema;
  uint32_t node;
};

struct lrt_avro_plan {
  struct avro_node *nodes;
  size_t nnodes, cap_nodes;
  uint32_t *kids;
  size_t nkids, cap_kids;
  char **names;
  size_t nnames, cap_names;
  struct avro_memo *memo; /* named types, while compiling */
  size_t nmemo, cap_memo;
};

/* ==== Compiling the plan ==== */

/* Grow '*arr' (of 'size'-byte items) to hold 'need'. Returns 0 or -1. */
static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap * 2 : 16;
  while (n < need)
    n *= 2;
  void *p = realloc(*arr, n * size);
  if (p == NULL)
    return -1;
  *arr = p;
  *cap = n;
  return 0;
}

static long new_node(struct lrt_avro_plan *p, enum avro_kind kind)
{
  if (p->nnodes >= UINT32_MAX || grow((void **)&p->nodes, &p->cap_nodes,
                                      p->nnodes + 1, sizeof *p->nodes) != 0)
    return -1;
  struct avro_node *n = &p->nodes[p->nnodes];
  memset(n, 0, sizeof *n);
  n->kind = (unsigned char)kind;
  return (long)p->nnodes++;
}

/* Reserve 'count' consecutive kid slots; returns the first or -1. */
static long new_kids(struct lrt_avro_plan *p, size_t count)
{
  if (grow((void **)&p->kids, &p->cap_kids, p->nkids + count,
           sizeof *p->kids) != 0)
    return -1;
  size_t first = p->nkids;
  p->nkids += count;
  return (long)first;
}

/* Append a copy of 'name'; returns its 1-based index or -1. */
static long new_name(struct lrt_avro_plan *p, const char *name)
{
  if (grow((void **)&p->names, &p->cap_names, p->nnames + 1,
           sizeof *p->names) != 0)
    return -1;
  char *copy = strdup(name ? name : "");
  if (copy == NULL)
    return -1;
  p->names[p->nnames++] = copy;
  return (long)p->nnames;
}

static int remember(struct lrt_avro_plan *p, avro_schema_t s, long node)
{
  if (grow((void **)&p->memo, &p->cap_memo, p->nmemo + 1, sizeof *p->memo) != 0)
    return -1;
  p->memo[p->nmemo].schema = s;
  p->memo[p->nmemo].node = (uint32_t)node;
  p->nmemo++;
  return 0;
}

static long recall(const struct lrt_avro_plan *p, avro_schema_t s)
{
  for (size_t i = 0; i < p->nmemo; i++)
    if (p->memo[i].schema == s)
      return (long)p->memo[i].node;
  return -1;
}

static long compile(struct lrt_avro_plan *p, avro_schema_t s, int depth);

static long compile_record(struct lrt_avro_plan *p, avro_schema_t s, int depth)
{
  size_t count = avro_schema_record_size(s);
  long node = new_node(p, AK_RECORD);
  long kids = node < 0 ? -1 : new_kids(p, count);
  if (kids < 0 || remember(p, s, node) != 0)
    return -1;
  long first_name = (long)p->nnames + 1;
  for (size_t i = 0; i < count; i++)
    if (new_name(p, avro_schema_record_field_name(s, (int)i)) < 0)
      return -1;
  int zero = 1;
  for (size_t i = 0; i < count; i++) {
    long kid =
        compile(p, avro_schema_record_field_get_by_index(s, (int)i), depth + 1);
    if (kid < 0)
      return -1;
    p->kids[(size_t)kids + i] = (uint32_t)kid;
    zero = zero && p->nodes[kid].zero_size;
  }
  struct avro_node *n = &p->nodes[node];
  n->n = (uint32_t)count;
  n->kids = (uint32_t)kids;
  n->names = (uint32_t)first_name;
  n->zero_size = (unsigned char)zero;
  return node;
}

static long compile_enum(struct lrt_avro_plan *p, avro_schema_t s)
{
  int count = avro_schema_enum_number_of_symbols(s);
  long node = new_node(p, AK_ENUM);
  if (node < 0 || count < 0 || remember(p, s, node) != 0)
    return -1;
  long first_name = (long)p->nnames + 1;
  for (int i = 0; i < count; i++)
    if (new_name(p, avro_schema_enum_get(s, i)) < 0)
      return -1;
  p->nodes[node].n = (uint32_t)count;
  p->nodes[node].names = (uint32_t)first_name;
  return node;
}

static long compile_union(struct lrt_avro_plan *p, avro_schema_t s, int depth)
{
  size_t count = avro_schema_union_size(s);
  long node = new_node(p, AK_UNION);
  long kids = node < 0 ? -1 : new_kids(p, count);
  if (kids < 0)
    return -1;
  for (size_t i = 0; i < count; i++) {
    long kid = compile(p, avro_schema_union_branch(s, (int)i), depth + 1);
    if (kid < 0)
      return -1;
    p->kids[(size_t)kids + i] = (uint32_t)kid;
  }
  p->nodes[node].n = (uint32_t)count;
  p->nodes[node].kids = (uint32_t)kids;
  return node;
}

/* The node for schema 's' (compiled now, or found when it is a named type
 * seen before). Returns its index or -1 (out of memory, too deep). */
static long compile(struct lrt_avro_plan *p, avro_schema_t s, int depth)
{
  long node;
  if (s == NULL || depth > AVRO_PLAN_MAX_DEPTH)
    return -1;
  switch (avro_typeof(s)) {
  case AVRO_NULL:
    node = new_node(p, AK_NULL);
    if (node >= 0)
      p->nodes[node].zero_size = 1;
    return node;
  case AVRO_BOOLEAN:
    return new_node(p, AK_BOOLEAN);
  case AVRO_INT32:
    return new_node(p, AK_INT);
  case AVRO_INT64:
    return new_node(p, AK_LONG);
  case AVRO_FLOAT:
    return new_node(p, AK_FLOAT);
  case AVRO_DOUBLE:
    return new_node(p, AK_DOUBLE);
  case AVRO_BYTES:
    return new_node(p, AK_BYTES);
  case AVRO_STRING:
    return new_node(p, AK_STRING);
  case AVRO_RECORD:
    node = recall(p, s);
    return node >= 0 ? node : compile_record(p, s, depth);
  case AVRO_ENUM:
    node = recall(p, s);
    return node >= 0 ? node : compile_enum(p, s);
  case AVRO_FIXED: {
    node = recall(p, s);
    if (node >= 0)
      return node;
    int64_t size = avro_schema_fixed_size(s);
    node = new_node(p, AK_FIXED);
    if (node < 0 || size < 0 || size > UINT32_MAX || remember(p, s, node) != 0)
      return -1;
    p->nodes[node].n = (uint32_t)size;
    p->nodes[node].zero_size = size == 0;
    return node;
  }
  case AVRO_ARRAY:
  case AVRO_MAP: {
    int is_map = avro_typeof(s) == AVRO_MAP;
    node = new_node(p, is_map ? AK_MAP : AK_ARRAY);
    long items = node < 0 ? -1
                          : compile(p,
                                    is_map ? avro_schema_map_values(s)
                                           : avro_schema_array_items(s),
                                    depth + 1);
    if (items < 0)
      return -1;
    p->nodes[node].kids = (uint32_t)items;
    return node;
  }
  case AVRO_UNION:
    return compile_union(p, s, depth);
  case AVRO_LINK:
    node = recall(p, avro_schema_link_target(s));
    return node >= 0 ? node : compile(p, avro_schema_link_target(s), depth + 1);
  }
  return -1;
}

int lrt_avro_plan_compile(const char *json, size_t len,
                          struct lrt_avro_plan **out, char *msg, size_t msg_len)
{
  avro_schema_t schema = NULL;
  *out = NULL;
  if (avro_schema_from_json_length(json, len, &schema) != 0) {
    /* avro-c's message ends with a newline at times. */
    snprintf(msg, msg_len, "not an Avro schema: %s", avro_strerror());
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
      msg[--n] = '\0';
    return -1;
  }
  struct lrt_avro_plan *p = calloc(1, sizeof *p);
  if (p == NULL || compile(p, schema, 0) < 0) {
    snprintf(msg, msg_len, "Avro schema too large or too deep to compile");
    avro_schema_decref(schema);
    lrt_avro_plan_free(p);
    return -1;
  }
  avro_schema_decref(schema);
  free(p->memo); /* the schema pointers it held are gone */
  p->memo = NULL;
  p->nmemo = p->cap_memo = 0;
  *out = p;
  return 0;
}

void lrt_avro_plan_free(struct lrt_avro_plan *p)
{
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->nnames; i++)
    free(p->names[i]);
  free(p->names);
  free(p->nodes);
  free(p->kids);
  free(p->memo);
  free(p);
}

size_t lrt_avro_plan_name_count(const struct lrt_avro_plan *p)
{
  return p->nnames;
}

const char *lrt_avro_plan_name(const struct lrt_avro_plan *p, size_t i)
{
  return p->names[i - 1];
}

/* ==== Decoding ==== */

struct avro_ctx {
  lua_State *L;
  const struct lrt_avro_plan *p;
  int names;
  struct wire_in in;
  struct wire_error *err;
  const char *field; /* innermost record field being read */
  size_t budget;     /* Lua values still allowed (WIRE_VALUE_BUDGET) */
};

static int bad(struct avro_ctx *c, const char *what)
{
  c->err->pos = wire_pos(&c->in);
  c->err->field = c->field;
  c->err->what = what;
  return -1;
}

static int read_long(struct avro_ctx *c, int64_t *v, const char *what)
{
  uint64_t u;
  if (wire_varint(&c->in, &u) != 0)
    return bad(c, what);
  *v = wire_unzigzag(u);
  return 0;
}

/* string/bytes: a long length, then the bytes. [-0, +1, m] on success. */
static int push_bytes(struct avro_ctx *c)
{
  int64_t len;
  const unsigned char *b;
  if (read_long(c, &len, "length past the end") != 0)
    return -1;
  if (len < 0)
    return bad(c, "negative length");
  if (wire_bytes(&c->in, (size_t)len, &b) != 0)
    return bad(c, "length past the end");
  lua_pushlstring(c->L, (const char *)b, (size_t)len);
  return 0;
}

static int value(struct avro_ctx *c, uint32_t node, int depth);

/* The next block header of an array or map: *count items (0 ends). */
static int block_count(struct avro_ctx *c, const struct avro_node *items,
                       size_t *seen, int64_t *count)
{
  if (read_long(c, count, "block count past the end") != 0)
    return -1;
  if (*count < 0) {
    int64_t size;
    if (*count == INT64_MIN)
      return bad(c, "bad block count");
    *count = -*count;
    if (read_long(c, &size, "block size past the end") != 0)
      return -1;
    if (size < 0)
      return bad(c, "negative block size");
  }
  /* Every item takes a byte at least, unless its type takes none: then a
   * fixed bound stands in for the payload's length. */
  if (items != NULL && items->zero_size) {
    if ((uint64_t)*count > AVRO_DECODE_MAX_EMPTY_ITEMS - *seen)
      return bad(c, "too many items in an array or map");
  } else if ((uint64_t)*count > wire_left(&c->in)) {
    return bad(c, "item count past the end");
  }
  *seen += (size_t)*count;
  return 0;
}

/* [-0, +1, m] on success. */
static int push_array(struct avro_ctx *c, const struct avro_node *n, int depth)
{
  lua_State *L = c->L;
  const struct avro_node *items = &c->p->nodes[n->kids];
  size_t seen = 0;
  int64_t count;
  lua_Integer i = 0;
  if (block_count(c, items, &seen, &count) != 0)
    return -1;
  lua_createtable(L, count > INT32_MAX ? 0 : (int)count, 0);
  int t = lua_gettop(L);
  while (count > 0) {
    for (int64_t k = 0; k < count; k++) {
      if (value(c, n->kids, depth + 1) != 0)
        return -1;
      lua_rawseti(L, t, ++i);
    }
    if (block_count(c, items, &seen, &count) != 0)
      return -1;
  }
  return 0;
}

/* [-0, +1, m] on success. */
static int push_map(struct avro_ctx *c, const struct avro_node *n, int depth)
{
  lua_State *L = c->L;
  size_t seen = 0;
  int64_t count;
  /* A key takes a byte at least, so the payload bounds the count. */
  if (block_count(c, NULL, &seen, &count) != 0)
    return -1;
  lua_createtable(L, 0, count > INT32_MAX ? 0 : (int)count);
  int t = lua_gettop(L);
  while (count > 0) {
    for (int64_t k = 0; k < count; k++) {
      if (push_bytes(c) != 0 || value(c, n->kids, depth + 1) != 0)
        return -1;
      lua_rawset(L, t);
    }
    if (block_count(c, NULL, &seen, &count) != 0)
      return -1;
  }
  return 0;
}

/* [-0, +1, m] on success. */
static int push_record(struct avro_ctx *c, const struct avro_node *n, int depth)
{
  lua_State *L = c->L;
  const char *outer = c->field;
  lua_createtable(L, 0, (int)n->n);
  int t = lua_gettop(L);
  for (uint32_t i = 0; i < n->n; i++) {
    c->field = c->p->names[n->names + i - 1];
    lua_rawgeti(L, c->names, (lua_Integer)(n->names + i)); /* the name */
    if (value(c, c->p->kids[n->kids + i], depth + 1) != 0)
      return -1;
    lua_rawset(L, t);
  }
  c->field = outer;
  return 0;
}

/* Push the datum of type 'node'. Returns 0, or -1 (err set; the caller
 * resets the stack). */
static int value(struct avro_ctx *c, uint32_t node, int depth)
{
  lua_State *L = c->L;
  const struct avro_node *n = &c->p->nodes[node];
  const unsigned char *b;
  int64_t v;
  uint32_t u32;
  uint64_t u64;

  if (depth > AVRO_DECODE_MAX_DEPTH)
    return bad(c, "nesting deeper than the limit (64)");
  if (c->budget == 0)
    return bad(c, "value expands past the limit (64 Lua values a byte)");
  c->budget--;
  /* A record level holds its table and a name, an array or map its table
   * and a key: three slots with room to spare. */
  luaL_checkstack(L, 4, "Avro nesting");
  switch ((enum avro_kind)n->kind) {
  case AK_NULL:
    json_lua_push_null(L);
    return 0;
  case AK_BOOLEAN:
    if (wire_bytes(&c->in, 1, &b) != 0)
      return bad(c, "boolean past the end");
    if (b[0] > 1) {
      c->in.p--;
      return bad(c, "boolean byte is not 0 or 1");
    }
    lua_pushboolean(L, b[0]);
    return 0;
  case AK_INT:
    if (read_long(c, &v, "int past the end") != 0)
      return -1;
    if (v < INT32_MIN || v > INT32_MAX)
      return bad(c, "int out of range");
    lua_pushinteger(L, (lua_Integer)v);
    return 0;
  case AK_LONG:
    if (read_long(c, &v, "long past the end") != 0)
      return -1;
    lua_pushinteger(L, (lua_Integer)v);
    return 0;
  case AK_FLOAT:
    if (wire_fixed32(&c->in, &u32) != 0)
      return bad(c, "float past the end");
    lua_pushnumber(L, (lua_Number)wire_bits_float(u32));
    return 0;
  case AK_DOUBLE:
    if (wire_fixed64(&c->in, &u64) != 0)
      return bad(c, "double past the end");
    lua_pushnumber(L, (lua_Number)wire_bits_double(u64));
    return 0;
  case AK_BYTES:
  case AK_STRING:
    return push_bytes(c);
  case AK_FIXED:
    if (wire_bytes(&c->in, n->n, &b) != 0)
      return bad(c, "fixed past the end");
    lua_pushlstring(L, (const char *)b, n->n);
    return 0;
  case AK_ENUM:
    if (read_long(c, &v, "enum past the end") != 0)
      return -1;
    if (v < 0 || v >= (int64_t)n->n)
      return bad(c, "enum index out of range");
    lua_rawgeti(L, c->names, (lua_Integer)n->names + v);
    return 0;
  case AK_UNION:
    if (read_long(c, &v, "union branch past the end") != 0)
      return -1;
    if (v < 0 || v >= (int64_t)n->n)
      return bad(c, "union branch out of range");
    return value(c, c->p->kids[n->kids + (uint32_t)v], depth);
  case AK_RECORD:
    return push_record(c, n, depth);
  case AK_ARRAY:
    return push_array(c, n, depth);
  case AK_MAP:
    return push_map(c, n, depth);
  }
  return bad(c, "unknown schema node");
}

int lrt_avro_decode_push(lua_State *L, const struct lrt_avro_plan *p, int names,
                         const unsigned char *data, size_t len,
                         struct wire_error *err)
{
  struct avro_ctx c;
  int top = lua_gettop(L);
  c.L = L;
  c.p = p;
  c.names = names;
  c.err = err;
  c.field = NULL;
  c.budget = WIRE_VALUE_BUDGET(len);
  wire_in_init(&c.in, data, len);
  if (value(&c, 0, 0) != 0) {
    lua_settop(L, top);
    return -1;
  }
  if (wire_left(&c.in) != 0) {
    lua_settop(L, top);
    return bad(&c, "bytes left after the value");
  }
  return 0;
}
