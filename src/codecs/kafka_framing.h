/* kafka_framing: the schema-registry framings a Kafka value may carry, and
 * the Protobuf message indexes behind them.
 *
 * Confluent: 0x00, a 4-byte big-endian schema id. AWS Glue: 0x03, a
 * compression byte (0x00 none, 0x05 zlib), a 16-byte schema version UUID.
 * Lambda's schema-registry mode (the record carries schema metadata): the
 * framing is already gone. Protobuf payloads then start with a message
 * index: Confluent's zigzag list (count first, a lone 0x00 meaning [0]) or
 * Glue's one unsigned varint. The rules are the contract's ("Schema-aware
 * values"); docs/kafka.md explains them. Pure C over bytes; knows zlib, not
 * Lua. */
#ifndef LRT_KAFKA_FRAMING_H
#define LRT_KAFKA_FRAMING_H

#include <stddef.h>

#include "wire_read.h"

enum kafka_framing_mode {
  KAFKA_FRAMING_AUTO = 0,
  KAFKA_FRAMING_NONE,
  KAFKA_FRAMING_CONFLUENT,
  KAFKA_FRAMING_GLUE,
  KAFKA_FRAMING_LAMBDA
};

/* The most a Glue zlib payload may inflate to (a zlib bomb is a decode
 * error, not an out-of-memory one). */
#define KAFKA_FRAMING_MAX_INFLATED (16u * 1024u * 1024u)

/* Which message-index form a Protobuf payload starts with. */
enum kafka_framing_index {
  KAFKA_INDEX_NONE = 0,  /* the message starts at once */
  KAFKA_INDEX_CONFLUENT, /* zigzag count, then that many zigzag indexes */
  KAFKA_INDEX_GLUE,      /* one unsigned varint */
  KAFKA_INDEX_IF_PRESENT_CONFLUENT, /* registry mode: only if byte 0 < 0x08 */
  KAFKA_INDEX_IF_PRESENT_GLUE
};

struct kafka_frame {
  size_t offset;  /* where the payload (or the compressed data) starts */
  int compressed; /* Glue 0x05: the bytes from 'offset' are zlib */
  int has_id;     /* 'id' holds the schema id found in the framing */
  char id[40];    /* Confluent: decimal; Glue: the UUID, lower-case */
  enum kafka_framing_index index; /* for Protobuf, after inflating */
};

/* Nonzero when 'mode_name' names a mode; stores it in *mode. */
int kafka_framing_mode_parse(const char *mode_name,
                             enum kafka_framing_mode *mode);

/* Read the framing of a value under 'mode'. 'meta_id' is the record's
 * schemaId for this side (text; NULL when the record has no schema
 * metadata). Returns 0, or -1 with 'err' set (wrong magic, a header past the
 * end, an unknown compression byte). */
int kafka_framing_read(const unsigned char *data, size_t len,
                       enum kafka_framing_mode mode, const char *meta_id,
                       struct kafka_frame *out, struct wire_error *err)
    __attribute__((warn_unused_result));

/* Nonzero when 'id' looks like a Glue schema version UUID (36 characters
 * with dashes where a UUID has them). */
int kafka_framing_id_is_uuid(const char *id);

/* Skip the message index of kind 'index' at the front of a Protobuf payload:
 * *skip is how many bytes it took. Returns 0, or -1 with 'err' set. */
int kafka_framing_skip_index(const unsigned char *data, size_t len,
                             enum kafka_framing_index index, size_t *skip,
                             struct wire_error *err)
    __attribute__((warn_unused_result));

/* The inflated size of the zlib stream 'data', when it is complete and at
 * most 'cap' bytes. Inflates into a small stack buffer and throws the bytes
 * away, so nothing is allocated by the caller until the size is known.
 * Returns 0, or -1 with 'err' set (corrupt, truncated, over the cap). */
int kafka_framing_inflated_size(const unsigned char *data, size_t len,
                                size_t cap, size_t *size,
                                struct wire_error *err)
    __attribute__((warn_unused_result));

/* Inflate 'data' into 'out' of exactly 'size' bytes (from
 * kafka_framing_inflated_size). Returns 0, or -1 with 'err' set. */
int kafka_framing_inflate(const unsigned char *data, size_t len,
                          unsigned char *out, size_t size,
                          struct wire_error *err)
    __attribute__((warn_unused_result));

#endif
