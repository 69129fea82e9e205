/* kafka_framing: registry framings and Protobuf message indexes. See
 * kafka_framing.h; the rules are the contract's "Schema-aware values". */
#include "kafka_framing.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define CONFLUENT_MAGIC 0x00
#define CONFLUENT_HEADER 5
#define GLUE_MAGIC 0x03
#define GLUE_HEADER 18
#define GLUE_NONE 0x00
#define GLUE_ZLIB 0x05

/* Confluent index lists longer than this are not a nesting any schema has:
 * a corrupt count, reported rather than walked. */
#define KAFKA_FRAMING_MAX_INDEXES 64

static int fail(struct wire_error *err, size_t pos, const char *what)
{
  err->pos = pos;
  err->field = NULL;
  err->what = what;
  return -1;
}

int kafka_framing_mode_parse(const char *mode_name,
                             enum kafka_framing_mode *mode)
{
  static const char *const names[] = {"auto", "none", "confluent", "glue",
                                      "lambda"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(mode_name, names[i]) == 0) {
      *mode = (enum kafka_framing_mode)i;
      return 1;
    }
  }
  return 0;
}

int kafka_framing_id_is_uuid(const char *id)
{
  if (strlen(id) != 36)
    return 0;
  for (int i = 0; i < 36; i++) {
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    char ch = id[i];
    int hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
              (ch >= 'A' && ch <= 'F');
    if (dash ? ch != '-' : !hex)
      return 0;
  }
  return 1;
}

static void confluent_id(const unsigned char *p, struct kafka_frame *out)
{
  unsigned long id = (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
                     (unsigned long)p[2] << 8 | (unsigned long)p[3];
  snprintf(out->id, sizeof out->id, "%lu", id);
  out->has_id = 1;
}

static void glue_id(const unsigned char *p, struct kafka_frame *out)
{
  static const char hex[] = "0123456789abcdef";
  char *o = out->id;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      *o++ = '-';
    *o++ = hex[p[i] >> 4];
    *o++ = hex[p[i] & 15];
  }
  *o = '\0';
  out->has_id = 1;
}

static int read_confluent(const unsigned char *data, size_t len,
                          struct kafka_frame *out, struct wire_error *err)
{
  if (len < 1 || data[0] != CONFLUENT_MAGIC)
    return fail(err, 0, "no Confluent framing (magic byte 0x00)");
  if (len < CONFLUENT_HEADER)
    return fail(err, len, "Confluent header past the end");
  confluent_id(data + 1, out);
  out->offset = CONFLUENT_HEADER;
  out->index = KAFKA_INDEX_CONFLUENT;
  return 0;
}

static int read_glue(const unsigned char *data, size_t len,
                     struct kafka_frame *out, struct wire_error *err)
{
  if (len < 1 || data[0] != GLUE_MAGIC)
    return fail(err, 0, "no Glue framing (header version byte 0x03)");
  if (len < GLUE_HEADER)
    return fail(err, len, "Glue header past the end");
  if (data[1] != GLUE_NONE && data[1] != GLUE_ZLIB)
    return fail(err, 1, "unknown Glue compression byte (not 0x00 or 0x05)");
  out->compressed = data[1] == GLUE_ZLIB;
  glue_id(data + 2, out);
  out->offset = GLUE_HEADER;
  out->index = KAFKA_INDEX_GLUE;
  return 0;
}

int kafka_framing_read(const unsigned char *data, size_t len,
                       enum kafka_framing_mode mode, const char *meta_id,
                       struct kafka_frame *out, struct wire_error *err)
{
  memset(out, 0, sizeof *out);
  if (mode == KAFKA_FRAMING_AUTO && meta_id != NULL)
    mode = KAFKA_FRAMING_LAMBDA;
  switch (mode) {
  case KAFKA_FRAMING_NONE:
    return 0;
  case KAFKA_FRAMING_LAMBDA:
    /* Lambda removed the framing; a Protobuf index may remain, in the form
     * of the registry the id comes from (without an id: Confluent's). */
    out->index = meta_id != NULL && kafka_framing_id_is_uuid(meta_id)
                     ? KAFKA_INDEX_IF_PRESENT_GLUE
                     : KAFKA_INDEX_IF_PRESENT_CONFLUENT;
    return 0;
  case KAFKA_FRAMING_CONFLUENT:
    return read_confluent(data, len, out, err);
  case KAFKA_FRAMING_GLUE:
    return read_glue(data, len, out, err);
  case KAFKA_FRAMING_AUTO:
    if (len >= CONFLUENT_HEADER && data[0] == CONFLUENT_MAGIC)
      return read_confluent(data, len, out, err);
    if (len >= GLUE_HEADER && data[0] == GLUE_MAGIC &&
        (data[1] == GLUE_NONE || data[1] == GLUE_ZLIB))
      return read_glue(data, len, out, err);
    return 0;
  }
  return fail(err, 0, "unknown framing mode");
}

int kafka_framing_skip_index(const unsigned char *data, size_t len,
                             enum kafka_framing_index index, size_t *skip,
                             struct wire_error *err)
{
  struct wire_in in;
  uint64_t v;
  wire_in_init(&in, data, len);
  *skip = 0;
  /* A field tag is at least 0x08 (field 1, wire type 0): a smaller first
   * byte can only be an index. */
  if (index == KAFKA_INDEX_IF_PRESENT_CONFLUENT ||
      index == KAFKA_INDEX_IF_PRESENT_GLUE) {
    if (len == 0 || data[0] >= 0x08)
      return 0;
    index = index == KAFKA_INDEX_IF_PRESENT_GLUE ? KAFKA_INDEX_GLUE
                                                 : KAFKA_INDEX_CONFLUENT;
  }
  if (index == KAFKA_INDEX_NONE)
    return 0;
  if (wire_varint(&in, &v) != 0)
    return fail(err, 0, "message index past the end");
  if (index == KAFKA_INDEX_CONFLUENT) {
    int64_t count = wire_unzigzag(v);
    /* A lone 0 is the list [0]; otherwise 'count' indexes follow. */
    if (count < 0 || count > KAFKA_FRAMING_MAX_INDEXES)
      return fail(err, 0, "bad Confluent message-index count");
    for (int64_t i = 0; i < count; i++) {
      size_t at = wire_pos(&in);
      if (wire_varint(&in, &v) != 0)
        return fail(err, at, "message index past the end");
      if (wire_unzigzag(v) < 0)
        return fail(err, at, "negative Confluent message index");
    }
  }
  *skip = wire_pos(&in);
  return 0;
}

/* ==== zlib (Glue compression 0x05) ==== */

/* Run inflate over 'data'; with 'out' NULL the bytes go to a stack buffer
 * and are only counted. */
static int run_inflate(const unsigned char *data, size_t len,
                       unsigned char *out, size_t cap, size_t *size,
                       struct wire_error *err)
{
  unsigned char sink[16384];
  z_stream z;
  size_t total = 0;
  int rc;
  memset(&z, 0, sizeof z);
  if (len > UINT32_MAX)
    return fail(err, 0, "compressed value too large");
  if (inflateInit(&z) != Z_OK)
    return fail(err, 0, "zlib could not start");
  z.next_in = (Bytef *)(uintptr_t)data; /* zlib does not write through it */
  z.avail_in = (uInt)len;
  do {
    /* Past 'cap' (or when only counting) the sink takes the bytes, so an
     * over-long stream is seen, never written past 'out'. */
    if (out != NULL && total < cap) {
      z.next_out = out + total;
      z.avail_out = (uInt)(cap - total);
    } else {
      z.next_out = sink;
      z.avail_out = sizeof sink;
    }
    uInt before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    total += before - z.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END)
      break;
    if (total > cap) {
      inflateEnd(&z);
      return fail(err, 0, "zlib value inflates past the cap (16 MiB)");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      rc = Z_BUF_ERROR; /* the stream ends early */
      break;
    }
  } while (rc != Z_STREAM_END);
  size_t consumed = len - z.avail_in;
  inflateEnd(&z);
  if (rc != Z_STREAM_END)
    return fail(err, consumed,
                rc == Z_BUF_ERROR ? "zlib data truncated"
                                  : "corrupt zlib data");
  *size = total;
  return 0;
}

int kafka_framing_inflated_size(const unsigned char *data, size_t len,
                                size_t cap, size_t *size,
                                struct wire_error *err)
{
  return run_inflate(data, len, NULL, cap, size, err);
}

int kafka_framing_inflate(const unsigned char *data, size_t len,
                          unsigned char *out, size_t size,
                          struct wire_error *err)
{
  size_t got = 0;
  if (run_inflate(data, len, out, size, &got, err) != 0)
    return -1;
  if (got != size)
    return fail(err, 0, "zlib data changed size");
  return 0;
}
