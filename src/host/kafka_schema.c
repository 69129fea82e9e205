/* kafka_schema: deserializers, router.kafka options and the per-record
 * decode step. See kafka_schema.h.
 *
 * A deserializer is a userdata "lrt.Deserializer" whose C plan (avro_decode
 * or protobuf_desc) is freed by __gc; its first user value is the table of
 * the plan's names as Lua strings, its second the schema file's path. Files
 * are read and compiled in plain C into memory the userdata owns before
 * anything may raise, so a bad schema never leaks. */
#include "kafka_schema.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_decode.h"
#include "json_lua.h"
#include "kafka_framing.h"
#include "loader.h"
#include "protobuf_decode.h"
#include "protobuf_desc.h"
#include "router.h"

#define DESER_META "lrt.Deserializer"

enum deser_format { DESER_AVRO = 1, DESER_PROTOBUF = 2 };

struct deser {
  int format;
  enum kafka_framing_mode framing;
  struct lrt_avro_plan *avro;
  struct pb_set *pb;
  long msg; /* Protobuf: the message decoded */
};

/* ==== Loading schemas (init) ==== */

/* The whole file at 'path' in a malloc'd buffer, or NULL with 'msg' set.
 * Plain C: nothing here may raise. */
static unsigned char *read_file(const char *path, size_t *len, char *msg,
                                size_t msg_len)
{
  FILE *f = fopen(path, "rb");
  unsigned char *data = NULL;
  size_t n = 0, cap = 0;
  if (f == NULL) {
    snprintf(msg, msg_len, "cannot open: %s", strerror(errno));
    return NULL;
  }
  for (;;) {
    if (n == cap) {
      size_t want = cap ? cap * 2 : 4096;
      unsigned char *p =
          want > KAFKA_SCHEMA_MAX_FILE + 1 ? NULL : realloc(data, want);
      if (p == NULL) {
        snprintf(msg, msg_len, "file too large (over %u bytes)",
                 KAFKA_SCHEMA_MAX_FILE);
        free(data);
        fclose(f);
        return NULL;
      }
      data = p;
      cap = want;
    }
    size_t got = fread(data + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    snprintf(msg, msg_len, "cannot read: %s", strerror(errno));
    free(data);
    return NULL;
  }
  *len = n;
  return data;
}

static int deser_gc(lua_State *L)
{
  struct deser *d = luaL_checkudata(L, 1, DESER_META);
  lrt_avro_plan_free(d->avro);
  protobuf_desc_free(d->pb);
  d->avro = NULL;
  d->pb = NULL;
  return 0;
}

static int deser_tostring(lua_State *L)
{
  struct deser *d = luaL_checkudata(L, 1, DESER_META);
  lua_getiuservalue(L, 1, 2);
  lua_pushfstring(L, "%s(\"%s\")",
                  d->format == DESER_AVRO ? "kafka.avro" : "kafka.protobuf",
                  lua_tostring(L, -1));
  return 1;
}

/* The framing option of the opts table at 'idx' (nil or a table). */
static enum kafka_framing_mode opt_framing(lua_State *L, int idx,
                                           const char *fname)
{
  enum kafka_framing_mode mode = KAFKA_FRAMING_AUTO;
  if (lua_isnoneornil(L, idx))
    return mode;
  if (!lua_istable(L, idx))
    luaL_error(L, "%s: options must be a table (got %s)", fname,
               luaL_typename(L, idx));
  lua_getfield(L, idx, "framing");
  if (!lua_isnil(L, -1)) {
    const char *name = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING ||
        !kafka_framing_mode_parse(name, &mode))
      luaL_error(L,
                 "%s: unknown framing '%s' (expected \"auto\", \"none\", "
                 "\"confluent\", \"glue\" or \"lambda\")",
                 fname, lua_type(L, -1) == LUA_TSTRING ? name : "?");
  }
  lua_pop(L, 1); /* framing */
  return mode;
}

/* Push a new deserializer for 'path' (user value 2 = the path as given) and
 * the file's full name under the task root; returns the userdata.
 * Stack effect: [-0, +2, v]. */
static struct deser *new_deser(lua_State *L, const char *path,
                               enum kafka_framing_mode framing)
{
  struct deser *d = lua_newuserdatauv(L, sizeof *d, 2);
  memset(d, 0, sizeof *d);
  d->framing = framing;
  luaL_setmetatable(L, DESER_META);
  lua_pushstring(L, path);
  lua_setiuservalue(L, -2, 2);
  const char *root = loader_task_root(L);
  if (path[0] == '/' || root == NULL || root[0] == '\0')
    lua_pushstring(L, path);
  else
    lua_pushfstring(L, "%s/%s", root, path);
  /* Watched before it loads, as scripts are: fixing a bad schema file is a
   * change hot reload sees. */
  loader_track_file(L, lua_tostring(L, -1));
  return d;
}

/* Set the names table (user value 1) of the deserializer at -2 from 'names'.
 * Stack effect: [-0, +0, m]. */
static void set_names(lua_State *L, char *const *names, size_t n,
                      const char *(*get)(const void *, size_t),
                      const void *plan)
{
  lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
  for (size_t i = 1; i <= n; i++) {
    lua_pushstring(L, names ? names[i - 1] : get(plan, i));
    lua_rawseti(L, -2, (lua_Integer)i);
  }
  lua_setiuservalue(L, -3, 1);
}

static const char *avro_name(const void *plan, size_t i)
{
  return lrt_avro_plan_name(plan, i);
}

/* kafka.avro(path [, opts]) */
static int schema_avro(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  enum kafka_framing_mode framing = opt_framing(L, 2, "kafka.avro");
  lua_settop(L, 1);
  struct deser *d = new_deser(L, path, framing); /* stack: path d full */
  char msg[256];
  size_t len = 0;
  unsigned char *text = read_file(lua_tostring(L, 3), &len, msg, sizeof msg);
  if (text == NULL)
    return luaL_error(L, "kafka.avro: %s: %s", path, msg);
  int rc =
      lrt_avro_plan_compile((const char *)text, len, &d->avro, msg, sizeof msg);
  free(text);
  if (rc != 0)
    return luaL_error(L, "kafka.avro: %s: %s", path, msg);
  d->format = DESER_AVRO;
  lua_pop(L, 1); /* full */
  lua_pushnil(L);
  set_names(L, NULL, lrt_avro_plan_name_count(d->avro), avro_name, d->avro);
  lua_pop(L, 1); /* nil */
  return 1;
}

/* kafka.protobuf(path, message [, opts]) */
static int schema_protobuf(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  const char *message = luaL_checkstring(L, 2);
  enum kafka_framing_mode framing = opt_framing(L, 3, "kafka.protobuf");
  lua_settop(L, 2);
  struct deser *d = new_deser(L, path, framing); /* stack: path msg d full */
  char msg[256];
  size_t len = 0;
  unsigned char *data = read_file(lua_tostring(L, 4), &len, msg, sizeof msg);
  if (data == NULL)
    return luaL_error(L, "kafka.protobuf: %s: %s", path, msg);
  int rc = protobuf_desc_load(data, len, &d->pb, msg, sizeof msg);
  free(data);
  if (rc != 0)
    return luaL_error(L, "kafka.protobuf: %s: %s", path, msg);
  d->format = DESER_PROTOBUF;
  d->msg = protobuf_desc_find(d->pb, message);
  if (d->msg < 0) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < d->pb->nmessages && i < 20; i++) {
      if (i > 0)
        luaL_addstring(&b, ", ");
      luaL_addstring(&b, d->pb->messages[i].full_name);
    }
    luaL_pushresult(&b);
    return luaL_error(L,
                      "kafka.protobuf: %s: no message '%s' in the "
                      "descriptor set (it has: %s)",
                      path, message, lua_tostring(L, -1));
  }
  lua_pop(L, 1); /* full */
  lua_pushnil(L);
  set_names(L, d->pb->names, d->pb->nnames, NULL, NULL);
  lua_pop(L, 1); /* nil */
  return 1;
}

int luaopen_kafka_schema(lua_State *L)
{
  static const luaL_Reg meta[] = {
      {"__gc", deser_gc}, {"__tostring", deser_tostring}, {NULL, NULL}};
  static const luaL_Reg funcs[] = {
      {"avro", schema_avro}, {"protobuf", schema_protobuf}, {NULL, NULL}};
  if (luaL_newmetatable(L, DESER_META))
    luaL_setfuncs(L, meta, 0);
  lua_pop(L, 1); /* metatable */
  luaL_newlib(L, funcs);
  return 1;
}

/* ==== router.kafka options ==== */

static int is_kind(lua_State *L, int idx)
{
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char *s = lua_tostring(L, idx);
    return strcmp(s, "bytes") == 0 || strcmp(s, "string") == 0 ||
           strcmp(s, "json") == 0;
  }
  return luaL_testudata(L, idx, DESER_META) != NULL;
}

static int bad_spec(lua_State *L, const char *side, const char *where, int idx)
{
  return luaL_error(L,
                    "router.kafka: option '%s'%s must be \"bytes\", "
                    "\"string\", \"json\", a kafka.avro/kafka.protobuf "
                    "deserializer or a table of them by schema id (got %s)",
                    side, where, luaL_typename(L, idx));
}

/* Push the checked spec for side 'side' (value at 'idx'). [-0, +1, v] */
static void push_spec(lua_State *L, int idx, const char *side)
{
  if (lua_isnil(L, idx)) {
    lua_pushnil(L);
    return;
  }
  if (is_kind(L, idx)) {
    lua_pushvalue(L, idx);
    return;
  }
  if (!lua_istable(L, idx))
    bad_spec(L, side, "", idx);
  /* The id table, keys as text: Confluent ids arrive as digits. */
  lua_newtable(L);
  int out = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) == LUA_TNUMBER && lua_isinteger(L, -2))
      lua_pushfstring(L, "%I", lua_tointeger(L, -2));
    else if (lua_type(L, -2) == LUA_TSTRING)
      lua_pushvalue(L, -2);
    else
      luaL_error(L,
                 "router.kafka: option '%s': schema ids must be strings "
                 "or integers (got %s)",
                 side, luaL_typename(L, -2));
    if (!is_kind(L, -2)) {
      lua_pushfstring(L, "[%s]", lua_tostring(L, -1));
      bad_spec(L, side, lua_tostring(L, -1), -3);
    }
    lua_pushvalue(L, -2);
    lua_rawset(L, out);
    lua_pop(L, 1); /* the value */
  }
}

void kafka_schema_options(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx))
    luaL_error(L, "router.kafka: options must be a table (got %s)",
               luaL_typename(L, idx));
  lua_createtable(L, 0, 2);
  lua_getfield(L, idx, "value");
  push_spec(L, lua_gettop(L), "value");
  lua_setfield(L, -3, "value");
  lua_pop(L, 1); /* the option */
  lua_getfield(L, idx, "key");
  push_spec(L, lua_gettop(L), "key");
  lua_setfield(L, -3, "key");
  lua_pop(L, 1); /* the option */
}

/* ==== Decoding records (each invocation) ==== */

struct side {
  const char *name;  /* "value" */
  const char *bytes; /* "value_bytes" */
  const char *id;    /* "value_schema_id" */
  const char *meta;  /* "value_schema_metadata" */
};

static const struct side SIDES[2] = {
    {"key", "key_bytes", "key_schema_id", "key_schema_metadata"},
    {"value", "value_bytes", "value_schema_id", "value_schema_metadata"}};

struct apply {
  lua_State *L;
  int json_decode; /* stack slot of json.decode */
};

/* Append "<side> of record <tp> offset <o>: <what>" to rec.decode_error,
 * the message's tail on top of the stack. [-1, +0, m] */
static void record_error(lua_State *L, int rec, const struct side *s)
{
  int what = lua_gettop(L);
  lua_getfield(L, rec, "decode_error");
  lua_getfield(L, rec, "topic_partition");
  lua_getfield(L, rec, "offset");
  if (lua_isstring(L, what + 1))
    lua_pushfstring(L, "%s; ", lua_tostring(L, what + 1));
  else
    lua_pushliteral(L, "");
  lua_pushfstring(L, "%s%s of record %s offset %s: %s", lua_tostring(L, -1),
                  s->name, luaL_optstring(L, what + 2, "?"),
                  luaL_optstring(L, what + 3, "?"), lua_tostring(L, what));
  lua_setfield(L, rec, "decode_error");
  lua_pushnil(L);
  lua_setfield(L, rec, s->name);
  lua_settop(L, what - 1);
}

/* Push the error tail for a wire error. 'base' is added to the position;
 * 'inflated' says it is a position in the inflated data. [-0, +1, m] */
static void push_wire_error(lua_State *L, const char *reader,
                            const struct wire_error *e, size_t base,
                            int inflated)
{
  if (e->field != NULL)
    lua_pushfstring(L, "%s: %s at byte %I%s (field '%s')", reader, e->what,
                    (lua_Integer)(e->pos + base),
                    inflated ? " of the inflated data" : "", e->field);
  else
    lua_pushfstring(L, "%s: %s at byte %I%s", reader, e->what,
                    (lua_Integer)(e->pos + base),
                    inflated ? " of the inflated data" : "");
}

static int format_matches(const char *data_format, const char *want)
{
  if (data_format == NULL)
    return 1;
  for (; *data_format && *want; data_format++, want++)
    if ((*data_format | 0x20) != (*want | 0x20))
      return 0;
  return *data_format == *want;
}

/* Decode one side of the record at 'rec' with the spec at 'spec'.
 * Stack effect: [-0, +0, m]. */
static void apply_side(struct apply *a, int rec, const struct side *s, int spec)
{
  lua_State *L = a->L;
  int top = lua_gettop(L);
  struct kafka_frame frame;
  struct wire_error err;
  size_t len;
  const char *meta_id = NULL, *data_format = NULL;

  if (lua_getfield(L, rec, s->name) != LUA_TSTRING) {
    lua_settop(L, top); /* absent, or a tombstone: nothing to decode */
    return;
  }
  const unsigned char *bytes =
      (const unsigned char *)lua_tolstring(L, top + 1, &len);
  lua_pushvalue(L, top + 1);
  lua_setfield(L, rec, s->bytes);
  if (lua_type(L, spec) == LUA_TSTRING &&
      strcmp(lua_tostring(L, spec), "json") != 0) {
    lua_settop(L, top); /* "bytes" and "string": as delivered */
    return;
  }

  /* The side's schema metadata: the id (as text) and the data format. */
  if (lua_getfield(L, rec, s->meta) == LUA_TTABLE) { /* top + 2 */
    int t = lua_getfield(L, top + 2, "schema_id");   /* top + 3 */
    if (t == LUA_TNUMBER)
      lua_pushfstring(L, "%I", (lua_Integer)lua_tointeger(L, top + 3));
    else
      lua_pushvalue(L, top + 3); /* top + 4 */
    meta_id = lua_tostring(L, top + 4);
    lua_getfield(L, top + 2, "data_format"); /* top + 5 */
    data_format = lua_tostring(L, top + 5);
  }

  /* The { [id] = ... } form: the id from the metadata or the framing. */
  int chosen = spec;
  if (lua_type(L, spec) == LUA_TTABLE) {
    const char *id = meta_id;
    if (id == NULL &&
        kafka_framing_read(bytes, len, KAFKA_FRAMING_AUTO, NULL, &frame,
                           &err) == 0 &&
        frame.has_id)
      id = frame.id;
    if (id == NULL) {
      lua_pushliteral(L, "no schema id (no schema metadata and no Confluent "
                         "or Glue framing) to pick a reader by");
      goto fail;
    }
    lua_pushstring(L, id);
    if (lua_rawget(L, spec) == LUA_TNIL) {
      lua_pushfstring(L, "schema id %s is not in the table of readers", id);
      goto fail;
    }
    chosen = lua_gettop(L);
    if (lua_type(L, chosen) == LUA_TSTRING &&
        strcmp(lua_tostring(L, chosen), "json") != 0) {
      if (meta_id == NULL && frame.has_id) {
        lua_pushstring(L, frame.id);
        lua_setfield(L, rec, s->id);
      } else if (meta_id != NULL) {
        lua_pushstring(L, meta_id);
        lua_setfield(L, rec, s->id);
      }
      lua_settop(L, top);
      return;
    }
  }

  struct deser *d = luaL_testudata(L, chosen, DESER_META);
  const char *reader = d == NULL                 ? "JSON"
                       : d->format == DESER_AVRO ? "Avro"
                                                 : "Protobuf";
  if (kafka_framing_read(bytes, len, d ? d->framing : KAFKA_FRAMING_AUTO,
                         meta_id, &frame, &err) != 0) {
    push_wire_error(L, reader, &err, 0, 0);
    goto fail;
  }
  if (meta_id != NULL || frame.has_id) {
    lua_pushstring(L, meta_id != NULL ? meta_id : frame.id);
    lua_setfield(L, rec, s->id);
  }
  if (!format_matches(data_format, d == NULL                 ? "JSON"
                                   : d->format == DESER_AVRO ? "AVRO"
                                                             : "PROTOBUF")) {
    lua_pushfstring(L, "dataFormat %s does not match the %s reader",
                    data_format, reader);
    goto fail;
  }

  const unsigned char *payload = bytes + frame.offset;
  size_t plen = len - frame.offset, at = frame.offset;
  int inflated = 0;
  if (frame.compressed) {
    size_t size = 0;
    if (kafka_framing_inflated_size(payload, plen, KAFKA_FRAMING_MAX_INFLATED,
                                    &size, &err) != 0) {
      push_wire_error(L, reader, &err, at, 0);
      goto fail;
    }
    /* GC-owned, so a memory error while decoding leaks nothing. */
    unsigned char *out = lua_newuserdatauv(L, size ? size : 1, 0);
    if (kafka_framing_inflate(payload, plen, out, size, &err) != 0) {
      push_wire_error(L, reader, &err, at, 0);
      goto fail;
    }
    payload = out;
    plen = size;
    at = 0;
    inflated = 1;
  }
  if (d != NULL && d->format == DESER_PROTOBUF) {
    size_t skip = 0;
    if (kafka_framing_skip_index(payload, plen, frame.index, &skip, &err) !=
        0) {
      push_wire_error(L, reader, &err, at, inflated);
      goto fail;
    }
    payload += skip;
    plen -= skip;
    at += skip;
  }

  int rc;
  if (d == NULL) {
    lua_pushvalue(L, a->json_decode);
    lua_pushlstring(L, (const char *)payload, plen);
    int status = lua_pcall(L, 1, 1, 0);
    if (status == LUA_ERRMEM)
      lua_error(L); /* out of memory fails the invocation, as anywhere */
    if (status != LUA_OK) {
      lua_pushfstring(L, "JSON: %s",
                      lua_isstring(L, -1) ? lua_tostring(L, -1) : "error");
      goto fail;
    }
    rc = 0;
  } else {
    lua_getiuservalue(L, chosen, 1);
    int names = lua_gettop(L);
    if (d->format == DESER_AVRO)
      rc = lrt_avro_decode_push(L, d->avro, names, payload, plen, &err);
    else
      rc = protobuf_decode_push(L, d->pb, d->msg, names, payload, plen, &err);
    if (rc != 0) {
      push_wire_error(L, reader, &err, at, inflated);
      goto fail;
    }
  }
  lua_setfield(L, rec, s->name);
  lua_settop(L, top);
  return;

fail:
  lua_replace(L, top + 1); /* the message, over the bytes */
  lua_settop(L, top + 1);
  record_error(L, rec, s);
  lua_settop(L, top);
}

/* Push json.decode (the `json` module's, loading it if needed).
 * Stack effect: [-0, +1, e]. */
static void push_json_decode(lua_State *L)
{
  luaL_requiref(L, "json", luaopen_json, 0);
  lua_getfield(L, -1, "decode");
  lua_remove(L, -2); /* the module */
}

void kafka_schema_apply(lua_State *L, int event)
{
  struct apply a;
  event = lua_absindex(L, event);
  int top = lua_gettop(L);
  router_push_kafka_options(L);
  if (!lua_istable(L, -1)) {
    lua_settop(L, top);
    return;
  }
  int opts = lua_gettop(L);
  lua_getfield(L, opts, "key");   /* opts + 1 */
  lua_getfield(L, opts, "value"); /* opts + 2 */
  if (lua_isnil(L, opts + 1) && lua_isnil(L, opts + 2)) {
    lua_settop(L, top);
    return;
  }
  /* The deepest step holds a record, a side's bytes, metadata, a chosen
   * reader, a names table and the value being built (the decoders check
   * their own nesting). */
  luaL_checkstack(L, 24, "Kafka schema decode");
  a.L = L;
  push_json_decode(L);
  a.json_decode = lua_gettop(L);
  lua_getfield(L, event, "records");
  int records = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, records);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, records, i);
    int rec = lua_gettop(L);
    if (lua_istable(L, rec)) {
      if (!lua_isnil(L, opts + 1))
        apply_side(&a, rec, &SIDES[0], opts + 1);
      if (!lua_isnil(L, opts + 2))
        apply_side(&a, rec, &SIDES[1], opts + 2);
    }
    lua_settop(L, records);
  }
  lua_settop(L, top);
}
