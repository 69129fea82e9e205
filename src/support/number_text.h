/* number_text: numbers as text, in the "C" locale, written once.
 *
 * Every number the runtime writes as JSON or log text goes through here:
 * the encoder's integers and floats (json_lua), the log module's and
 * print's floats (log_module), byte counts in log lines and error bodies
 * (log, error_body). os.setlocale() in a handler must not turn 1.5 into
 * "1,5" in a response or a log line, so floats are written under the one
 * "C" locale object this file keeps, which json_text also reads numbers
 * with. Knows nothing of Lua, JSON's other rules or cJSON. */
#ifndef LRT_NUMBER_TEXT_H
#define LRT_NUMBER_TEXT_H

#include <locale.h> /* locale_t: POSIX 2008 (_XOPEN_SOURCE=700) */
#include <stddef.h>

/* Room that is always enough for any text written here. */
#define NUMBER_TEXT_MAX 64

/* The process's "C" locale object, made on first use and kept; (locale_t)0
 * when it could not be made (then the formatters below fall back to the
 * process's locale). */
locale_t number_text_c_locale(void);

/* The decimal text of 'v' (its exact digits, beyond 2^53 too). */
void number_text_integer(long long v, char *out, size_t size);

/* JSON's float: the shortest %.Ng (N = 14..17) that reads back as exactly
 * 'd', with ".0" added when it would read as an integer (1.0 -> "1.0").
 * 'd' is finite (JSON has no NaN or infinity; the caller refuses them). */
void number_text_float(double d, char *out, size_t size);

/* What Lua's tostring() gives for the float 'd' in the "C" locale: %.14g,
 * ".0" added likewise. For log lines, print and error messages. */
void number_text_lua(double d, char *out, size_t size);

#endif
