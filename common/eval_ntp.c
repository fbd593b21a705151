/* eval_ntp.c -- the rulebook for an NTP server queried over the wire (check_w32time).
 * States and words: DESIGN.md "check_w32time", protocols/ntp-w32time.md B2 and B6. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eval.h"

#define KERBEROS_SKEW 300.0 /* seconds: Kerberos' default maximum clock skew */
#define REFID_LOCL 0x4C4F434Cu

void
eval_ntp_defaults(struct eval_ntp_cfg *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  /* "a few seconds" in the article; Microsoft's default configuration targets only
   * Kerberos' 5 minutes (support boundary), so 1 s is already a finding */
  eval_preset(&cfg->offset_warn, "1");
  eval_preset(&cfg->offset_crit, "5");
}

static void
judge_kod(const struct tsync_report *r, struct eval_result *out)
{
  const char *why = "";

  if (strcmp(r->ntp.kod_code, "RATE") == 0)
    why = ": the server rate-limits this client; query it less often or lower -n";
  else if (strcmp(r->ntp.kod_code, "DENY") == 0 || strcmp(r->ntp.kod_code, "RSTR") == 0)
    why = ": the server refuses this client (access control)";
  eval_add(out, TSYNC_STATE_CRITICAL, "Kiss-o'-Death %s from %s%s", r->ntp.kod_code,
           r->n_sources ? r->sources[0].address : "the server", why);
}

/* The state of the server's own clock: unsynchronised, or W32Time's CMOS clock. */
static bool
judge_sync(const struct tsync_clock *c, struct eval_result *out)
{
  if (c->leap == TSYNC_LEAP_UNSYNC || c->stratum == 0) {
    /* LI 3 is authoritative; W32Time sometimes keeps a stale stratum (B2 d) */
    eval_add(out, TSYNC_STATE_CRITICAL, "not synchronized (leap indicator %u, stratum %u)",
             (unsigned)c->leap, c->stratum);
    return false;
  }
  if (c->stratum == 1 && c->refid == REFID_LOCL) {
    eval_add(out, TSYNC_STATE_CRITICAL,
             "free-running on its local CMOS clock (stratum 1, refid LOCL): W32Time is not "
             "syncing to any source");
    return false;
  }
  return true;
}

static bool
expected(const struct eval_ntp_cfg *cfg, const char *addr)
{
  unsigned i, k;

  for (i = 0; i < cfg->n_expect; i++)
    for (k = 0; k < cfg->expect[i].n_addrs; k++)
      if (strcmp(cfg->expect[i].addrs[k], addr) == 0)
        return true;
  return false;
}

static void
judge_source(const struct eval_ntp_cfg *cfg, const struct tsync_report *r,
             struct eval_result *out)
{
  char names[EVAL_MSG_SIZE / 2];
  size_t used = 0;
  unsigned i;

  if (!cfg->n_expect || expected(cfg, r->clock.ref_name))
    return;
  names[0] = '\0';
  for (i = 0; i < cfg->n_expect; i++) {
    int w = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
                     cfg->expect[i].name);

    if (w > 0 && (size_t)w < sizeof(names) - used)
      used += (size_t)w;
  }
  if (r->ntp.ref_host[0])
    eval_add(out, TSYNC_STATE_WARNING, "syncing from %s (%s), not from %s", r->clock.ref_name,
             r->ntp.ref_host, names);
  else
    eval_add(out, TSYNC_STATE_WARNING, "syncing from %s, not from %s",
             r->clock.ref_name[0] ? r->clock.ref_name : "an unknown source", names);
}

static void
judge_numbers(const struct eval_ntp_cfg *cfg, const struct tsync_clock *c,
              struct eval_result *out)
{
  double distance = c->root_delay / 2.0 + c->root_dispersion;
  char shown[48];

  eval_fmt_secs(c->offset, shown, sizeof(shown));
  (void)eval_check(
      out, &cfg->offset_warn, &cfg->offset_crit, fabs(c->offset), "offset", shown, " s",
      fabs(c->offset) >= KERBEROS_SKEW ? " (exceeds Kerberos 5-minute tolerance)" : "");
  if (snprintf(shown, sizeof(shown), "%u", c->stratum) >= 0)
    (void)eval_check(out, &cfg->stratum_warn, &cfg->stratum_crit, c->stratum, "stratum", shown,
                     "", "");
  /* healthy W32Time reports 7-10 s of root dispersion: judged only when asked */
  eval_fmt_secs(distance, shown, sizeof(shown));
  (void)eval_check(out, &cfg->root_distance, NULL, distance, "root distance", shown + 1, " s",
                   "");
}

static void
judge_local(const struct eval_ntp_cfg *cfg, const struct tsync_local *l,
            struct eval_result *out)
{
  /* without --require-local-sync the probe's note and the OK text say it */
  if (!l->known || l->synced || !cfg->require_local_sync)
    return;
  eval_add(out, TSYNC_STATE_UNKNOWN,
           "this host's clock is not synchronised (kernel): the offset is relative to it");
}

static void
ntp_perfdata(const struct eval_ntp_cfg *cfg, const struct tsync_report *r,
             struct eval_result *out)
{
  struct eval_perf *p;

  p = eval_add_perf(out, "offset", r->clock.offset, "s", &cfg->offset_warn, &cfg->offset_crit);
  if (p)
    p->symmetric = true;
  (void)eval_add_perf(out, "delay", r->ntp.delay, "s", NULL, NULL);
  (void)eval_add_perf(out, "jitter", r->ntp.jitter, "s", NULL, NULL);
  p = eval_add_perf(out, "stratum", r->clock.stratum, "", &cfg->stratum_warn,
                    &cfg->stratum_crit);
  if (p) {
    p->integer = p->has_min = p->has_max = true;
    p->max = 16;
  }
  (void)eval_add_perf(out, "root_delay", r->clock.root_delay, "s", NULL, NULL);
  (void)eval_add_perf(out, "root_dispersion", r->clock.root_dispersion, "s", NULL, NULL);
  p = eval_add_perf(out, "samples", r->ntp.answered, "", NULL, NULL);
  if (p) {
    p->integer = p->has_min = p->has_max = true;
    p->max = r->ntp.sent;
  }
}

void
eval_ntp_server(const struct eval_ntp_cfg *cfg, const struct tsync_report *r,
                struct eval_result *out)
{
  char shown[48], ref[TSYNC_ADDR_SIZE];

  memset(out, 0, sizeof(*out));
  if (r->ntp.kod)
    judge_kod(r, out);
  if (r->ntp.answered && judge_sync(&r->clock, out)) {
    judge_source(cfg, r, out);
    judge_numbers(cfg, &r->clock, out);
  }
  judge_local(cfg, &r->local, out);
  eval_fmt_offset(r->clock.offset, shown, sizeof(shown));
  if (r->clock.ref_name[0])
    memcpy(ref, r->clock.ref_name, sizeof(r->clock.ref_name));
  else if (snprintf(ref, sizeof(ref), "refid %08X", (unsigned)r->clock.refid) < 0)
    ref[0] = '\0';
  eval_set_ok_text(
      out, "synchronized to %s%s%s%s (stratum %u), offset %s, %u of %u samples%s", ref,
      r->ntp.ref_host[0] ? " (" : "", r->ntp.ref_host, r->ntp.ref_host[0] ? ")" : "",
      r->clock.stratum, shown, r->ntp.answered, r->ntp.sent,
      r->local.known && !r->local.synced ? "; this host's clock is unsynchronised" : "");
  if (r->ntp.answered)
    ntp_perfdata(cfg, r, out);
}
