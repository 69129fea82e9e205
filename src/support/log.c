/* log: Lambda-style TEXT and JSON log lines. See log.h.
 *
 * Each line is built whole in one buffer and written with a single fwrite,
 * then flushed, so lines from the runtime and the handler never interleave
 * and nothing sits in a stdio buffer when Lambda freezes the process.
 *
 * Choices the header leaves open:
 * - AWS_LAMBDA_LOG_LEVEL applies in both formats; unset, the level is INFO.
 * - JSON strings are escaped by json_write (control characters as \n, \t,
 *   ... or \u00XX, each byte that does not start a valid UTF-8 sequence as
 *   U+FFFD), so every line parses as JSON whatever the message holds.
 * - Fields are never read back: log_fields_* lets a caller's encoder write
 *   a table's members straight into the line (a member named timestamp,
 *   level, message or requestId renamed field_<name>, so it cannot hide
 *   ours); log_emit's object text, from our own writers, is spliced by
 *   dropping its braces. Other text goes under "fields" as a string.
 * - In TEXT lines the fields follow the message after one space, as one
 *   JSON object, and every '\n' (in the message or the fields) becomes '\r'.
 * - A message longer than LOG_MAX_MESSAGE is cut, with a note of how much:
 *   in TEXT lines its bytes, in JSON lines its escaped text (a message of
 *   control bytes grows sixfold), so no record is ever dropped for size;
 *   log_emit's fields that do not fit in the line (LOG_MAX_LINE) are
 *   replaced by "fields_dropped": <their size in bytes>. */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "json_write.h"
#include "number_text.h"

/* CloudWatch keeps at most 256 KiB per event: cut messages before that. */
#define LOG_MAX_MESSAGE ((size_t)240 * 1024)
/* Room the cut note takes in a JSON message ("... [N bytes cut]"). */
#define LOG_CUT_NOTE 48
/* Room for a whole line: the message, fields and decoration. */
#define LOG_MAX_LINE ((size_t)1024 * 1024)
/* Longest request id kept; Lambda's are 36 characters. */
#define LOG_MAX_REQUEST_ID 128
/* A runtime line's formatted message. */
#define LOG_MAX_WRITE 8192

static enum log_format log_fmt = LOG_FORMAT_TEXT;
static enum log_level log_min = LOG_INFO;
static char log_request_id[LOG_MAX_REQUEST_ID + 1];
static int log_have_request_id;
/* Kept between lines so logging does not allocate per line. */
static struct buf log_line = {NULL, 0, 0, LOG_MAX_LINE, 0};
/* A record open between log_fields_begin and log_fields_end, and the
 * members its fields have so far. */
static int log_fields_open;
static size_t log_fields_count;

static const char *const LOG_LEVEL_NAMES[] = {"TRACE", "DEBUG", "INFO",
                                              "WARN",  "ERROR", "FATAL"};

int log_level_parse(const char *name)
{
  if (!name)
    return -1;
  for (int i = LOG_TRACE; i <= LOG_FATAL; i++) {
    if (strcasecmp(name, LOG_LEVEL_NAMES[i]) == 0)
      return i;
  }
  if (strcasecmp(name, "WARNING") == 0)
    return LOG_WARN;
  return -1;
}

const char *log_level_name(enum log_level level)
{
  if ((int)level < LOG_TRACE || (int)level > LOG_FATAL)
    return "INFO";
  return LOG_LEVEL_NAMES[level];
}

void log_configure(enum log_format format, enum log_level min_level)
{
  log_fmt = format;
  log_min = min_level;
}

void log_init_from_env(void)
{
  const char *fmt = getenv("AWS_LAMBDA_LOG_FORMAT");
  const char *lvl = getenv("AWS_LAMBDA_LOG_LEVEL");
  int bad_fmt = 0, bad_lvl = 0;
  log_fmt = LOG_FORMAT_TEXT;
  log_min = LOG_INFO;
  if (fmt && *fmt) {
    if (strcasecmp(fmt, "JSON") == 0)
      log_fmt = LOG_FORMAT_JSON;
    else if (strcasecmp(fmt, "TEXT") != 0)
      bad_fmt = 1;
  }
  if (lvl && *lvl) {
    int l = log_level_parse(lvl);
    if (l < 0)
      bad_lvl = 1;
    else
      log_min = (enum log_level)l;
  }
  /* Warnings after both are set, so they come out in the chosen format. */
  if (bad_fmt)
    log_write(LOG_WARN, "unknown AWS_LAMBDA_LOG_FORMAT \"%.32s\", using TEXT",
              fmt);
  if (bad_lvl)
    log_write(LOG_WARN, "unknown AWS_LAMBDA_LOG_LEVEL \"%.32s\", using %s", lvl,
              log_level_name(log_min));
}

enum log_format log_get_format(void)
{
  return log_fmt;
}

int log_enabled(enum log_level level)
{
  return level >= log_min;
}

void log_set_request_id(const char *request_id)
{
  if (!request_id) {
    log_have_request_id = 0;
    log_request_id[0] = '\0';
    return;
  }
  size_t n = strlen(request_id);
  if (n > LOG_MAX_REQUEST_ID)
    n = LOG_MAX_REQUEST_ID;
  memcpy(log_request_id, request_id, n);
  log_request_id[n] = '\0';
  log_have_request_id = 1;
}

const char *log_get_request_id(void)
{
  return log_have_request_id ? log_request_id : NULL;
}

/* ==== Building a line ==== */

/* Append s[0..n) with '\n' turned into '\r' so the line stays one record. */
static int put_text(struct buf *b, const char *s, size_t n)
{
  size_t start = 0;
  int rc = BUF_OK;
  for (size_t i = 0; i < n && rc == BUF_OK; i++) {
    if (s[i] != '\n')
      continue;
    rc = buf_append(b, s + start, i - start);
    if (rc == BUF_OK)
      rc = buf_append(b, "\r", 1);
    start = i + 1;
  }
  if (rc == BUF_OK)
    rc = buf_append(b, s + start, n - start);
  return rc;
}

static void put_timestamp(char *out, size_t size)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, size - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

/* The bytes of msg[0..n) kept in a TEXT line: at most 'budget', cut on a
 * character boundary. */
static size_t text_fit(const char *msg, size_t n, size_t budget)
{
  if (n <= budget)
    return n;
  size_t keep = budget;
  while (keep > 0 && ((unsigned char)msg[keep] & 0xC0) == 0x80)
    keep--;
  return keep;
}

/* The message, cut to LOG_MAX_MESSAGE with a note of what went: in a JSON
 * line as a string literal whose escaped text fits (json_write_fit), so a
 * message of control bytes is cut, not dropped for passing the line's cap. */
static int put_message(struct buf *b, const char *msg, size_t len)
{
  int json = log_fmt == LOG_FORMAT_JSON;
  size_t keep = json ? json_write_fit(msg, len, LOG_MAX_MESSAGE - LOG_CUT_NOTE)
                     : text_fit(msg, len, LOG_MAX_MESSAGE);
  char note[NUMBER_TEXT_MAX + 16] = ""; /* at most LOG_CUT_NOTE used */
  if (keep < len) {
    char n[NUMBER_TEXT_MAX];
    number_text_integer((long long)(len - keep), n, sizeof n);
    snprintf(note, sizeof note, "... [%s bytes cut]", n);
  }
  if (!json) {
    int rc = put_text(b, msg, keep);
    return rc == BUF_OK ? buf_puts(b, note) : rc;
  }
  int rc = buf_append(b, "\"", 1);
  if (rc == BUF_OK)
    rc = json_write_escaped(b, msg, keep);
  if (rc == BUF_OK)
    rc = buf_puts(b, note);
  if (rc == BUF_OK)
    rc = buf_append(b, "\"", 1);
  return rc;
}

/* Everything before the fields: the timestamp, the level, the message and
 * the request id, in the line's format. */
static int put_head(struct buf *b, enum log_level level, const char *msg,
                    size_t len, const char *ts)
{
  int rc;
  if (log_fmt == LOG_FORMAT_JSON) {
    rc = buf_puts(b, "{\"timestamp\":\"");
    if (rc == BUF_OK)
      rc = buf_puts(b, ts);
    if (rc == BUF_OK)
      rc = buf_puts(b, "\",\"level\":\"");
    if (rc == BUF_OK)
      rc = buf_puts(b, log_level_name(level));
    if (rc == BUF_OK)
      rc = buf_puts(b, "\",\"message\":");
    if (rc == BUF_OK)
      rc = put_message(b, msg, len);
    if (rc == BUF_OK && log_have_request_id) {
      rc = buf_puts(b, ",\"requestId\":");
      if (rc == BUF_OK)
        rc = json_write_string(b, log_request_id, strlen(log_request_id));
    }
    return rc;
  }
  rc = buf_puts(b, ts);
  if (rc == BUF_OK)
    rc = buf_append(b, "\t", 1);
  if (rc == BUF_OK && log_have_request_id) {
    rc = put_text(b, log_request_id, strlen(log_request_id));
    if (rc == BUF_OK)
      rc = buf_append(b, "\t", 1);
  }
  if (rc == BUF_OK)
    rc = buf_puts(b, log_level_name(level));
  if (rc == BUF_OK)
    rc = buf_append(b, "\t", 1);
  if (rc == BUF_OK)
    rc = put_message(b, msg, len);
  return rc;
}

/* log_emit's fields text. In a JSON line an object's members follow ours
 * (its braces dropped: the text is our writers', never read again), any
 * other text goes under "fields" as a string; in a TEXT line the text
 * follows the message after a space. */
static int put_fields_text(struct buf *b, const char *fields)
{
  size_t n = strlen(fields);
  if (log_fmt != LOG_FORMAT_JSON) {
    int rc = buf_append(b, " ", 1);
    return rc == BUF_OK ? put_text(b, fields, n) : rc;
  }
  if (n >= 2 && fields[0] == '{' && fields[n - 1] == '}') {
    if (n == 2)
      return BUF_OK; /* {}: nothing to add */
    int rc = buf_append(b, ",", 1);
    return rc == BUF_OK ? buf_append(b, fields + 1, n - 2) : rc;
  }
  int rc = buf_puts(b, ",\"fields\":");
  return rc == BUF_OK ? json_write_string(b, fields, n) : rc;
}

static int put_end(struct buf *b)
{
  return log_fmt == LOG_FORMAT_JSON ? buf_puts(b, "}\n")
                                    : buf_append(b, "\n", 1);
}

static int build_line(struct buf *b, enum log_level level, const char *msg,
                      size_t len, const char *fields, const char *ts)
{
  int rc = put_head(b, level, msg, len, ts);
  if (rc == BUF_OK && fields)
    rc = put_fields_text(b, fields);
  if (rc == BUF_OK)
    rc = put_end(b);
  return rc;
}

static void write_line(const struct buf *b, FILE *stream)
{
  fwrite(b->data, 1, b->len, stream);
  fflush(stream);
}

void log_emit(FILE *stream, enum log_level level, const char *msg, size_t len,
              const char *fields_json)
{
  char ts[40];
  if (!log_enabled(level))
    return;
  if (!msg) {
    msg = "";
    len = 0;
  }
  put_timestamp(ts, sizeof ts);
  /* A record open in log_fields_* (this is a __gc finalizer's print, run
   * inside the encoder) keeps the shared line: this one gets its own. */
  struct buf own;
  buf_init(&own, LOG_MAX_LINE);
  struct buf *b = log_fields_open ? &own : &log_line;
  buf_reset(b);
  int rc = build_line(b, level, msg, len, fields_json, ts);
  if (rc != BUF_OK && fields_json) {
    /* Fields too big for the line: the message with a member saying what
     * went, rather than no record at all. */
    char n[NUMBER_TEXT_MAX], dropped[NUMBER_TEXT_MAX + 24];
    number_text_integer((long long)strlen(fields_json), n, sizeof n);
    snprintf(dropped, sizeof dropped, "{\"fields_dropped\":%s}", n);
    buf_reset(b);
    rc = build_line(b, level, msg, len, dropped, ts);
  }
  if (rc == BUF_OK)
    write_line(b, stream);
  buf_free(&own);
}

/* ==== A record whose fields the caller writes ==== */

static int is_record_key(const char *name, size_t n)
{
  static const char *const keys[] = {"timestamp", "level", "message",
                                     "requestId"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    if (strlen(keys[i]) == n && memcmp(keys[i], name, n) == 0)
      return 1;
  }
  return 0;
}

struct buf *log_fields_begin(enum log_level level, const char *msg, size_t len,
                             size_t fields_max)
{
  char ts[40];
  if (!log_enabled(level) || log_fields_open)
    return NULL;
  if (!msg) {
    msg = "";
    len = 0;
  }
  put_timestamp(ts, sizeof ts);
  struct buf *b = &log_line;
  buf_reset(b);
  b->max = LOG_MAX_LINE;
  int rc = put_head(b, level, msg, len, ts);
  if (rc == BUF_OK && log_fmt != LOG_FORMAT_JSON)
    rc = buf_puts(b, " {");
  if (rc != BUF_OK)
    return NULL;
  /* The fields may take 'fields_max' bytes, and the line keeps room for
   * its end whatever they take. */
  size_t room = LOG_MAX_LINE - 2 - b->len;
  b->max = b->len + (fields_max < room ? fields_max : room);
  log_fields_open = 1;
  log_fields_count = 0;
  return b;
}

int log_fields_key(struct buf *line, const char *name, size_t n)
{
  int rc = BUF_OK;
  if (log_fmt == LOG_FORMAT_JSON || log_fields_count > 0)
    rc = buf_append(line, ",", 1);
  if (rc != BUF_OK)
    return rc;
  if (log_fmt == LOG_FORMAT_JSON && is_record_key(name, n)) {
    rc = buf_puts(line, "\"field_");
    if (rc == BUF_OK)
      rc = json_write_escaped(line, name, n);
    if (rc == BUF_OK)
      rc = buf_append(line, "\"", 1);
  } else {
    rc = json_write_string(line, name, n);
  }
  if (rc == BUF_OK)
    rc = buf_append(line, ":", 1);
  if (rc == BUF_OK)
    log_fields_count++;
  return rc;
}

void log_fields_end(struct buf *line, FILE *stream)
{
  line->max = LOG_MAX_LINE;
  log_fields_open = 0;
  int rc = log_fmt == LOG_FORMAT_JSON ? BUF_OK : buf_append(line, "}", 1);
  if (rc == BUF_OK)
    rc = put_end(line);
  if (rc == BUF_OK)
    write_line(line, stream);
}

void log_fields_abandon(void)
{
  log_line.max = LOG_MAX_LINE;
  log_fields_open = 0;
}

void log_write(enum log_level level, const char *fmt, ...)
{
  char msg[LOG_MAX_WRITE];
  va_list ap;
  if (!log_enabled(level))
    return;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
  log_emit(stderr, level, msg, len, NULL);
}
