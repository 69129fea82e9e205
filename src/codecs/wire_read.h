/* wire_read: bounds-checked reading of the varints and fixed-width
 * little-endian numbers that Avro, Protobuf and the registry framings are
 * made of.
 *
 * One cursor type and a few inline readers, so every decoder checks lengths
 * the same way: a read never goes past 'end', a varint never takes more than
 * ten bytes, and a failure leaves the cursor where the bad item began (the
 * byte position decode errors report). Knows nothing of Lua. */
#ifndef LRT_WIRE_READ_H
#define LRT_WIRE_READ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire_in {
  const unsigned char *start; /* for positions in error messages */
  const unsigned char *p;
  const unsigned char *end;
};

static inline void wire_in_init(struct wire_in *in, const void *data,
                                size_t len)
{
  in->start = data;
  in->p = data;
  in->end = in->start + len;
}

static inline size_t wire_left(const struct wire_in *in)
{
  return (size_t)(in->end - in->p);
}

static inline size_t wire_pos(const struct wire_in *in)
{
  return (size_t)(in->p - in->start);
}

/* An unsigned LEB128 varint of at most ten bytes. Returns 0, or -1 when the
 * data ends inside it or it runs past ten bytes (the cursor does not move). */
static inline int wire_varint(struct wire_in *in, uint64_t *out)
{
  const unsigned char *p = in->p;
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (p == in->end)
      return -1;
    unsigned char b = *p++;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      in->p = p;
      *out = v;
      return 0;
    }
  }
  return -1;
}

static inline int64_t wire_unzigzag(uint64_t v)
{
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* 'n' bytes, returned in *out. Returns 0, or -1 when fewer are left. */
static inline int wire_bytes(struct wire_in *in, size_t n,
                             const unsigned char **out)
{
  if (n > wire_left(in))
    return -1;
  *out = in->p;
  in->p += n;
  return 0;
}

static inline int wire_fixed32(struct wire_in *in, uint32_t *out)
{
  const unsigned char *b;
  if (wire_bytes(in, 4, &b) != 0)
    return -1;
  *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
  return 0;
}

static inline int wire_fixed64(struct wire_in *in, uint64_t *out)
{
  uint32_t lo = 0, hi = 0;
  if (wire_left(in) < 8)
    return -1;
  (void)wire_fixed32(in, &lo);
  (void)wire_fixed32(in, &hi);
  *out = (uint64_t)lo | (uint64_t)hi << 32;
  return 0;
}

static inline float wire_bits_float(uint32_t bits)
{
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline double wire_bits_double(uint64_t bits)
{
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

/* How many Lua values a decoder may make from 'len' bytes. Values that take
 * no bytes (Avro nulls, Protobuf defaults, empty messages) could otherwise
 * turn a few megabytes into gigabytes of tables; past this budget the value
 * is a decode error rather than an out-of-memory invocation. */
#define WIRE_VALUE_BUDGET(len) ((len)*64u + 65536u)

/* Where a decode stopped: the byte position in the payload, the innermost
 * field being read (NULL at the top) and what was wrong (a static string). */
struct wire_error {
  size_t pos;
  const char *field;
  const char *what;
};

#endif
