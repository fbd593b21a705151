/* checkmk.h -- a check's outcome as one Checkmk local check line (--format=checkmk).
 *
 * The line is "<state> \"<service name>\" <metrics> <summary>", as Checkmk's agent reads
 * the output of a script in its local/ directory: state 0-3, the service name in double
 * quotes (it may hold spaces), the metrics as name=value;warn;crit;min;max joined by '|'
 * (or "-" when there are none), and the summary, long output after a literal "\n".
 * No real newline, no backslash but those of the "\n" separators, no '|' outside the
 * metrics.
 */
#ifndef TSYNC_CHECKMK_H
#define TSYNC_CHECKMK_H

#include <stddef.h>

#include "eval.h"
#include "report.h"
#include "status.h"

#define CMK_SERVICE_SIZE 128

/* Writes the line, newline-ended, into buf. service: the name Checkmk shows; '"', '\'', '\\'
 * and control characters in it become '_'. Metric names keep [A-Za-z0-9_.-], the rest
 * becomes '_'; warn/crit are the upper bounds of the thresholds (a symmetric offset range
 * -1:1 gives 1; a lower-bound range gives none). rep, when not NULL, adds one long-output
 * line per source or host. Returns TSYNC_ERR_TOO_LARGE when len is too small (the line is
 * then cut at a long-output line where possible). */
enum tsync_status cmk_render(const char *service, const struct eval_result *res,
                             const struct tsync_report *rep, char *buf, size_t len) TSYNC_WUR;

#endif
