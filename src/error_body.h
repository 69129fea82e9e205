/* error_body: Lambda's error shape, built in one place.
 *
 * Every error the runtime posts or prints, whether a handler's, an init
 * failure or one of its own (an event too large), is
 * {"errorMessage": ..., "errorType": ..., "stackTrace": [...]}, valid UTF-8
 * whatever bytes the message held. Knows cJSON, utf8 and buf; not Lua. */
#ifndef LRT_ERROR_BODY_H
#define LRT_ERROR_BODY_H

#include <stddef.h>

#include "buf.h"

/* Longest message kept in an error body. */
#define ERROR_BODY_MAX_MESSAGE 8192

/* Replace the contents of 'out' with the error body. 'traceback' is Lua's
 * "stack traceback:\n\t..." text, or NULL: each frame becomes one stackTrace
 * line (the header line and the runtime's own bottom "[C]: in ?" frames are
 * dropped). Returns 0, or -1 when memory ran out: 'out' then holds a
 * minimal Runtime.OutOfMemory body (or nothing, if even that failed). */
int error_body_build(struct buf *out, const char *type, const char *message,
                     size_t message_len, const char *traceback);

#endif
