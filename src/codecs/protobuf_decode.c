/* protobuf_decode: Protobuf wire format -> Lua values. See protobuf_decode.h.
 *
 * One pass over the bytes per message, pushing straight into Lua; the fields
 * seen are marked in a small bitmap so the defaults pass costs no lookups.
 * A bad payload unwinds to protobuf_decode_push(), which drops what was
 * pushed and reports the byte position and field. */
#include "protobuf_decode.h"

#include <lauxlib.h>
#include <stdint.h>
#include <string.h>

/* Messages with more fields than this check presence with a table lookup. */
#define PB_SEEN_BITS 512

struct pb_ctx {
  lua_State *L;
  const struct pb_set *set;
  int names;
  const unsigned char *start;
  struct wire_error *err;
  const char *field;
  size_t budget; /* Lua values still allowed (WIRE_VALUE_BUDGET) */
};

static int bad(struct pb_ctx *c, const unsigned char *at, const char *what)
{
  c->err->pos = (size_t)(at - c->start);
  c->err->field = c->field;
  c->err->what = what;
  return -1;
}

static int expected_wire(int type)
{
  switch (type) {
  case PB_FIXED64:
  case PB_SFIXED64:
  case PB_DOUBLE:
    return 1;
  case PB_FIXED32:
  case PB_SFIXED32:
  case PB_FLOAT:
    return 5;
  case PB_STRING:
  case PB_BYTES:
  case PB_MESSAGE:
    return 2;
  case PB_GROUP:
    return 3;
  default:
    return 0;
  }
}

/* Skip a group whose start tag (field 'number') was just read. */
static int skip_group(struct pb_ctx *c, struct wire_in *in, uint32_t number,
                      int depth)
{
  if (depth > PROTOBUF_DECODE_MAX_DEPTH)
    return bad(c, in->p, "nesting deeper than the limit (64)");
  for (;;) {
    const unsigned char *at = in->p;
    uint64_t tag, v;
    const unsigned char *b;
    if (wire_varint(in, &tag) != 0)
      return bad(c, at, "group not closed before the end");
    int wire = (int)(tag & 7);
    uint32_t num = (uint32_t)(tag >> 3);
    int r = 0;
    switch (wire) {
    case 0:
      r = wire_varint(in, &v);
      break;
    case 1:
      r = wire_bytes(in, 8, &b);
      break;
    case 5:
      r = wire_bytes(in, 4, &b);
      break;
    case 2:
      r = wire_varint(in, &v) != 0 || v > wire_left(in)
              ? -1
              : wire_bytes(in, (size_t)v, &b);
      break;
    case 3:
      if (skip_group(c, in, num, depth + 1) != 0)
        return -1;
      break;
    case 4:
      if (num != number)
        return bad(c, at, "mismatched end of group");
      return 0;
    default:
      return bad(c, at, "bad wire type");
    }
    if (r != 0)
      return bad(c, at, "field past the end");
  }
}

/* Push a scalar of type 'f->type' read as 'v' (varint or fixed bits). */
static void push_scalar(struct pb_ctx *c, const struct pb_field *f, uint64_t v)
{
  lua_State *L = c->L;
  switch (f->type) {
  case PB_INT32:
  case PB_SFIXED32:
    lua_pushinteger(L, (int32_t)(uint32_t)v);
    break;
  case PB_INT64:
  case PB_SFIXED64:
    lua_pushinteger(L, (lua_Integer)(int64_t)v);
    break;
  case PB_UINT32:
  case PB_FIXED32:
    lua_pushinteger(L, (lua_Integer)(uint32_t)v);
    break;
  case PB_UINT64:
  case PB_FIXED64:
    /* Lua's integers are signed: from 2^63 on, a float (docs/kafka.md). */
    if (v > (uint64_t)INT64_MAX)
      lua_pushnumber(L, (lua_Number)v);
    else
      lua_pushinteger(L, (lua_Integer)v);
    break;
  case PB_SINT32:
    lua_pushinteger(L, (int32_t)wire_unzigzag((uint32_t)v));
    break;
  case PB_SINT64:
    lua_pushinteger(L, (lua_Integer)wire_unzigzag(v));
    break;
  case PB_BOOL:
    lua_pushboolean(L, v != 0);
    break;
  case PB_FLOAT:
    lua_pushnumber(L, (lua_Number)wire_bits_float((uint32_t)v));
    break;
  case PB_DOUBLE:
    lua_pushnumber(L, (lua_Number)wire_bits_double(v));
    break;
  case PB_ENUM: {
    uint32_t name =
        protobuf_desc_enum_name(&c->set->enums[f->ref], (int32_t)(uint32_t)v);
    if (name != 0)
      lua_rawgeti(L, c->names, (lua_Integer)name);
    else
      lua_pushinteger(L, (int32_t)(uint32_t)v);
    break;
  }
  default:
    lua_pushnil(L);
  }
}

/* Read one scalar of wire type 'wire' from 'in' and push it. */
static int read_scalar(struct pb_ctx *c, struct wire_in *in,
                       const struct pb_field *f, int wire)
{
  const unsigned char *at = in->p;
  uint64_t v;
  uint32_t v32;
  if (wire == 0) {
    if (wire_varint(in, &v) != 0)
      return bad(c, at, "varint past the end");
  } else if (wire == 1) {
    if (wire_fixed64(in, &v) != 0)
      return bad(c, at, "fixed64 past the end");
  } else {
    if (wire_fixed32(in, &v32) != 0)
      return bad(c, at, "fixed32 past the end");
    v = v32;
  }
  push_scalar(c, f, v);
  return 0;
}

/* Push the proto3 default of a singular field. */
static void push_default(struct pb_ctx *c, const struct pb_field *f)
{
  lua_State *L = c->L;
  switch (f->type) {
  case PB_STRING:
  case PB_BYTES:
    lua_pushliteral(L, "");
    break;
  case PB_FLOAT:
  case PB_DOUBLE:
    lua_pushnumber(L, 0.0);
    break;
  case PB_BOOL:
    lua_pushboolean(L, 0);
    break;
  case PB_ENUM: {
    const struct pb_enum *e = &c->set->enums[f->ref];
    if (e->default_name != 0)
      lua_rawgeti(L, c->names, (lua_Integer)e->default_name);
    else
      lua_pushinteger(L, 0);
    break;
  }
  default:
    lua_pushinteger(L, 0);
  }
}

static int message(struct pb_ctx *c, const struct pb_message *m,
                   struct wire_in *in, int t, int merge, int depth);

/* Push a new table for message 'ref' read from bytes [b, b + len). */
static int push_message(struct pb_ctx *c, int32_t ref, const unsigned char *b,
                        size_t len, int depth)
{
  const struct pb_message *m = &c->set->messages[ref];
  struct wire_in sub = {c->start, b, b + len};
  lua_createtable(c->L, 0, (int)m->nfields);
  return message(c, m, &sub, lua_gettop(c->L), 0, depth + 1);
}

/* Push the key and the value of a map entry (bytes [b, b + len)). */
static int push_map_entry(struct pb_ctx *c, const struct pb_field *f,
                          const unsigned char *b, size_t len, int depth)
{
  lua_State *L = c->L;
  const struct pb_message *entry = &c->set->messages[f->ref];
  const struct pb_field *kf = protobuf_desc_field(entry, 1);
  const struct pb_field *vf = protobuf_desc_field(entry, 2);
  struct wire_in sub = {c->start, b, b + len};
  int slot = lua_gettop(L) + 1;
  if (kf == NULL || vf == NULL)
    return bad(c, b, "map entry type without key or value");
  lua_pushnil(L); /* key */
  lua_pushnil(L); /* value */
  while (wire_left(&sub) > 0) {
    const unsigned char *at = sub.p;
    uint64_t tag, v;
    const unsigned char *pb;
    if (wire_varint(&sub, &tag) != 0)
      return bad(c, at, "tag past the end");
    int wire = (int)(tag & 7);
    uint32_t num = (uint32_t)(tag >> 3);
    const struct pb_field *ef = num == 1 ? kf : num == 2 ? vf : NULL;
    if (wire == 2) {
      if (wire_varint(&sub, &v) != 0 || v > wire_left(&sub))
        return bad(c, at, "length past the end");
      (void)wire_bytes(&sub, (size_t)v, &pb);
      if (ef == NULL || expected_wire(ef->type) != 2)
        continue;
      if (ef->type == PB_MESSAGE) {
        if (push_message(c, ef->ref, pb, (size_t)v, depth) != 0)
          return -1;
      } else {
        lua_pushlstring(L, (const char *)pb, (size_t)v);
      }
    } else if (wire == 0 || wire == 1 || wire == 5) {
      if (ef == NULL || expected_wire(ef->type) != wire) {
        if ((wire == 0 ? wire_varint(&sub, &v)
                       : wire_bytes(&sub, wire == 1 ? 8 : 4, &pb)) != 0)
          return bad(c, at, "field past the end");
        continue;
      }
      if (read_scalar(c, &sub, ef, wire) != 0)
        return -1;
    } else if (wire == 3) {
      if (skip_group(c, &sub, num, depth + 1) != 0)
        return -1;
      continue;
    } else {
      return bad(c, at, "bad wire type");
    }
    lua_replace(L, ef == kf ? slot : slot + 1);
  }
  if (lua_isnil(L, slot)) {
    push_default(c, kf);
    lua_replace(L, slot);
  }
  if (lua_isnil(L, slot + 1)) {
    if (vf->type == PB_MESSAGE) {
      if (push_message(c, vf->ref, b, 0, depth) != 0)
        return -1;
    } else {
      push_default(c, vf);
    }
    lua_replace(L, slot + 1);
  }
  return 0;
}

/* ==== Repeated fields ==== */

/* Lists are created at the size they will have when that is cheap to know,
 * as Lua grows a table by doubling and rehashing it. */
#define PB_LIST_MAX_GUESS (1 << 20)

/* How many fields tagged 'tag' follow at 'in' one after the other (encoders
 * write a repeated field's elements together); stops at anything else,
 * malformed bytes included, which the decode itself then reports. */
static size_t run_after(const struct wire_in *in, uint64_t tag)
{
  struct wire_in r = *in;
  size_t n = 0;
  uint64_t t, v;
  const unsigned char *b;
  while (n < PB_LIST_MAX_GUESS && wire_varint(&r, &t) == 0 && t == tag) {
    int ok;
    switch (tag & 7) {
    case 0:
      ok = wire_varint(&r, &v) == 0;
      break;
    case 1:
      ok = wire_bytes(&r, 8, &b) == 0;
      break;
    case 5:
      ok = wire_bytes(&r, 4, &b) == 0;
      break;
    default:
      ok = wire_varint(&r, &v) == 0 && v <= wire_left(&r) &&
           wire_bytes(&r, (size_t)v, &b) == 0;
    }
    if (!ok)
      break;
    n++;
  }
  return n;
}

/* The number of elements in a packed run of bytes [b, b + len). */
static size_t packed_count(int wire, const unsigned char *b, size_t len)
{
  size_t n = 0;
  if (wire == 1)
    return len / 8;
  if (wire == 5)
    return len / 4;
  for (size_t i = 0; i < len; i++)
    n += b[i] < 0x80; /* each varint ends at a byte below 0x80 */
  return n;
}

/* Push the sequence (or map) table of field 'f' in 't', creating it with
 * room for 'guess' elements the first time the field is seen. */
static void push_list(struct pb_ctx *c, const struct pb_field *f, int t,
                      int seen, size_t guess)
{
  lua_State *L = c->L;
  if (seen) {
    lua_rawgeti(L, c->names, (lua_Integer)f->name_idx);
    if (lua_rawget(L, t) == LUA_TTABLE)
      return;
    lua_pop(L, 1); /* not a table: cannot happen, but be safe */
  }
  if (guess > PB_LIST_MAX_GUESS)
    guess = PB_LIST_MAX_GUESS;
  if (f->is_map)
    lua_createtable(L, 0, (int)guess);
  else
    lua_createtable(L, (int)guess, 0);
  lua_rawgeti(L, c->names, (lua_Integer)f->name_idx);
  lua_pushvalue(L, -2);
  lua_rawset(L, t);
}

static int is_packable(int type)
{
  return type != PB_STRING && type != PB_BYTES && type != PB_MESSAGE &&
         type != PB_GROUP;
}

/* One occurrence of field 'f' (tag read, wire type 'wire') into table 't'. */
static int field(struct pb_ctx *c, struct wire_in *in, const struct pb_field *f,
                 int wire, int t, int seen, int depth)
{
  lua_State *L = c->L;
  const unsigned char *at = in->p;
  const unsigned char *b = NULL;
  size_t len = 0;
  uint64_t v;
  int want = expected_wire(f->type);

  if (wire == 2) {
    if (wire_varint(in, &v) != 0 || v > wire_left(in))
      return bad(c, at, "length past the end");
    len = (size_t)v;
    (void)wire_bytes(in, len, &b);
  } else if (wire != want) {
    /* A wire type the field cannot have: skipped as an unknown field. */
    if ((wire == 0 ? wire_varint(in, &v)
                   : wire_bytes(in, wire == 1 ? 8 : 4, &b)) != 0)
      return bad(c, at, "field past the end");
    return 0;
  }
  if (f->repeated) {
    lua_Integer n;
    if (wire == 2 && is_packable(f->type)) {
      push_list(c, f, t, seen, seen ? 0 : packed_count(want, b, len));
      n = (lua_Integer)lua_rawlen(L, -1);
      struct wire_in sub = {c->start, b, b + len};
      while (wire_left(&sub) > 0) {
        if (read_scalar(c, &sub, f, want) != 0)
          return -1;
        lua_rawseti(L, -2, ++n);
      }
      lua_pop(L, 1); /* the list */
      return 1;
    }
    if (wire != want)
      return 0;
    /* A varint or fixed element is still ahead of 'in'; the rest follow. */
    if (!seen) {
      struct wire_in rest = *in;
      if (wire == 0)
        (void)wire_varint(&rest, &v);
      else if (wire != 2)
        (void)wire_bytes(&rest, wire == 1 ? 8 : 4, &b);
      push_list(
          c, f, t, 0,
          1 + run_after(&rest, ((uint64_t)f->number << 3) | (unsigned)wire));
    } else {
      push_list(c, f, t, 1, 0);
    }
    if (f->is_map) {
      if (push_map_entry(c, f, b, len, depth) != 0)
        return -1;
      lua_rawset(L, -3);
    } else {
      n = (lua_Integer)lua_rawlen(L, -1);
      if (wire == 2 && f->type == PB_MESSAGE) {
        if (push_message(c, f->ref, b, len, depth) != 0)
          return -1;
      } else if (wire == 2) {
        lua_pushlstring(L, (const char *)b, len);
      } else if (read_scalar(c, in, f, wire) != 0) {
        return -1;
      }
      lua_rawseti(L, -2, n + 1);
    }
    lua_pop(L, 1); /* the list */
    return 1;
  }
  if (wire != want)
    return 0; /* a wire type the field cannot have: an unknown field */
  lua_rawgeti(L, c->names, (lua_Integer)f->name_idx);
  if (f->type == PB_MESSAGE) {
    struct wire_in sub = {c->start, b, b + len};
    /* A message seen again is merged into the first (the spec's rule). */
    if (seen) {
      lua_pushvalue(L, -1);
      if (lua_rawget(L, t) == LUA_TTABLE) {
        int r = message(c, &c->set->messages[f->ref], &sub, lua_gettop(L), 1,
                        depth + 1);
        lua_pop(L, 2); /* the table, the name */
        return r != 0 ? -1 : 1;
      }
      lua_pop(L, 1); /* nil: a oneof sibling cleared it */
    }
    if (push_message(c, f->ref, b, len, depth) != 0)
      return -1;
  } else if (wire == 2) {
    lua_pushlstring(L, (const char *)b, len);
  } else if (read_scalar(c, in, f, wire) != 0) {
    return -1;
  }
  lua_rawset(L, t);
  return 1;
}

/* Decode the fields in 'in' into the message table at 't', then fill in
 * the defaults of the fields not seen ('merge': nor set by an earlier
 * occurrence of the message, already in 't'). */
static int message(struct pb_ctx *c, const struct pb_message *m,
                   struct wire_in *in, int t, int merge, int depth)
{
  lua_State *L = c->L;
  uint64_t seen[PB_SEEN_BITS / 64];
  int use_bits = m->nfields <= PB_SEEN_BITS;
  const char *outer = c->field;

  if (depth > PROTOBUF_DECODE_MAX_DEPTH)
    return bad(c, in->p, "nesting deeper than the limit (64)");
  /* Charged up front: the table and every field it may get a default for. */
  if (c->budget < (size_t)m->nfields + 1)
    return bad(c, in->p, "value expands past the limit (64 Lua values a byte)");
  c->budget -= (size_t)m->nfields + 1;
  /* A level holds its table, a name, a list and a value; a map entry two
   * more. */
  luaL_checkstack(L, 8, "Protobuf nesting");
  memset(seen, 0, sizeof seen);
  while (wire_left(in) > 0) {
    const unsigned char *at = in->p;
    uint64_t tag, v;
    const unsigned char *b;
    if (wire_varint(in, &tag) != 0)
      return bad(c, at, "tag past the end");
    int wire = (int)(tag & 7);
    uint64_t number = tag >> 3;
    if (number == 0 || number > 536870911)
      return bad(c, at, "bad field number");
    if (wire == 4)
      return bad(c, at, "end of group without a start");
    if (wire == 6 || wire == 7)
      return bad(c, at, "bad wire type");
    const struct pb_field *f = protobuf_desc_field(m, (uint32_t)number);
    if (f == NULL || f->type == PB_GROUP || wire == 3) {
      /* Unknown (or a group): skipped. */
      int r = 0;
      if (wire == 0)
        r = wire_varint(in, &v);
      else if (wire == 1)
        r = wire_bytes(in, 8, &b);
      else if (wire == 5)
        r = wire_bytes(in, 4, &b);
      else if (wire == 2)
        r = wire_varint(in, &v) != 0 || v > wire_left(in)
                ? -1
                : wire_bytes(in, (size_t)v, &b);
      else if (skip_group(c, in, (uint32_t)number, depth + 1) != 0)
        return -1;
      if (r != 0)
        return bad(c, at, "field past the end");
      continue;
    }
    size_t fi = (size_t)(f - m->fields);
    int was_seen = use_bits ? (int)((seen[fi / 64] >> (fi % 64)) & 1) : 1;
    c->field = f->name;
    int r = field(c, in, f, wire, t, was_seen, depth);
    if (r < 0)
      return -1;
    c->field = outer;
    if (r > 0 && use_bits)
      seen[fi / 64] |= (uint64_t)1 << (fi % 64);
  }
  for (uint32_t i = 0; i < m->nfields; i++) {
    const struct pb_field *f = &m->fields[i];
    if (use_bits && ((seen[i / 64] >> (i % 64)) & 1))
      continue;
    if (!f->repeated &&
        (f->has_presence || f->type == PB_MESSAGE || f->type == PB_GROUP))
      continue; /* unset: nil */
    lua_rawgeti(L, c->names, (lua_Integer)f->name_idx);
    if (!use_bits || merge) {
      lua_pushvalue(L, -1);
      if (lua_rawget(L, t) != LUA_TNIL) {
        lua_pop(L, 2); /* the value, the name */
        continue;
      }
      lua_pop(L, 1); /* nil */
    }
    if (f->repeated)
      lua_newtable(L);
    else
      push_default(c, f);
    lua_rawset(L, t);
  }
  return 0;
}

int protobuf_decode_push(lua_State *L, const struct pb_set *set, long msg,
                         int names, const unsigned char *data, size_t len,
                         struct wire_error *err)
{
  struct pb_ctx c;
  int top = lua_gettop(L);
  c.L = L;
  c.set = set;
  c.names = names;
  c.start = data;
  c.err = err;
  c.field = NULL;
  c.budget = WIRE_VALUE_BUDGET(len);
  if (push_message(&c, (int32_t)msg, data, len, -1) != 0) {
    lua_settop(L, top);
    return -1;
  }
  return 0;
}
