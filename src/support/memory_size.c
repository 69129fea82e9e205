/* memory_size: reads AWS_LAMBDA_FUNCTION_MEMORY_SIZE's text as a whole
 * number of MB in range, or says it is not one (memory_size.h). */
#include "memory_size.h"

#include <errno.h>
#include <stdlib.h>

long memory_size_mb(const char *text, int *valid)
{
  char *end = NULL;
  errno = 0;
  long long mb = strtoll(text, &end, 10);
  *valid = errno == 0 && end != text && *end == '\0' &&
           mb >= MEMORY_SIZE_MIN_MB && mb <= MEMORY_SIZE_MAX_MB;
  return *valid ? (long)mb : MEMORY_SIZE_DEFAULT_MB;
}
