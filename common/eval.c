/* eval.c -- the rulebook. Words of the messages follow the reference article. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eval.h"

#define KERBEROS_SKEW 300.0 /* seconds: Kerberos' default maximum clock skew */

const char *
tsync_state_str(enum tsync_state s)
{
  static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

  return (unsigned)s < TSYNC_ARRAY_LEN(names) ? names[s] : "UNKNOWN";
}

/* Severity order for "worst wins": UNKNOWN ranks between WARNING and CRITICAL, as
 * Nagios does when it summarises (a CRITICAL finding beats not knowing). */
static int
rank(enum tsync_state s)
{
  static const int ranks[] = {0, 1, 3, 2};

  return (unsigned)s < TSYNC_ARRAY_LEN(ranks) ? ranks[s] : 2;
}

void
eval_add(struct eval_result *out, enum tsync_state s, const char *fmt, ...)
{
  va_list ap;

  if (rank(s) > rank(out->state))
    out->state = s;
  if (out->n_msgs >= EVAL_MAX_MSGS)
    return;
  out->msgs[out->n_msgs].state = s;
  va_start(ap, fmt);
  if (vsnprintf(out->msgs[out->n_msgs].text, EVAL_MSG_SIZE, fmt, ap) >= 0)
    out->n_msgs++;
  va_end(ap);
}

void
eval_set_ok_text(struct eval_result *out, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  if (vsnprintf(out->ok_text, sizeof(out->ok_text), fmt, ap) < 0)
    out->ok_text[0] = '\0';
  va_end(ap);
}

struct eval_perf *
eval_add_perf(struct eval_result *out, const char *label, double value, const char *uom,
              const struct thr_range *warn, const struct thr_range *crit)
{
  struct eval_perf *p;

  if (out->n_perf >= EVAL_MAX_PERF)
    return NULL;
  p = &out->perf[out->n_perf++];
  memset(p, 0, sizeof(*p));
  if (snprintf(p->label, sizeof(p->label), "%s", label) < 0)
    p->label[0] = '\0';
  p->value = value;
  p->uom = uom;
  p->warn = warn;
  p->crit = crit;
  return p;
}

static void
add_count(struct eval_result *out, const char *label, double value,
          const struct thr_range *warn, const struct thr_range *crit)
{
  struct eval_perf *p = eval_add_perf(out, label, value, "", warn, crit);

  if (p) {
    p->integer = true;
    p->has_min = true;
  }
}

void
eval_fmt_offset(double x, char *buf, size_t len)
{
  /* chronyc's %S steps: ns below 10 us, then us, ms, s */
  double a = fabs(x);
  int n;

  if (a < 9999.5e-9)
    n = snprintf(buf, len, "%+.0fns", x * 1e9);
  else if (a < 9999.5e-6)
    n = snprintf(buf, len, "%+.0fus", x * 1e6);
  else if (a < 9999.5e-3)
    n = snprintf(buf, len, "%+.0fms", x * 1e3);
  else
    n = snprintf(buf, len, "%+.1fs", x);
  if (n < 0 && len)
    buf[0] = '\0';
}

/* A bound as the user would write it: 0.25 -> "0.250", 4096 -> "4096", 1e-5 -> "1e-05". */
static void
fmt_bound(double v, char *buf, size_t len)
{
  int n;

  if (v == floor(v) && fabs(v) < 1e15)
    n = snprintf(buf, len, "%.0f", v);
  else if (fabs(v * 1000.0 - round(v * 1000.0)) < 1e-9)
    n = snprintf(buf, len, "%.3f", v);
  else
    n = snprintf(buf, len, "%.9g", v);
  if (n < 0 && len)
    buf[0] = '\0';
}

/* Checks value against crit, then warn. On a breach adds "<what> <shown> > <bound><unit>
 * <suffix>" with the state, and returns it. */
enum tsync_state
eval_check(struct eval_result *out, const struct thr_range *warn, const struct thr_range *crit,
           double value, const char *what, const char *shown, const char *unit,
           const char *suffix)
{
  const struct thr_range *hit = thr_alert(crit, value)   ? crit
                                : thr_alert(warn, value) ? warn
                                                         : NULL;
  enum tsync_state s = hit == crit ? TSYNC_STATE_CRITICAL : TSYNC_STATE_WARNING;
  char bound[32];
  double b = 0.0;
  const char *op;

  if (!hit)
    return TSYNC_STATE_OK;
  op = thr_violation(hit, value, &b);
  if (strcmp(op, "inside") == 0) {
    eval_add(out, s, "%s %s inside %s%s", what, shown, hit->text, suffix);
    return s;
  }
  fmt_bound(b, bound, sizeof(bound));
  eval_add(out, s, "%s %s %s %s%s%s", what, shown, op, bound, unit, suffix);
  return s;
}

/* Seconds with sign, 6 decimals, trailing zeros dropped down to 3, and the unit:
 * "+0.312 s", "-0.0612 s". */
void
eval_fmt_secs(double v, char *buf, size_t len)
{
  int n = snprintf(buf, len, "%+.6f", v);
  char *dot;
  size_t end;

  if (n < 0 || (size_t)n >= len) {
    if (len)
      buf[0] = '\0';
    return;
  }
  dot = strchr(buf, '.');
  end = (size_t)n;
  while (dot && end > (size_t)(dot - buf) + 4 && buf[end - 1] == '0')
    buf[--end] = '\0';
  if (end + 3 <= len)
    memcpy(buf + end, " s", 3);
}

/* A default range from constant text. */
void
eval_preset(struct thr_range *r, const char *text)
{
  if (thr_parse(r, text, NULL) != TSYNC_OK)
    r->set = false;
}

void
eval_chrony_defaults(struct eval_chrony_cfg *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  eval_preset(&cfg->offset_warn, "0.05");
  eval_preset(&cfg->offset_crit, "0.25");
  eval_preset(&cfg->usable_warn, "2:");
  eval_preset(&cfg->usable_crit, "1:");
  cfg->reach_lost = 3;
}

void
eval_clients_defaults(struct eval_clients_cfg *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  eval_preset(&cfg->age_warn, "4096");
  eval_preset(&cfg->age_crit, "16384");
}

static bool
is_unsynced(const struct tsync_clock *c)
{
  return c->leap == TSYNC_LEAP_UNSYNC || c->stratum == 0 || c->refid == 0;
}

static void
judge_unsynced(const struct tsync_report *r, unsigned reachable, struct eval_result *out)
{
  if (r->n_sources == 0 && r->n_unresolved == 0)
    eval_add(out, TSYNC_STATE_CRITICAL, "not synchronised: no sources configured");
  else if (reachable == 0)
    eval_add(out, TSYNC_STATE_CRITICAL,
             "not synchronised: no source reachable (%zu of %zu at reach 0): UDP 123 "
             "blocked or names not resolving?",
             r->n_sources + r->n_unresolved, r->n_sources + r->n_unresolved);
  else
    eval_add(out, TSYNC_STATE_CRITICAL, "not synchronised (leap status %s, stratum %u)",
             tsync_leap_str(r->clock.leap), r->clock.stratum);
}

static void
judge_clock(const struct eval_chrony_cfg *cfg, const struct tsync_clock *c,
            struct eval_result *out)
{
  char shown[40];

  if (c->ref_local)
    eval_add(out, TSYNC_STATE_WARNING,
             "serving from local clock (stratum %u fallback): no upstream source reachable",
             c->stratum);
  eval_fmt_secs(c->offset, shown, sizeof(shown));
  (void)eval_check(
      out, &cfg->offset_warn, &cfg->offset_crit, fabs(c->offset), "offset", shown, " s",
      fabs(c->offset) > KERBEROS_SKEW ? " (exceeds Kerberos 5-minute tolerance)" : "");
  if (snprintf(shown, sizeof(shown), "%u", c->stratum) >= 0)
    (void)eval_check(out, &cfg->stratum_warn, &cfg->stratum_crit, c->stratum, "stratum", shown,
                     "", "");
  eval_fmt_secs(c->rms_offset, shown, sizeof(shown));
  (void)eval_check(out, &cfg->jitter_warn, &cfg->jitter_crit, c->rms_offset, "RMS offset",
                   shown + 1, " s", "");
  eval_fmt_secs(c->est_error, shown, sizeof(shown));
  (void)eval_check(out, &cfg->esterr_warn, &cfg->esterr_crit, c->est_error, "estimated error",
                   shown + 1, " s", "");
}

/* Names of the sources for which pick() holds, comma separated, into buf. */
static unsigned
list_sources(const struct tsync_report *r, bool (*pick)(const struct tsync_source *),
             char *buf, size_t len)
{
  unsigned n = 0;
  size_t i, used = 0;

  buf[0] = '\0';
  for (i = 0; i < r->n_sources; i++) {
    int w;

    if (!pick(&r->sources[i]))
      continue;
    w = snprintf(buf + used, len - used, "%s%s", n ? ", " : "", r->sources[i].name);
    if (w > 0 && (size_t)w < len - used)
      used += (size_t)w;
    n++;
  }
  return n;
}

static bool
is_falseticker(const struct tsync_source *s)
{
  return s->state == TSYNC_SRC_FALSETICKER;
}

static void
judge_sources(const struct eval_chrony_cfg *cfg, const struct tsync_report *r, unsigned usable,
              struct eval_result *out)
{
  char names[EVAL_MSG_SIZE], shown[16];
  const char *need3 = usable < 3 ? " (falseticker detection needs 3)" : "";
  unsigned n;
  size_t i;

  n = list_sources(r, is_falseticker, names, sizeof(names));
  if (n)
    eval_add(out, TSYNC_STATE_WARNING, "%s %s", n > 1 ? "falsetickers" : "falseticker", names);
  /* the local stratum fallback is degraded but correct service (article, step 4): the
   * missing sources it implies are a warning, not a second alarm */
  if (snprintf(shown, sizeof(shown), "%u", usable) >= 0)
    (void)eval_check(out, &cfg->usable_warn, r->clock.ref_local ? NULL : &cfg->usable_crit,
                     usable, "usable sources", shown, "", need3);
  for (i = 0; i < r->n_sources; i++) {
    const struct tsync_source *s = &r->sources[i];

    if (s->reach == 0)
      eval_add(out, TSYNC_STATE_WARNING, "%s unreachable (reach 0)", s->name);
    else if (cfg->reach_lost && s->lost >= cfg->reach_lost)
      eval_add(out, TSYNC_STATE_WARNING, "%s lost %u of last %u polls (reach %o)", s->name,
               s->lost, s->lost + (unsigned)__builtin_popcount(s->reach), s->reach);
  }
}

static void
sync_perfdata(const struct eval_chrony_cfg *cfg, const struct tsync_report *r, unsigned usable,
              unsigned reachable, struct eval_result *out)
{
  const struct tsync_clock *c = &r->clock;
  struct eval_perf *p;

  p = eval_add_perf(out, "offset", c->offset, "s", &cfg->offset_warn, &cfg->offset_crit);
  if (p)
    p->symmetric = true; /* thresholds apply to |offset|, the value is signed */
  (void)eval_add_perf(out, "rms_offset", c->rms_offset, "s", &cfg->jitter_warn,
                      &cfg->jitter_crit);
  (void)eval_add_perf(out, "frequency", c->freq_ppm, "", NULL, NULL);
  (void)eval_add_perf(out, "skew", c->skew_ppm, "", NULL, NULL);
  (void)eval_add_perf(out, "root_delay", c->root_delay, "s", NULL, NULL);
  (void)eval_add_perf(out, "root_dispersion", c->root_dispersion, "s", NULL, NULL);
  (void)eval_add_perf(out, "est_error", c->est_error, "s", &cfg->esterr_warn,
                      &cfg->esterr_crit);
  add_count(out, "stratum", c->stratum, &cfg->stratum_warn, &cfg->stratum_crit);
  if (out->n_perf) {
    out->perf[out->n_perf - 1].has_max = true;
    out->perf[out->n_perf - 1].max = 16;
  }
  add_count(out, "sources", (double)r->n_sources, NULL, NULL);
  add_count(out, "sources_usable", usable, &cfg->usable_warn, &cfg->usable_crit);
  add_count(out, "sources_reachable", reachable, NULL, NULL);
}

void
eval_chrony_sync(const struct eval_chrony_cfg *cfg, const struct tsync_report *r,
                 struct eval_result *out)
{
  unsigned usable, reachable;
  char shown[40];

  memset(out, 0, sizeof(*out));
  tsync_count_sources(r, &usable, &reachable);
  if (is_unsynced(&r->clock))
    judge_unsynced(r, reachable, out);
  else
    judge_clock(cfg, &r->clock, out);
  judge_sources(cfg, r, usable, out);
  /* chronyc units read better than 9 decimals in a summary: "+12us" */
  eval_fmt_offset(r->clock.offset, shown, sizeof(shown));
  if (r->clock.ref_local)
    eval_set_ok_text(out, "serving from local clock (stratum %u), %u of %zu sources usable",
                     r->clock.stratum, usable, r->n_sources);
  else
    eval_set_ok_text(
        out, "synchronised to %s (stratum %u), offset %s, %u of %zu sources usable%s",
        r->clock.ref_name[0] ? r->clock.ref_name : "?", r->clock.stratum, shown, usable,
        r->n_sources, usable < 3 ? " (falseticker detection needs 3)" : "");
  sync_perfdata(cfg, r, usable, reachable, out);
}

static const struct tsync_client *
find_client(const struct tsync_report *r, const struct tsync_expect *e)
{
  size_t i;
  unsigned k;

  for (i = 0; i < r->n_clients; i++)
    for (k = 0; k < e->n_addrs; k++)
      if (strcmp(r->clients[i].address, e->addrs[k]) == 0)
        return &r->clients[i];
  return NULL;
}

static void
judge_expected(const struct eval_clients_cfg *cfg, const struct tsync_report *r,
               struct eval_result *out)
{
  unsigned i;

  for (i = 0; i < cfg->n_expect; i++) {
    const struct tsync_expect *e = &cfg->expect[i];
    const struct tsync_client *c = find_client(r, e);
    char what[TSYNC_NAME_SIZE + 32], shown[24];

    if (!c || c->last_ntp_ago == UINT32_MAX) {
      eval_add(out, TSYNC_STATE_CRITICAL,
               "%s never seen: no NTP request in chronyd's client log", e->name);
      continue;
    }
    if (snprintf(what, sizeof(what), "%s last NTP request", e->name) < 0 ||
        snprintf(shown, sizeof(shown), "%u s ago", (unsigned)c->last_ntp_ago) < 0)
      continue;
    (void)eval_check(out, &cfg->age_warn, &cfg->age_crit, c->last_ntp_ago, what, shown, " s",
                     ": lost NTP connectivity, free-running on local clock drift?");
  }
}

void
eval_chrony_clients(const struct eval_clients_cfg *cfg, const struct tsync_report *r,
                    struct eval_result *out)
{
  unsigned ntp_clients = 0;
  size_t i;

  memset(out, 0, sizeof(*out));
  for (i = 0; i < r->n_clients; i++)
    ntp_clients += r->clients[i].ntp_hits > 0;
  judge_expected(cfg, r, out);
  if (cfg->n_expect)
    eval_set_ok_text(out, "%u expected client%s seen within %s s; %u NTP client%s",
                     cfg->n_expect, cfg->n_expect == 1 ? "" : "s",
                     cfg->age_warn.set ? cfg->age_warn.text : "-", ntp_clients,
                     ntp_clients == 1 ? "" : "s");
  else
    eval_set_ok_text(out, "%u NTP client%s in chronyd's client log", ntp_clients,
                     ntp_clients == 1 ? "" : "s");
  add_count(out, "clients", ntp_clients, NULL, NULL);
  if (r->stats.valid) {
    struct eval_perf *p =
        eval_add_perf(out, "ntp_requests", (double)r->stats.ntp_hits, "c", NULL, NULL);

    if (p)
      p->integer = p->has_min = true;
    p = eval_add_perf(out, "ntp_drops", (double)r->stats.ntp_drops, "c", NULL, NULL);
    if (p)
      p->integer = p->has_min = true;
  }
}

enum tsync_state
eval_status_state(enum tsync_status st)
{
  switch (st) {
  case TSYNC_OK:
    return TSYNC_STATE_OK;
  case TSYNC_ERR_RESOLVE:
  case TSYNC_ERR_CONNECT:
  case TSYNC_ERR_TIMEOUT:
    /* the time service does not answer: that is the alarm this tool exists for */
    return TSYNC_STATE_CRITICAL;
  default:
    return TSYNC_STATE_UNKNOWN;
  }
}

void
eval_failure(enum tsync_status st, const char *message, struct eval_result *out)
{
  memset(out, 0, sizeof(*out));
  eval_add(out, eval_status_state(st), "%s", message);
}
