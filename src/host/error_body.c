/* error_body: Lambda's {"errorMessage","errorType","stackTrace"}. See
 * error_body.h. */
#include "error_body.h"

#include <stdio.h>
#include <string.h>

#include "error_types.h"
#include "json_write.h"
#include "number_text.h"

/* The bottom frames of the runtime's own C code, dropped from stackTrace. */
static const char C_FRAME[] = "[C]: in ?";

/* One stackTrace line per frame of Lua's traceback text, within
 * ERROR_BODY_MAX_FRAMES lines of ERROR_BODY_MAX_FRAME bytes and
 * ERROR_BODY_MAX_TRACE bytes in all. The bottom frames that are the
 * runtime's own entry points ("[C]: in ?") are noise and left out. */
static int put_frames(struct buf *out, const char *traceback)
{
  const char *line = traceback;
  size_t total = 0;
  int frames = 0;
  /* Where the body ends after the last frame that is not an entry point:
   * the entry points after it are cut back off at the end. */
  size_t keep = out->len;
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
      if ((frames && buf_append(out, ",", 1) != BUF_OK) ||
          json_write_string(out, text, n) != BUF_OK)
        return -1;
      if (!(n == sizeof C_FRAME - 1 && memcmp(text, C_FRAME, n) == 0))
        keep = out->len;
      total += n;
      frames++;
    }
    line = end ? end + 1 : NULL;
  }
  out->len = keep;
  out->data[out->len] = '\0';
  return 0;
}

int error_body_build(struct buf *out, const char *type, const char *message,
                     size_t message_len, const char *traceback)
{
  buf_reset(out);
  /* A long message is cut, and says by how much, inside its string. */
  char cut[NUMBER_TEXT_MAX + 32] = "";
  if (message_len > ERROR_BODY_MAX_MESSAGE) {
    char n[NUMBER_TEXT_MAX];
    number_text_integer((long long)(message_len - ERROR_BODY_MAX_MESSAGE), n,
                        sizeof n);
    snprintf(cut, sizeof cut, " [... %s bytes cut]", n);
    message_len = ERROR_BODY_MAX_MESSAGE;
  }
  size_t type_len = strlen(type);
  if (type_len > ERROR_BODY_MAX_TYPE)
    type_len = ERROR_BODY_MAX_TYPE;
  if (buf_puts(out, "{\"errorMessage\":\"") == BUF_OK &&
      json_write_escaped(out, message, message_len) == BUF_OK &&
      buf_puts(out, cut) == BUF_OK && buf_puts(out, "\"") == BUF_OK &&
      buf_puts(out, ",\"errorType\":") == BUF_OK &&
      json_write_string(out, type, type_len) == BUF_OK &&
      buf_puts(out, ",\"stackTrace\":[") == BUF_OK &&
      put_frames(out, traceback) == 0 && buf_puts(out, "]}") == BUF_OK)
    return 0;
  buf_reset(out);
  /* Out of memory: still answer with a well-formed body. */
  if (buf_puts(out, "{\"errorMessage\":\"out of memory\",\"errorType\":\"") !=
          BUF_OK ||
      buf_puts(out, ERROR_TYPE_OUT_OF_MEMORY) != BUF_OK ||
      buf_puts(out, "\",\"stackTrace\":[]}") != BUF_OK)
    buf_reset(out);
  return -1;
}
