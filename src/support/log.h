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
 * used as a format string. Knows nothing of Lua, HTTP or Kafka. */
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
 * 'stream'. 'fields_json', when not NULL, is the text of a JSON object whose
 * members are added to a JSON line (and appended as-is to a TEXT line). */
void log_emit(FILE *stream, enum log_level level, const char *msg, size_t len,
              const char *fields_json);

#endif
