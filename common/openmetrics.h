/* openmetrics.h -- a check's outcome as Prometheus metrics (--format=openmetrics).
 *
 * The exposition is the Prometheus text format that node_exporter's textfile collector
 * and promtool read, with OpenMetrics' "# UNIT" lines and the closing "# EOF" (both are
 * comments to a text-format parser). Names start with timesync_, values are in base
 * units (seconds; frequencies as ratios, not ppm), counters end in _total. Every series
 * carries check="chrony|chrony_clients|w32time|esxi" and target="..." so that several
 * checks can share one scrape; per-source series add source="...", ESXi hosts host="...",
 * chronyd's clients client="...". A failed run is still a result: timesync_check_state,
 * _success 0 and _duration_seconds.
 */
#ifndef TSYNC_OPENMETRICS_H
#define TSYNC_OPENMETRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "eval.h"
#include "report.h"
#include "status.h"

/* What the metrics say about the run itself. */
struct om_run {
  const char *check;  /* "chrony", "w32time" or "esxi" */
  const char *target; /* what was checked: socket path, host name, vCenter */
  double duration;    /* seconds the check took */
  bool success;       /* the time service answered and was measured */
};

/* Writes the exposition of one check into buf (caller-owned, NUL-terminated). Returns
 * TSYNC_ERR_TOO_LARGE, the text cut after a whole line, when len is too small. */
enum tsync_status om_render(const struct om_run *run, const struct eval_result *res,
                            const struct tsync_report *rep, char *buf, size_t len) TSYNC_WUR;

#endif
