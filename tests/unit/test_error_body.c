/* test_error_body: Lambda's error shape as error_body.c builds it. The body
 * must be JSON with exactly errorMessage, errorType and stackTrace, valid
 * UTF-8 whatever the message held, one stackTrace line per frame without
 * Lua's header line or the runtime's own bottom frames, and a capped
 * message. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "error_body.h"
#include "test.h"

static cJSON *build(struct buf *b, const char *type, const char *msg,
                    size_t len, const char *tb)
{
  ASSERT_OK(error_body_build(b, type, msg, len, tb));
  cJSON *j = cJSON_ParseWithLength(b->data, b->len);
  ASSERT_NOT_NULL(j);
  ASSERT_EQ(cJSON_GetArraySize(j), 3);
  return j;
}

static const char *field(const cJSON *j, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
  ASSERT(cJSON_IsString(v));
  return v->valuestring;
}

int main(void)
{
  struct buf b;
  buf_init(&b, 1u << 20);

  const char *tb = "stack traceback:\n\t[C]: in function 'error'\n"
                   "\thandler.lua:3: in function <handler.lua:2>\n"
                   "\t[C]: in ?\n\t[C]: in ?";
  cJSON *j = build(&b, "Orders.Invalid", "bad order", 9, tb);
  ASSERT_STR_EQ(field(j, "errorType"), "Orders.Invalid");
  ASSERT_STR_EQ(field(j, "errorMessage"), "bad order");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "stackTrace");
  ASSERT(cJSON_IsArray(st));
  ASSERT_EQ(cJSON_GetArraySize(st), 2);
  ASSERT_STR_EQ(cJSON_GetArrayItem(st, 0)->valuestring,
                "[C]: in function 'error'");
  ASSERT_STR_EQ(cJSON_GetArrayItem(st, 1)->valuestring,
                "handler.lua:3: in function <handler.lua:2>");
  cJSON_Delete(j);

  /* No traceback: an empty array, not a missing member. */
  j = build(&b, "Runtime.InvalidEvent", "empty", 5, NULL);
  ASSERT(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "stackTrace")));
  ASSERT_EQ(
      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "stackTrace")), 0);
  cJSON_Delete(j);

  /* Invalid UTF-8 and a NUL inside the message: repaired, never cut. */
  j = build(&b, "T",
            "a\xff"
            "b\0c",
            5, NULL);
  /* Every byte is kept: the NUL is written as \u0000 (cJSON's reader, which
   * field() uses, would stop at it, so the text itself is checked). */
  ASSERT_NOT_NULL(strstr(b.data, "\"errorMessage\":\"a\xEF\xBF\xBD"
                                 "b\\u0000c\""));
  cJSON_Delete(j);

  /* Quotes and control characters are escaped, so the body stays JSON. */
  j = build(&b, "T", "say \"hi\"\n\tnow", 14, "x\n\"y\"");
  ASSERT_STR_EQ(field(j, "errorMessage"), "say \"hi\"\n\tnow");
  cJSON_Delete(j);

  /* A long message is capped, and says by how much. */
  static char big[20000];
  memset(big, 'm', sizeof(big));
  j = build(&b, "T", big, sizeof(big), NULL);
  ASSERT_EQ(strspn(field(j, "errorMessage"), "m"), ERROR_BODY_MAX_MESSAGE);
  ASSERT_STR_EQ(field(j, "errorMessage") + ERROR_BODY_MAX_MESSAGE,
                " [... 11808 bytes cut]");
  cJSON_Delete(j);

  /* The worst case of every part at once stays within ERROR_BODY_MAX: a
   * 7 MB type, a 7 MB message of control bytes (each escaped to 6), and a
   * traceback of thousands of long frames. */
  {
    size_t n = 7u << 20;
    char *huge = malloc(n + 1);
    ASSERT_NOT_NULL(huge);
    memset(huge, 1, n);
    huge[n] = '\0';
    char *type = malloc(n + 1);
    ASSERT_NOT_NULL(type);
    memset(type, 'T', n);
    type[n] = '\0';
    char *frames = malloc(n + 1);
    ASSERT_NOT_NULL(frames);
    for (size_t i = 0; i < n; i++)
      frames[i] = i % 1000 == 999 ? '\n' : '\1';
    frames[n] = '\0';
    struct buf worst;
    buf_init(&worst, 64u << 20);
    ASSERT_EQ(error_body_build(&worst, type, huge, n, frames), 0);
    ASSERT(worst.len <= ERROR_BODY_MAX);
    j = cJSON_ParseWithLength(worst.data, worst.len);
    ASSERT_NOT_NULL(j);
    ASSERT_EQ(strlen(field(j, "errorType")), ERROR_BODY_MAX_TYPE);
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(j, "stackTrace");
    ASSERT(cJSON_GetArraySize(tr) > 0);
    ASSERT(cJSON_GetArraySize(tr) <= ERROR_BODY_MAX_FRAMES);
    cJSON_Delete(j);
    buf_free(&worst);
    free(frames);
    free(type);
    free(huge);
  }

  /* Reused buffer: the previous body is replaced, not appended to. */
  j = build(&b, "Second", "two", 3, NULL);
  ASSERT_STR_EQ(field(j, "errorType"), "Second");
  cJSON_Delete(j);

  buf_free(&b);
  puts("test_error_body: ok");
  return 0;
}
