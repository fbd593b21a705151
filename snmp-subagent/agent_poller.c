/* agent_poller.c -- the polls, apart from the SNMP loop: one thread per chrony or ESXi
 * check (a hanging host delays only its own row), one thread for all NTP targets at once
 * (the core's many-target client), one for the local chronyd behind NTPv4-MIB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "deadline.h"
#include "output.h"
#include "sntp.h"

long
agent_usec(double seconds)
{
  double us = seconds * 1e6;

  if (!isfinite(us))
    return 0;
  if (us > 2147483647.0)
    return 2147483647L;
  if (us < -2147483647.0)
    return -2147483647L;
  return lround(us);
}

void
agent_result_free(struct agent_result *r)
{
  free(r->sources);
  memset(r, 0, sizeof(*r));
}

void
agent_result_copy(struct agent_check *c, struct agent_result *out)
{
  pthread_mutex_lock(&c->lock);
  *out = c->res;
  out->sources = NULL;
  if (c->res.n_sources && (out->sources = calloc(c->res.n_sources, sizeof(*out->sources))))
    memcpy(out->sources, c->res.sources, c->res.n_sources * sizeof(*out->sources));
  else
    out->n_sources = 0;
  pthread_mutex_unlock(&c->lock);
}

static const char *
prefix(enum agent_kind k)
{
  return k == AGENT_CHRONY ? "CHRONY" : k == AGENT_W32TIME ? "W32TIME" : "ESXI";
}

/* The sources a result shows: chrony's sources, the NTP server, or the ESXi hosts. */
static void
take_sources(const struct tsync_report *rep, struct agent_result *r)
{
  size_t i, n = rep->n_hosts ? rep->n_hosts : rep->n_sources;

  r->sources = n ? calloc(n, sizeof(*r->sources)) : NULL;
  if (!r->sources)
    return;
  for (i = 0; i < n; i++) {
    struct agent_source *s = &r->sources[i];

    if (rep->n_hosts) {
      const struct tsync_host *h = &rep->hosts[i];

      tsync_copy(s->name, sizeof(s->name), h->name);
      s->state = h->status == TSYNC_OK ? TSYNC_SRC_SELECTED : TSYNC_SRC_UNUSABLE;
      s->offset = h->offset;
    } else {
      const struct tsync_source *src = &rep->sources[i];

      tsync_copy(s->name, sizeof(s->name), src->name);
      tsync_copy(s->address, sizeof(s->address), src->address);
      s->state = src->state;
      s->stratum = src->stratum;
      s->reach = src->reach;
      s->offset = src->offset;
    }
  }
  r->n_sources = n;
}

/* Builds a result from a finished run and publishes it under the check's lock. */
static void
publish(struct agent_check *c, const struct tsync_report *rep, const struct eval_result *ev)
{
  struct agent_result r;
  size_t i;

  memset(&r, 0, sizeof(r));
  r.valid = true;
  r.when = tsync_now();
  r.state = ev->state;
  out_status_line(prefix(c->kind), ev, r.status, sizeof(r.status));
  r.have_offset = rep->have_clock || (rep->n_hosts && rep->hosts[0].have_offset);
  r.offset = rep->n_hosts ? rep->hosts[0].offset : rep->clock.offset;
  r.stratum = rep->clock.stratum;
  r.reach = rep->ntp.valid ? rep->ntp.reach & 0xffu : 0;
  for (i = 0; i < rep->n_sources; i++) {
    r.usable += tsync_src_usable(rep->sources[i].state) ? 1u : 0u;
    if (rep->sources[i].state == TSYNC_SRC_SELECTED && !rep->ntp.valid)
      r.reach = rep->sources[i].reach;
  }
  take_sources(rep, &r);
  pthread_mutex_lock(&c->lock);
  free(c->res.sources);
  c->res = r;
  pthread_mutex_unlock(&c->lock);
}

/* A poll that could not run: st says which state the row gets. */
static void
publish_failure(struct agent_check *c, enum tsync_status st, const char *msg)
{
  struct tsync_report rep;
  struct eval_result ev;

  memset(&rep, 0, sizeof(rep));
  eval_failure(st, msg, &ev);
  publish(c, &rep, &ev);
}

/* Waits until the next poll is due; false when the agent is stopping. */
static bool
wait_next(struct agent *a, struct timespec started)
{
  struct timespec until = started;
  bool go;

  until.tv_sec += a->interval;
  pthread_mutex_lock(&a->wake_lock);
  while (!a->stopping && tsync_ms_left(until) > 0) {
    struct timespec abs;

    /* the condition variable runs on CLOCK_MONOTONIC (agent_pollers_start) */
    abs = until;
    if (pthread_cond_timedwait(&a->wake, &a->wake_lock, &abs) != 0)
      break;
  }
  go = !a->stopping;
  pthread_mutex_unlock(&a->wake_lock);
  return go;
}

/* A poller thread: once() runs every interval until the agent stops. */
struct job {
  struct agent *a;
  struct agent_check *c; /* NULL: the NTP batch or the NTPv4 poller */
  void (*once)(struct job *j);
};

static void *
poll_loop(void *arg)
{
  struct job *j = arg;
  struct timespec t0;

  do {
    t0 = tsync_now();
    j->once(j);
  } while (wait_next(j->a, t0));
  free(j);
  return NULL;
}

static void
poll_chrony(struct job *j)
{
  struct tsync_report rep;
  struct eval_result ev;
  char client[48];

  /* one client socket file per check: chrony_client_path names it by pid */
  if (snprintf(client, sizeof(client), "%s.%u", AGENT_NAME, j->c->index) < 0)
    client[0] = '\0';
  chrony_check_run(&j->c->cfg.chrony, client, NULL, NULL, &rep, &ev);
  publish(j->c, &rep, &ev);
  tsync_report_free(&rep);
}

static void
poll_esxi(struct job *j)
{
  struct esxi_cfg *cfg = &j->c->cfg.esxi;
  struct tsync_report rep;
  struct eval_result ev;
  struct tsync_err err;

  memset(&rep, 0, sizeof(rep));
  /* the password lives in memory only for the length of a run */
  if (esxi_read_authfile(cfg->authfile, cfg, &err) != TSYNC_OK)
    eval_failure(TSYNC_ERR_ARG, err.msg, &ev);
  else
    esxi_run(cfg, NULL, NULL, &rep, &ev);
  esxi_forget(cfg);
  publish(j->c, &rep, &ev);
  tsync_report_free(&rep);
}

struct batch {
  struct agent_check **list;
  const struct sntp_request *req;
};

/* One target's result is final: evaluate and publish it now, whatever the others do. */
static void
ntp_done(void *ctx, size_t i, const struct sntp_result *res)
{
  struct batch *b = ctx;
  struct tsync_report rep;
  struct eval_result ev;

  w32time_evaluate(&b->list[i]->cfg.w32time, &b->req[i], res, tsync_deadline_in(2), &rep,
                   &ev);
  publish(b->list[i], &rep, &ev);
  tsync_report_free(&rep);
}

/* All NTP targets in one exchange per sample count: 1,000 targets take about as long
 * as one, and each row is published as soon as its own target is done. */
static void
poll_ntp_batch(struct agent_check **list, size_t n)
{
  struct sntp_request *req = calloc(n, sizeof(*req));
  struct sntp_result *res = calloc(n, sizeof(*res));
  struct batch b = {list, req};
  struct sntp_opts o;
  struct tsync_err err;

  if (req && res) {
    double longest = 0;

    for (size_t i = 0; i < n; i++) {
      struct w32time_cfg *cfg = &list[i]->cfg.w32time;

      req[i] = (struct sntp_request){cfg->common.host, cfg->common.port, cfg->common.family};
      longest = cfg->common.timeout > longest ? cfg->common.timeout : longest;
    }
    sntp_opts_default(&o);
    o.samples = list[0]->cfg.w32time.samples;
    o.done = ntp_done;
    o.done_ctx = &b;
    enum tsync_status st = sntp_query(req, res, n, &o, tsync_deadline_in(longest), &err);

    for (size_t i = 0; st != TSYNC_OK && i < n; i++)
      publish_failure(list[i], st, err.msg);
  } else {
    for (size_t i = 0; i < n; i++)
      publish_failure(list[i], TSYNC_ERR_NOMEM, "out of memory");
  }
  free(req);
  free(res);
}

/* Every NTP check, one batch per distinct sample count (usually just one). */
static void
poll_ntp(struct job *j)
{
  struct agent *a = j->a;
  struct agent_check **list = calloc(a->n_checks, sizeof(*list));

  for (size_t i = 0; i < a->n_checks; i++) {
    struct agent_check *c = a->checks[i];
    bool seen = false;
    size_t k, n;

    if (c->kind != AGENT_W32TIME)
      continue;
    if (!list) {
      publish_failure(c, TSYNC_ERR_NOMEM, "out of memory");
      continue;
    }
    for (k = 0; k < i && !seen; k++)
      seen = a->checks[k]->kind == AGENT_W32TIME &&
             a->checks[k]->cfg.w32time.samples == c->cfg.w32time.samples;
    if (seen)
      continue;
    for (n = 0, k = i; k < a->n_checks; k++)
      if (a->checks[k]->kind == AGENT_W32TIME &&
          a->checks[k]->cfg.w32time.samples == c->cfg.w32time.samples)
        list[n++] = a->checks[k];
    poll_ntp_batch(list, n);
  }
  free(list);
}

/* The local chronyd for NTPv4-MIB: tracking, sources, and the packet counters. */
static void
poll_local_chrony(struct agent *a)
{
  struct chrony_target t = {
      .socket_path = a->chrony_socket[0] ? a->chrony_socket : NULL,
      .client_name = AGENT_NAME ".ntp",
  };
  struct timespec deadline = tsync_deadline_in(5);
  struct tsync_report rep;
  struct chrony_client *c;
  struct tsync_err err;
  enum tsync_status st;

  memset(&rep, 0, sizeof(rep));
  st = chrony_open(&c, &t, deadline, &err);
  if (st == TSYNC_OK) {
    st = chrony_probe_sync(c, deadline, &rep, &err);
    /* counters and delays for ntpAssociationStatisticsTable; socket only, like stats */
    if (st == TSYNC_OK && chrony_probe_ntpdata(c, deadline, &rep, &err) != TSYNC_OK)
      for (size_t i = 0; i < rep.n_sources; i++)
        rep.sources[i].have_ntpdata = false;
    if (st == TSYNC_OK && chrony_probe_serverstats(c, deadline, &rep.stats, &err) != TSYNC_OK)
      rep.stats.valid = false; /* needs the socket, or opencommands */
    chrony_close(c);
  }
  pthread_mutex_lock(&a->ntp_lock);
  tsync_report_free(&a->ntp);
  a->ntp = rep;
  a->ntp_valid = st == TSYNC_OK;
  tsync_copy(a->ntp_error, sizeof(a->ntp_error), st == TSYNC_OK ? "" : err.msg);
  a->ntp_when = tsync_now();
  pthread_mutex_unlock(&a->ntp_lock);
  if (st != TSYNC_OK)
    tsync_report_free(&rep);
}

static void
poll_local(struct job *j)
{
  poll_local_chrony(j->a);
}

static enum tsync_status
spawn(struct agent *a, void (*once)(struct job *), struct agent_check *c, struct tsync_err *err)
{
  struct job *j = malloc(sizeof(*j));

  if (!j)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  j->a = a;
  j->c = c;
  j->once = once;
  if (pthread_create(&a->threads[a->n_threads], NULL, poll_loop, j) != 0) {
    free(j);
    return tsync_err_set(err, TSYNC_ERR_SYS, "cannot start a poller thread");
  }
  a->n_threads++;
  return TSYNC_OK;
}

enum tsync_status
agent_pollers_start(struct agent *a, struct tsync_err *err)
{
  pthread_condattr_t attr;
  bool ntp = false;
  size_t i;

  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&a->wake, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&a->wake_lock, NULL);
  pthread_mutex_init(&a->ntp_lock, NULL);
  a->threads = calloc(a->n_checks + 2, sizeof(*a->threads));
  if (!a->threads)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  if (spawn(a, poll_local, NULL, err) != TSYNC_OK)
    return TSYNC_ERR_SYS;
  for (i = 0; i < a->n_checks; i++) {
    struct agent_check *c = a->checks[i];

    if (c->kind == AGENT_W32TIME)
      ntp = true;
    else if (spawn(a, c->kind == AGENT_CHRONY ? poll_chrony : poll_esxi, c, err) != TSYNC_OK)
      return TSYNC_ERR_SYS;
  }
  return ntp ? spawn(a, poll_ntp, NULL, err) : TSYNC_OK;
}

void
agent_pollers_stop(struct agent *a)
{
  size_t i;

  pthread_mutex_lock(&a->wake_lock);
  a->stopping = true;
  pthread_cond_broadcast(&a->wake);
  pthread_mutex_unlock(&a->wake_lock);
  /* a poll in progress ends at its own deadline (-t) */
  for (i = 0; i < a->n_threads; i++)
    pthread_join(a->threads[i], NULL);
  free(a->threads);
  a->threads = NULL;
  a->n_threads = 0;
}
