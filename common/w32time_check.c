/* w32time_check.c -- check_w32time's options and run, shared by plugin and agent. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "deadline.h"
#include "localclock.h"
#include "parse.h"
#include "resolve.h"
#include "w32time_check.h"

enum {
  OPT_EXPECT_SOURCE = CLI_OPT_PLUGIN,
  OPT_MAX_ROOT_DISTANCE,
  OPT_REQUIRE_LOCAL_SYNC,
  OPT_NO_REVERSE_DNS,
};

static const struct option long_options[] = {
    CLI_COMMON_LONG,
    {"samples", required_argument, NULL, 'n'},
    {"warning", required_argument, NULL, 'w'},
    {"critical", required_argument, NULL, 'c'},
    {"stratum-warning", required_argument, NULL, 'W'},
    {"stratum-critical", required_argument, NULL, 'C'},
    {"expect-source", required_argument, NULL, OPT_EXPECT_SOURCE},
    {"max-root-distance", required_argument, NULL, OPT_MAX_ROOT_DISTANCE},
    {"require-local-sync", no_argument, NULL, OPT_REQUIRE_LOCAL_SYNC},
    {"no-reverse-dns", no_argument, NULL, OPT_NO_REVERSE_DNS},
    {NULL, 0, NULL, 0},
};

static enum tsync_status
parse_one(void *ctx, int opt, const char *arg, struct tsync_err *err)
{
  struct w32time_cfg *cfg = ctx;
  struct eval_ntp_cfg *e = &cfg->eval;
  double d;
  long n;

  switch (opt) {
  case 'n':
    if (tsync_parse_long(arg, 1, SNTP_MAX_SAMPLES, &n, "-n/--samples", err) != TSYNC_OK)
      return TSYNC_ERR_ARG;
    cfg->samples = (unsigned)n;
    return TSYNC_OK;
  case 'w':
    return cli_parse_range(&e->offset_warn, "-w", arg, err);
  case 'c':
    return cli_parse_range(&e->offset_crit, "-c", arg, err);
  case 'W':
    return cli_parse_range(&e->stratum_warn, "-W", arg, err);
  case 'C':
    return cli_parse_range(&e->stratum_crit, "-C", arg, err);
  case OPT_EXPECT_SOURCE:
    return cli_parse_hosts(&e->expect, TSYNC_MAX_EXPECT, &e->n_expect, "--expect-source", arg,
                           err);
  case OPT_MAX_ROOT_DISTANCE:
    if (tsync_parse_double(arg, 0.0, 1e6, &d, "--max-root-distance", err) != TSYNC_OK)
      return TSYNC_ERR_ARG;
    return cli_parse_range(&e->root_distance, "--max-root-distance", arg, err);
  case OPT_REQUIRE_LOCAL_SYNC:
    e->require_local_sync = true;
    return TSYNC_OK;
  case OPT_NO_REVERSE_DNS:
    cfg->reverse_dns = false;
    return TSYNC_OK;
  default:
    return tsync_err_set(err, TSYNC_ERR_ARG, "unknown option");
  }
}

void
w32time_free(struct w32time_cfg *cfg)
{
  cli_free_hosts(&cfg->eval.expect, &cfg->eval.n_expect);
}

enum tsync_status
w32time_parse(int argc, char **argv, struct w32time_cfg *cfg, struct tsync_err *err)
{
  memset(cfg, 0, sizeof(*cfg));
  cli_common_init(&cfg->common);
  eval_ntp_defaults(&cfg->eval);
  cfg->samples = SNTP_DEFAULT_SAMPLES;
  cfg->reverse_dns = true;
  if (cli_parse_args(argc, argv, CLI_COMMON_SHORT "n:w:c:W:C:", long_options, &cfg->common,
                     parse_one, cfg, err) != TSYNC_OK)
    return TSYNC_ERR_ARG;
  if (!cfg->common.host && cfg->common.action == CLI_RUN)
    return tsync_err_set(err, TSYNC_ERR_ARG, "-H/--hostname is required");
  return TSYNC_OK;
}

enum tsync_status
w32time_fill_report(const struct sntp_request *req, const struct sntp_result *res,
                    struct tsync_report *r)
{
  const struct sntp_packet *p = &res->reply;
  struct tsync_source *s;

  r->sources = calloc(1, sizeof(*r->sources));
  if (!r->sources)
    return TSYNC_ERR_NOMEM;
  r->n_sources = 1;
  s = &r->sources[0];
  if (snprintf(s->name, sizeof(s->name), "%s", req->host) < 0)
    s->name[0] = '\0';
  memcpy(s->address, res->address, sizeof(s->address));
  s->mode = TSYNC_MODE_SERVER;
  s->reach = res->reach & 0xffu;
  s->lost = tsync_reach_lost(s->reach);
  s->since_sample = res->answered ? 0 : UINT32_MAX;
  r->ntp.valid = true;
  r->ntp.sent = res->sent;
  r->ntp.answered = res->answered;
  r->ntp.reach = res->reach;
  r->ntp.kod = res->kod;
  memcpy(r->ntp.kod_code, res->kod_code, sizeof(r->ntp.kod_code));
  if (!res->answered) {
    s->state = TSYNC_SRC_UNUSABLE;
    return TSYNC_OK;
  }
  r->have_clock = true;
  r->clock.leap = (enum tsync_leap)p->leap;
  r->clock.stratum = p->stratum;
  r->clock.refid = p->refid;
  sntp_wire_refid_text(p->refid, p->stratum, r->clock.ref_name, sizeof(r->clock.ref_name));
  r->clock.ref_local = p->stratum == 1 && p->refid == 0x4C4F434Cu; /* LOCL */
  r->clock.ref_time = res->ref_time;
  r->clock.offset = res->offset; /* theta: how far the server is ahead of this host */
  r->clock.root_delay = p->root_delay;
  r->clock.root_dispersion = p->root_dispersion;
  r->clock.est_error = res->delay / 2.0 + p->root_delay / 2.0 + p->root_dispersion;
  r->ntp.delay = res->delay;
  r->ntp.jitter = res->jitter;
  r->ntp.poll = p->poll;
  r->ntp.precision = p->precision;
  r->ntp.version = p->version;
  s->state = p->leap == SNTP_LEAP_UNSYNC ? TSYNC_SRC_UNUSABLE : TSYNC_SRC_SELECTED;
  s->stratum = p->stratum;
  s->poll = p->poll;
  s->offset = s->orig_offset = res->offset;
  s->error = res->delay / 2.0;
  s->refid = p->refid;
  return TSYNC_OK;
}

static void
read_local_clock(struct tsync_report *r)
{
  struct tsync_localclock lc;
  struct tsync_err err;

  if (tsync_localclock_read(&lc, &err) != TSYNC_OK) {
    tsync_note(&r->notes, "%s", err.msg);
    return;
  }
  r->local.known = true;
  r->local.synced = lc.synced;
  r->local.est_error = lc.est_error;
  if (!lc.synced)
    tsync_note(&r->notes, "this host's clock is not synchronised (the kernel says so): the "
                          "offset is measured against an unsynchronised clock");
}

/* The actual source by name, when it is not one of the expected ones: the WARNING
 * should say "time.windows.com", not only an address. Only then, so a healthy check
 * costs no DNS query. */
static void
name_source(const struct w32time_cfg *cfg, struct timespec deadline, struct tsync_report *r)
{
  unsigned i, k;

  if (!cfg->reverse_dns || !cfg->eval.n_expect || r->clock.stratum < 2 ||
      !r->clock.ref_name[0])
    return;
  for (i = 0; i < cfg->eval.n_expect; i++)
    for (k = 0; k < cfg->eval.expect[i].n_addrs; k++)
      if (strcmp(cfg->eval.expect[i].addrs[k], r->clock.ref_name) == 0)
        return;
  (void)tsync_reverse(r->clock.ref_name, deadline, r->ntp.ref_host, sizeof(r->ntp.ref_host));
}

static void
no_reply(const struct sntp_result *res, struct eval_result *result)
{
  char msg[TSYNC_ERR_SIZE + 96];

  if (snprintf(msg, sizeof(msg), "%s%s", res->err.msg,
               res->status == TSYNC_ERR_TIMEOUT || res->status == TSYNC_ERR_CONNECT
                   ? " (is the W32Time NtpServer provider enabled and UDP 123 open?)"
                   : "") < 0)
    msg[0] = '\0';
  eval_failure(res->status, msg, result);
}

void
w32time_evaluate(struct w32time_cfg *cfg, const struct sntp_request *req,
                 const struct sntp_result *res, struct timespec deadline,
                 struct tsync_report *report, struct eval_result *result)
{
  memset(report, 0, sizeof(*report));
  read_local_clock(report);
  if (res->status != TSYNC_OK && !res->kod) {
    no_reply(res, result);
    return;
  }
  if (w32time_fill_report(req, res, report) != TSYNC_OK) {
    eval_failure(TSYNC_ERR_NOMEM, "out of memory", result);
    return;
  }
  if (snprintf(report->transport, sizeof(report->transport), "ntp:%s", res->address) < 0)
    report->transport[0] = '\0';
  tsync_resolve_expect(cfg->eval.expect, cfg->eval.n_expect, AF_INET, deadline,
                       &report->notes);
  name_source(cfg, deadline, report);
  eval_ntp_server(&cfg->eval, report, result);
}

void
w32time_run(struct w32time_cfg *cfg, tsync_trace_fn trace, void *trace_ctx,
            struct tsync_report *report, struct eval_result *result)
{
  struct timespec deadline = tsync_deadline_in(cfg->common.timeout);
  struct sntp_request req = {cfg->common.host, cfg->common.port, cfg->common.family};
  struct sntp_opts o;
  struct sntp_result res = {0};
  struct tsync_err err;

  memset(report, 0, sizeof(*report));
  sntp_opts_default(&o);
  o.samples = cfg->samples;
  o.trace = trace;
  o.trace_ctx = trace_ctx;
  if (sntp_query(&req, &res, 1, &o, deadline, &err) != TSYNC_OK) {
    eval_failure(TSYNC_ERR_NOMEM, err.msg, result);
    return;
  }
  w32time_evaluate(cfg, &req, &res, deadline, report, result);
}
