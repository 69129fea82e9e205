/* clock: the wall clock in epoch milliseconds, the unit of Lambda's
 * Deadline-Ms. One definition for every file that compares against it. */
#ifndef LRT_CLOCK_H
#define LRT_CLOCK_H

#include <time.h>

static inline long long clock_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
