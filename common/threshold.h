/* threshold.h -- Nagios range syntax: parse and evaluate.
 *
 * Syntax (Monitoring Plugins guidelines): [@]start:end, "start:" optional when 0,
 * "start:" with no end = +inf, "~" = -inf. Alert when outside [start, end] (inclusive
 * endpoints), or inside with a leading '@'. Examples: 10, 10:, ~:10, 10:20, @10:20.
 */
#ifndef TSYNC_THRESHOLD_H
#define TSYNC_THRESHOLD_H

#include <stdbool.h>

#include "status.h"

#define THR_TEXT_SIZE 48

struct thr_range {
  bool set;       /* false: never alerts */
  bool inside;    /* '@': alert when inside */
  bool start_inf; /* start is -inf */
  bool end_inf;   /* end is +inf */
  double start, end;
  char text[THR_TEXT_SIZE]; /* as given, for perfdata and messages */
};

/* Parses text into r. Rejects empty text, garbage, start > end, over-long text. */
enum tsync_status thr_parse(struct thr_range *r, const char *text,
                            struct tsync_err *err) TSYNC_WUR;

/* True when value raises an alert under r (false when r is not set). */
bool thr_alert(const struct thr_range *r, double value);

/* For a value that alerts under r: the comparison it broke, ">" or "<" with the bound in
 * *bound, or "inside" for an '@' range (then *bound is untouched). Static string. */
const char *thr_violation(const struct thr_range *r, double value, double *bound);

#endif
