/* esxi_check.h -- check_esxi_time as a reusable unit: its options, the authfile, and
 * one whole run. Shared by the plugin and the agent's "check NAME check_esxi_time ..."
 * lines. */
#ifndef TSYNC_ESXI_CHECK_H
#define TSYNC_ESXI_CHECK_H

#include "cli.h"
#include "eval.h"
#include "report.h"
#include "vsphere.h"

#define ESXI_SECRET_SIZE 256

struct esxi_cfg {
  struct cli_common common;  /* -H required */
  char username[ESXI_SECRET_SIZE];
  char password[ESXI_SECRET_SIZE]; /* from the authfile only; wiped after the run */
  const char *authfile;
  const char *esxi;          /* a host behind vCenter */
  bool all_hosts;
  enum vsphere_api api;
  const char *cacert;
  bool insecure;
  const char *session_file;
  struct eval_esxi_cfg eval;
};

/* Parses argv and reads the authfile (refused when group or others may read it). */
enum tsync_status esxi_parse(int argc, char **argv, struct esxi_cfg *cfg,
                             struct tsync_err *err) TSYNC_WUR;

/* Reads "username=" and "password=" lines of path into cfg; refuses a file that is not
 * a regular file or whose mode lets group or others read or write it. */
enum tsync_status esxi_read_authfile(const char *path, struct esxi_cfg *cfg,
                                     struct tsync_err *err) TSYNC_WUR;

/* One whole check within cfg->common.timeout, keeping time for the Logout. Never fails:
 * a failure becomes the result. Free report with tsync_report_free. */
void esxi_run(struct esxi_cfg *cfg, tsync_trace_fn trace, void *trace_ctx,
              struct tsync_report *report, struct eval_result *result);

/* Frees what parsing allocated (also after a failed parse), wiping the password. */
void esxi_free(struct esxi_cfg *cfg);

/* Wipes the password from cfg. */
void esxi_forget(struct esxi_cfg *cfg);

#endif
