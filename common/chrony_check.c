/* chrony_check.c -- check_chrony's options and run, shared by plugin and agent. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "chrony_check.h"
#include "deadline.h"
#include "parse.h"
#include "resolve.h"

enum {
  OPT_REACH_LOST = CLI_OPT_PLUGIN,
  OPT_EXPECT_CLIENT,
  OPT_MODE,
};

static const struct option long_options[] = {
    CLI_COMMON_LONG,
    {"socket", required_argument, NULL, 's'},
    {"warning", required_argument, NULL, 'w'},
    {"critical", required_argument, NULL, 'c'},
    {"stratum-warning", required_argument, NULL, 'W'},
    {"stratum-critical", required_argument, NULL, 'C'},
    {"sources-warning", required_argument, NULL, 'm'},
    {"sources-critical", required_argument, NULL, 'n'},
    {"jitter-warning", required_argument, NULL, 'j'},
    {"jitter-critical", required_argument, NULL, 'k'},
    {"error-warning", required_argument, NULL, 'e'},
    {"error-critical", required_argument, NULL, 'E'},
    {"reach-lost", required_argument, NULL, OPT_REACH_LOST},
    {"expect-client", required_argument, NULL, OPT_EXPECT_CLIENT},
    {"mode", required_argument, NULL, OPT_MODE},
    {NULL, 0, NULL, 0},
};

/* The parse in progress: -w/-c mean offset or client age depending on --mode, which may
 * come later, so their values wait for the end. */
struct pending {
  struct chrony_check_cfg *cfg;
  const char *warn, *crit;
};

static enum tsync_status
parse_one(void *ctx, int opt, const char *arg, struct tsync_err *err)
{
  struct pending *pend = ctx;
  struct chrony_check_cfg *cfg = pend->cfg;
  struct eval_chrony_cfg *s = &cfg->sync;
  long n;

  switch (opt) {
  case 's':
    cfg->socket_path = arg;
    return TSYNC_OK;
  case 'w':
    pend->warn = arg;
    return TSYNC_OK;
  case 'c':
    pend->crit = arg;
    return TSYNC_OK;
  case 'W':
    return cli_parse_range(&s->stratum_warn, "-W", arg, err);
  case 'C':
    return cli_parse_range(&s->stratum_crit, "-C", arg, err);
  case 'm':
    return cli_parse_range(&s->usable_warn, "-m", arg, err);
  case 'n':
    return cli_parse_range(&s->usable_crit, "-n", arg, err);
  case 'j':
    return cli_parse_range(&s->jitter_warn, "-j", arg, err);
  case 'k':
    return cli_parse_range(&s->jitter_crit, "-k", arg, err);
  case 'e':
    return cli_parse_range(&s->esterr_warn, "-e", arg, err);
  case 'E':
    return cli_parse_range(&s->esterr_crit, "-E", arg, err);
  case OPT_REACH_LOST:
    if (tsync_parse_long(arg, 0, 8, &n, "--reach-lost", err) != TSYNC_OK)
      return TSYNC_ERR_ARG;
    s->reach_lost = (unsigned)n;
    return TSYNC_OK;
  case OPT_EXPECT_CLIENT:
    return cli_parse_hosts(&cfg->clients.expect, TSYNC_MAX_EXPECT, &cfg->clients.n_expect,
                           "--expect-client", arg, err);
  case OPT_MODE:
    if (strcmp(arg, "sync") == 0)
      cfg->mode = CHRONY_CHECK_SYNC;
    else if (strcmp(arg, "clients") == 0)
      cfg->mode = CHRONY_CHECK_CLIENTS;
    else
      return tsync_err_set(err, TSYNC_ERR_ARG, "--mode: '%s' is not sync or clients", arg);
    return TSYNC_OK;
  default:
    return tsync_err_set(err, TSYNC_ERR_ARG, "unknown option");
  }
}

static enum tsync_status
finish(struct chrony_check_cfg *cfg, const struct pending *pend, struct tsync_err *err)
{
  bool clients = cfg->mode == CHRONY_CHECK_CLIENTS;
  struct thr_range *w = clients ? &cfg->clients.age_warn : &cfg->sync.offset_warn;
  struct thr_range *c = clients ? &cfg->clients.age_crit : &cfg->sync.offset_crit;

  /* -H /path is the socket, as check_ntp_time 3.0 takes it: one key parameter in Zabbix
   * can then name either */
  if (cfg->common.host && cfg->common.host[0] == '/') {
    if (cfg->socket_path)
      return tsync_err_set(err, TSYNC_ERR_ARG, "-s and -H exclude each other");
    cfg->socket_path = cfg->common.host;
    cfg->common.host = NULL;
  }
  if (cfg->socket_path && cfg->common.host)
    return tsync_err_set(err, TSYNC_ERR_ARG, "-s and -H exclude each other");
  if (cfg->common.port && !cfg->common.host)
    return tsync_err_set(err, TSYNC_ERR_ARG, "-p needs -H");
  if (cfg->clients.n_expect && !clients)
    return tsync_err_set(err, TSYNC_ERR_ARG, "--expect-client needs --mode=clients");
  if (pend->warn && cli_parse_range(w, "-w", pend->warn, err) != TSYNC_OK)
    return TSYNC_ERR_ARG;
  if (pend->crit && cli_parse_range(c, "-c", pend->crit, err) != TSYNC_OK)
    return TSYNC_ERR_ARG;
  /* the metrics' target label names what was asked for, not which fallback answered,
   * so a series keeps its identity when the socket is gone */
  cfg->common.service_detail = clients ? "clients" : NULL;
  cfg->common.target = cfg->socket_path   ? cfg->socket_path
                       : cfg->common.host ? NULL /* -H[:-p], as the other plugins */
                                          : "local";
  return TSYNC_OK;
}

void
chrony_check_free(struct chrony_check_cfg *cfg)
{
  cli_free_hosts(&cfg->clients.expect, &cfg->clients.n_expect);
}

enum tsync_status
chrony_check_parse(int argc, char **argv, struct chrony_check_cfg *cfg, struct tsync_err *err)
{
  struct pending pend = {NULL, NULL, NULL};

  memset(cfg, 0, sizeof(*cfg));
  pend.cfg = cfg;
  cli_common_init(&cfg->common);
  eval_chrony_defaults(&cfg->sync);
  eval_clients_defaults(&cfg->clients);
  if (cli_parse_args(argc, argv, CLI_COMMON_SHORT "s:w:c:W:C:m:n:j:k:e:E:", long_options,
                     &cfg->common, parse_one, &pend, err) != TSYNC_OK)
    return TSYNC_ERR_ARG;
  return finish(cfg, &pend, err);
}

void
chrony_check_run(struct chrony_check_cfg *cfg, const char *client_name, tsync_trace_fn trace,
                 void *trace_ctx, struct tsync_report *report, struct eval_result *result)
{
  struct timespec deadline = tsync_deadline_in(cfg->common.timeout);
  struct chrony_target t = {
      .socket_path = cfg->socket_path,
      .host = cfg->common.host,
      .port = cfg->common.port,
      .family = cfg->common.family,
      .client_name = client_name,
      .trace = trace,
      .trace_ctx = trace_ctx,
  };
  struct chrony_client *c;
  struct tsync_err err;
  enum tsync_status st;

  memset(report, 0, sizeof(*report));
  if (cfg->mode == CHRONY_CHECK_CLIENTS)
    report->list = TSYNC_LIST_CLIENTS;
  st = chrony_open(&c, &t, deadline, &err);
  if (st != TSYNC_OK) {
    eval_failure(st, err.msg, result);
    return;
  }
  if (cfg->mode == CHRONY_CHECK_CLIENTS)
    st = chrony_probe_clients(c, deadline, report, &err);
  else
    st = chrony_probe_sync(c, deadline, report, &err);
  chrony_close(c);
  if (st != TSYNC_OK) {
    eval_failure(st, err.msg, result);
    return;
  }
  if (cfg->mode == CHRONY_CHECK_CLIENTS) {
    tsync_resolve_expect(cfg->clients.expect, cfg->clients.n_expect, AF_UNSPEC, deadline,
                         &report->notes);
    eval_chrony_clients(&cfg->clients, report, result);
  } else {
    eval_chrony_sync(&cfg->sync, report, result);
  }
}
