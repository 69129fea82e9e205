/* error_body: Lambda's error shape, built in one place.
 *
 * Every error the runtime posts or prints, whether a handler's, an init
 * failure or one of its own (an event too large), is
 * {"errorMessage": ..., "errorType": ..., "stackTrace": [...]}, valid UTF-8
 * whatever bytes the message held. Knows json_text and buf; not Lua. */
#ifndef LRT_ERROR_BODY_H
#define LRT_ERROR_BODY_H

#include <stddef.h>

#include "buf.h"

/* What an error body keeps, in bytes of the text given (a cut message ends
 * with " [... N bytes cut]"): a handler's error({type = <7 MB>}) must not
 * post a 7 MB body. The type is cut where host's errorType header is. */
#define ERROR_BODY_MAX_MESSAGE 8192
#define ERROR_BODY_MAX_TYPE 127
#define ERROR_BODY_MAX_FRAMES 64
#define ERROR_BODY_MAX_FRAME 256  /* one stackTrace line */
#define ERROR_BODY_MAX_TRACE 4096 /* all stackTrace lines together */
/* The largest body those limits allow: every kept byte escaped as \u00XX
 * (6 bytes), plus the frame and marker overhead. */
#define ERROR_BODY_MAX                                                         \
  (6 * (ERROR_BODY_MAX_MESSAGE + 32 + ERROR_BODY_MAX_TYPE +                    \
        ERROR_BODY_MAX_TRACE) +                                                \
   3 * ERROR_BODY_MAX_FRAMES + 64)

/* Replace the contents of 'out' with the error body. 'traceback' is Lua's
 * "stack traceback:\n\t..." text, or NULL: each frame becomes one stackTrace
 * line (the header line and the runtime's own bottom "[C]: in ?" frames are
 * dropped), within the limits above. Returns 0, or -1 when memory ran out:
 * 'out' then holds a minimal Runtime.OutOfMemory body (or nothing, if even that
 * failed). */
int error_body_build(struct buf *out, const char *type, const char *message,
                     size_t message_len, const char *traceback);

#endif
