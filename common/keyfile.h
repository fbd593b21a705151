/* keyfile.h -- small private files of "key=value" lines: the ESXi authfile and the
 * vSphere session file. Both hold secrets, so both are checked the same way. */
#ifndef TSYNC_KEYFILE_H
#define TSYNC_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#define KEYFILE_MAX 2048 /* a larger file is read up to this many bytes */

/* Reads path into buf (len bytes, NUL-terminated; at most KEYFILE_MAX - 1 read).
 * Refused (TSYNC_ERR_ARG, message naming `what`) unless it is a regular file without
 * group or other access; when must_own, also unless it is this user's and not a
 * symbolic link. A FIFO in its place is refused, never waited on. With missing non-NULL, a file that does not exist is
 * TSYNC_OK with *missing set and buf empty. The caller wipes buf when done. */
enum tsync_status keyfile_read(const char *path, const char *what, bool must_own,
                               bool *missing, char *buf, size_t len,
                               struct tsync_err *err) TSYNC_WUR;

/* The next line of a buffer keyfile_read filled, NUL-terminated in place; NULL at the
 * end. *pos starts at the buffer. */
char *keyfile_line(char **pos);

/* The value of line when it is "key=value", else NULL. */
const char *keyfile_value(const char *line, const char *key);

#endif
