/* status.c -- status codes and error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

static void
vformat(struct tsync_err *err, const char *fmt, va_list ap)
{
  if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
    err->msg[0] = '\0';
}

enum tsync_status
tsync_err_set(struct tsync_err *err, enum tsync_status code, const char *fmt, ...)
{
  va_list ap;

  if (!err)
    return code;
  va_start(ap, fmt);
  vformat(err, fmt, ap);
  va_end(ap);
  return code;
}

enum tsync_status
tsync_err_errno(struct tsync_err *err, enum tsync_status code, int errnum, const char *fmt,
                ...)
{
  va_list ap;
  size_t used;
  char sys[128];

  if (!err)
    return code;
  va_start(ap, fmt);
  vformat(err, fmt, ap);
  va_end(ap);
  /* strerror_r (GNU variant under _GNU_SOURCE) is thread-safe, unlike strerror */
  used = strlen(err->msg);
  if (snprintf(err->msg + used, sizeof(err->msg) - used, ": %s",
               strerror_r(errnum, sys, sizeof(sys))) < 0)
    err->msg[used] = '\0';
  return code;
}

const char *
tsync_status_str(enum tsync_status code)
{
  static const char *const names[] = {
      [TSYNC_OK] = "success",
      [TSYNC_ERR_ARG] = "invalid argument",
      [TSYNC_ERR_NOMEM] = "out of memory",
      [TSYNC_ERR_SYS] = "system error",
      [TSYNC_ERR_RESOLVE] = "name resolution failed",
      [TSYNC_ERR_CONNECT] = "cannot connect",
      [TSYNC_ERR_TIMEOUT] = "timeout",
      [TSYNC_ERR_PROTO] = "protocol error",
      [TSYNC_ERR_UNAUTH] = "not authorised",
      [TSYNC_ERR_REFUSED] = "request refused",
      [TSYNC_ERR_TOO_LARGE] = "too large",
      [TSYNC_ERR_PERM] = "permission denied",
  };

  if ((unsigned)code < TSYNC_ARRAY_LEN(names) && names[code])
    return names[code];
  return "unknown status";
}
