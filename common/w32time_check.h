/* w32time_check.h -- check_w32time as a reusable unit: its options and one whole run.
 *
 * Shared by the plugin and the agent's "check NAME check_w32time ARGS" lines.
 */
#ifndef TSYNC_W32TIME_CHECK_H
#define TSYNC_W32TIME_CHECK_H

#include "cli.h"
#include "eval.h"
#include "report.h"
#include "sntp.h"

struct w32time_cfg {
  struct cli_common common;  /* -H is required */
  unsigned samples;          /* -n */
  bool reverse_dns;          /* name the actual source (off with --no-reverse-dns) */
  struct eval_ntp_cfg eval;  /* expect[].name from --expect-source */
};

/* Parses argv (getopt_long; not reentrant, see cli.h). */
enum tsync_status w32time_parse(int argc, char **argv, struct w32time_cfg *cfg,
                                struct tsync_err *err) TSYNC_WUR;

/* Frees what parsing allocated (also after a failed parse). */
void w32time_free(struct w32time_cfg *cfg);

/* One whole check within cfg->common.timeout: the local clock, the NTP exchange, the
 * expected sources, evaluation. Never fails: a failure becomes the result. Resolves the
 * --expect-source names into cfg. Free report with tsync_report_free. */
void w32time_run(struct w32time_cfg *cfg, tsync_trace_fn trace, void *trace_ctx,
                 struct tsync_report *report, struct eval_result *result);

/* Everything after the NTP exchange, for one target: the report, this host's clock,
 * the expected sources, evaluation. The agent's batch poller calls it per target. */
void w32time_evaluate(struct w32time_cfg *cfg, const struct sntp_request *req,
                      const struct sntp_result *res, struct timespec deadline,
                      struct tsync_report *report, struct eval_result *result);

/* Fills report from one target's NTP result. */
enum tsync_status w32time_fill_report(const struct sntp_request *req,
                                      const struct sntp_result *res,
                                      struct tsync_report *report) TSYNC_WUR;

#endif
