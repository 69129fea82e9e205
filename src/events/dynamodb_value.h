/* dynamodb_value: a DynamoDB typed attribute value -> a plain Lua value.
 *
 * {"S": s} a string; {"N": text} an integer when the text is an integer
 * literal within 64 bits, else a float (the nearest double: DynamoDB keeps
 * 38 digits, a double about 16, and integers past 2^63 become floats);
 * {"B": base64} bytes; {"BOOL": b} a boolean; {"NULL": true} json.null;
 * {"M": {...}} a table; {"L": [...]} a sequence; SS / NS / BS sequences of
 * strings, numbers, bytes. Empty L and sets carry json.array's metatable.
 * Knows cJSON and Lua through event_fields. */
#ifndef LRT_DYNAMODB_VALUE_H
#define LRT_DYNAMODB_VALUE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "event_fields.h"

/* Deepest M / L nesting converted (DynamoDB's own limit is 32). */
#define DYNAMODB_VALUE_MAX_DEPTH 64

/* Where a value is, for messages: "new_image.address.city". Built on the C
 * stack as the converter descends and only formatted when a message needs
 * it, so a clean image costs no path strings. */
struct dynamodb_path {
  const struct dynamodb_path *up; /* NULL at the top */
  const char *name;
};

/* Push the Lua value for the attribute value 'av' at 'path'. A bad value
 * inside (an N that is not a number, B that is not base64) pushes nil, notes
 * a decode_error and returns 0; returns 1 otherwise. A wrong shape (not an
 * object with exactly one known type member, a member of the wrong JSON
 * type, nesting past DYNAMODB_VALUE_MAX_DEPTH) raises. [-0, +1, v] */
int dynamodb_value_push(struct event_fields *f, const cJSON *av,
                        const struct dynamodb_path *path, int depth);

/* Push a table name -> Lua value for the attribute map 'map' (an object of
 * attribute values), e.g. a record's Keys or NewImage, at 'path'.
 * [-0, +1, v] */
void dynamodb_value_push_map(struct event_fields *f, const cJSON *map,
                             const struct dynamodb_path *path, int depth);

/* Convert DynamoDB number text ('len' bytes, NUL-terminated after them): 1
 * with *is_int and *i or *d set, or 0 when the bytes are not a decimal
 * number (optional '-', digits, optional fraction, optional exponent; a
 * \u0000 anywhere makes it not one). Never raises. */
int dynamodb_value_number(const char *text, size_t len, int *is_int,
                          long long *i, double *d);

#endif
