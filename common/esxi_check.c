/* esxi_check.c -- check_esxi_time's options, authfile and run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deadline.h"
#include "esxi_check.h"
#include "keyfile.h"
#include "parse.h"

#define LOGOUT_RESERVE 1.5 /* seconds of -t kept for the Logout */

enum {
  OPT_AUTHFILE = CLI_OPT_PLUGIN,
  OPT_ESXI,
  OPT_ALL_HOSTS,
  OPT_API,
  OPT_CACERT,
  OPT_INSECURE,
  OPT_SESSION_FILE,
  OPT_EXPECT_NTP,
  OPT_MAX_SYNC_AGE,
};

static const struct option long_options[] = {
    CLI_COMMON_LONG,
    {"username", required_argument, NULL, 'u'},
    {"warning", required_argument, NULL, 'w'},
    {"critical", required_argument, NULL, 'c'},
    {"authfile", required_argument, NULL, OPT_AUTHFILE},
    {"esxi", required_argument, NULL, OPT_ESXI},
    {"all-hosts", no_argument, NULL, OPT_ALL_HOSTS},
    {"api", required_argument, NULL, OPT_API},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"session-file", required_argument, NULL, OPT_SESSION_FILE},
    {"expect-ntp-server", required_argument, NULL, OPT_EXPECT_NTP},
    {"max-sync-age", required_argument, NULL, OPT_MAX_SYNC_AGE},
    {NULL, 0, NULL, 0},
};

void
esxi_forget(struct esxi_cfg *cfg)
{
  /* volatile: a plain memset before the struct dies may be optimised away */
  volatile char *p = cfg->password;
  size_t i;

  for (i = 0; i < sizeof(cfg->password); i++)
    p[i] = 0;
}

void
esxi_free(struct esxi_cfg *cfg)
{
  esxi_forget(cfg);
  cli_free_hosts(&cfg->eval.expect_ntp, &cfg->eval.n_expect_ntp);
}

static void
take_value(char *dst, size_t len, const char *value)
{
  size_t n = strcspn(value, "\r\n");

  if (n >= len)
    n = len - 1;
  memcpy(dst, value, n);
  dst[n] = '\0';
}

enum tsync_status
esxi_read_authfile(const char *path, struct esxi_cfg *cfg, struct tsync_err *err)
{
  char buf[KEYFILE_MAX], *pos = buf, *line;

  if (keyfile_read(path, "authfile", false, NULL, buf, sizeof(buf), err) != TSYNC_OK)
    return TSYNC_ERR_ARG;
  while ((line = keyfile_line(&pos))) {
    const char *v;

    if ((v = keyfile_value(line, "username")) && !cfg->username[0])
      take_value(cfg->username, sizeof(cfg->username), v);
    else if ((v = keyfile_value(line, "password")))
      take_value(cfg->password, sizeof(cfg->password), v);
  }
  memset(buf, 0, sizeof(buf));
  if (!cfg->password[0])
    return tsync_err_set(err, TSYNC_ERR_ARG, "authfile %s has no password= line", path);
  return TSYNC_OK;
}

static enum tsync_status
parse_one(void *ctx, int opt, const char *arg, struct tsync_err *err)
{
  struct esxi_cfg *cfg = ctx;
  struct eval_esxi_cfg *e = &cfg->eval;
  double d;

  switch (opt) {
  case 'u':
    take_value(cfg->username, sizeof(cfg->username), arg);
    return TSYNC_OK;
  case 'w':
  case 'c':
    return cli_parse_range(opt == 'w' ? &e->offset_warn : &e->offset_crit,
                           opt == 'w' ? "-w" : "-c", arg, err);
  case OPT_AUTHFILE:
    cfg->authfile = arg;
    return TSYNC_OK;
  case OPT_ESXI:
    cfg->esxi = arg;
    return TSYNC_OK;
  case OPT_ALL_HOSTS:
    cfg->all_hosts = true;
    return TSYNC_OK;
  case OPT_API:
    if (strcmp(arg, "auto") && strcmp(arg, "soap") && strcmp(arg, "json"))
      return tsync_err_set(err, TSYNC_ERR_ARG, "--api: '%s' is not auto, soap or json", arg);
    cfg->api = arg[0] == 'a'   ? VSPHERE_API_AUTO
               : arg[0] == 's' ? VSPHERE_API_SOAP
                               : VSPHERE_API_JSON;
    return TSYNC_OK;
  case OPT_CACERT:
    cfg->cacert = arg;
    return TSYNC_OK;
  case OPT_INSECURE:
    cfg->insecure = true;
    return TSYNC_OK;
  case OPT_SESSION_FILE:
    cfg->session_file = arg;
    return TSYNC_OK;
  case OPT_EXPECT_NTP:
    return cli_parse_hosts(&e->expect_ntp, TSYNC_MAX_NTP_SERVERS, &e->n_expect_ntp,
                           "--expect-ntp-server", arg, err);
  case OPT_MAX_SYNC_AGE:
    if (tsync_parse_double(arg, 1, 1e9, &d, "--max-sync-age", err) != TSYNC_OK)
      return TSYNC_ERR_ARG;
    e->max_sync_age = d;
    return TSYNC_OK;
  default:
    return tsync_err_set(err, TSYNC_ERR_ARG, "unknown option");
  }
}

static enum tsync_status
finish(struct esxi_cfg *cfg, struct tsync_err *err)
{
  /* one Checkmk service per host behind a vCenter, named after the host */
  cfg->common.service_subject = cfg->esxi;
  if (cfg->common.action != CLI_RUN)
    return TSYNC_OK;
  if (!cfg->common.host)
    return tsync_err_set(err, TSYNC_ERR_ARG, "-H/--hostname is required");
  if (cfg->esxi && cfg->all_hosts)
    return tsync_err_set(err, TSYNC_ERR_ARG, "--esxi and --all-hosts exclude each other");
  if (!cfg->authfile)
    return tsync_err_set(err, TSYNC_ERR_ARG,
                         "--authfile FILE is required (username= and password= lines, "
                         "mode 0600): passwords never go on the command line");
  if (esxi_read_authfile(cfg->authfile, cfg, err) != TSYNC_OK)
    return TSYNC_ERR_ARG;
  if (!cfg->username[0])
    return tsync_err_set(err, TSYNC_ERR_ARG, "no user: give -u USER or username= in %s",
                         cfg->authfile);
  return TSYNC_OK;
}

enum tsync_status
esxi_parse(int argc, char **argv, struct esxi_cfg *cfg, struct tsync_err *err)
{
  memset(cfg, 0, sizeof(*cfg));
  cli_common_init(&cfg->common);
  eval_esxi_defaults(&cfg->eval);
  if (cli_parse_args(argc, argv, CLI_COMMON_SHORT "u:w:c:", long_options, &cfg->common,
                     parse_one, cfg, err) != TSYNC_OK)
    return TSYNC_ERR_ARG;
  return finish(cfg, err);
}

/* Which hosts: an ESXi host is itself; vCenter needs --esxi NAME or --all-hosts. */
static enum tsync_status
pick_hosts(struct esxi_cfg *cfg, struct vsphere *v, struct vsphere_hostref **refs, size_t *n,
           struct timespec deadline, struct tsync_err *err)
{
  enum tsync_status st;

  if (vsphere_is_vcenter(v) && !cfg->esxi && !cfg->all_hosts)
    return tsync_err_set(err, TSYNC_ERR_ARG,
                         "%s is a vCenter: name a host with --esxi NAME, or use --all-hosts",
                         cfg->common.host);
  st = vsphere_list_hosts(v, vsphere_is_vcenter(v) ? cfg->esxi : NULL, refs, n, deadline, err);
  if (st == TSYNC_OK && *n == 0)
    st = cfg->esxi ? tsync_err_set(err, TSYNC_ERR_ARG, "host %s not found in %s", cfg->esxi,
                                   cfg->common.host)
                   : tsync_err_set(err, TSYNC_ERR_PROTO, "%s lists no host", cfg->common.host);
  return st;
}

static void
read_hosts(struct vsphere *v, const struct vsphere_hostref *refs, size_t n,
           struct tsync_report *report, struct timespec deadline)
{
  size_t i;

  for (i = 0; i < n; i++) {
    struct tsync_host *h = &report->hosts[i];
    struct tsync_err err;

    tsync_copy(h->name, sizeof(h->name), refs[i].name);
    h->status = vsphere_read_host(v, &refs[i], h, deadline, &err);
    if (h->status != TSYNC_OK && snprintf(h->error, sizeof(h->error), "%s", err.msg) < 0)
      h->error[0] = '\0';
  }
  report->n_hosts = n;
}

void
esxi_run(struct esxi_cfg *cfg, tsync_trace_fn trace, void *trace_ctx,
         struct tsync_report *report, struct eval_result *result)
{
  double t = cfg->common.timeout;
  struct timespec deadline = tsync_deadline_in(t);
  /* the work stops early enough that a Logout still fits in -t */
  struct timespec work =
      tsync_deadline_in(t - (t / 4 < LOGOUT_RESERVE ? t / 4 : LOGOUT_RESERVE));
  struct vsphere_target tgt = {
      cfg->common.host, cfg->common.port, cfg->username,     cfg->password,      cfg->cacert,
      cfg->insecure,    cfg->api,         cfg->session_file, cfg->common.family, trace,
      trace_ctx};
  struct vsphere_hostref *refs = NULL;
  struct vsphere *v;
  struct tsync_err err;
  size_t n = 0;
  enum tsync_status st;

  memset(report, 0, sizeof(*report));
  report->list = TSYNC_LIST_HOSTS;
  if (cfg->insecure)
    tsync_note(&report->notes, "TLS verification disabled (--insecure)");
  st = vsphere_open(&v, &tgt, work, &err);
  if (st != TSYNC_OK) {
    esxi_forget(cfg);
    eval_failure(st, err.msg, result);
    return;
  }
  tsync_copy(report->api, sizeof(report->api), vsphere_api_name(v));
  if (snprintf(report->transport, sizeof(report->transport), "https://%s (%s)",
               cfg->common.host, report->api) < 0)
    report->transport[0] = '\0';
  tsync_copy(cfg->eval.api_version, sizeof(cfg->eval.api_version), vsphere_api_version(v));
  st = pick_hosts(cfg, v, &refs, &n, work, &err);
  if (st == TSYNC_OK && !(report->hosts = calloc(n, sizeof(*report->hosts))))
    st = tsync_err_set(&err, TSYNC_ERR_NOMEM, "out of memory for %zu hosts", n);
  if (st == TSYNC_OK)
    read_hosts(v, refs, n, report, work);
  free(refs);
  vsphere_close(v, deadline);
  /* kept until here: an expired saved session logs in again */
  esxi_forget(cfg);
  if (st != TSYNC_OK)
    eval_failure(st, err.msg, result);
  else
    eval_esxi(&cfg->eval, report, result);
}
