/* deadline.h -- absolute CLOCK_MONOTONIC deadlines; every wait is computed from one. */
#ifndef TSYNC_DEADLINE_H
#define TSYNC_DEADLINE_H

#include <time.h>

/* Monotonic now. */
struct timespec tsync_now(void);

/* Deadline seconds from now (seconds may be fractional, >= 0). */
struct timespec tsync_deadline_in(double seconds);

/* Milliseconds left until deadline, rounded up, 0 when passed; clamped to INT_MAX. */
int tsync_ms_left(struct timespec deadline);

/* The earlier of a and b. */
struct timespec tsync_earlier(struct timespec a, struct timespec b);

/* b - a in seconds. */
double tsync_ts_diff(struct timespec a, struct timespec b);

#endif
