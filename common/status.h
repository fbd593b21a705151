/* status.h -- the one status code of the core, and the message that goes with it.
 *
 * Every fallible function returns an enum tsync_status and, on failure, writes one
 * sentence naming the object and the cause into a caller-owned struct tsync_err.
 * Codes are for programs, the message is for people (curl's CURLcode + error buffer).
 * Append new codes last; never renumber.
 */
#ifndef TSYNC_STATUS_H
#define TSYNC_STATUS_H

#include "compat.h"

enum tsync_status {
  TSYNC_OK = 0,
  TSYNC_ERR_ARG = 1,        /* unusable argument or configuration */
  TSYNC_ERR_NOMEM = 2,      /* allocation failed */
  TSYNC_ERR_SYS = 3,        /* unexpected system call failure */
  TSYNC_ERR_RESOLVE = 4,    /* name resolution failed */
  TSYNC_ERR_CONNECT = 5,    /* the service cannot be reached (socket missing, refused) */
  TSYNC_ERR_TIMEOUT = 6,    /* no valid reply before the deadline */
  TSYNC_ERR_PROTO = 7,      /* malformed or unexpected reply */
  TSYNC_ERR_UNAUTH = 8,     /* the request is not permitted over this transport */
  TSYNC_ERR_REFUSED = 9,    /* the service answered with an error status */
  TSYNC_ERR_TOO_LARGE = 10, /* a ceiling was hit (buffer, list, count) */
  TSYNC_ERR_PERM = 11,      /* permission denied by the local system */
};

#define TSYNC_ERR_SIZE 256

/* Caller-owned error text; msg is always NUL-terminated once tsync_err_set ran. */
struct tsync_err {
  char msg[TSYNC_ERR_SIZE];
};

/* Optional -v tracing from the core: level 1..3, one line of text without newline. The
 * core never prints; a plugin collects these, the agent logs them. */
typedef void (*tsync_trace_fn)(void *ctx, int level, const char *line);

/* Writes a formatted message into err (may be NULL) and returns code. Truncates. */
enum tsync_status tsync_err_set(struct tsync_err *err, enum tsync_status code, const char *fmt,
                                ...) TSYNC_PRINTF(3, 4);

/* Like tsync_err_set, then appends ": " and the system text for errnum. */
enum tsync_status tsync_err_errno(struct tsync_err *err, enum tsync_status code, int errnum,
                                  const char *fmt, ...) TSYNC_PRINTF(4, 5);

/* Static name of a status code ("timeout", "protocol error", ...). Never NULL. */
const char *tsync_status_str(enum tsync_status code);

#endif
