/* deadline.c -- monotonic deadline arithmetic. */
#include <limits.h>

#include "deadline.h"

struct timespec
tsync_now(void)
{
  struct timespec ts;

  /* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux */
  (void)clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts;
}

struct timespec
tsync_deadline_in(double seconds)
{
  struct timespec ts = tsync_now();
  long long ns;

  if (!(seconds > 0.0))
    return ts;
  if (seconds > 1e6)
    seconds = 1e6;
  ns = (long long)(seconds * 1e9);
  ts.tv_sec += (time_t)(ns / 1000000000LL);
  ts.tv_nsec += (long)(ns % 1000000000LL);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

double
tsync_ts_diff(struct timespec a, struct timespec b)
{
  return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

int
tsync_ms_left(struct timespec deadline)
{
  double left = tsync_ts_diff(tsync_now(), deadline);

  if (left <= 0.0)
    return 0;
  if (left * 1000.0 >= (double)INT_MAX)
    return INT_MAX;
  return (int)(left * 1000.0 + 0.999);
}

struct timespec
tsync_earlier(struct timespec a, struct timespec b)
{
  return tsync_ts_diff(a, b) < 0.0 ? b : a;
}
