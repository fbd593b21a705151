/* eval_esxi.c -- the rulebook for hypervisor hosts read over their API
 * (check_esxi_time; DESIGN.md, esxi-vsphere-api.md §A2: "ESX just happily took the time
 * server info and never reported any issue"). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "eval.h"

#define KERBEROS_SKEW 300.0

void
eval_esxi_defaults(struct eval_esxi_cfg *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  eval_preset(&cfg->offset_warn, "1");
  eval_preset(&cfg->offset_crit, "5");
  cfg->max_sync_age = 3600;
}

/* "name: " when several hosts share one result, else "". */
static const char *
who(const struct tsync_report *r, const struct tsync_host *h, char *buf, size_t len)
{
  if (r->n_hosts < 2 || snprintf(buf, len, "%s: ", h->name) < 0)
    buf[0] = '\0';
  return buf;
}

static void
judge_ntpd(const struct tsync_host *h, const char *p, struct eval_result *out)
{
  if (strcmp(h->clock_protocol, "ptp") == 0)
    return; /* the clock follows PTP: ntpd is not meant to run */
  if (!h->have_ntpd)
    eval_add(out, TSYNC_STATE_WARNING, "%sno ntpd service reported", p);
  else if (!h->ntpd_running && strcmp(h->ntpd_policy, "off") != 0)
    eval_add(out, TSYNC_STATE_CRITICAL, "%sntpd is not running (policy %s)", p,
             h->ntpd_policy[0] ? h->ntpd_policy : "?");
  else if (!h->ntpd_running)
    eval_add(out, TSYNC_STATE_WARNING,
             "%sntpd is off (policy off): nothing synchronises this host's clock", p);
}

static bool
configured(const struct tsync_host *h, const char *name)
{
  unsigned i;

  for (i = 0; i < h->n_ntp_servers; i++)
    if (strcasecmp(h->ntp_servers[i], name) == 0)
      return true;
  return false;
}

static void
join(char *buf, size_t len, const char *item, bool first)
{
  size_t used = strlen(buf);

  if (used + 1 < len && snprintf(buf + used, len - used, "%s%s", first ? "" : ", ", item) < 0)
    buf[used] = '\0';
}

static void
judge_servers(const struct eval_esxi_cfg *cfg, const struct tsync_host *h, const char *p,
              struct eval_result *out)
{
  char have[EVAL_MSG_SIZE / 2] = "", want[EVAL_MSG_SIZE / 2] = "";
  bool same = cfg->n_expect_ntp == h->n_ntp_servers;
  unsigned i;

  if (h->n_ntp_servers == 0) {
    eval_add(out, TSYNC_STATE_WARNING, "%sno NTP server configured", p);
    return;
  }
  if (!cfg->n_expect_ntp)
    return;
  for (i = 0; i < cfg->n_expect_ntp; i++) {
    same = same && configured(h, cfg->expect_ntp[i].name);
    join(want, sizeof(want), cfg->expect_ntp[i].name, i == 0);
  }
  for (i = 0; i < h->n_ntp_servers; i++)
    join(have, sizeof(have), h->ntp_servers[i], i == 0);
  if (!same)
    eval_add(out, TSYNC_STATE_WARNING, "%sNTP servers %s, expected %s", p, have, want);
}

static void
judge_health(const struct eval_esxi_cfg *cfg, const struct tsync_host *h, const char *p,
             struct eval_result *out)
{
  struct thr_range age;

  if (!h->have_health)
    return; /* said in the OK text and long output: "not available on API x.y" */
  if (h->have_service_sync && !h->service_sync)
    eval_add(out, TSYNC_STATE_CRITICAL, "%snot synchronised (serviceSync false)", p);
  if (!h->have_last_sync) {
    eval_add(out, TSYNC_STATE_WARNING, "%snever synchronised (no lastSyncTime)", p);
  } else {
    memset(&age, 0, sizeof(age));
    age.set = true;
    age.end = cfg->max_sync_age;
    if (thr_alert(&age, h->last_sync_age))
      eval_add(out, TSYNC_STATE_WARNING, "%slast synchronised %.0f s ago > %.0f s", p,
               h->last_sync_age, cfg->max_sync_age);
  }
  if (h->have_fallback && h->in_fallback)
    eval_add(out, TSYNC_STATE_WARNING, "%sin fallback state (NTP serving because PTP failed)",
             p);
}

static void
judge_offset(const struct eval_esxi_cfg *cfg, const struct tsync_host *h, const char *p,
             struct eval_result *out)
{
  char what[TSYNC_NAME_SIZE + 16], shown[48];

  if (!h->have_offset)
    return;
  eval_fmt_secs(h->offset, shown, sizeof(shown));
  if (snprintf(what, sizeof(what), "%soffset", p) < 0)
    return;
  (void)eval_check(out, &cfg->offset_warn, &cfg->offset_crit, fabs(h->offset), what, shown,
                   " s",
                   fabs(h->offset) >= KERBEROS_SKEW ? " (exceeds Kerberos 5-minute tolerance)"
                                                    : "");
}

static void
host_perfdata(const struct eval_esxi_cfg *cfg, const struct tsync_report *r,
              const struct tsync_host *h, struct eval_result *out)
{
  char label[EVAL_LABEL_SIZE];
  const char *sep = r->n_hosts > 1 ? "_" : "";
  const char *name = r->n_hosts > 1 ? h->name : "";
  struct eval_perf *pd;

  if (h->have_offset) {
    if (snprintf(label, sizeof(label), "%s%soffset", name, sep) >= 0 &&
        (pd = eval_add_perf(out, label, h->offset, "s", &cfg->offset_warn, &cfg->offset_crit)))
      pd->symmetric = true;
    if (snprintf(label, sizeof(label), "%s%srtt", name, sep) >= 0)
      (void)eval_add_perf(out, label, h->rtt, "s", NULL, NULL);
  }
  if (h->have_last_sync && snprintf(label, sizeof(label), "%s%slast_sync_age", name, sep) >= 0 &&
      (pd = eval_add_perf(out, label, h->last_sync_age, "s", NULL, NULL)))
    pd->integer = true;
}

void
eval_esxi(const struct eval_esxi_cfg *cfg, const struct tsync_report *r,
          struct eval_result *out)
{
  unsigned health = 0;
  size_t i;

  memset(out, 0, sizeof(*out));
  if (r->n_hosts == 0)
    eval_add(out, TSYNC_STATE_UNKNOWN, "no host to check (see --esxi / --all-hosts)");
  for (i = 0; i < r->n_hosts; i++) {
    const struct tsync_host *h = &r->hosts[i];
    char p[TSYNC_NAME_SIZE + 4];

    who(r, h, p, sizeof(p));
    if (h->status != TSYNC_OK) {
      eval_add(out, eval_status_state(h->status), "%s%s", p, h->error);
      continue;
    }
    judge_offset(cfg, h, p, out);
    judge_ntpd(h, p, out);
    judge_servers(cfg, h, p, out);
    judge_health(cfg, h, p, out);
    health += h->have_health;
    host_perfdata(cfg, r, h, out);
  }
  if (r->n_hosts == 1 && r->hosts[0].status == TSYNC_OK) {
    char shown[32];

    eval_fmt_offset(r->hosts[0].offset, shown, sizeof(shown));
    eval_set_ok_text(out, "%s: offset %s, ntpd %s, %u NTP server%s%s%s", r->hosts[0].name,
                     shown, r->hosts[0].ntpd_running ? "running" : "stopped",
                     r->hosts[0].n_ntp_servers, r->hosts[0].n_ntp_servers == 1 ? "" : "s",
                     health ? "" : "; sync health not available on API ",
                     health ? "" : cfg->api_version);
  } else {
    eval_set_ok_text(out, "%zu hosts in time%s%s", r->n_hosts,
                     health == r->n_hosts ? "" : "; sync health not available on API ",
                     health == r->n_hosts ? "" : cfg->api_version);
  }
}
