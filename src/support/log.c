/* log: Lambda-style TEXT and JSON log lines. See log.h.
 *
 * Each line is built whole in one buffer and written with a single fwrite,
 * then flushed, so lines from the runtime and the handler never interleave
 * and nothing sits in a stdio buffer when Lambda freezes the process.
 *
 * Choices the header leaves open:
 * - AWS_LAMBDA_LOG_LEVEL applies in both formats; unset, the level is INFO.
 * - JSON strings are escaped here: control characters as \n, \t, ... or
 *   \u00XX, and each byte that does not start a valid UTF-8 sequence becomes
 *   U+FFFD, so every line parses as JSON whatever the message holds.
 * - fields_json members are copied into a JSON line as they are written
 *   (numbers keep their exact text); a member named timestamp, level,
 *   message or requestId is renamed field_<name> so it cannot hide ours.
 *   Text that is not a JSON object goes under "fields" as a string.
 * - In TEXT lines, fields_json follows the message after one space, and every
 *   '\n' (in the message or the fields) becomes '\r'.
 * - A message longer than LOG_MAX_MESSAGE is cut, with a note of how much:
 *   in TEXT lines its bytes, in JSON lines its escaped text (a message of
 *   control bytes grows sixfold), so no record is ever dropped for size;
 *   fields that do not fit in the line (LOG_MAX_LINE) are replaced by
 *   "fields_dropped": <their size in bytes>. */
#include "log.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "utf8.h"

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

/* Append s[0..n) as a JSON string literal. Returns nonzero on failure. */
static int put_json_string(struct buf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  int rc = buf_append(b, "\"", 1);
  size_t start = 0, i = 0;
  /* Runs of plain bytes are copied in one go. */
  while (rc == BUF_OK && i < n) {
    unsigned char c = p[i];
    size_t len = c >= 0x20 && c != '"' && c != '\\'
                     ? utf8_sequence_len(p + i, n - i)
                     : 0;
    if (len > 0) {
      i += len;
      continue;
    }
    rc = buf_append(b, s + start, i - start);
    if (rc != BUF_OK)
      break;
    char esc[7];
    size_t esc_len = 2;
    esc[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
      esc[1] = (char)c;
      break;
    case '\n':
      esc[1] = 'n';
      break;
    case '\r':
      esc[1] = 'r';
      break;
    case '\t':
      esc[1] = 't';
      break;
    default:
      if (c < 0x20) {
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 0xF];
        esc_len = 6;
      } else {
        memcpy(esc, "\xEF\xBF\xBD", 3); /* U+FFFD for one bad byte */
        esc_len = 3;
      }
    }
    rc = buf_append(b, esc, esc_len);
    i++;
    start = i;
  }
  if (rc == BUF_OK)
    rc = buf_append(b, s + start, n - start);
  if (rc == BUF_OK)
    rc = buf_append(b, "\"", 1);
  return rc;
}

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

/* The end of the JSON value starting at s (valid JSON, as cJSON checked):
 * the first ',' or '}' outside strings and nested containers. */
static const char *skip_value(const char *s)
{
  int depth = 0;
  for (; *s; s++) {
    char c = *s;
    if (c == '"') {
      for (s++; *s && *s != '"'; s++) {
        if (*s == '\\' && s[1])
          s++;
      }
      if (!*s)
        return s;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (depth == 0)
        return s;
      depth--;
    } else if (c == ',' && depth == 0) {
      return s;
    }
  }
  return s;
}

/* Past the closing quote of the JSON string starting at s. */
static const char *skip_string(const char *s)
{
  for (s++; *s && *s != '"'; s++) {
    if (*s == '\\' && s[1])
      s++;
  }
  return *s ? s + 1 : s;
}

static const char *skip_space(const char *s)
{
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
    s++;
  return s;
}

static int is_reserved(const char *name)
{
  return strcmp(name, "timestamp") == 0 || strcmp(name, "level") == 0 ||
         strcmp(name, "message") == 0 || strcmp(name, "requestId") == 0;
}

/* Append ',"name":value' for each member of the object text 'fields'. The
 * members' text is copied as written, walked in step with cJSON's parse of
 * it (which validates it and gives each name unescaped). */
static int put_fields(struct buf *b, const char *fields)
{
  cJSON *obj = cJSON_Parse(fields);
  int rc = BUF_OK;
  if (!cJSON_IsObject(obj)) {
    rc = buf_puts(b, ",\"fields\":");
    if (rc == BUF_OK)
      rc = put_json_string(b, fields, strlen(fields));
    goto out;
  }
  const char *p = skip_space(fields) + 1; /* past '{' */
  const cJSON *member;
  cJSON_ArrayForEach(member, obj) {
    p = skip_space(p);
    if (*p == ',')
      p = skip_space(p + 1);
    const char *name_end = skip_string(p);
    const char *colon = strchr(name_end, ':');
    if (!colon)
      break;
    const char *value = skip_space(colon + 1);
    const char *value_end = skip_value(value);
    rc = buf_append(b, ",", 1);
    if (rc == BUF_OK && is_reserved(member->string)) {
      rc = buf_puts(b, "\"field_");
      if (rc == BUF_OK)
        rc = buf_append(b, p + 1, (size_t)(name_end - p - 1));
    } else if (rc == BUF_OK) {
      rc = buf_append(b, p, (size_t)(name_end - p));
    }
    if (rc == BUF_OK)
      rc = buf_append(b, ":", 1);
    /* trailing spaces of the value are harmless; keep the text exact */
    if (rc == BUF_OK)
      rc = buf_append(b, value, (size_t)(value_end - value));
    if (rc != BUF_OK)
      break;
    p = value_end;
  }
out:
  cJSON_Delete(obj);
  return rc;
}

static int build_json(struct buf *b, enum log_level level, const char *msg,
                      size_t len, const char *fields, const char *ts)
{
  int rc = buf_puts(b, "{\"timestamp\":\"");
  if (rc == BUF_OK)
    rc = buf_puts(b, ts);
  if (rc == BUF_OK)
    rc = buf_puts(b, "\",\"level\":\"");
  if (rc == BUF_OK)
    rc = buf_puts(b, log_level_name(level));
  if (rc == BUF_OK)
    rc = buf_puts(b, "\",\"message\":");
  if (rc == BUF_OK)
    rc = put_json_string(b, msg, len);
  if (rc == BUF_OK && log_have_request_id) {
    rc = buf_puts(b, ",\"requestId\":");
    if (rc == BUF_OK)
      rc = put_json_string(b, log_request_id, strlen(log_request_id));
  }
  if (rc == BUF_OK && fields)
    rc = put_fields(b, fields);
  if (rc == BUF_OK)
    rc = buf_puts(b, "}\n");
  return rc;
}

static int build_text(struct buf *b, enum log_level level, const char *msg,
                      size_t len, const char *fields, const char *ts)
{
  int rc = buf_puts(b, ts);
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
    rc = put_text(b, msg, len);
  if (rc == BUF_OK && fields) {
    rc = buf_append(b, " ", 1);
    if (rc == BUF_OK)
      rc = put_text(b, fields, strlen(fields));
  }
  if (rc == BUF_OK)
    rc = buf_append(b, "\n", 1);
  return rc;
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

/* The bytes of msg[0..n) kept in a JSON line: the longest prefix whose
 * escaped text (as put_json_string writes it) takes at most 'budget' bytes,
 * so a message of control bytes (6 each once escaped) is cut, not dropped
 * for passing the line's cap. */
static size_t json_fit(const char *msg, size_t n, size_t budget)
{
  const unsigned char *p = (const unsigned char *)msg;
  size_t used = 0, i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t seq = c >= 0x20 && c != '"' && c != '\\'
                     ? utf8_sequence_len(p + i, n - i)
                     : 0;
    size_t out;
    if (seq > 0)
      out = seq;
    else if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
      out = 2;
    else if (c < 0x20)
      out = 6;
    else
      out = 3; /* U+FFFD */
    if (used + out > budget)
      return i;
    used += out;
    i += seq > 0 ? seq : 1;
  }
  return n;
}

void log_emit(FILE *stream, enum log_level level, const char *msg, size_t len,
              const char *fields_json)
{
  char ts[40];
  char note[64];
  char *cut = NULL;
  if (!log_enabled(level))
    return;
  if (!msg) {
    msg = "";
    len = 0;
  }
  size_t keep = log_fmt == LOG_FORMAT_JSON
                    ? json_fit(msg, len, LOG_MAX_MESSAGE - LOG_CUT_NOTE)
                    : text_fit(msg, len, LOG_MAX_MESSAGE);
  if (keep < len) {
    snprintf(note, sizeof note, "... [%zu bytes cut]", len - keep);
    cut = malloc(keep + strlen(note));
    if (cut) {
      memcpy(cut, msg, keep);
      memcpy(cut + keep, note, strlen(note));
      msg = cut;
      len = keep + strlen(note);
    } else {
      len = keep;
    }
  }
  put_timestamp(ts, sizeof ts);
  struct buf *b = &log_line;
  buf_reset(b);
  int rc = log_fmt == LOG_FORMAT_JSON
               ? build_json(b, level, msg, len, fields_json, ts)
               : build_text(b, level, msg, len, fields_json, ts);
  if (rc != BUF_OK && fields_json) {
    /* Fields too big for the line: the message with a member saying what
     * went, rather than no record at all. */
    char dropped[64];
    snprintf(dropped, sizeof dropped, "{\"fields_dropped\":%zu}",
             strlen(fields_json));
    buf_reset(b);
    rc = log_fmt == LOG_FORMAT_JSON
             ? build_json(b, level, msg, len, dropped, ts)
             : build_text(b, level, msg, len, dropped, ts);
  }
  free(cut);
  if (rc != BUF_OK)
    return;
  fwrite(b->data, 1, b->len, stream);
  fflush(stream);
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
