/* log: the runtime's log lines, in Lambda's TEXT or JSON format.
 *
 * Every line the runtime writes goes through here, and so does every line a
 * handler writes through `log` or `print` (see log_module.c), so that
 * AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL apply to all of them.
 *
 * TEXT lines look like Lambda's managed runtimes:
 *   2026-11-27T05:42:33.123Z <TAB> request-id <TAB> LEVEL <TAB> message
 * Newlines inside a message are written as '\r' so CloudWatch keeps one record.
 * JSON lines are one object each:
 *   {"timestamp":"...","level":"INFO","message":"...","requestId":"...",...}
 *
 * Runtime lines go to stderr; handler print() lines go to stdout. Event
 * payloads are never passed here by the runtime. No part of a message is ever
 * used as a format string. JSON text is written by json_write and
 * number_text, never parsed. Knows nothing of Lua, cJSON, HTTP or Kafka. */
#ifndef LRT_LOG_H
#define LRT_LOG_H

#include <stdio.h>

enum log_level {
  LOG_TRACE = 0,
  LOG_DEBUG,
  LOG_INFO,
  LOG_WARN,
  LOG_ERROR,
  LOG_FATAL
};

enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };

/* Read AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL from the environment.
 * Unknown values fall back to TEXT and INFO (with a warning line). */
void log_init_from_env(void);

/* Set format and minimum level directly (tests, local invoke). */
void log_configure(enum log_format format, enum log_level min_level);

enum log_format log_get_format(void);

/* Nonzero when a line at 'level' would be written. */
int log_enabled(enum log_level level);

/* The request id stamped on every line, or NULL outside an invocation. The
 * string is copied. */
void log_set_request_id(const char *request_id);
const char *log_get_request_id(void);

/* Parse "INFO", "warn", ... Returns -1 when unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

/* A runtime line on stderr. printf-style: the format is always a literal. */
void log_write(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One record with a message of 'len' bytes (any bytes, not a format) to
 * 'stream'. 'fields_json', when not NULL, is JSON text our own writers made
 * (an error body from error_body, a value from json_lua), never read back:
 * in a JSON line an object's members are appended after the record's own
 * (its braces dropped; its member names must not be the record's own, which
 * error bodies' never are) and any other text goes under "fields" as a
 * string; in a TEXT line the text follows the message after a space. */
void log_emit(FILE *stream, enum log_level level, const char *msg, size_t len,
              const char *fields_json);

/* A record whose fields a caller writes straight into the line, for fields
 * that are not text yet (log_module's Lua table, written by the encoder):
 * - log_fields_begin starts the line (timestamp, level, message, request
 *   id) and returns it, or NULL when nothing is to be written (the level is
 *   off, memory ran out) or a record is open already (a __gc finalizer
 *   logging from inside the encoder: log_emit still works there). The
 *   fields may take 'fields_max' bytes of the line; an append past that
 *   fails with BUF_ETOOBIG.
 * - log_fields_key appends what goes before each member's value: in a JSON
 *   line ',"name":', a name that is the record's own (timestamp, level,
 *   message, requestId) written "field_<name>" so it cannot hide ours; in a
 *   TEXT line the members make one object after the message. 'name' is n
 *   bytes. The caller then appends the value's JSON text. Returns buf's
 *   status.
 * - log_fields_end closes the line and writes it to 'stream';
 *   log_fields_abandon drops it instead (the caller's encoder failed). One
 *   of the two must follow every begin that returned a line. */
struct buf;
struct buf *log_fields_begin(enum log_level level, const char *msg, size_t len,
                             size_t fields_max);
int log_fields_key(struct buf *line, const char *name, size_t n);
void log_fields_end(struct buf *line, FILE *stream);
void log_fields_abandon(void);

#endif
