/* output.c -- Nagios text, JSON and Zabbix discovery from a result and a report. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "sbuf.h"

static int
rank(enum tsync_state s)
{
  static const int ranks[] = {0, 1, 3, 2};

  return (unsigned)s < TSYNC_ARRAY_LEN(ranks) ? ranks[s] : 2;
}

void
out_summary(const struct eval_result *res, char *buf, size_t len)
{
  struct sbuf b;
  unsigned i, n = 0;
  int r;

  sbuf_init(&b, buf, len);
  if (b.full)
    return;
  if (res->n_msgs == 0) {
    sbuf_put(&b, "%s", res->ok_text);
    return;
  }
  /* worst first, in the order found within one state */
  for (r = 3; r >= 0; r--)
    for (i = 0; i < res->n_msgs; i++)
      if (rank(res->msgs[i].state) == r)
        sbuf_put(&b, "%s%s", n++ ? ", " : "", res->msgs[i].text);
}

/* A number for perfdata: [-0-9.] only, no exponent, trailing zeros dropped. */
static void
fmt_num(double v, bool integer, char *buf, size_t len)
{
  int n = integer ? snprintf(buf, len, "%.0f", v) : snprintf(buf, len, "%.9f", v);

  if (n < 0 || (size_t)n >= len) {
    if (len)
      buf[0] = '\0';
    return;
  }
  if (!integer && strchr(buf, '.')) {
    while (n > 0 && buf[n - 1] == '0')
      buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
      buf[--n] = '\0';
  }
  if (strcmp(buf, "-0") == 0)
    memcpy(buf, "0", 2);
}

static void
fmt_range(const struct thr_range *r, bool symmetric, char *buf, size_t len)
{
  buf[0] = '\0';
  if (!r || !r->set)
    return;
  if (symmetric && !r->inside && !r->start_inf && !r->end_inf && r->start == 0.0) {
    char e[32];

    fmt_num(r->end, false, e, sizeof(e));
    if (snprintf(buf, len, "-%s:%s", e, e) < 0)
      buf[0] = '\0';
    return;
  }
  if (snprintf(buf, len, "%s", r->text) < 0)
    buf[0] = '\0';
}

enum tsync_status
out_perf_item(const struct eval_perf *p, char *buf, size_t len)
{
  struct sbuf b;
  char v[40], w[THR_TEXT_SIZE + 32], c[THR_TEXT_SIZE + 32], mn[40] = "", mx[40] = "";

  sbuf_init(&b, buf, len);
  if (b.full)
    return TSYNC_ERR_TOO_LARGE;
  if (strpbrk(p->label, " ='")) {
    const char *q;

    sbuf_put(&b, "'");
    for (q = p->label; *q; q++)
      sbuf_put(&b, *q == '\'' ? "''" : "%c", *q);
    sbuf_put(&b, "'");
  } else {
    sbuf_put(&b, "%s", p->label);
  }
  fmt_num(p->value, p->integer, v, sizeof(v));
  fmt_range(p->warn, p->symmetric, w, sizeof(w));
  fmt_range(p->crit, p->symmetric, c, sizeof(c));
  if (p->has_min)
    fmt_num(p->min, p->integer, mn, sizeof(mn));
  if (p->has_max)
    fmt_num(p->max, p->integer, mx, sizeof(mx));
  sbuf_put(&b, "=%s%s;%s;%s;%s;%s", v, p->uom ? p->uom : "", w, c, mn, mx);
  /* trailing empty fields may be dropped (guidelines) */
  while (!b.full && b.used > 0 && buf[b.used - 1] == ';')
    buf[--b.used] = '\0';
  return b.full ? TSYNC_ERR_TOO_LARGE : TSYNC_OK;
}

void
out_source_line(const struct tsync_source *s, char *buf, size_t len)
{
  struct sbuf b;

  sbuf_init(&b, buf, len);
  sbuf_put(&b, "%c%c %s", tsync_src_mode_char(s->mode), tsync_src_state_char(s->state),
           s->name);
  if (strcmp(s->name, s->address) != 0 && s->address[0])
    sbuf_put(&b, " (%s)", s->address);
  sbuf_put(&b, " stratum %u reach %03o", s->stratum, s->reach);
  if (s->since_sample == UINT32_MAX) {
    sbuf_put(&b, " no sample");
  } else {
    char off[24], err[24];

    eval_fmt_offset(s->offset, off, sizeof(off));
    eval_fmt_offset(s->error, err, sizeof(err));
    sbuf_put(&b, " offset %s +/- %s", off, err + 1);
  }
  sbuf_put(&b, ", %s", tsync_src_state_str(s->state));
}

void
out_host_line(const struct tsync_host *h, const char *api, char *buf, size_t len)
{
  struct sbuf b;
  unsigned i;

  sbuf_init(&b, buf, len);
  sbuf_put(&b, "%s:", h->name);
  if (h->status != TSYNC_OK) {
    sbuf_put(&b, " %s", h->error);
    return;
  }
  if (h->have_offset) {
    char off[24], err[24];

    eval_fmt_offset(h->offset, off, sizeof(off));
    eval_fmt_offset(h->rtt / 2.0, err, sizeof(err));
    sbuf_put(&b, " offset %s +/- %s,", off, err + 1);
  }
  if (h->have_ntpd)
    sbuf_put(&b, " ntpd %s (policy %s),", h->ntpd_running ? "running" : "stopped",
             h->ntpd_policy);
  sbuf_put(&b, " NTP servers");
  for (i = 0; i < h->n_ntp_servers; i++)
    sbuf_put(&b, "%s%s", i ? ", " : " ", h->ntp_servers[i]);
  if (!h->n_ntp_servers)
    sbuf_put(&b, " none");
  if (!h->have_health)
    sbuf_put(&b, "; serviceSync, lastSyncTime, inFallbackState not available on API %s",
             api && *api ? api : "?");
  else if (h->have_last_sync)
    sbuf_put(&b, "; last synchronised %.0f s ago%s%s%s", h->last_sync_age,
             h->remote_ntp_server[0] ? " from " : "", h->remote_ntp_server,
             h->have_service_sync && !h->service_sync ? ", serviceSync false" : "");
  else
    sbuf_put(&b, "; never synchronised");
}

static void
put_long_output(struct sbuf *b, const struct tsync_report *rep, int verbose)
{
  char line[TSYNC_NAME_SIZE + 160];
  size_t i;
  unsigned k;

  for (i = 0; i < rep->n_sources; i++) {
    out_source_line(&rep->sources[i], line, sizeof(line));
    sbuf_put(b, "%s\n", line);
  }
  for (i = 0; i < rep->n_clients; i++) {
    const struct tsync_client *c = &rep->clients[i];

    if (c->last_ntp_ago == UINT32_MAX)
      sbuf_put(b, "client %s: no NTP request (%u command requests)\n", c->address,
               c->cmd_hits);
    else
      sbuf_put(b, "client %s: %u NTP requests, last %u s ago, %u dropped\n", c->address,
               c->ntp_hits, c->last_ntp_ago, c->ntp_drops);
  }
  for (i = 0; i < rep->n_hosts; i++) {
    out_host_line(&rep->hosts[i], rep->api, line, sizeof(line));
    sbuf_put(b, "%s\n", line);
  }
  if (rep->n_unresolved)
    sbuf_put(b, "%u source%s not yet resolved\n", rep->n_unresolved,
             rep->n_unresolved == 1 ? "" : "s");
  for (k = 0; k < rep->notes.n; k++)
    sbuf_put(b, "note: %s\n", rep->notes.text[k]);
  if (verbose >= 1 && rep->transport[0])
    sbuf_put(b, "queried via %s\n", rep->transport);
}

void
out_status_line(const char *prefix, const struct eval_result *res, char *buf, size_t len)
{
  char summary[EVAL_MAX_MSGS * 64];

  if (len == 0)
    return;
  out_summary(res, summary, sizeof(summary));
  /* '|' would start perfdata early: names from the daemon must not contain it */
  for (char *p = summary; (p = strchr(p, '|')); p++)
    *p = '/';
  if (snprintf(buf, len, "%s %s: %s", prefix, tsync_state_str(res->state), summary) < 0)
    buf[0] = '\0';
}

enum tsync_status
out_nagios(const char *prefix, const struct eval_result *res, const struct tsync_report *rep,
           int verbose, char *buf, size_t len)
{
  struct sbuf b;
  char line[EVAL_MAX_MSGS * 64 + 64], item[THR_TEXT_SIZE * 2 + 128];
  unsigned i;

  sbuf_init(&b, buf, len);
  if (b.full)
    return TSYNC_ERR_TOO_LARGE;
  out_status_line(prefix, res, line, sizeof(line));
  sbuf_put(&b, "%s", line);
  for (i = 0; i < res->n_perf; i++)
    if (out_perf_item(&res->perf[i], item, sizeof(item)) == TSYNC_OK)
      sbuf_put(&b, "%s%s", i ? " " : " | ", item);
  sbuf_put(&b, "\n");
  if (rep) {
    size_t from = b.used;

    put_long_output(&b, rep, verbose);
    for (; from < b.used; from++)
      if (buf[from] == '|')
        buf[from] = '/';
  }
  return b.full ? TSYNC_ERR_TOO_LARGE : TSYNC_OK;
}

/* Out of memory inside jansson only loses the one field; it frees value itself. */
static void
set(json_t *obj, const char *key, json_t *value)
{
  (void)json_object_set_new(obj, key, value);
}

static json_t *
json_age(uint32_t seconds)
{
  return seconds == UINT32_MAX ? json_null() : json_integer(seconds);
}

static json_t *
source_json(const struct tsync_source *s, bool have_select)
{
  json_t *o = json_object();
  char reach[8];

  if (!o)
    return NULL;
  if (snprintf(reach, sizeof(reach), "%03o", s->reach) < 0)
    reach[0] = '\0';
  set(o, "name", json_string(s->name));
  set(o, "address", json_string(s->address));
  set(o, "mode", json_string(tsync_src_mode_str(s->mode)));
  set(o, "state", json_string(tsync_src_state_str(s->state)));
  if (have_select && s->select_char) {
    char sel[2] = {s->select_char, '\0'};

    set(o, "select", json_string(sel));
  }
  set(o, "stratum", json_integer(s->stratum));
  set(o, "reach", json_integer(s->reach));
  set(o, "reach_octal", json_string(reach));
  set(o, "lost", json_integer(s->lost));
  set(o, "poll", json_integer(s->poll));
  set(o, "last_sample_ago", json_age(s->since_sample));
  set(o, "offset", json_real(s->offset));
  set(o, "error", json_real(s->error));
  if (s->have_stats) {
    set(o, "samples", json_integer(s->n_samples));
    set(o, "std_dev", json_real(s->sd));
  }
  return o;
}

static json_t *
client_json(const struct tsync_client *c)
{
  json_t *o = json_object();

  if (!o)
    return NULL;
  set(o, "address", json_string(c->address));
  set(o, "ntp_requests", json_integer(c->ntp_hits));
  set(o, "ntp_drops", json_integer(c->ntp_drops));
  set(o, "last_ntp_request_ago", json_age(c->last_ntp_ago));
  set(o, "cmd_requests", json_integer(c->cmd_hits));
  return o;
}

static json_t *
host_json(const struct tsync_host *h)
{
  json_t *o = json_object(), *servers = json_array();
  unsigned i;

  for (i = 0; servers && i < h->n_ntp_servers; i++)
    (void)json_array_append_new(servers, json_string(h->ntp_servers[i]));
  set(o, "name", json_string(h->name));
  if (h->status != TSYNC_OK) {
    set(o, "error", json_string(h->error));
    json_decref(servers);
    return o;
  }
  set(o, "offset", h->have_offset ? json_real(h->offset) : json_null());
  set(o, "rtt", h->have_offset ? json_real(h->rtt) : json_null());
  set(o, "ntp_servers", servers);
  set(o, "clock_protocol", json_string(h->clock_protocol));
  set(o, "ntpd_running", h->have_ntpd ? json_boolean(h->ntpd_running) : json_null());
  set(o, "ntpd_policy", h->have_ntpd ? json_string(h->ntpd_policy) : json_null());
  /* null: the host's API version does not have the field */
  set(o, "service_sync", h->have_service_sync ? json_boolean(h->service_sync) : json_null());
  set(o, "last_sync_age", h->have_last_sync ? json_real(h->last_sync_age) : json_null());
  set(o, "in_fallback", h->have_fallback ? json_boolean(h->in_fallback) : json_null());
  set(o, "health_available", json_boolean(h->have_health));
  if (h->remote_ntp_server[0])
    set(o, "remote_ntp_server", json_string(h->remote_ntp_server));
  return o;
}

static void
report_json(json_t *root, const struct tsync_report *rep)
{
  json_t *list = json_array(), *notes = json_array();
  size_t i;

  if (rep->have_clock) {
    set(root, "leap_status", json_string(tsync_leap_str(rep->clock.leap)));
    set(root, "reference", json_string(rep->clock.ref_name));
    set(root, "reference_local", json_boolean(rep->clock.ref_local));
  }
  if (rep->transport[0])
    set(root, "transport", json_string(rep->transport));
  if (rep->api[0])
    set(root, "api", json_string(rep->api));
  if (rep->hosts || rep->list == TSYNC_LIST_HOSTS) {
    for (i = 0; list && i < rep->n_hosts; i++)
      (void)json_array_append_new(list, host_json(&rep->hosts[i]));
    set(root, "hosts", list);
  } else if (rep->clients || rep->list == TSYNC_LIST_CLIENTS) {
    for (i = 0; list && i < rep->n_clients; i++)
      (void)json_array_append_new(list, client_json(&rep->clients[i]));
    set(root, "clients", list);
  } else {
    for (i = 0; list && i < rep->n_sources; i++)
      (void)json_array_append_new(list, source_json(&rep->sources[i], rep->have_select));
    set(root, "sources", list);
  }
  for (i = 0; notes && i < rep->notes.n; i++)
    (void)json_array_append_new(notes, json_string(rep->notes.text[i]));
  set(root, "notes", notes);
}

/* Dumps root into buf with a newline; consumes root. */
static enum tsync_status
dump(json_t *root, char *buf, size_t len)
{
  size_t n;

  if (!root)
    return TSYNC_ERR_NOMEM;
  n = json_dumpb(root, buf, len, JSON_COMPACT | JSON_REAL_PRECISION(10));
  json_decref(root);
  if (n == 0 || n + 2 > len) {
    if (len)
      buf[0] = '\0';
    return n == 0 ? TSYNC_ERR_NOMEM : TSYNC_ERR_TOO_LARGE;
  }
  buf[n] = '\n';
  buf[n + 1] = '\0';
  return TSYNC_OK;
}

enum tsync_status
out_json(const struct eval_result *res, const struct tsync_report *rep, char *buf, size_t len)
{
  json_t *root = json_object(), *metrics = json_object();
  char summary[EVAL_MAX_MSGS * 64];
  unsigned i;

  if (!root || !metrics) {
    json_decref(root);
    json_decref(metrics);
    return TSYNC_ERR_NOMEM;
  }
  out_summary(res, summary, sizeof(summary));
  set(root, "state", json_string(tsync_state_str(res->state)));
  set(root, "exit_code", json_integer(res->state));
  set(root, "summary", json_string(summary));
  for (i = 0; i < res->n_perf; i++) {
    const struct eval_perf *p = &res->perf[i];
    /* beyond json_int_t (a 64-bit counter) the cast is undefined: keep it a real */
    bool fits = p->value > -9223372036854775808.0 && p->value < 9223372036854775808.0;

    set(metrics, p->label,
        p->integer && fits ? json_integer((json_int_t)p->value) : json_real(p->value));
  }
  set(root, "metrics", metrics);
  if (rep)
    report_json(root, rep);
  return dump(root, buf, len);
}

enum tsync_status
out_discovery(const struct tsync_report *rep, char *buf, size_t len)
{
  json_t *list = json_array();
  size_t i;

  for (i = 0; list && i < rep->n_sources && !rep->clients; i++) {
    json_t *o = json_object();

    set(o, "{#NAME}", json_string(rep->sources[i].name));
    set(o, "{#ADDRESS}", json_string(rep->sources[i].address));
    set(o, "{#MODE}", json_string(tsync_src_mode_str(rep->sources[i].mode)));
    (void)json_array_append_new(list, o);
  }
  for (i = 0; list && i < rep->n_hosts; i++) {
    json_t *o = json_object();

    set(o, "{#HOST}", json_string(rep->hosts[i].name));
    (void)json_array_append_new(list, o);
  }
  for (i = 0; list && i < rep->n_clients; i++) {
    json_t *o = json_object();

    set(o, "{#CLIENT}", json_string(rep->clients[i].address));
    (void)json_array_append_new(list, o);
  }
  return dump(list, buf, len);
}
