/* test_log: log.c's TEXT and JSON lines, levels and environment.
 *
 * Lines are captured by pointing log_emit at a tmpfile (and stderr at one
 * for log_write), then checked as text and, for JSON, parsed with cJSON.
 * The Lua face (log_module.c: the log module and print) is checked here too,
 * with stdout pointed at a tmpfile. */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <unistd.h>

#include "json_lua.h"
#include "log.h"
#include "log_module.h"
#include "test.h"

static char captured[1 << 20];

/* Read everything written to 'f' since it was created, then close it. */
static const char *take(FILE *f)
{
  rewind(f);
  size_t n = fread(captured, 1, sizeof captured - 1, f);
  captured[n] = '\0';
  fclose(f);
  return captured;
}

static FILE *open_capture(void)
{
  FILE *f = tmpfile();
  ASSERT_NOT_NULL(f);
  return f;
}

static const char *emit(enum log_level level, const char *msg, size_t len,
                        const char *fields)
{
  FILE *f = open_capture();
  log_emit(f, level, msg, len, fields);
  return take(f);
}

static const char *emit_str(enum log_level level, const char *msg,
                            const char *fields)
{
  return emit(level, msg, strlen(msg), fields);
}

/* Exactly one line, ending in '\n', with no other newline. */
static void assert_one_line(const char *s)
{
  size_t n = strlen(s);
  ASSERT(n > 0);
  ASSERT_EQ(s[n - 1], '\n');
  ASSERT(strchr(s, '\n') == s + n - 1);
}

/* 2026-11-27T05:42:33.123Z */
static void assert_timestamp(const char *t)
{
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < sizeof shape - 1; i++) {
    if (shape[i] == 'd')
      ASSERT(t[i] >= '0' && t[i] <= '9');
    else
      ASSERT_EQ(t[i], shape[i]);
  }
}

static cJSON *parse_line(const char *line)
{
  assert_one_line(line);
  cJSON *j = cJSON_Parse(line);
  if (!j)
    TEST_FAIL("not JSON: %s", line);
  ASSERT(cJSON_IsObject(j));
  return j;
}

static const char *str_field(const cJSON *j, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_levels(void)
{
  ASSERT_EQ(log_level_parse("TRACE"), LOG_TRACE);
  ASSERT_EQ(log_level_parse("debug"), LOG_DEBUG);
  ASSERT_EQ(log_level_parse("Info"), LOG_INFO);
  ASSERT_EQ(log_level_parse("WARN"), LOG_WARN);
  ASSERT_EQ(log_level_parse("warning"), LOG_WARN);
  ASSERT_EQ(log_level_parse("error"), LOG_ERROR);
  ASSERT_EQ(log_level_parse("FATAL"), LOG_FATAL);
  ASSERT_EQ(log_level_parse("verbose"), -1);
  ASSERT_EQ(log_level_parse(""), -1);
  ASSERT_EQ(log_level_parse(NULL), -1);
  ASSERT_STR_EQ(log_level_name(LOG_TRACE), "TRACE");
  ASSERT_STR_EQ(log_level_name(LOG_WARN), "WARN");
  ASSERT_STR_EQ(log_level_name(LOG_FATAL), "FATAL");

  log_configure(LOG_FORMAT_TEXT, LOG_WARN);
  ASSERT(!log_enabled(LOG_DEBUG));
  ASSERT(!log_enabled(LOG_INFO));
  ASSERT(log_enabled(LOG_WARN));
  ASSERT(log_enabled(LOG_FATAL));
  ASSERT_STR_EQ(emit_str(LOG_INFO, "dropped", NULL), "");
  ASSERT_STR_EQ(emit_str(LOG_DEBUG, "dropped", "{\"a\":1}"), "");
  ASSERT_CONTAINS(emit_str(LOG_WARN, "kept", NULL), "\tWARN\tkept\n");
  ASSERT_CONTAINS(emit_str(LOG_ERROR, "kept", NULL), "\tERROR\tkept\n");
  log_configure(LOG_FORMAT_JSON, LOG_ERROR);
  ASSERT_STR_EQ(emit_str(LOG_WARN, "dropped", NULL), "");
  log_configure(LOG_FORMAT_TEXT, LOG_TRACE);
  ASSERT_CONTAINS(emit_str(LOG_TRACE, "t", NULL), "\tTRACE\tt\n");
}

/* Run log_init_from_env with the given variables (NULL: unset); returns
 * what it wrote on stderr. */
static const char *init_env(const char *format, const char *level)
{
  if (format)
    setenv("AWS_LAMBDA_LOG_FORMAT", format, 1);
  else
    unsetenv("AWS_LAMBDA_LOG_FORMAT");
  if (level)
    setenv("AWS_LAMBDA_LOG_LEVEL", level, 1);
  else
    unsetenv("AWS_LAMBDA_LOG_LEVEL");
  FILE *f = open_capture();
  fflush(stderr);
  int saved = dup(2);
  ASSERT(saved >= 0);
  ASSERT(dup2(fileno(f), 2) == 2);
  log_init_from_env();
  fflush(stderr);
  ASSERT(dup2(saved, 2) == 2);
  close(saved);
  return take(f);
}

static void test_env(void)
{
  log_set_request_id(NULL);
  ASSERT_STR_EQ(init_env(NULL, NULL), "");
  ASSERT_EQ(log_get_format(), LOG_FORMAT_TEXT);
  ASSERT(log_enabled(LOG_INFO) && !log_enabled(LOG_DEBUG));

  ASSERT_STR_EQ(init_env("json", NULL), "");
  ASSERT_EQ(log_get_format(), LOG_FORMAT_JSON);
  ASSERT(log_enabled(LOG_INFO) && !log_enabled(LOG_DEBUG));

  ASSERT_STR_EQ(init_env("JSON", "debug"), "");
  ASSERT_EQ(log_get_format(), LOG_FORMAT_JSON);
  ASSERT(log_enabled(LOG_DEBUG) && !log_enabled(LOG_TRACE));

  ASSERT_STR_EQ(init_env("Text", "ERROR"), "");
  ASSERT_EQ(log_get_format(), LOG_FORMAT_TEXT);
  ASSERT(!log_enabled(LOG_WARN) && log_enabled(LOG_ERROR));

  ASSERT_STR_EQ(init_env("", ""), "");
  ASSERT_EQ(log_get_format(), LOG_FORMAT_TEXT);
  ASSERT(log_enabled(LOG_INFO) && !log_enabled(LOG_DEBUG));

  /* unknown values: defaults, and a warning saying so */
  const char *warn = init_env("xml", "loud");
  ASSERT_EQ(log_get_format(), LOG_FORMAT_TEXT);
  ASSERT(log_enabled(LOG_INFO) && !log_enabled(LOG_DEBUG));
  ASSERT_CONTAINS(warn, "\tWARN\tunknown AWS_LAMBDA_LOG_FORMAT \"xml\"");
  ASSERT_CONTAINS(warn, "unknown AWS_LAMBDA_LOG_LEVEL \"loud\", using INFO");

  /* the warning comes out in the format that was chosen */
  warn = init_env("JSON", "loud");
  cJSON *j = parse_line(warn);
  ASSERT_STR_EQ(str_field(j, "level"), "WARN");
  ASSERT_CONTAINS(str_field(j, "message"), "AWS_LAMBDA_LOG_LEVEL");
  cJSON_Delete(j);
  unsetenv("AWS_LAMBDA_LOG_FORMAT");
  unsetenv("AWS_LAMBDA_LOG_LEVEL");
}

static void test_text(void)
{
  log_configure(LOG_FORMAT_TEXT, LOG_INFO);
  log_set_request_id(NULL);
  ASSERT(log_get_request_id() == NULL);
  const char *line = emit_str(LOG_INFO, "hello world", NULL);
  assert_one_line(line);
  assert_timestamp(line);
  ASSERT_STR_EQ(line + 24, "\tINFO\thello world\n");

  log_set_request_id("8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  ASSERT_STR_EQ(log_get_request_id(), "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  line = emit_str(LOG_ERROR, "boom", NULL);
  assert_timestamp(line);
  ASSERT_STR_EQ(line + 24,
                "\t8476a536-e9f4-11e8-9739-2dfe598c3fcd\tERROR\tboom\n");

  /* newlines become '\r': still one line, one record */
  line = emit_str(LOG_WARN, "one\ntwo\n\nthree", NULL);
  assert_one_line(line);
  ASSERT_CONTAINS(line, "\tWARN\tone\rtwo\r\rthree\n");

  /* fields follow the message after a space */
  line = emit_str(LOG_INFO, "saved", "{\"id\":42,\"tags\":[\"a\"]}");
  ASSERT_CONTAINS(line, "\tINFO\tsaved {\"id\":42,\"tags\":[\"a\"]}\n");

  /* bytes pass as they are in TEXT, NUL included */
  line = emit(LOG_INFO, "a\tb", 3, NULL);
  ASSERT_CONTAINS(line, "\tINFO\ta\tb\n");
  FILE *f = open_capture();
  log_emit(f, LOG_INFO, "x\0y", 3, NULL);
  rewind(f);
  char raw[256];
  size_t n = fread(raw, 1, sizeof raw, f);
  fclose(f);
  ASSERT(n > 4);
  ASSERT_MEM_EQ(raw + n - 4, "x\0y\n", 4);

  /* the id is a copy */
  char id[] = "req-1";
  log_set_request_id(id);
  id[0] = 'X';
  ASSERT_STR_EQ(log_get_request_id(), "req-1");
  log_set_request_id(NULL);
  line = emit_str(LOG_INFO, "outside", NULL);
  ASSERT_STR_EQ(line + 24, "\tINFO\toutside\n");
}

static void test_json(void)
{
  log_configure(LOG_FORMAT_JSON, LOG_INFO);
  log_set_request_id(NULL);
  cJSON *j = parse_line(emit_str(LOG_INFO, "hello", NULL));
  assert_timestamp(str_field(j, "timestamp"));
  ASSERT_STR_EQ(str_field(j, "level"), "INFO");
  ASSERT_STR_EQ(str_field(j, "message"), "hello");
  ASSERT(cJSON_GetObjectItemCaseSensitive(j, "requestId") == NULL);
  ASSERT_EQ(cJSON_GetArraySize(j), 3);
  cJSON_Delete(j);

  log_set_request_id("abc-123");
  j = parse_line(emit_str(LOG_FATAL, "bye", NULL));
  ASSERT_STR_EQ(str_field(j, "level"), "FATAL");
  ASSERT_STR_EQ(str_field(j, "requestId"), "abc-123");
  cJSON_Delete(j);

  /* escaping: quotes, backslashes, control characters, newlines */
  const char *tricky = "q\"b\\s\nline\r\t\x01\x1f end";
  j = parse_line(emit_str(LOG_INFO, tricky, NULL));
  ASSERT_STR_EQ(str_field(j, "message"), tricky);
  cJSON_Delete(j);

  /* invalid UTF-8 becomes U+FFFD; valid multibyte text passes */
  j = parse_line(emit_str(LOG_INFO,
                          "a\xff"
                          "b\xc3\xa9\xe2\x82",
                          NULL));
  ASSERT_STR_EQ(str_field(j, "message"), "a\xef\xbf\xbd"
                                         "b\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd");
  cJSON_Delete(j);

  /* a NUL is written as \u0000 */
  const char *line = emit(LOG_INFO, "x\0y", 3, NULL);
  ASSERT_CONTAINS(line, "\"message\":\"x\\u0000y\"");
  cJSON_Delete(parse_line(line));

  /* every byte value still makes a line that parses */
  char all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (char)i;
  cJSON_Delete(parse_line(emit(LOG_INFO, all, sizeof all, NULL)));

  /* the request id is escaped too */
  log_set_request_id("id\"\n");
  j = parse_line(emit_str(LOG_INFO, "m", NULL));
  ASSERT_STR_EQ(str_field(j, "requestId"), "id\"\n");
  cJSON_Delete(j);
  log_set_request_id(NULL);
}

/* log_emit's fields: JSON text from our own writers (an error body),
 * spliced without being read back. */
static void test_json_fields(void)
{
  log_configure(LOG_FORMAT_JSON, LOG_INFO);
  log_set_request_id("r-1");
  const char *body =
      "{\"errorMessage\":\"x,}\\\"y\",\"errorType\":\"Runtime.T\","
      "\"stackTrace\":[\"a\",\"b\"],\"n\":9223372036854775807,\"f\":1.0}";
  const char *line = emit_str(LOG_ERROR, "Invoke Error", body);
  /* member text is copied exactly: no precision lost, nothing re-read */
  ASSERT_CONTAINS(line, "\"requestId\":\"r-1\",\"errorMessage\":");
  ASSERT_CONTAINS(line, "\"n\":9223372036854775807,\"f\":1.0}\n");
  cJSON *j = parse_line(line);
  ASSERT_STR_EQ(str_field(j, "level"), "ERROR");
  ASSERT_STR_EQ(str_field(j, "message"), "Invoke Error");
  ASSERT_STR_EQ(str_field(j, "errorMessage"), "x,}\"y");
  ASSERT_STR_EQ(str_field(j, "errorType"), "Runtime.T");
  ASSERT_EQ(
      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "stackTrace")), 2);
  /* 4 of ours + 5 fields */
  ASSERT_EQ(cJSON_GetArraySize(j), 9);
  cJSON_Delete(j);

  /* empty object: nothing added */
  j = parse_line(emit_str(LOG_INFO, "m", "{}"));
  ASSERT_EQ(cJSON_GetArraySize(j), 4);
  cJSON_Delete(j);

  /* not an object: kept as a string under "fields" */
  j = parse_line(emit_str(LOG_INFO, "m", "[1,2]"));
  ASSERT_STR_EQ(str_field(j, "fields"), "[1,2]");
  cJSON_Delete(j);
  j = parse_line(emit_str(LOG_INFO, "m", "{broken"));
  ASSERT_STR_EQ(str_field(j, "fields"), "{broken");
  cJSON_Delete(j);
  j = parse_line(emit_str(LOG_INFO, "m", ""));
  ASSERT_STR_EQ(str_field(j, "fields"), "");
  cJSON_Delete(j);

  /* TEXT: the text after the message, as it is */
  log_configure(LOG_FORMAT_TEXT, LOG_INFO);
  line = emit_str(LOG_INFO, "saved", body);
  char want[512];
  snprintf(want, sizeof want, "\tr-1\tINFO\tsaved %s\n", body);
  ASSERT_STR_EQ(line + 24, want);
  log_set_request_id(NULL);
}

/* The JSON line's strings go through the same escaper as json.encode:
 * every kind of invalid UTF-8 becomes U+FFFD per byte, a NUL \u0000. */
static void test_json_utf8(void)
{
  log_configure(LOG_FORMAT_JSON, LOG_INFO);
  log_set_request_id(NULL);
  static const struct {
    const char *in;
    size_t n;
    const char *want;
  } cases[] = {
      {"\xC0\xAF", 2, "\"\xEF\xBF\xBD\xEF\xBF\xBD\""}, /* overlong */
      {"\xE0\x80\xAF", 3,
       "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""}, /* overlong */
      {"\xED\xA0\x80", 3,
       "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""}, /* surrogate */
      {"\xF4\x90\x80\x80", 4,
       "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""}, /* > U+10FFFF */
      {"a\0b", 3, "\"a\\u0000b\""},
      {"\b\f", 2, "\"\\b\\f\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *line = emit(LOG_INFO, cases[i].in, cases[i].n, NULL);
    char want[128];
    snprintf(want, sizeof want, "\"message\":%s}", cases[i].want);
    ASSERT_CONTAINS(line, want);
    cJSON_Delete(parse_line(line));
  }
}

static void test_write_and_long(void)
{
  log_configure(LOG_FORMAT_TEXT, LOG_INFO);
  log_set_request_id("rid");
  FILE *f = open_capture();
  fflush(stderr);
  int saved = dup(2);
  ASSERT(dup2(fileno(f), 2) == 2);
  log_write(LOG_ERROR, "posting failed: %s (%d)", "HTTP 413", 413);
  log_write(LOG_DEBUG, "not written %d", 1);
  fflush(stderr);
  ASSERT(dup2(saved, 2) == 2);
  close(saved);
  const char *line = take(f);
  assert_one_line(line);
  ASSERT_STR_EQ(line + 24, "\trid\tERROR\tposting failed: HTTP 413 (413)\n");

  /* a huge message is cut, and says so */
  size_t big = 300 * 1024;
  char *msg = malloc(big);
  ASSERT_NOT_NULL(msg);
  memset(msg, 'm', big);
  log_configure(LOG_FORMAT_JSON, LOG_INFO);
  line = emit(LOG_INFO, msg, big, NULL);
  ASSERT(strlen(line) < 256 * 1024);
  cJSON *j = parse_line(line);
  ASSERT_CONTAINS(str_field(j, "message"), "bytes cut]");
  cJSON_Delete(j);

  /* Under the byte cap but six times over it once escaped (control bytes):
   * cut to fit, valid JSON, never dropped. */
  size_t ctl = 200 * 1024;
  memset(msg, 1, ctl);
  line = emit(LOG_INFO, msg, ctl, NULL);
  ASSERT(strlen(line) > 0);
  ASSERT(strlen(line) < 256 * 1024);
  assert_one_line(line);
  j = parse_line(line);
  const char *m = str_field(j, "message");
  ASSERT(m[0] == 1);
  ASSERT_CONTAINS(m, "bytes cut]");
  size_t kept = strspn(m, "\001");
  char want[64];
  snprintf(want, sizeof want, "... [%zu bytes cut]", ctl - kept);
  ASSERT_STR_EQ(m + kept, want);
  cJSON_Delete(j);

  /* Fields too big for any line: the record stays, saying they went. */
  size_t fbig = 1200 * 1024;
  char *fields = malloc(fbig + 16);
  ASSERT_NOT_NULL(fields);
  memcpy(fields, "{\"a\":\"", 6);
  memset(fields + 6, 'f', fbig);
  memcpy(fields + 6 + fbig, "\"}", 3);
  line = emit(LOG_INFO, "with fields", 11, fields);
  assert_one_line(line);
  j = parse_line(line);
  ASSERT_STR_EQ(str_field(j, "message"), "with fields");
  const cJSON *fd = cJSON_GetObjectItemCaseSensitive(j, "fields_dropped");
  ASSERT(cJSON_IsNumber(fd));
  ASSERT_EQ((size_t)fd->valuedouble, strlen(fields));
  cJSON_Delete(j);
  free(fields);
  free(msg);
  log_set_request_id(NULL);
}

/* Run a Lua chunk with stdout captured; returns what it wrote. The chunk
 * must succeed. */
static const char *lua_stdout(lua_State *L, const char *code)
{
  FILE *f = open_capture();
  fflush(stdout);
  int saved = dup(1);
  ASSERT(saved >= 0);
  ASSERT(dup2(fileno(f), 1) == 1);
  int rc = luaL_dostring(L, code);
  fflush(stdout);
  ASSERT(dup2(saved, 1) == 1);
  close(saved);
  if (rc != LUA_OK)
    TEST_FAIL("Lua chunk failed: %s", lua_tostring(L, -1));
  return take(f);
}

/* A Lua fields table, written by the encoder straight into the line: the
 * record's own names renamed, exact numbers, arrays as a string, the fields'
 * cap, and a failed record leaving nothing behind. */
static void test_lua_fields(lua_State *L)
{
  log_configure(LOG_FORMAT_JSON, LOG_INFO);
  const char *line = lua_stdout(
      L, "log.info('with fields', {n = math.maxinteger, f = 1.0, "
         "s = 'x,}\"y', o = {a = {1, {b = json.null}}}, level = 'mine', "
         "requestId = 'theirs', timestamp = 0, message = 'm', "
         "['mess\\0age'] = 1, t = true})");
  ASSERT_CONTAINS(line, "\"n\":9223372036854775807");
  ASSERT_CONTAINS(line, "\"f\":1.0");
  cJSON *j = parse_line(line);
  ASSERT_STR_EQ(str_field(j, "level"), "INFO");
  ASSERT_STR_EQ(str_field(j, "message"), "with fields");
  ASSERT_STR_EQ(str_field(j, "requestId"), "rq");
  ASSERT_STR_EQ(str_field(j, "field_level"), "mine");
  ASSERT_STR_EQ(str_field(j, "field_requestId"), "theirs");
  ASSERT_STR_EQ(str_field(j, "field_message"), "m");
  ASSERT(
      cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "field_timestamp")));
  ASSERT_STR_EQ(str_field(j, "s"), "x,}\"y");
  ASSERT(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "t")));
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "o");
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "a");
  ASSERT_EQ(cJSON_GetArraySize(a), 2);
  ASSERT(cJSON_IsNull(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(a, 1), "b")));
  /* a name with a NUL is not "message": kept, escaped */
  ASSERT_CONTAINS(line, "\"mess\\u0000age\":1");
  /* 4 of ours + 10 fields */
  ASSERT_EQ(cJSON_GetArraySize(j), 14);
  cJSON_Delete(j);
  /* an empty table adds nothing; one that encodes as an array goes under
   * "fields" as its text */
  j = parse_line(lua_stdout(L, "log.info('m', {})"));
  ASSERT_EQ(cJSON_GetArraySize(j), 4);
  cJSON_Delete(j);
  j = parse_line(lua_stdout(L, "log.info('m', {1, 'two'})"));
  ASSERT_STR_EQ(str_field(j, "fields"), "[1,\"two\"]");
  cJSON_Delete(j);
  j = parse_line(lua_stdout(L, "log.info('m', json.array())"));
  ASSERT_STR_EQ(str_field(j, "fields"), "[]");
  cJSON_Delete(j);
  /* number keys are their decimal text; invalid UTF-8 in a key repaired */
  line = lua_stdout(L, "log.info('m', {[1.5] = 'a', ['k\\255'] = 1})");
  j = parse_line(line);
  ASSERT_STR_EQ(str_field(j, "1.5"), "a");
  ASSERT(cJSON_GetObjectItemCaseSensitive(j, "k\xEF\xBF\xBD") != NULL);
  cJSON_Delete(j);

  /* over the fields' cap, or unencodable: a typed error, no line, and the
   * next record is whole (the failed one left nothing open) */
  ASSERT_STR_EQ(
      lua_stdout(L,
                 "local ok, e = pcall(log.info, 'm', {s = ('x'):rep(70000)})\n"
                 "assert(not ok and e.type == 'Runtime.InvalidLogFields')\n"
                 "assert(e.message == "
                 "'log.info: value too large (over 65536 bytes)', e.message)\n"
                 "ok, e = pcall(log.warn, 'm', {a = 1, b = {print}})\n"
                 "assert(not ok and e.type == 'Runtime.InvalidLogFields')\n"
                 "ok, e = pcall(log.warn, 'm', {1, print})\n"
                 "assert(not ok and e.message == "
                 "'log.warn: cannot encode a function at $[2]', e.message)"),
      "");
  j = parse_line(lua_stdout(L, "log.error('after', {k = 'v'})"));
  ASSERT_STR_EQ(str_field(j, "message"), "after");
  ASSERT_STR_EQ(str_field(j, "k"), "v");
  ASSERT_EQ(cJSON_GetArraySize(j), 5);
  cJSON_Delete(j);
  /* just under the cap is written whole */
  j = parse_line(lua_stdout(L, "log.info('m', {s = ('x'):rep(65000)})"));
  ASSERT_EQ(strlen(str_field(j, "s")), 65000);
  cJSON_Delete(j);

  /* __gc finalizers that log with fields while the encoder is writing
   * another record's fields (the collector set to run at every step): each
   * record comes out whole, the outer one with all its fields. */
  line = lua_stdout(
      L, "collectgarbage('incremental', 1, 1000)\n"
         "local t = {} for i = 1, 300 do t[i + 0.5] = ('v'):rep(i) end\n"
         "for i = 1, 200 do setmetatable({}, {__gc = function() "
         "log.info('gc', {i = i}) print('p', i) end}) end\n"
         "log.info('outer', t)\n"
         "collectgarbage('collect') collectgarbage('incremental', 200, 100)");
  int outer = 0, records = 0;
  for (const char *at = line; *at;) {
    const char *end = strchr(at, '\n');
    ASSERT_NOT_NULL(end);
    char *one = strndup(at, (size_t)(end - at + 1));
    ASSERT_NOT_NULL(one);
    j = parse_line(one);
    free(one);
    records++;
    if (strcmp(str_field(j, "message"), "outer") == 0) {
      outer++;
      ASSERT_EQ(cJSON_GetArraySize(j), 4 + 300);
      ASSERT_EQ(strlen(str_field(j, "300.5")), 300);
    }
    cJSON_Delete(j);
    at = end + 1;
  }
  ASSERT_EQ(outer, 1);
  ASSERT_EQ(records, 1 + 2 * 200);

  /* TEXT: the same table as one JSON object after the message, names as
   * they are */
  log_configure(LOG_FORMAT_TEXT, LOG_INFO);
  line = lua_stdout(L, "log.info('m', {level = 'mine'})");
  ASSERT_STR_EQ(line + 24, "\trq\tINFO\tm {\"level\":\"mine\"}\n");
  line = lua_stdout(L, "log.info('m', {})");
  ASSERT_STR_EQ(line + 24, "\trq\tINFO\tm {}\n");
  line = lua_stdout(L, "log.info('m', {1, 2})");
  ASSERT_STR_EQ(line + 24, "\trq\tINFO\tm [1,2]\n");
  line = lua_stdout(L, "log.info('a\\nb', {s = 'c\\nd'})");
  ASSERT_STR_EQ(line + 24, "\trq\tINFO\ta\rb {\"s\":\"c\\nd\"}\n");
  log_configure(LOG_FORMAT_JSON, LOG_INFO);
}

static void test_lua_module(void)
{
  lua_State *L = luaL_newstate();
  ASSERT_NOT_NULL(L);
  luaL_openlibs(L);
  luaL_requiref(L, "json", luaopen_json, 1);
  luaL_requiref(L, "log", luaopen_log, 1);
  lua_settop(L, 0);
  log_module_install_print(L);
  log_set_request_id("rq");

  /* TEXT: print is an INFO record, decorated like log's, and a newline in
   * it stays inside the one record (as '\r') */
  log_configure(LOG_FORMAT_TEXT, LOG_INFO);
  const char *out = lua_stdout(L, "print('a', nil, 1.5, true)");
  ASSERT_STR_EQ(out + 24, "\trq\tINFO\ta\tnil\t1.5\ttrue\n");
  out = lua_stdout(L, "print('x\\ny')");
  ASSERT_STR_EQ(out + 24, "\trq\tINFO\tx\ry\n");
  out = lua_stdout(L, "print()");
  ASSERT_STR_EQ(out + 24, "\trq\tINFO\t\n");
  out = lua_stdout(L, "log.warn('w', {n = 1})");
  ASSERT_STR_EQ(out + 24, "\trq\tWARN\tw {\"n\":1}\n");

  /* a disabled level does not turn the message into text (no __tostring
   * call, no encoding), but a wrong fields argument is the same error at
   * every level (issue 13: argument checks before the level filter) */
  ASSERT_STR_EQ(lua_stdout(L, "log.debug(setmetatable({}, {__tostring = "
                              "function() error('looked') end}), {n = 1})"),
                "");
  ASSERT_STR_EQ(lua_stdout(L, "local ok, e = pcall(log.debug, 'm', print)\n"
                              "assert(not ok and e:find('table expected'))"),
                "");
  ASSERT_STR_EQ(
      lua_stdout(L, "assert(log.level() == 'INFO' and log.format() == 'TEXT')\n"
                    "assert(log.enabled('warn') and not log.enabled('DEBUG'))\n"
                    "assert(#log.levels == 6 and log.levels[1] == 'TRACE')\n"
                    "assert(not pcall(log.enabled, 'loud'))"),
      "");

  /* bad fields: a typed error naming the path */
  ASSERT_STR_EQ(
      lua_stdout(L, "local ok, e = pcall(log.info, 'm', {a = {print}})\n"
                    "assert(not ok and e.type == 'Runtime.InvalidLogFields')\n"
                    "assert(e.message == "
                    "'log.info: cannot encode a function at $.a[1]', "
                    "e.message)\n"
                    "ok, e = pcall(log.info, 'm', 'not a table')\n"
                    "assert(not ok and e:find('table expected'))"),
      "");

  /* JSON: print is an INFO record, and filtered like one */
  log_configure(LOG_FORMAT_JSON, LOG_INFO);
  cJSON *j = parse_line(lua_stdout(L, "print('x\\ny', 2)"));
  ASSERT_STR_EQ(str_field(j, "message"), "x\ny\t2");
  ASSERT_STR_EQ(str_field(j, "level"), "INFO");
  ASSERT_STR_EQ(str_field(j, "requestId"), "rq");
  cJSON_Delete(j);
  j = parse_line(lua_stdout(L, "log.fatal(nil, {list = json.array()})"));
  ASSERT_STR_EQ(str_field(j, "message"), "nil");
  ASSERT(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "list")));
  cJSON_Delete(j);
  j = parse_line(lua_stdout(L, "log.info()"));
  ASSERT_STR_EQ(str_field(j, "message"), "");
  cJSON_Delete(j);
  test_lua_fields(L);
  log_configure(LOG_FORMAT_JSON, LOG_WARN);
  ASSERT_STR_EQ(lua_stdout(L, "print('dropped') log.info('dropped')"), "");
  log_configure(LOG_FORMAT_TEXT, LOG_WARN);
  ASSERT_STR_EQ(lua_stdout(L, "print('dropped') log.info('dropped')"), "");
  ASSERT_EQ(lua_gettop(L), 0);
  log_set_request_id(NULL);
  lua_close(L);
}

int main(void)
{
  test_levels();
  test_env();
  test_text();
  test_json();
  test_json_fields();
  test_json_utf8();
  test_write_and_long();
  test_lua_module();
  puts("test_log: ok");
  return 0;
}
