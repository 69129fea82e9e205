/* number_text: numbers as text in the "C" locale. See number_text.h. */
#include "number_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

locale_t number_text_c_locale(void)
{
  static locale_t loc = (locale_t)0;
  if (loc == (locale_t)0)
    loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  return loc;
}

void number_text_integer(long long v, char *out, size_t size)
{
  /* Integers have no locale-dependent characters in %lld. */
  snprintf(out, size, "%lld", v);
}

/* Append ".0" when the text would read back as an integer. */
static void mark_float(char *out, size_t size)
{
  size_t len = strlen(out);
  if (strspn(out, "-0123456789") == len && len + 3 <= size)
    memcpy(out + len, ".0", sizeof ".0"); /* with its NUL */
}

void number_text_float(double d, char *out, size_t size)
{
  locale_t loc = number_text_c_locale();
  locale_t old = loc ? uselocale(loc) : (locale_t)0;
  for (int prec = 14; prec <= 17; prec++) {
    snprintf(out, size, "%.*g", prec, d);
    if (strtod(out, NULL) == d)
      break;
  }
  if (old)
    uselocale(old);
  mark_float(out, size);
}

void number_text_lua(double d, char *out, size_t size)
{
  locale_t loc = number_text_c_locale();
  locale_t old = loc ? uselocale(loc) : (locale_t)0;
  snprintf(out, size, "%.14g", d);
  if (old)
    uselocale(old);
  mark_float(out, size);
}
