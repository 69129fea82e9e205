/* protobuf_desc: a FileDescriptorSet (protoc -o / --descriptor_set_out) read
 * at run time into the tables protobuf_decode walks.
 *
 * The set is itself Protobuf; this file reads the few fields of
 * descriptor.proto a decoder needs (files, packages, messages and their
 * nested types, fields, oneofs, enums, the map_entry option, syntax) with the
 * same bounds-checked wire reader the decoder uses, and resolves every
 * field's type name to a message or an enum. Debian's upb snapshot ships no
 * def/reflection headers and protobuf-c needs generated descriptors, so there
 * is no library to hand this to (docs/architecture.md). Knows nothing of
 * Lua. */
#ifndef LRT_PROTOBUF_DESC_H
#define LRT_PROTOBUF_DESC_H

#include <stddef.h>
#include <stdint.h>

/* descriptor.proto's FieldDescriptorProto.Type. */
enum pb_type {
  PB_DOUBLE = 1,
  PB_FLOAT = 2,
  PB_INT64 = 3,
  PB_UINT64 = 4,
  PB_INT32 = 5,
  PB_FIXED64 = 6,
  PB_FIXED32 = 7,
  PB_BOOL = 8,
  PB_STRING = 9,
  PB_GROUP = 10,
  PB_MESSAGE = 11,
  PB_BYTES = 12,
  PB_UINT32 = 13,
  PB_ENUM = 14,
  PB_SFIXED32 = 15,
  PB_SFIXED64 = 16,
  PB_SINT32 = 17,
  PB_SINT64 = 18
};

struct pb_field {
  char *name;
  uint32_t number;
  unsigned char type;         /* enum pb_type */
  unsigned char repeated;     /* label LABEL_REPEATED */
  unsigned char has_presence; /* in a oneof (proto3 optional included):
                                 unset means nil, not the default */
  unsigned char is_map;       /* repeated message whose type is a map entry */
  int32_t ref;                /* PB_MESSAGE/PB_GROUP: message; PB_ENUM: enum */
  uint32_t name_idx;          /* 1-based, in the Lua names table */
};

struct pb_enum_value {
  int32_t number;
  uint32_t name_idx;
};

struct pb_enum {
  char *full_name;              /* without the leading dot */
  struct pb_enum_value *values; /* sorted by number */
  uint32_t nvalues;
  uint32_t default_name; /* the first declared value's name index (proto3:
                            the value 0), 0 when the enum is empty */
  int32_t default_number;
};

struct pb_message {
  char *full_name;
  struct pb_field *fields; /* sorted by number */
  uint32_t nfields;
  unsigned char map_entry;
  int32_t *by_number; /* number -> field index, for numbers < dense_max */
  uint32_t dense_max;
};

struct pb_set {
  struct pb_message *messages;
  size_t nmessages;
  struct pb_enum *enums;
  size_t nenums;
  char **names; /* field names and enum value names, 1-based by name_idx */
  size_t nnames;
};

/* Read the descriptor set. Returns 0 and *out (free with pb_set_free), or
 * -1 with a message in 'msg'. */
int protobuf_desc_load(const unsigned char *data, size_t len,
                       struct pb_set **out, char *msg, size_t msg_len)
    __attribute__((warn_unused_result));

void protobuf_desc_free(struct pb_set *set);

/* The index of the message 'name' (with or without a leading dot), or -1. */
long protobuf_desc_find(const struct pb_set *set, const char *name);

/* The field of message 'm' with 'number', or NULL. */
const struct pb_field *protobuf_desc_field(const struct pb_message *m,
                                           uint32_t number);

/* The name index of enum value 'number' in 'e', or 0 when it has none. */
uint32_t protobuf_desc_enum_name(const struct pb_enum *e, int32_t number);

#endif
