/* event_kafka: a Lambda Kafka event (cJSON tree) -> the Lua `event` table.
 *
 * The caller (host) owns the cJSON tree and calls event_kafka_push inside
 * a protected call; this file only reads the tree and pushes Lua values, so
 * a malformed event can raise at any point without leaking: nothing here is
 * malloc'd here. Decoded bytes go through the caller's scratch buffer (the
 * one scratch of every decoder, event_decode.h), from which each Lua string
 * is made with a single copy; no per-record allocation besides the Lua
 * values themselves, and no garbage for the collector.
 *
 * Decisions beyond docs/kafka-events.md (documented in docs/kafka.md):
 * - "aws:SelfManagedKafka" (an old fixture spelling) is normalised to
 *   "SelfManagedKafka", so handlers compare against the contract's two names.
 * - topic, partition and offset are required; timestamp and timestampType
 *   are nil when absent or null. Integers arrive as cJSON doubles: they must
 *   be integral and within lua_Integer, and are exact only up to 2^53.
 * - A header entry is an object whose members are headers in document order
 *   (Lambda sends one member each); a member's value is an array of bytes
 *   (-128..255, each taken & 0xFF), a string holding base64 (Jackson's
 *   byte[] form, seen in aws-lambda-java-libs' round-trip fixture), or null
 *   (empty bytes). An object with exactly the members "key" (a string) and
 *   "value" is the simplified form some documentation shows: the header
 *   named by "key", whose value is the string as is (or a byte array). */
#include "event_kafka.h"

#include <lauxlib.h>
#include <limits.h>
#include <string.h>

#include "base64.h"
#include "error_types.h"
#include "json_tree.h"
#include "kafka_rules.h"
#include "lrt_error.h"
#include "number_text.h"

#define EVENT_KAFKA_ERROR ERROR_TYPE_KAFKA_EVENT

/* Lua stack slots the decoder needs at its deepest point: event, records,
 * record, headers, header entry, key, value, plus the slots an
 * error message takes to build. */
#define EVENT_KAFKA_STACK_NEED 16

/* Where in the event we are, for error messages. */
struct kafka_where {
  const char *map_key; /* records map key; NULL before records */
  int index;           /* 1-based position in the partition's array */
  lua_Integer offset;  /* valid when has_offset */
  int has_offset;
};

struct kafka_ctx {
  lua_State *L;
  struct buf *scratch;
  struct kafka_where where;
};

/* ==== Errors ==== */

/* Raise Kafka.InvalidEvent: 'record "<map key>" #<n> (offset <o>): <field>:
 * <what>'. 'field' and 'what' come from this file; event bytes only ever
 * reach the message as %s arguments. [-0, +0, v] */
static void kafka_fail(struct kafka_ctx *c, const char *field, const char *what)
{
  lua_State *L = c->L;
  const struct kafka_where *w = &c->where;
  if (w->map_key == NULL)
    lrt_error_raise(L, EVENT_KAFKA_ERROR, "Kafka event: %s: %s", field, what);
  else if (w->has_offset)
    lrt_error_raise(L, EVENT_KAFKA_ERROR,
                    "Kafka event: record \"%s\" #%d (offset %I): %s: %s",
                    w->map_key, w->index, w->offset, field, what);
  else if (w->index > 0)
    lrt_error_raise(L, EVENT_KAFKA_ERROR,
                    "Kafka event: record \"%s\" #%d: %s: %s", w->map_key,
                    w->index, field, what);
  else
    lrt_error_raise(L, EVENT_KAFKA_ERROR, "Kafka event: records \"%s\": %s: %s",
                    w->map_key, field, what);
}

/* "must be a string (got a number)". [-0, +0, v] */
static void kafka_fail_type(struct kafka_ctx *c, const char *field,
                            const char *want, const cJSON *got)
{
  lua_State *L = c->L;
  /* The message is built on the stack; the raise discards it. */
  lua_pushfstring(L, "must be %s (got %s)", want, json_tree_type_name(got));
  kafka_fail(c, field, lua_tostring(L, -1));
}

/* ==== Scalars ==== */

/* Push a string node's bytes, whole (a \u0000 is a byte like any other).
 * [-0, +1, m] */
static void kafka_push_text(lua_State *L, const cJSON *item)
{
  lua_pushlstring(L, item->valuestring, json_tree_value_len(item));
}

/* Push a member's name, whole. [-0, +1, m] */
static void kafka_push_name(lua_State *L, const cJSON *item)
{
  lua_pushlstring(L, item->string, json_tree_key_len(item));
}

/* Member 'name' of 'obj', or NULL when absent or JSON null. */
static const cJSON *kafka_opt(const cJSON *obj, const char *name)
{
  const cJSON *item = json_tree_get(obj, name);
  return cJSON_IsNull(item) ? NULL : item;
}

/* The integer in 'item' (a JSON number). [-0, +0, v] */
static lua_Integer kafka_integer(struct kafka_ctx *c, const cJSON *item,
                                 const char *field)
{
  lua_Integer v = 0;
  if (!cJSON_IsNumber(item))
    kafka_fail_type(c, field, "an integer", item);
  if (!kafka_rules_integer(item->valuedouble, &v)) {
    char num[NUMBER_TEXT_MAX]; /* "C" locale, whatever os.setlocale() did */
    number_text_lua(item->valuedouble, num, sizeof num);
    lua_pushfstring(c->L, "must be an integer (got %s)", num);
    kafka_fail(c, field, lua_tostring(c->L, -1));
  }
  return v;
}

/* Set t[field] = the string member 'name' of 'obj' (nil when absent or
 * null; a string is required otherwise). 't' is an absolute index.
 * [-0, +0, v] */
static void kafka_set_opt_string(struct kafka_ctx *c, int t, const cJSON *obj,
                                 const char *name, const char *field)
{
  const cJSON *item = kafka_opt(obj, name);
  if (item == NULL)
    return;
  if (!cJSON_IsString(item))
    kafka_fail_type(c, name, "a string", item);
  kafka_push_text(c->L, item);
  lua_setfield(c->L, t, field);
}

/* ==== Bytes ==== */

/* Room for 'need' bytes in the scratch. Decoded bytes are never more than
 * the event text they came from, so the scratch refuses only when memory
 * does. [-0, +0, v] */
static unsigned char *kafka_scratch(struct kafka_ctx *c, size_t need)
{
  if (buf_reserve(c->scratch, need) != BUF_OK)
    lrt_error_raise(c->L, ERROR_TYPE_OUT_OF_MEMORY,
                    "Kafka event: no memory for a value of %I bytes",
                    (lua_Integer)need);
  return (unsigned char *)c->scratch->data;
}

/* Push the bytes the base64 string 'item' holds. [-0, +1, v] */
static void kafka_push_base64(struct kafka_ctx *c, const cJSON *item,
                              const char *field)
{
  const char *text = item->valuestring;
  size_t len = json_tree_value_len(item);
  size_t out_len = 0;
  size_t bad = 0;
  unsigned char *out = kafka_scratch(c, base64_decoded_max(len));
  if (base64_decode(text, len, out, &out_len, &bad) != 0) {
    /* The position only: the bytes may be anything, including secrets. */
    lua_pushfstring(c->L, "invalid base64 at position %I (of %I)",
                    (lua_Integer)bad, (lua_Integer)len);
    kafka_fail(c, field, lua_tostring(c->L, -1));
  }
  lua_pushlstring(c->L, (const char *)out, out_len);
}

/* Set t[field] = the decoded bytes of the base64 member 'name' of 'obj'
 * (nil when absent or null). [-0, +0, v] */
static void kafka_set_bytes(struct kafka_ctx *c, int t, const cJSON *obj,
                            const char *name, const char *field)
{
  const cJSON *item = kafka_opt(obj, name);
  if (item == NULL)
    return;
  if (!cJSON_IsString(item))
    kafka_fail_type(c, name, "a base64 string", item);
  kafka_push_base64(c, item, name);
  lua_setfield(c->L, t, field);
}

/* Push the bytes of a header value given as a JSON array of Java bytes.
 * [-0, +1, v] */
static void kafka_push_byte_array(struct kafka_ctx *c, const cJSON *arr,
                                  int entry, const char *name)
{
  lua_State *L = c->L;
  size_t n = 0;
  const cJSON *b;
  cJSON_ArrayForEach(b, arr)
    n++;
  unsigned char *out = kafka_scratch(c, n);
  size_t i = 0;
  cJSON_ArrayForEach(b, arr) {
    lua_Integer v = 0;
    if (!cJSON_IsNumber(b) || !kafka_rules_integer(b->valuedouble, &v) ||
        !kafka_rules_header_byte(v, &out[i])) {
      if (cJSON_IsNumber(b) && kafka_rules_integer(b->valuedouble, &v))
        lua_pushfstring(L,
                        "header \"%s\" byte %I: %I is not a byte (-128..255)",
                        name, (lua_Integer)(i + 1), v);
      else if (cJSON_IsNumber(b)) {
        char num[NUMBER_TEXT_MAX]; /* "C" locale, whatever os.setlocale() did */
        number_text_lua(b->valuedouble, num, sizeof num);
        lua_pushfstring(L,
                        "header \"%s\" byte %I: %s is not a byte (-128..255)",
                        name, (lua_Integer)(i + 1), num);
      } else
        lua_pushfstring(L, "header \"%s\" byte %I: must be a number (got %s)",
                        name, (lua_Integer)(i + 1), json_tree_type_name(b));
      lua_pushfstring(L, "headers[%d]", entry);
      kafka_fail(c, lua_tostring(L, -1), lua_tostring(L, -2));
    }
    i++;
  }
  lua_pushlstring(L, (const char *)out, n);
}

/* Push a header value: byte array, base64 string or null. [-0, +1, v] */
static void kafka_push_header_value(struct kafka_ctx *c, const cJSON *val,
                                    int entry, const char *name)
{
  lua_State *L = c->L;
  if (cJSON_IsArray(val)) {
    kafka_push_byte_array(c, val, entry, name);
  } else if (cJSON_IsString(val)) {
    lua_pushfstring(L, "headers[%d] \"%s\"", entry, name);
    kafka_push_base64(c, val, lua_tostring(L, -1));
    lua_remove(L, -2); /* the field name */
  } else if (cJSON_IsNull(val)) {
    lua_pushliteral(L, "");
  } else {
    lua_pushfstring(L, "headers[%d] \"%s\"", entry, name);
    kafka_fail_type(c, lua_tostring(L, -1), "an array of bytes", val);
  }
}

/* The simplified {"key": name, "value": v} header form. */
static int kafka_is_simple_header(const cJSON *entry)
{
  const cJSON *first = entry->child;
  if (first == NULL || first->next == NULL || first->next->next != NULL)
    return 0;
  const cJSON *k = json_tree_get(entry, KAFKA_HEADER_KEY);
  const cJSON *v = json_tree_get(entry, KAFKA_HEADER_VALUE);
  return cJSON_IsString(k) && v != NULL;
}

/* Append { key = name, value = <bytes> } (name on top, value below it) to
 * the headers array at absolute index 'h' as element 'n'. [-2, +0, m] */
static void kafka_append_header(lua_State *L, int h, lua_Integer n)
{
  lua_createtable(L, 0, 2); /* stack: ... value name hdr */
  lua_rotate(L, -3, 1);     /* stack: ... hdr value name */
  lua_setfield(L, -3, KAFKA_HEADER_KEY);
  lua_setfield(L, -2, KAFKA_HEADER_VALUE);
  lua_rawseti(L, h, n);
}

/* Set t.headers from the record's "headers" member. [-0, +0, v] */
static void kafka_set_headers(struct kafka_ctx *c, int t, const cJSON *rec)
{
  lua_State *L = c->L;
  const cJSON *arr = kafka_opt(rec, kafka_rules_fields[KAFKA_HEADERS].member);
  const cJSON *entry;
  int count = 0;
  if (arr != NULL && !cJSON_IsArray(arr))
    kafka_fail_type(c, "headers", "an array", arr);
  /* One pass to size the table: entries, and members inside them. */
  if (arr != NULL) {
    int e = 0;
    cJSON_ArrayForEach(entry, arr) {
      const cJSON *m;
      e++;
      if (!cJSON_IsObject(entry)) {
        lua_pushfstring(L, "headers[%d]", e);
        kafka_fail_type(c, lua_tostring(L, -1), "an object", entry);
      }
      if (kafka_is_simple_header(entry)) {
        count++;
        continue;
      }
      cJSON_ArrayForEach(m, entry)
        count++;
    }
  }
  lua_createtable(L, count, 0);
  int h = lua_gettop(L);
  if (count > 0) {
    lua_Integer n = 0;
    int e = 0;
    cJSON_ArrayForEach(entry, arr) {
      const cJSON *m;
      e++;
      if (kafka_is_simple_header(entry)) {
        const cJSON *k = json_tree_get(entry, KAFKA_HEADER_KEY);
        const cJSON *v = json_tree_get(entry, KAFKA_HEADER_VALUE);
        if (cJSON_IsString(v))
          kafka_push_text(L, v); /* as is, not base64 */
        else
          kafka_push_header_value(c, v, e, k->valuestring);
        kafka_push_text(L, k);
        kafka_append_header(L, h, ++n);
        continue;
      }
      cJSON_ArrayForEach(m, entry) {
        kafka_push_header_value(c, m, e, m->string);
        kafka_push_name(L, m);
        kafka_append_header(L, h, ++n);
      }
    }
  }
  lua_setfield(L, t, kafka_rules_fields[KAFKA_HEADERS].lua);
}

/* Set t[field] = { data_format = ..., schema_id = ... } from the schema
 * metadata member 'name' (nil when absent or null). [-0, +0, v] */
static void kafka_set_schema(struct kafka_ctx *c, int t, const cJSON *rec,
                             const char *name, const char *field)
{
  lua_State *L = c->L;
  const cJSON *meta = kafka_opt(rec, name);
  if (meta == NULL)
    return;
  if (!cJSON_IsObject(meta))
    kafka_fail_type(c, name, "an object", meta);
  lua_createtable(L, 0, 2);
  int m = lua_gettop(L);
  const cJSON *fmt = kafka_opt(meta, KAFKA_M_DATA_FORMAT);
  const cJSON *id = kafka_opt(meta, KAFKA_M_SCHEMA_ID);
  if (fmt != NULL) {
    if (!cJSON_IsString(fmt)) {
      lua_pushfstring(L, "%s.dataFormat", name);
      kafka_fail_type(c, lua_tostring(L, -1), "a string", fmt);
    }
    kafka_push_text(L, fmt);
    lua_setfield(L, m, KAFKA_F_DATA_FORMAT);
  }
  if (id != NULL) {
    /* Text in every sample; a bare number is kept as its integer. */
    lua_Integer v = 0;
    if (cJSON_IsString(id)) {
      kafka_push_text(L, id);
    } else if (cJSON_IsNumber(id) && kafka_rules_integer(id->valuedouble, &v)) {
      lua_pushinteger(L, v);
    } else {
      lua_pushfstring(L, "%s.schemaId", name);
      kafka_fail_type(c, lua_tostring(L, -1), "a string", id);
    }
    lua_setfield(L, m, KAFKA_F_SCHEMA_ID);
  }
  lua_setfield(L, t, field);
}

/* ==== Records ==== */

/* A record member's name as Lambda sends it, and the Lua field it becomes
 * (kafka_rules.h). */
#define MEMBER(f) (kafka_rules_fields[f].member)
#define FIELD(f) (kafka_rules_fields[f].lua)

/* Push the record table for 'rec'; the records map key string is at the
 * absolute index 'key_idx'. [-0, +1, v] */
static void kafka_push_record(struct kafka_ctx *c, const cJSON *rec,
                              int key_idx)
{
  lua_State *L = c->L;
  const cJSON *item;
  lua_Integer v;

  c->where.has_offset = 0;
  if (!cJSON_IsObject(rec))
    kafka_fail_type(c, "record", "an object", rec);

  /* The offset first, so every later message can name it. */
  c->where.offset = kafka_integer(c, kafka_opt(rec, MEMBER(KAFKA_OFFSET)),
                                  MEMBER(KAFKA_OFFSET));
  c->where.has_offset = 1;

  lua_createtable(L, 0, KAFKA_RECORD_FIELDS);
  int t = lua_gettop(L);

  item = kafka_opt(rec, MEMBER(KAFKA_TOPIC));
  if (!cJSON_IsString(item))
    kafka_fail_type(c, MEMBER(KAFKA_TOPIC), "a string", item);
  kafka_push_text(L, item);
  lua_setfield(L, t, FIELD(KAFKA_TOPIC));

  v = kafka_integer(c, kafka_opt(rec, MEMBER(KAFKA_PARTITION)),
                    MEMBER(KAFKA_PARTITION));
  lua_pushinteger(L, v);
  lua_setfield(L, t, FIELD(KAFKA_PARTITION));

  lua_pushinteger(L, c->where.offset);
  lua_setfield(L, t, FIELD(KAFKA_OFFSET));

  item = kafka_opt(rec, MEMBER(KAFKA_TIMESTAMP));
  if (item != NULL) {
    lua_pushinteger(L, kafka_integer(c, item, MEMBER(KAFKA_TIMESTAMP)));
    lua_setfield(L, t, FIELD(KAFKA_TIMESTAMP));
  }
  kafka_set_opt_string(c, t, rec, MEMBER(KAFKA_TIMESTAMP_TYPE),
                       FIELD(KAFKA_TIMESTAMP_TYPE));

  kafka_set_bytes(c, t, rec, MEMBER(KAFKA_KEY), FIELD(KAFKA_KEY));
  kafka_set_bytes(c, t, rec, MEMBER(KAFKA_VALUE), FIELD(KAFKA_VALUE));
  kafka_set_headers(c, t, rec);
  kafka_set_schema(c, t, rec, MEMBER(KAFKA_KEY_SCHEMA),
                   FIELD(KAFKA_KEY_SCHEMA));
  kafka_set_schema(c, t, rec, MEMBER(KAFKA_VALUE_SCHEMA),
                   FIELD(KAFKA_VALUE_SCHEMA));

  lua_pushvalue(L, key_idx); /* one string shared by the partition */
  lua_setfield(L, t, FIELD(KAFKA_TOPIC_PARTITION));
}

/* Set event.records (event at absolute index 'ev') from 'records'.
 * [-0, +0, v] */
static void kafka_set_records(struct kafka_ctx *c, int ev, const cJSON *records)
{
  lua_State *L = c->L;
  const cJSON *part;
  lua_Integer total = 0;

  if (!cJSON_IsObject(records))
    kafka_fail_type(c, KAFKA_M_RECORDS, "an object", records);

  /* Count first so the array is allocated once at its final size, and
   * check the shape of each partition entry on the way. */
  cJSON_ArrayForEach(part, records) {
    const cJSON *rec;
    if (!cJSON_IsArray(part)) {
      c->where.map_key = part->string;
      kafka_fail_type(c, "partition entry", "an array of records", part);
    }
    cJSON_ArrayForEach(rec, part)
      total++;
  }
  if (total > INT_MAX)
    kafka_fail(c, KAFKA_M_RECORDS, "too many records");

  lua_createtable(L, (int)total, 0);
  int arr = lua_gettop(L);
  lua_Integer n = 0;
  cJSON_ArrayForEach(part, records) {
    const cJSON *rec;
    int index = 0;
    kafka_push_name(L, part); /* stack: ... records map_key */
    int key_idx = lua_gettop(L);
    c->where.map_key = part->string;
    cJSON_ArrayForEach(rec, part) {
      c->where.index = ++index;
      kafka_push_record(c, rec, key_idx);
      lua_rawseti(L, arr, ++n);
    }
    lua_pop(L, 1); /* map_key */
  }
  c->where.map_key = NULL;
  c->where.index = 0;
  lua_setfield(L, ev, KAFKA_F_RECORDS);
}

/* ==== Entry points ==== */

int event_kafka_is_kafka(const cJSON *root)
{
  const cJSON *src;
  if (!cJSON_IsObject(root))
    return 0;
  src = json_tree_get(root, KAFKA_M_EVENT_SOURCE);
  if (!cJSON_IsString(src))
    return 0;
  return kafka_rules_event_source(src->valuestring, json_tree_value_len(src)) !=
         NULL;
}

void event_kafka_push(lua_State *L, const cJSON *root, struct buf *scratch)
{
  struct kafka_ctx c;
  const cJSON *src;

  luaL_checkstack(L, EVENT_KAFKA_STACK_NEED, "Kafka event");
  memset(&c.where, 0, sizeof c.where);
  c.L = L;
  c.scratch = scratch;

  if (!cJSON_IsObject(root))
    kafka_fail_type(&c, "event", "an object", root);

  lua_createtable(L, 0, 4);
  int ev = lua_gettop(L);

  src = json_tree_get(root, KAFKA_M_EVENT_SOURCE);
  if (!cJSON_IsString(src))
    kafka_fail_type(&c, KAFKA_M_EVENT_SOURCE, "a string", src);
  const char *spelling =
      kafka_rules_event_source(src->valuestring, json_tree_value_len(src));
  if (spelling != NULL)
    lua_pushstring(L, spelling);
  else
    kafka_push_text(L, src);
  lua_setfield(L, ev, KAFKA_F_EVENT_SOURCE);

  kafka_set_opt_string(&c, ev, root, KAFKA_M_EVENT_SOURCE_ARN,
                       KAFKA_F_EVENT_SOURCE_ARN);
  kafka_set_opt_string(&c, ev, root, KAFKA_M_BOOTSTRAP_SERVERS,
                       KAFKA_F_BOOTSTRAP_SERVERS);
  kafka_set_records(&c, ev, json_tree_get(root, KAFKA_M_RECORDS));
}
