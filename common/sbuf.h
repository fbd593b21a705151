/* sbuf.h -- a bounded string builder over a caller's buffer.
 *
 * Pieces are appended until the buffer's ceiling; a piece that does not fit is dropped
 * whole and the builder remembers that it overflowed, so that the caller can report
 * TSYNC_ERR_TOO_LARGE or cut back to a boundary of its own. The text is always
 * NUL-terminated (when the buffer has room for the NUL at all).
 */
#ifndef TSYNC_SBUF_H
#define TSYNC_SBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "compat.h"

struct sbuf {
  char *p;     /* the caller's buffer */
  size_t len;  /* its size */
  size_t used; /* characters in it, the NUL not counted */
  bool full;   /* a piece did not fit, or there is no room at all (len 0) */
};

/* An empty text in buf[len]. */
void sbuf_init(struct sbuf *b, char *buf, size_t len);

/* Appends a formatted piece, or nothing (and marks the builder full) when it does not fit
 * whole. Does nothing once full. */
void sbuf_put(struct sbuf *b, const char *fmt, ...) TSYNC_PRINTF(2, 3);

/* Cuts the text back to its last newline (to nothing when it has none). */
void sbuf_cut_to_line(struct sbuf *b);

#endif
