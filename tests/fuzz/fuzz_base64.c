/* fuzz_base64: libFuzzer target for base64 and Kafka header decoding.
 *
 * 1. base64_decode on the raw input against a slow, obviously-correct
 *    reference written from the rules in base64.h (alphabet only, at most
 *    two '=' at the end and only where the last quantum lacks them, a lone
 *    trailing character is an error, trailing bits ignored): same verdict,
 *    same bytes, same error position. The output buffer is exactly
 *    base64_decoded_max() bytes, so ASan catches any write past it.
 * 2. A Kafka record synthesised from the input: a key given as raw text
 *    (decoded like the reference says, or a Kafka.InvalidEvent error), a
 *    value encoded from input bytes (must come back byte for byte), and a
 *    header in one of its three forms (byte array, signed or not; base64
 *    string; the simplified {key, value} object) whose bytes must come back
 *    exactly, through event_kafka_push on the reused Lua state.
 * 3. base64_decode_until on the raw input, stopping at '"', with a room
 *    taken from the input's first byte: where it decodes, the text is the
 *    input up to its first quote and the bytes are the reference's; where
 *    the reference decodes that text and the bytes fit the room with
 *    base64_decoded_max to spare, it must decode too. The room is exactly
 *    the buffer, so ASan catches a write past it. */
#include <cjson/cJSON.h>
#include <stdint.h>

#include "base64.h"
#include "buf.h"
#include "event_kafka.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int ref_value(unsigned char c)
{
  const char *p = c ? strchr(ALPHABET, c) : NULL;
  return p ? (int)(p - ALPHABET) : -1;
}

/* The reference decoder: returns 0 or -1 with *bad set. */
static int ref_decode(const unsigned char *s, size_t len, unsigned char *out,
                      size_t *out_len, size_t *bad)
{
  size_t n = len, pad = 0, o = 0;
  while (pad < 2 && n > 0 && s[n - 1] == '=') {
    n--;
    pad++;
  }
  for (size_t i = 0; i < n; i++) {
    if (ref_value(s[i]) < 0) {
      *bad = i;
      return -1;
    }
  }
  size_t rem = n % 4;
  if (rem == 1) {
    *bad = n - 1;
    return -1;
  }
  size_t want_pad = rem == 0 ? 0 : 4 - rem;
  if (pad > want_pad) {
    *bad = n + want_pad;
    return -1;
  }
  unsigned acc = 0, nbits = 0;
  for (size_t i = 0; i < n; i++) {
    acc = (acc << 6) | (unsigned)ref_value(s[i]);
    nbits += 6;
    if (nbits >= 8) {
      out[o++] = (unsigned char)(acc >> (nbits - 8));
      nbits -= 8;
      acc &= (1u << nbits) - 1;
    }
  }
  *out_len = o;
  return 0;
}

/* Standard base64 of 'n' bytes, padded or not; malloc'd. */
static char *ref_encode(const unsigned char *p, size_t n, int padded)
{
  char *s = malloc(n / 3 * 4 + 5);
  FUZZ_CHECK(s != NULL, "out of memory");
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    s[o++] = ALPHABET[v >> 18 & 63];
    s[o++] = ALPHABET[v >> 12 & 63];
    s[o++] = ALPHABET[v >> 6 & 63];
    s[o++] = ALPHABET[v & 63];
  }
  if (n - i > 0) {
    unsigned v = (unsigned)p[i] << 16 | (n - i == 2 ? (unsigned)p[i + 1] : 0)
                                            << 8;
    s[o++] = ALPHABET[v >> 18 & 63];
    s[o++] = ALPHABET[v >> 12 & 63];
    if (n - i == 2)
      s[o++] = ALPHABET[v >> 6 & 63];
    else if (padded)
      s[o++] = '=';
    if (padded)
      s[o++] = '=';
  }
  s[o] = '\0';
  return s;
}

static void check_decoder(const uint8_t *data, size_t size)
{
  size_t max = base64_decoded_max(size);
  unsigned char *got = malloc(max ? max : 1);
  unsigned char *want = malloc(size + 1);
  FUZZ_CHECK(got && want, "out of memory");
  size_t got_len = 0, want_len = 0, got_bad = 0, want_bad = 0;
  int rc = base64_decode((const char *)data, size, got, &got_len, &got_bad);
  int ref = ref_decode(data, size, want, &want_len, &want_bad);
  FUZZ_CHECK(rc == ref, "base64_decode says %d, the reference %d (len %zu)", rc,
             ref, size);
  if (rc == 0) {
    FUZZ_CHECK(got_len == want_len && got_len <= max,
               "decoded %zu bytes, reference %zu, max %zu", got_len, want_len,
               max);
    FUZZ_CHECK(memcmp(got, want, got_len) == 0, "decoded bytes differ");
  } else {
    FUZZ_CHECK(got_bad == want_bad, "error at %zu, reference at %zu", got_bad,
               want_bad);
  }
  free(got);
  free(want);
}

/* ==== A synthesised record ==== */

struct parts {
  const uint8_t *p[4];
  size_t n[4];
};

/* Split at 0xFE bytes into up to four parts (the last takes the rest). */
static void split(const uint8_t *data, size_t size, struct parts *out)
{
  memset(out, 0, sizeof(*out));
  int k = 0;
  out->p[0] = data;
  for (size_t i = 0; i < size; i++) {
    if (data[i] == 0xFE && k < 3) {
      out->n[k] = (size_t)(data + i - out->p[k]);
      out->p[++k] = data + i + 1;
    }
  }
  out->n[k] = (size_t)(data + size - out->p[k]);
  for (int j = k + 1; j < 4; j++)
    out->p[j] = data + size;
}

/* A C string of the part up to its first NUL (cJSON strings stop there). */
static char *text_of(const uint8_t *p, size_t n)
{
  const uint8_t *z = memchr(p, 0, n);
  size_t len = z ? (size_t)(z - p) : n;
  char *s = malloc(len + 1);
  FUZZ_CHECK(s != NULL, "out of memory");
  memcpy(s, p, len);
  s[len] = '\0';
  return s;
}

/* The reference decoder's scratch, kept across calls as event_decode keeps
 * it (reachable until exit). */
static struct buf reference_scratch = {.max = (size_t)128 << 20};

static int push_protected(lua_State *L)
{
  event_kafka_push(L, lua_touserdata(L, 1), &reference_scratch);
  return 1;
}

static void expect_field(lua_State *L, int t, const char *field,
                         const void *want, size_t want_len)
{
  size_t n = 0;
  FUZZ_CHECK(lua_getfield(L, t, field) == LUA_TSTRING, "%s is a %s", field,
             luaL_typename(L, -1));
  const char *s = lua_tolstring(L, -1, &n);
  FUZZ_CHECK(n == want_len && memcmp(s, want, n) == 0,
             "%s: %zu bytes, expected %zu", field, n, want_len);
  lua_pop(L, 1);
}

static void check_record(const uint8_t *data, size_t size)
{
  if (size < 1)
    return;
  unsigned flags = data[0];
  struct parts pt;
  split(data + 1, size - 1, &pt);
  char *key_text = text_of(pt.p[0], pt.n[0]);
  char *value_b64 = ref_encode(pt.p[1], pt.n[1], flags & 1);
  char *hname = text_of(pt.p[2], pt.n[2]);
  const uint8_t *hb = pt.p[3];
  size_t hn = pt.n[3];
  unsigned form = (flags >> 1) % 3;
  int hsigned = (flags >> 3) & 1;
  char *htext = form == 2 ? text_of(hb, hn) : NULL;
  if (htext)
    hn = strlen(htext);

  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "eventSource",
                          (flags & 16) ? "SelfManagedKafka" : "aws:kafka");
  cJSON *records = cJSON_AddObjectToObject(root, "records");
  cJSON *arr = cJSON_AddArrayToObject(records, "t-0");
  cJSON *rec = cJSON_CreateObject();
  cJSON_AddItemToArray(arr, rec);
  cJSON_AddStringToObject(rec, "topic", "t");
  cJSON_AddNumberToObject(rec, "partition", 0);
  cJSON_AddNumberToObject(rec, "offset", (double)size);
  cJSON_AddStringToObject(rec, "key", key_text);
  cJSON_AddStringToObject(rec, "value", value_b64);
  cJSON *headers = cJSON_AddArrayToObject(rec, "headers");
  cJSON *entry = cJSON_CreateObject();
  cJSON_AddItemToArray(headers, entry);
  if (form == 0) {
    cJSON *bytes = cJSON_AddArrayToObject(entry, hname);
    for (size_t i = 0; i < hn; i++)
      cJSON_AddItemToArray(
          bytes,
          cJSON_CreateNumber(hsigned ? (double)(int8_t)hb[i] : (double)hb[i]));
  } else if (form == 1) {
    char *enc = ref_encode(hb, hn, flags & 32);
    cJSON_AddStringToObject(entry, hname, enc);
    free(enc);
  } else {
    cJSON_AddStringToObject(entry, "key", hname);
    cJSON_AddStringToObject(entry, "value", htext);
  }
  FUZZ_CHECK(event_kafka_is_kafka(root), "synthesised event not Kafka");

  size_t klen = strlen(key_text), key_len = 0, bad = 0;
  unsigned char *key_want = malloc(klen + 1);
  FUZZ_CHECK(key_want != NULL, "out of memory");
  int key_ok = ref_decode((const unsigned char *)key_text, klen, key_want,
                          &key_len, &bad) == 0;

  lua_State *L = fuzz_state();
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, root);
  int status = lua_pcall(L, 1, 1, 0);
  FUZZ_CHECK(lua_gettop(L) == 1, "stack holds %d values", lua_gettop(L));
  if (!key_ok) {
    FUZZ_CHECK(status != LUA_OK, "key '%s' is not base64 yet was accepted",
               key_text);
    fuzz_check_typed_error(L, status, "Kafka.InvalidEvent");
  } else if (status == LUA_OK) {
    lua_getfield(L, 1, "records");
    FUZZ_CHECK(lua_rawgeti(L, -1, 1) == LUA_TTABLE, "record 1");
    int r = lua_gettop(L);
    expect_field(L, r, "key", key_want, key_len);
    expect_field(L, r, "value", pt.p[1], pt.n[1]);
    lua_getfield(L, r, "headers");
    FUZZ_CHECK(lua_rawlen(L, -1) == 1, "%zu headers",
               (size_t)lua_rawlen(L, -1));
    lua_rawgeti(L, -1, 1);
    int h = lua_gettop(L);
    expect_field(L, h, "key", hname, strlen(hname));
    expect_field(L, h, "value", htext ? (const uint8_t *)htext : hb, hn);
  } else {
    fuzz_check_typed_error(L, status, "Kafka.InvalidEvent");
    FUZZ_CHECK(status == LUA_ERRMEM, "a valid record was refused");
  }
  lua_settop(L, 0);
  cJSON_Delete(root);
  free(key_want);
  free(key_text);
  free(value_b64);
  free(hname);
  free(htext);
}

static void check_until(const uint8_t *data, size_t size)
{
  if (size < 1)
    return;
  size_t room = (size_t)data[0] * 4;
  data++;
  size--;
  unsigned char *got = malloc(room ? room : 1);
  unsigned char *want = malloc(size + 1);
  FUZZ_CHECK(got && want, "out of memory");
  size_t text_len = 0, out_len = 0, want_len = 0, bad = 0;
  int rc = base64_decode_until((const char *)data, size, '"', got, room,
                               &text_len, &out_len);
  const uint8_t *q = memchr(data, '"', size);
  int ref =
      q ? ref_decode(data, (size_t)(q - data), want, &want_len, &bad) : -1;
  if (rc == 0) {
    FUZZ_CHECK(q != NULL && text_len == (size_t)(q - data),
               "decoded %zu characters, the first quote is at %lld", text_len,
               q ? (long long)(q - data) : -1LL);
    FUZZ_CHECK(ref == 0 && out_len == want_len && out_len <= room &&
                   memcmp(got, want, out_len) == 0,
               "decoded bytes differ from the reference's");
  } else if (ref == 0) {
    FUZZ_CHECK(base64_decoded_max((size_t)(q - data)) > room,
               "refused %zu characters the reference decodes into a room "
               "of %zu",
               (size_t)(q - data), room);
  }
  free(got);
  free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_decoder(data, size);
  check_until(data, size);
  check_record(data, size);
  return 0;
}
