/* chrony_probe.c -- the probes: which cmdmon requests make up a check, and how refusals
 * degrade into notes instead of failures (chrony-cmdmon.md §1.1, §1.7, §5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chrony.h"

#define IPADDR_LEN 20

/* One probe's request state: the client, the deadline, a reply buffer, and which
 * optional requests are still worth sending. */
struct probe {
  struct chrony_client *c;
  struct timespec deadline;
  uint8_t rbuf[CHRONY_RPY_MAX + 1];
  struct chrony_reply rep;
  bool want_stats, want_select, want_name;
};

static enum tsync_status
ask(struct probe *p, uint16_t cmd, const uint8_t *body, size_t len, struct tsync_err *err)
{
  memset(&p->rep, 0, sizeof(p->rep));
  return chrony_exchange(p->c, cmd, body, len, p->deadline, p->rbuf, sizeof(p->rbuf), &p->rep,
                         err);
}

static void
start(struct probe *p, struct chrony_client *c, struct timespec deadline,
      struct tsync_report *r)
{
  memset(p, 0, sizeof(*p));
  p->c = c;
  p->deadline = deadline;
  p->want_stats = p->want_select = p->want_name = true;
  memset(r, 0, sizeof(*r));
  if (snprintf(r->transport, sizeof(r->transport), "%s", chrony_transport(c)) < 0)
    r->transport[0] = '\0';
  if (chrony_fallback_note(c)[0])
    tsync_note(&r->notes, "%s", chrony_fallback_note(c));
}

/* An optional request the daemon refused. Returns false: stop asking for it. */
static bool
refused(struct probe *p, struct tsync_report *r, const char *what)
{
  tsync_note(&r->notes, "%s not available over %s: chronyd answered \"%s\"%s", what,
             chrony_transport(p->c), chrony_wire_status_str(p->rep.status),
             p->rep.status == CHRONY_STT_UNAUTH
                 ? " (needs the Unix socket, or opencommands on chrony >= 4.7)"
                 : "");
  return false;
}

/* Outcome of an optional request: OK, or a refusal that only turns that request off.
 * Anything else (no reply, malformed reply) ends the probe. */
static bool
optional_failed(enum tsync_status st)
{
  return st != TSYNC_OK && st != TSYNC_ERR_UNAUTH && st != TSYNC_ERR_REFUSED;
}

static enum tsync_status
source_extras(struct probe *p, uint32_t index, const uint8_t *ipaddr, struct tsync_source *s,
              struct tsync_report *r, struct tsync_err *err)
{
  uint8_t body[IPADDR_LEN];
  enum tsync_status st;

  if (p->want_stats) {
    st = ask(p, CHRONY_REQ_SOURCESTATS, body, chrony_wire_index_body(body, index), err);
    if (optional_failed(st))
      return st;
    if (st == TSYNC_OK)
      (void)chrony_wire_sourcestats(&p->rep, s);
    else if (p->rep.status != CHRONY_STT_NOSUCHSOURCE)
      p->want_stats = refused(p, r, "sourcestats");
  }
  if (p->want_select) {
    st = ask(p, CHRONY_REQ_SELECT_DATA, body, chrony_wire_index_body(body, index), err);
    if (optional_failed(st))
      return st;
    if (st == TSYNC_OK)
      s->select_char = chrony_wire_select_char(&p->rep, s);
    else if (p->rep.status != CHRONY_STT_NOSUCHSOURCE)
      p->want_select = refused(p, r, "selectdata"); /* also chrony 3.x: no SELECT_DATA */
  }
  /* configured names exist only for NTP sources; a refclock's would fail (§1.7) */
  if (p->want_name && s->mode != TSYNC_MODE_REFCLOCK) {
    memcpy(body, ipaddr, IPADDR_LEN);
    st = ask(p, CHRONY_REQ_NTP_SOURCE_NAME, body, IPADDR_LEN, err);
    if (optional_failed(st))
      return st;
    if (st == TSYNC_OK)
      chrony_wire_source_name(&p->rep, s->name, sizeof(s->name));
    else if (p->rep.status != CHRONY_STT_NOSUCHSOURCE)
      p->want_name = refused(p, r, "sourcename");
    if (!s->name[0])
      memcpy(s->name, s->address, sizeof(s->address));
  }
  return TSYNC_OK;
}

static enum tsync_status
read_sources(struct probe *p, struct tsync_report *r, struct tsync_err *err)
{
  uint8_t body[4], ipaddr[IPADDR_LEN];
  enum tsync_status st;
  uint32_t n, i;

  st = ask(p, CHRONY_REQ_N_SOURCES, NULL, 0, err);
  if (st != TSYNC_OK)
    return st;
  n = chrony_wire_n_sources(&p->rep);
  if (n > TSYNC_MAX_SOURCES) {
    tsync_note(&r->notes, "chronyd reports %u sources; reading the first %d", (unsigned)n,
               TSYNC_MAX_SOURCES);
    n = TSYNC_MAX_SOURCES;
  }
  r->sources = n ? calloc(n, sizeof(*r->sources)) : NULL;
  if (n && !r->sources)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory for %u sources", (unsigned)n);
  for (i = 0; i < n; i++) {
    struct tsync_source *s = &r->sources[r->n_sources];

    st = ask(p, CHRONY_REQ_SOURCE_DATA, body, chrony_wire_index_body(body, i), err);
    if (st == TSYNC_ERR_REFUSED && p->rep.status == CHRONY_STT_NOSUCHSOURCE)
      break; /* the list shrank between requests */
    if (st != TSYNC_OK)
      return st;
    memcpy(ipaddr, p->rep.data, IPADDR_LEN);
    if (chrony_wire_source_data(&p->rep, s) == 3) {
      r->n_unresolved++; /* chronyc hides unresolved (ID#) sources too */
      continue;
    }
    st = source_extras(p, i, ipaddr, s, r, err);
    if (st != TSYNC_OK)
      return st;
    r->n_sources++;
  }
  r->have_select = p->want_select;
  return TSYNC_OK;
}

enum tsync_status
chrony_probe_sync(struct chrony_client *c, struct timespec deadline,
                  struct tsync_report *report, struct tsync_err *err)
{
  struct probe *p = malloc(sizeof(*p));
  enum tsync_status st;

  if (!p)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  start(p, c, deadline, report);
  st = ask(p, CHRONY_REQ_TRACKING, NULL, 0, err);
  if (st == TSYNC_OK) {
    chrony_wire_tracking(&p->rep, &report->clock);
    report->have_clock = true;
    st = read_sources(p, report, err);
  }
  free(p);
  return st;
}

static enum tsync_status
read_clients(struct probe *p, struct tsync_report *r, struct tsync_err *err)
{
  uint8_t body[16];
  uint32_t first = 0, n_indices, next, n_clients;
  size_t cap = 64;

  r->clients = calloc(cap, sizeof(*r->clients));
  if (!r->clients)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory for clients");
  for (;;) {
    enum tsync_status st =
        ask(p, CHRONY_REQ_CLIENT_ACCESSES, body,
            chrony_wire_clients_body(body, first, CHRONY_CLIENTS_PER_REPLY), err);
    if (st != TSYNC_OK)
      return st;
    if (r->n_clients + CHRONY_CLIENTS_PER_REPLY > cap) {
      struct tsync_client *grown;

      if (cap >= TSYNC_MAX_CLIENTS) {
        tsync_note(&r->notes, "client list cut at %zu records", r->n_clients);
        return TSYNC_OK;
      }
      grown = realloc(r->clients, 2 * cap * sizeof(*r->clients));
      if (!grown)
        return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory for clients");
      r->clients = grown;
      cap *= 2;
    }
    r->n_clients +=
        chrony_wire_clients(&p->rep, r->clients + r->n_clients, CHRONY_CLIENTS_PER_REPLY,
                            &n_indices, &next, &n_clients);
    /* next must advance, or a hostile daemon could keep us paging until the deadline */
    if (next >= n_indices || n_clients < CHRONY_CLIENTS_PER_REPLY || next <= first)
      return TSYNC_OK;
    first = next;
  }
}

enum tsync_status
chrony_probe_clients(struct chrony_client *c, struct timespec deadline,
                     struct tsync_report *report, struct tsync_err *err)
{
  struct probe *p = malloc(sizeof(*p));
  enum tsync_status st;

  if (!p)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  start(p, c, deadline, report);
  report->list = TSYNC_LIST_CLIENTS;
  st = ask(p, CHRONY_REQ_SERVER_STATS, NULL, 0, err);
  if (st == TSYNC_OK)
    chrony_wire_serverstats(&p->rep, &report->stats);
  else if (!optional_failed(st))
    (void)refused(p, report, "serverstats");
  if (!optional_failed(st))
    st = read_clients(p, report, err);
  if (st == TSYNC_ERR_UNAUTH)
    st = tsync_err_set(err, st,
                       "the client list is not available over %s (chronyd: Not authorised): "
                       "clients mode needs chronyd's Unix socket (root or the chrony user), "
                       "or 'opencommands clients' on chrony >= 4.7",
                       chrony_transport(c));
  else if (st == TSYNC_ERR_REFUSED && p->rep.status == CHRONY_STT_INACTIVE)
    st = tsync_err_set(err, st, "chronyd keeps no client log (noclientlog is set)");
  free(p);
  return st;
}

enum tsync_status
chrony_probe_ntpdata(struct chrony_client *c, struct timespec deadline,
                     struct tsync_report *report, struct tsync_err *err)
{
  struct probe *p = malloc(sizeof(*p));
  enum tsync_status st = TSYNC_OK;

  if (!p)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  memset(p, 0, sizeof(*p));
  p->c = c;
  p->deadline = deadline;
  for (size_t i = 0; st == TSYNC_OK && i < report->n_sources; i++) {
    struct tsync_source *s = &report->sources[i];
    uint8_t body[IPADDR_LEN];

    if (s->mode == TSYNC_MODE_REFCLOCK || !chrony_wire_ipaddr_body(body, s->address))
      continue;
    st = ask(p, CHRONY_REQ_NTP_DATA, body, IPADDR_LEN, err);
    if (st == TSYNC_OK)
      chrony_wire_ntpdata(&p->rep, s);
    else if (st == TSYNC_ERR_REFUSED && p->rep.status == CHRONY_STT_NOSUCHSOURCE)
      st = TSYNC_OK;
  }
  free(p);
  return st;
}

enum tsync_status
chrony_probe_serverstats(struct chrony_client *c, struct timespec deadline,
                         struct tsync_serverstats *out, struct tsync_err *err)
{
  struct probe *p = malloc(sizeof(*p));
  enum tsync_status st;

  if (!p)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  memset(p, 0, sizeof(*p));
  p->c = c;
  p->deadline = deadline;
  st = ask(p, CHRONY_REQ_SERVER_STATS, NULL, 0, err);
  if (st == TSYNC_OK)
    chrony_wire_serverstats(&p->rep, out);
  free(p);
  return st;
}
