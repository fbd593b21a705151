/* localclock.h -- is this host's own clock synchronised? (the kernel's view)
 *
 * A remote offset is measured against the local clock; when the kernel says the local
 * clock is unsynchronised, the offset is relative to an unsynchronised clock.
 */
#ifndef TSYNC_LOCALCLOCK_H
#define TSYNC_LOCALCLOCK_H

#include <stdbool.h>

#include "status.h"

struct tsync_localclock {
  bool synced;      /* the kernel's STA_UNSYNC is clear (ntp_adjtime() != TIME_ERROR) */
  double est_error; /* the kernel's estimated error, seconds */
  double max_error; /* the kernel's maximum error, seconds */
};

/* Reads the kernel's sync status with a read-only ntp_adjtime(). Never changes it. */
enum tsync_status tsync_localclock_read(struct tsync_localclock *out,
                                        struct tsync_err *err) TSYNC_WUR;

#endif
