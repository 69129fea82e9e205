/* error_body: Lambda's {"errorMessage","errorType","stackTrace"}. See
 * error_body.h. */
#include "error_body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "utf8.h"

static cJSON *json_text(const char *s, size_t n)
{
  char *clean = utf8_sanitize_dup(s, n);
  if (!clean)
    return NULL;
  cJSON *item = cJSON_CreateString(clean);
  free(clean);
  return item;
}

/* One stackTrace line per frame of Lua's traceback text, within
 * ERROR_BODY_MAX_FRAMES lines of ERROR_BODY_MAX_FRAME bytes and
 * ERROR_BODY_MAX_TRACE bytes in all. */
static void add_frames(cJSON *trace, const char *traceback)
{
  const char *line = traceback;
  size_t total = 0;
  int frames = 0;
  while (line && *line && frames < ERROR_BODY_MAX_FRAMES &&
         total < ERROR_BODY_MAX_TRACE) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    const char *text = line;
    while (n && (*text == '\t' || *text == ' ')) {
      text++;
      n--;
    }
    if (n > ERROR_BODY_MAX_FRAME)
      n = ERROR_BODY_MAX_FRAME;
    if (n > ERROR_BODY_MAX_TRACE - total)
      n = ERROR_BODY_MAX_TRACE - total;
    /* Lua's header line says nothing a reader of stackTrace needs. */
    if (n && strncmp(text, "stack traceback:", n) != 0) {
      cJSON_AddItemToArray(trace, json_text(text, n));
      total += n;
      frames++;
    }
    line = end ? end + 1 : NULL;
  }
  /* The bottom frames are the runtime's own entry points: noise. */
  int n;
  while ((n = cJSON_GetArraySize(trace)) > 0 &&
         strcmp(cJSON_GetArrayItem(trace, n - 1)->valuestring, "[C]: in ?") ==
             0)
    cJSON_DeleteItemFromArray(trace, n - 1);
}

int error_body_build(struct buf *out, const char *type, const char *message,
                     size_t message_len, const char *traceback)
{
  buf_reset(out);
  char cut[ERROR_BODY_MAX_MESSAGE + 48];
  if (message_len > ERROR_BODY_MAX_MESSAGE) {
    memcpy(cut, message, ERROR_BODY_MAX_MESSAGE);
    int n = snprintf(cut + ERROR_BODY_MAX_MESSAGE, 48, " [... %zu bytes cut]",
                     message_len - ERROR_BODY_MAX_MESSAGE);
    message = cut;
    message_len = ERROR_BODY_MAX_MESSAGE + (n > 0 && n < 48 ? (size_t)n : 0);
  }
  size_t type_len = strlen(type);
  if (type_len > ERROR_BODY_MAX_TYPE)
    type_len = ERROR_BODY_MAX_TYPE;
  cJSON *root = cJSON_CreateObject();
  cJSON *trace = cJSON_CreateArray();
  if (root && trace) {
    cJSON_AddItemToObject(root, "errorMessage",
                          json_text(message, message_len));
    cJSON_AddItemToObject(root, "errorType", json_text(type, type_len));
    add_frames(trace, traceback);
    cJSON_AddItemToObject(root, "stackTrace", trace);
    trace = NULL;
    char *printed = cJSON_PrintUnformatted(root);
    if (printed) {
      if (buf_puts(out, printed) != BUF_OK)
        buf_reset(out);
      cJSON_free(printed);
    }
  }
  cJSON_Delete(trace);
  cJSON_Delete(root);
  if (out->len > 0)
    return 0;
  /* Out of memory: still answer with a well-formed body. */
  if (buf_puts(out, "{\"errorMessage\":\"out of memory\","
                    "\"errorType\":\"Runtime.OutOfMemory\","
                    "\"stackTrace\":[]}") != BUF_OK)
    buf_reset(out);
  return -1;
}
