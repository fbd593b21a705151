/* localclock.c -- the kernel's view of the local clock (adjtimex(2), read only). */
#include <errno.h>
#include <string.h>
#include <sys/timex.h>

#include "localclock.h"

enum tsync_status
tsync_localclock_read(struct tsync_localclock *out, struct tsync_err *err)
{
  struct timex tx;
  int state;

  memset(&tx, 0, sizeof(tx));
  tx.modes = 0; /* read only: never adjusts anything */
  state = ntp_adjtime(&tx);
  if (state < 0)
    return tsync_err_errno(err, TSYNC_ERR_SYS, errno, "cannot read the kernel clock state");
  out->synced = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
  out->est_error = (double)tx.esterror / 1e6;
  out->max_error = (double)tx.maxerror / 1e6;
  return TSYNC_OK;
}
