/* openmetrics.c -- Prometheus text exposition of a check (shared/protocols/
 * monitoring-conventions.md §5.1 for the neighbouring node_exporter names). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "openmetrics.h"
#include "sbuf.h"

/* A family's HELP must be the same text wherever it appears: node_exporter's textfile
 * collector refuses a family whose help differs between two checks' files. */
#define HELP_OFFSET                                                                           \
  "Clock offset, RFC 5905 theta: for chronyd reference - local clock (positive: behind), "    \
  "for W32Time and ESXi remote - this host (positive: the remote is ahead)."
#define HELP_REACH                                                                            \
  "Reach register: one bit per recent poll or sample, 1 when answered (255: all 8)."

/* The text so far and the run whose labels every series carries. */
struct writer {
  struct sbuf b;
  const struct om_run *run;
};

/* A label value with \, " and newline escaped (the text format's rules). */
static void
put_label(struct writer *w, const char *key, const char *value)
{
  const char *p;

  sbuf_put(&w->b, ",%s=\"", key);
  for (p = value; *p; p++) {
    if (*p == '\\' || *p == '"')
      sbuf_put(&w->b, "\\%c", *p);
    else if (*p == '\n')
      sbuf_put(&w->b, "\\n");
    else
      sbuf_put(&w->b, "%c", *p);
  }
  sbuf_put(&w->b, "\"");
}

/* # HELP, # TYPE and, for a unit suffix, # UNIT of one family. */
static void
family(struct writer *w, const char *name, const char *type, const char *unit,
       const char *help)
{
  sbuf_put(&w->b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
  if (unit)
    sbuf_put(&w->b, "# UNIT %s %s\n", name, unit);
}

/* name{check,target[,key=value[,key2=value2]]} value; NaN and infinities as the format
 * spells them. */
static void
sample2(struct writer *w, const char *name, const char *key, const char *value,
        const char *key2, const char *value2, double v)
{
  const char *s = NULL;

  sbuf_put(&w->b, "%s{check=\"%s\"", name, w->run->check);
  put_label(w, "target", w->run->target ? w->run->target : "");
  if (key)
    put_label(w, key, value);
  if (key2)
    put_label(w, key2, value2);
  if (isnan(v))
    s = "NaN";
  else if (isinf(v))
    s = v > 0 ? "+Inf" : "-Inf";
  if (s)
    sbuf_put(&w->b, "} %s\n", s);
  else if (v == floor(v) && fabs(v) < 1e15) /* counts, states, counters: exact */
    sbuf_put(&w->b, "} %.0f\n", v);
  else /* 9 digits: 0.1 ns at a 10 ms offset, far below any clock's noise */
    sbuf_put(&w->b, "} %.9g\n", v);
}

static void
sample(struct writer *w, const char *name, const char *key, const char *value, double v)
{
  sample2(w, name, key, value, NULL, NULL, v);
}

/* A family with one series. */
static void
single(struct writer *w, const char *name, const char *unit, const char *help, double v)
{
  family(w, name, "gauge", unit, help);
  sample(w, name, NULL, NULL, v);
}

static void
render_run(struct writer *w, const struct eval_result *res)
{
  single(w, "timesync_check_state", NULL,
         "State of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.", (double)res->state);
  single(w, "timesync_check_success", NULL,
         "1 when the time service answered and was measured, 0 when the check failed.",
         w->run->success ? 1.0 : 0.0);
  single(w, "timesync_check_duration_seconds", "seconds", "How long the check took.",
         w->run->duration);
}

static void
render_clock(struct writer *w, const struct tsync_clock *c)
{
  bool synced = c->leap != TSYNC_LEAP_UNSYNC && c->stratum >= 1 && c->stratum <= 15;

  single(w, "timesync_offset_seconds", "seconds", HELP_OFFSET, c->offset);
  single(w, "timesync_synchronized", NULL,
         "1 when the clock reports itself synchronised (leap status, stratum 1-15).",
         synced ? 1.0 : 0.0);
  single(w, "timesync_stratum", NULL, "Stratum of the checked clock (0: unsynchronised).",
         (double)c->stratum);
  single(w, "timesync_local_reference", NULL,
         "1 when the clock serves from its own local clock (chrony local, W32Time LOCL).",
         c->ref_local ? 1.0 : 0.0);
  single(w, "timesync_root_delay_seconds", "seconds", "Root delay to the primary reference.",
         c->root_delay);
  single(w, "timesync_root_dispersion_seconds", "seconds",
         "Root dispersion to the primary reference.", c->root_dispersion);
}

/* What only chronyd reports about its clock. */
static void
render_chrony_clock(struct writer *w, const struct tsync_clock *c)
{
  single(w, "timesync_rms_offset_seconds", "seconds", "Long-term RMS of chronyd's offsets.",
         c->rms_offset);
  single(w, "timesync_frequency_ratio", "ratio",
         "Frequency error of the local clock as a ratio (ppm / 1e6; positive: runs fast).",
         c->freq_ppm * 1e-6);
  single(w, "timesync_skew_ratio", "ratio",
         "Estimated error bound of the frequency as a ratio (ppm / 1e6).", c->skew_ppm * 1e-6);
  single(w, "timesync_estimated_error_seconds", "seconds",
         "Estimated error: |last offset| + root dispersion + root delay / 2.", c->est_error);
}

/* What an NTP exchange adds (check_w32time): its one source is the server. */
static void
render_ntp(struct writer *w, const struct tsync_report *rep)
{
  const char *src = rep->n_sources ? rep->sources[0].address : "";

  single(w, "timesync_delay_seconds", "seconds", "Round-trip delay of the best NTP sample.",
         rep->ntp.delay);
  single(w, "timesync_jitter_seconds", "seconds",
         "RMS of the samples' offsets around the best one.", rep->ntp.jitter);
  family(w, "timesync_reach", "gauge", NULL, HELP_REACH);
  sample(w, "timesync_reach", "source", src, (double)(rep->ntp.reach & 0xffu));
}

/* Per-source values, for source_family. */
static double
src_reach(const struct tsync_source *s)
{
  return (double)s->reach;
}

static double
src_stratum(const struct tsync_source *s)
{
  return (double)s->stratum;
}

static double
src_offset(const struct tsync_source *s)
{
  return s->offset;
}

static void
source_family(struct writer *w, const struct tsync_report *rep, const char *name,
              const char *unit, const char *help, double (*get)(const struct tsync_source *))
{
  size_t i;

  family(w, name, "gauge", unit, help);
  for (i = 0; i < rep->n_sources; i++) {
    const struct tsync_source *s = &rep->sources[i];

    sample(w, name, "source", s->name[0] ? s->name : s->address, get(s));
  }
}

/* chronyd's sources: counts, then one series per source and family. */
static void
render_sources(struct writer *w, const struct tsync_report *rep)
{
  unsigned usable, reachable;
  size_t i;

  tsync_count_sources(rep, &usable, &reachable);
  single(w, "timesync_sources", NULL, "Time sources configured.", (double)rep->n_sources);
  single(w, "timesync_sources_usable", NULL,
         "Sources usable for synchronisation (selected, combined or selectable).",
         (double)usable);
  single(w, "timesync_sources_reachable", NULL, "Sources that answered a recent poll.",
         (double)reachable);
  if (!rep->n_sources)
    return;
  family(w, "timesync_source_state", "gauge", NULL,
         "1 for each source, its state as the label (selected, combined, falseticker, ...).");
  for (i = 0; i < rep->n_sources; i++) {
    const struct tsync_source *s = &rep->sources[i];

    sample2(w, "timesync_source_state", "source", s->name[0] ? s->name : s->address, "state",
            tsync_src_state_str(s->state), 1.0);
  }
  source_family(w, rep, "timesync_reach", NULL, HELP_REACH, src_reach);
  source_family(w, rep, "timesync_source_stratum", NULL, "Stratum of the source.",
                src_stratum);
  source_family(w, rep, "timesync_source_offset_seconds", "seconds",
                "Offset of the source's last sample: source - local clock.", src_offset);
}

/* Per-host values, for host_family: false when the host's API lacks the field. */
static bool
host_success(const struct tsync_host *h, double *v)
{
  *v = h->status == TSYNC_OK ? 1.0 : 0.0;
  return true;
}

static bool
host_offset(const struct tsync_host *h, double *v)
{
  *v = h->offset;
  return h->have_offset;
}

static bool
host_rtt(const struct tsync_host *h, double *v)
{
  *v = h->rtt;
  return h->have_offset;
}

static bool
host_ntpd(const struct tsync_host *h, double *v)
{
  *v = h->ntpd_running ? 1.0 : 0.0;
  return h->have_ntpd;
}

static bool
host_sync_age(const struct tsync_host *h, double *v)
{
  *v = h->last_sync_age;
  return h->have_last_sync;
}

/* ESXi hosts: one series per host that has the field; no family when none has it. */
static void
host_family(struct writer *w, const struct tsync_report *rep, const char *name,
            const char *unit, const char *help,
            bool (*get)(const struct tsync_host *, double *))
{
  bool any = false;
  size_t i;

  for (i = 0; i < rep->n_hosts; i++) {
    double v;

    if (!get(&rep->hosts[i], &v))
      continue;
    if (!any)
      family(w, name, "gauge", unit, help);
    any = true;
    sample(w, name, "host", rep->hosts[i].name, v);
  }
}

static void
render_hosts(struct writer *w, const struct tsync_report *rep)
{
  host_family(w, rep, "timesync_host_success", NULL, "1 when the host could be read.",
              host_success);
  host_family(w, rep, "timesync_offset_seconds", "seconds", HELP_OFFSET, host_offset);
  host_family(w, rep, "timesync_rtt_seconds", "seconds",
              "Round trip of the host's time query: the offset is +/- rtt/2.", host_rtt);
  host_family(w, rep, "timesync_ntpd_running", NULL, "1 when the host's ntpd service runs.",
              host_ntpd);
  host_family(w, rep, "timesync_last_sync_age_seconds", "seconds",
              "Seconds since the host's last NTP synchronisation (API 7.0.3 and later).",
              host_sync_age);
}

/* chronyd as a server (clients mode): its clients and request counters. */
static void
render_clients(struct writer *w, const struct tsync_report *rep)
{
  size_t i;
  bool any = false;

  single(w, "timesync_clients", NULL, "NTP clients chronyd has seen.", (double)rep->n_clients);
  for (i = 0; i < rep->n_clients; i++) {
    const struct tsync_client *c = &rep->clients[i];

    if (c->last_ntp_ago == UINT32_MAX)
      continue;
    if (!any)
      family(w, "timesync_client_last_request_age_seconds", "gauge", "seconds",
             "Seconds since the client's last NTP request.");
    any = true;
    sample(w, "timesync_client_last_request_age_seconds", "client", c->address,
           (double)c->last_ntp_ago);
  }
  if (!rep->stats.valid)
    return;
  family(w, "timesync_ntp_requests_total", "counter", NULL, "NTP requests chronyd received.");
  sample(w, "timesync_ntp_requests_total", NULL, NULL, (double)rep->stats.ntp_hits);
  family(w, "timesync_ntp_drops_total", "counter", NULL, "NTP requests chronyd dropped.");
  sample(w, "timesync_ntp_drops_total", NULL, NULL, (double)rep->stats.ntp_drops);
}

enum tsync_status
om_render(const struct om_run *run, const struct eval_result *res,
          const struct tsync_report *rep, char *buf, size_t len)
{
  struct writer w;

  sbuf_init(&w.b, buf, len);
  w.run = run;
  render_run(&w, res);
  if (run->success && rep) {
    if (rep->list == TSYNC_LIST_CLIENTS) {
      render_clients(&w, rep);
    } else if (rep->list == TSYNC_LIST_HOSTS) {
      render_hosts(&w, rep);
    } else if (rep->have_clock) {
      render_clock(&w, &rep->clock);
      if (rep->ntp.valid) {
        render_ntp(&w, rep);
      } else {
        render_chrony_clock(&w, &rep->clock);
        render_sources(&w, rep);
      }
    }
  }
  sbuf_put(&w.b, "# EOF\n");
  if (w.b.full) /* a reader gets whole lines, and no # EOF: it sees the cut */
    sbuf_cut_to_line(&w.b);
  return w.b.full ? TSYNC_ERR_TOO_LARGE : TSYNC_OK;
}
