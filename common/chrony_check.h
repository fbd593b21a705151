/* chrony_check.h -- check_chrony as a reusable unit: its options and one whole run.
 *
 * The plugin and the agent's "check NAME check_chrony ARGS" lines share this parser and
 * this run, so an option means the same everywhere.
 */
#ifndef TSYNC_CHRONY_CHECK_H
#define TSYNC_CHRONY_CHECK_H

#include "chrony.h"
#include "cli.h"
#include "eval.h"
#include "report.h"

enum chrony_check_mode {
  CHRONY_CHECK_SYNC = 0,    /* tracking + sources */
  CHRONY_CHECK_CLIENTS = 1, /* client log + server statistics */
};

struct chrony_check_cfg {
  struct cli_common common;
  const char *socket_path; /* -s; NULL = default chain */
  enum chrony_check_mode mode;
  struct eval_chrony_cfg sync;
  struct eval_clients_cfg clients; /* expect[].name from --expect-client */
};

/* Parses argv (getopt_long; not reentrant, see cli.h). On TSYNC_ERR_ARG err says what
 * is wrong. -h/-V are reported in cfg->common.action, not acted upon. */
enum tsync_status chrony_check_parse(int argc, char **argv, struct chrony_check_cfg *cfg,
                                     struct tsync_err *err) TSYNC_WUR;

/* Frees what parsing allocated (also after a failed parse). */
void chrony_check_free(struct chrony_check_cfg *cfg);

/* One whole check within cfg->common.timeout: connect, probe, evaluate. Never fails:
 * a failure becomes the result (state and message). Resolves --expect-client names into
 * cfg. report must be released with tsync_report_free. client_name names the bound
 * client socket file (see chrony_client_path). */
void chrony_check_run(struct chrony_check_cfg *cfg, const char *client_name,
                      tsync_trace_fn trace, void *trace_ctx, struct tsync_report *report,
                      struct eval_result *result);

#endif
