/* protobuf_desc: FileDescriptorSet -> decoder tables. See protobuf_desc.h.
 *
 * descriptor.proto field numbers used here (google/protobuf/descriptor.proto):
 *   FileDescriptorSet      1 file
 *   FileDescriptorProto    2 package, 4 message_type, 5 enum_type
 *   DescriptorProto        1 name, 2 field, 3 nested_type, 4 enum_type,
 *                          7 options (MessageOptions 7 map_entry)
 *   FieldDescriptorProto   1 name, 3 number, 4 label, 5 type, 6 type_name,
 *                          9 oneof_index, 17 proto3_optional
 *   EnumDescriptorProto    1 name, 2 value (EnumValueDescriptorProto 1 name,
 *                          2 number)
 * Everything is malloc'd; a failure frees what was built. */
#include "protobuf_desc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_read.h"

/* Field numbers below this get a direct lookup table. */
#define PB_DENSE_MAX 1024
/* Nesting of message declarations followed (protoc allows far less). */
#define PB_DESC_MAX_DEPTH 64

struct pb_item {
  uint32_t number;
  int wire;
  uint64_t v;
  const unsigned char *b;
  size_t len;
};

/* Field type names, kept until they are resolved. */
struct pending {
  char **type_names; /* parallel to each message's fields, flattened */
  size_t n, cap;
};

struct loader {
  struct pb_set *set;
  size_t cap_messages, cap_enums, cap_names;
  size_t *cap_fields;  /* per message */
  char ***field_types; /* per message: type_name per field, or NULL */
  char *msg;
  size_t msg_len;
};

/* The next field of a message: 1, 0 at the end, -1 when malformed. */
static int next_item(struct wire_in *in, struct pb_item *it)
{
  uint64_t tag;
  it->v = 0;
  it->b = NULL;
  it->len = 0;
  if (wire_left(in) == 0)
    return 0;
  if (wire_varint(in, &tag) != 0 || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
    return -1;
  it->number = (uint32_t)(tag >> 3);
  it->wire = (int)(tag & 7);
  switch (it->wire) {
  case 0:
    return wire_varint(in, &it->v) == 0 ? 1 : -1;
  case 1:
    return wire_fixed64(in, &it->v) == 0 ? 1 : -1;
  case 5: {
    uint32_t v32;
    if (wire_fixed32(in, &v32) != 0)
      return -1;
    it->v = v32;
    return 1;
  }
  case 2:
    if (wire_varint(in, &it->v) != 0 || it->v > wire_left(in))
      return -1;
    it->len = (size_t)it->v;
    return wire_bytes(in, it->len, &it->b) == 0 ? 1 : -1;
  default:
    return -1; /* groups do not occur in descriptors */
  }
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap * 2 : 8;
  while (n < need)
    n *= 2;
  void *p = realloc(*arr, n * size);
  if (p == NULL)
    return -1;
  memset((char *)p + *cap * size, 0, (n - *cap) * size);
  *arr = p;
  *cap = n;
  return 0;
}

static char *dup_len(const unsigned char *b, size_t len)
{
  char *s = malloc(len + 1);
  if (s != NULL) {
    memcpy(s, b, len);
    s[len] = '\0';
  }
  return s;
}

/* "prefix.name" (or "name" when prefix is empty). */
static char *join(const char *prefix, const unsigned char *name, size_t len)
{
  size_t plen = strlen(prefix);
  char *s = malloc(plen + 1 + len + 1);
  if (s == NULL)
    return NULL;
  memcpy(s, prefix, plen);
  size_t at = plen;
  if (plen > 0)
    s[at++] = '.';
  memcpy(s + at, name, len);
  s[at + len] = '\0';
  return s;
}

static int fail(struct loader *ld, const char *what)
{
  if (ld->msg[0] == '\0')
    snprintf(ld->msg, ld->msg_len, "%s", what);
  return -1;
}

static uint32_t add_name(struct loader *ld, char *name)
{
  struct pb_set *set = ld->set;
  if (name == NULL || grow((void **)&set->names, &ld->cap_names,
                           set->nnames + 1, sizeof *set->names) != 0) {
    free(name);
    return 0;
  }
  set->names[set->nnames++] = name;
  return (uint32_t)set->nnames;
}

static int parse_enum(struct loader *ld, const unsigned char *b, size_t len,
                      const char *prefix)
{
  struct pb_set *set = ld->set;
  struct wire_in in;
  struct pb_item it;
  int r;
  if (grow((void **)&set->enums, &ld->cap_enums, set->nenums + 1,
           sizeof *set->enums) != 0)
    return fail(ld, "out of memory");
  size_t e = set->nenums++;
  size_t cap = 0;
  wire_in_init(&in, b, len);
  while ((r = next_item(&in, &it)) == 1) {
    if (it.number == 1 && it.wire == 2) {
      free(set->enums[e].full_name);
      set->enums[e].full_name = join(prefix, it.b, it.len);
      if (set->enums[e].full_name == NULL)
        return fail(ld, "out of memory");
    } else if (it.number == 2 && it.wire == 2) {
      struct wire_in vin;
      struct pb_item vit;
      int32_t number = 0;
      char *name = NULL;
      int vr;
      wire_in_init(&vin, it.b, it.len);
      while ((vr = next_item(&vin, &vit)) == 1) {
        if (vit.number == 1 && vit.wire == 2) {
          free(name);
          name = dup_len(vit.b, vit.len);
        } else if (vit.number == 2 && vit.wire == 0) {
          number = (int32_t)vit.v;
        }
      }
      struct pb_enum *en = &set->enums[e];
      if (vr < 0 || name == NULL ||
          grow((void **)&en->values, &cap, en->nvalues + 1,
               sizeof *en->values) != 0) {
        free(name);
        return fail(ld, "malformed enum value");
      }
      uint32_t idx = add_name(ld, name);
      if (idx == 0)
        return fail(ld, "out of memory");
      if (en->nvalues == 0) {
        en->default_name = idx;
        en->default_number = number;
      }
      en->values[en->nvalues].number = number;
      en->values[en->nvalues].name_idx = idx;
      en->nvalues++;
    }
  }
  if (r < 0 || set->enums[e].full_name == NULL)
    return fail(ld, "malformed enum");
  return 0;
}

static int parse_field(struct loader *ld, size_t m, const unsigned char *b,
                       size_t len)
{
  struct pb_set *set = ld->set;
  struct wire_in in;
  struct pb_item it;
  struct pb_field f;
  char *type_name = NULL;
  int r;
  memset(&f, 0, sizeof f);
  f.ref = -1;
  wire_in_init(&in, b, len);
  while ((r = next_item(&in, &it)) == 1) {
    if (it.number == 1 && it.wire == 2) {
      free(f.name);
      f.name = dup_len(it.b, it.len);
    } else if (it.number == 3 && it.wire == 0) {
      f.number = (uint32_t)it.v;
    } else if (it.number == 4 && it.wire == 0) {
      f.repeated = it.v == 3;
    } else if (it.number == 5 && it.wire == 0) {
      f.type = (unsigned char)(it.v <= PB_SINT64 ? it.v : 0);
    } else if (it.number == 6 && it.wire == 2) {
      free(type_name);
      type_name = dup_len(it.b, it.len);
    } else if ((it.number == 9 || it.number == 17) && it.wire == 0) {
      f.has_presence = 1; /* oneof_index, or proto3_optional */
    }
  }
  struct pb_message *msg = &set->messages[m];
  if (r < 0 || f.name == NULL || f.number == 0 || f.number > 536870911 ||
      f.type == 0 ||
      grow((void **)&msg->fields, &ld->cap_fields[m], msg->nfields + 1,
           sizeof *msg->fields) != 0) {
    free(f.name);
    free(type_name);
    return fail(ld, "malformed field");
  }
  /* The type names array grows with the fields (same capacity). */
  char **types = realloc(ld->field_types[m],
                         ld->cap_fields[m] * sizeof *ld->field_types[m]);
  if (types == NULL) {
    free(f.name);
    free(type_name);
    return fail(ld, "out of memory");
  }
  ld->field_types[m] = types;
  types[msg->nfields] = type_name;
  f.name_idx = add_name(ld, f.name);
  if (f.name_idx == 0)
    return fail(ld, "out of memory");
  f.name = set->names[f.name_idx - 1];
  msg->fields[msg->nfields++] = f;
  return 0;
}

static int add_message(struct loader *ld, size_t *out)
{
  struct pb_set *set = ld->set;
  size_t old = ld->cap_messages;
  if (grow((void **)&set->messages, &ld->cap_messages, set->nmessages + 1,
           sizeof *set->messages) != 0)
    return fail(ld, "out of memory");
  if (ld->cap_messages != old) {
    size_t cap_f = old, cap_t = old;
    if (grow((void **)&ld->cap_fields, &cap_f, ld->cap_messages,
             sizeof *ld->cap_fields) != 0 ||
        grow((void **)&ld->field_types, &cap_t, ld->cap_messages,
             sizeof *ld->field_types) != 0)
      return fail(ld, "out of memory");
  }
  *out = set->nmessages++;
  return 0;
}

static int parse_message(struct loader *ld, const unsigned char *b, size_t len,
                         const char *prefix, int depth)
{
  struct wire_in in;
  struct pb_item it;
  size_t m;
  int r;
  char *full = NULL;
  int map_entry = 0;
  if (depth > PB_DESC_MAX_DEPTH)
    return fail(ld, "messages nested too deep");
  /* The name and options first: nested types and fields need them. */
  wire_in_init(&in, b, len);
  while ((r = next_item(&in, &it)) == 1) {
    if (it.number == 1 && it.wire == 2) {
      free(full);
      full = join(prefix, it.b, it.len);
    } else if (it.number == 7 && it.wire == 2) {
      struct wire_in oin;
      struct pb_item oit;
      wire_in_init(&oin, it.b, it.len);
      while (next_item(&oin, &oit) == 1)
        if (oit.number == 7 && oit.wire == 0)
          map_entry = oit.v != 0;
    }
  }
  if (r < 0 || full == NULL || add_message(ld, &m) != 0) {
    free(full);
    return fail(ld, "malformed message");
  }
  ld->set->messages[m].full_name = full;
  ld->set->messages[m].map_entry = (unsigned char)map_entry;
  wire_in_init(&in, b, len);
  while ((r = next_item(&in, &it)) == 1) {
    if (it.wire != 2)
      continue;
    if (it.number == 2 && parse_field(ld, m, it.b, it.len) != 0)
      return -1;
    /* 'full' stays valid: the messages array holds the pointer only. */
    if (it.number == 3 && parse_message(ld, it.b, it.len, full, depth + 1) != 0)
      return -1;
    if (it.number == 4 && parse_enum(ld, it.b, it.len, full) != 0)
      return -1;
  }
  return r < 0 ? fail(ld, "malformed message") : 0;
}

static int parse_file(struct loader *ld, const unsigned char *b, size_t len)
{
  struct wire_in in;
  struct pb_item it;
  int r, has_name = 0;
  char *package = NULL;
  wire_in_init(&in, b, len);
  while ((r = next_item(&in, &it)) == 1) {
    if (it.number == 1 && it.wire == 2)
      has_name = 1;
    if (it.number == 2 && it.wire == 2) {
      free(package);
      package = dup_len(it.b, it.len);
      if (package == NULL)
        return fail(ld, "out of memory");
    }
  }
  if (r < 0 || !has_name) {
    free(package);
    return fail(ld, "not a FileDescriptorSet (write one with protoc -o)");
  }
  const char *prefix = package ? package : "";
  int rc = 0;
  wire_in_init(&in, b, len);
  while (rc == 0 && next_item(&in, &it) == 1) {
    if (it.number == 4 && it.wire == 2)
      rc = parse_message(ld, it.b, it.len, prefix, 0);
    else if (it.number == 5 && it.wire == 2)
      rc = parse_enum(ld, it.b, it.len, prefix);
  }
  free(package);
  return rc;
}

static int by_number(const void *a, const void *b)
{
  const struct pb_field *x = a, *y = b;
  return x->number < y->number ? -1 : x->number > y->number;
}

static int by_value(const void *a, const void *b)
{
  const struct pb_enum_value *x = a, *y = b;
  if (x->number != y->number)
    return x->number < y->number ? -1 : 1;
  /* Aliases: the first declared name wins (name indexes grow in order). */
  return x->name_idx < y->name_idx ? -1 : x->name_idx > y->name_idx;
}

static long find_enum(const struct pb_set *set, const char *name)
{
  for (size_t i = 0; i < set->nenums; i++)
    if (strcmp(set->enums[i].full_name, name) == 0)
      return (long)i;
  return -1;
}

/* Resolve type names, sort fields, build the lookup tables. */
static int finish(struct loader *ld)
{
  struct pb_set *set = ld->set;
  for (size_t m = 0; m < set->nmessages; m++) {
    struct pb_message *msg = &set->messages[m];
    for (uint32_t i = 0; i < msg->nfields; i++) {
      struct pb_field *f = &msg->fields[i];
      const char *tn = ld->field_types[m][i];
      if (f->type != PB_MESSAGE && f->type != PB_GROUP && f->type != PB_ENUM)
        continue;
      long ref = -1;
      if (tn != NULL) {
        const char *bare = tn[0] == '.' ? tn + 1 : tn;
        ref = f->type == PB_ENUM ? find_enum(set, bare)
                                 : protobuf_desc_find(set, bare);
      }
      if (ref < 0) {
        snprintf(ld->msg, ld->msg_len, "field %s.%s: type %s not in the set",
                 msg->full_name, f->name, tn ? tn : "(none)");
        return -1;
      }
      f->ref = (int32_t)ref;
    }
  }
  for (size_t m = 0; m < set->nmessages; m++) {
    struct pb_message *msg = &set->messages[m];
    uint32_t max = 0;
    for (uint32_t i = 0; i < msg->nfields; i++) {
      struct pb_field *f = &msg->fields[i];
      f->is_map = f->repeated && f->type == PB_MESSAGE &&
                  set->messages[f->ref].map_entry;
      if (f->number > max)
        max = f->number;
    }
    if (msg->nfields > 1)
      qsort(msg->fields, msg->nfields, sizeof *msg->fields, by_number);
    if (max < PB_DENSE_MAX) {
      msg->dense_max = max + 1;
      msg->by_number = malloc(msg->dense_max * sizeof *msg->by_number);
      if (msg->by_number == NULL)
        return fail(ld, "out of memory");
      for (uint32_t n = 0; n < msg->dense_max; n++)
        msg->by_number[n] = -1;
      for (uint32_t i = 0; i < msg->nfields; i++)
        msg->by_number[msg->fields[i].number] = (int32_t)i;
    }
  }
  for (size_t e = 0; e < set->nenums; e++)
    if (set->enums[e].nvalues > 1)
      qsort(set->enums[e].values, set->enums[e].nvalues,
            sizeof *set->enums[e].values, by_value);
  return 0;
}

int protobuf_desc_load(const unsigned char *data, size_t len,
                       struct pb_set **out, char *msg, size_t msg_len)
{
  struct loader ld;
  struct wire_in in;
  struct pb_item it;
  int r, files = 0, rc = 0;
  memset(&ld, 0, sizeof ld);
  *out = NULL;
  msg[0] = '\0';
  ld.msg = msg;
  ld.msg_len = msg_len;
  ld.set = calloc(1, sizeof *ld.set);
  if (ld.set == NULL)
    return fail(&ld, "out of memory");
  wire_in_init(&in, data, len);
  while (rc == 0 && (r = next_item(&in, &it)) == 1) {
    if (it.number != 1 || it.wire != 2) {
      r = -1;
      break;
    }
    files++;
    rc = parse_file(&ld, it.b, it.len);
  }
  if (rc == 0 && (r < 0 || files == 0))
    rc = fail(&ld, "not a FileDescriptorSet (write one with protoc -o)");
  if (rc == 0)
    rc = finish(&ld);
  for (size_t m = 0; m < ld.set->nmessages; m++) {
    for (uint32_t i = 0; ld.field_types[m] && i < ld.set->messages[m].nfields;
         i++)
      free(ld.field_types[m][i]);
    free(ld.field_types[m]);
  }
  free(ld.field_types);
  free(ld.cap_fields);
  if (rc != 0) {
    protobuf_desc_free(ld.set);
    return -1;
  }
  *out = ld.set;
  return 0;
}

void protobuf_desc_free(struct pb_set *set)
{
  if (set == NULL)
    return;
  for (size_t m = 0; m < set->nmessages; m++) {
    free(set->messages[m].full_name);
    free(set->messages[m].fields); /* names belong to set->names */
    free(set->messages[m].by_number);
  }
  free(set->messages);
  for (size_t e = 0; e < set->nenums; e++) {
    free(set->enums[e].full_name);
    free(set->enums[e].values);
  }
  free(set->enums);
  for (size_t i = 0; i < set->nnames; i++)
    free(set->names[i]);
  free(set->names);
  free(set);
}

long protobuf_desc_find(const struct pb_set *set, const char *name)
{
  if (name[0] == '.')
    name++;
  for (size_t i = 0; i < set->nmessages; i++)
    if (strcmp(set->messages[i].full_name, name) == 0)
      return (long)i;
  return -1;
}

const struct pb_field *protobuf_desc_field(const struct pb_message *m,
                                           uint32_t number)
{
  if (number < m->dense_max) {
    int32_t i = m->by_number[number];
    return i < 0 ? NULL : &m->fields[i];
  }
  uint32_t lo = 0, hi = m->nfields;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m->fields[mid].number == number)
      return &m->fields[mid];
    if (m->fields[mid].number < number)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

uint32_t protobuf_desc_enum_name(const struct pb_enum *e, int32_t number)
{
  uint32_t lo = 0, hi = e->nvalues;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (e->values[mid].number < number)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < e->nvalues && e->values[lo].number == number
             ? e->values[lo].name_idx
             : 0;
}
