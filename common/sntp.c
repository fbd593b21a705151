/* sntp.c -- concurrent NTP client: one poll() loop over a socket per target. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "resolve.h"
#include "sntp.h"

/* One request in flight: the random transmit timestamp and the true send time. */
struct outstanding {
  bool open;
  struct sntp_ts xmt;
  struct sntp_ts t1;
  uint32_t tx_key;  /* the kernel's id for this datagram's transmit timestamp */
};

struct sample {
  bool ok;
  double offset, delay;
  struct sntp_packet pkt;
};

struct target {
  int fd;
  bool done;
  bool finished;              /* result final and handed to the done callback */
  uint32_t tx_keys;           /* datagrams sent: the next transmit timestamp id */
  struct timespec next_send;  /* monotonic */
  struct timespec give_up;    /* monotonic: reply_wait after the last request */
  struct outstanding out[SNTP_MAX_SAMPLES];
  struct sample samples[SNTP_MAX_SAMPLES];
};

struct run {
  const struct sntp_opts *o;
  struct sntp_result *res;
  struct target *t;
  size_t n;
  struct timespec deadline;
};

void
sntp_opts_default(struct sntp_opts *o)
{
  memset(o, 0, sizeof(*o));
  o->samples = SNTP_DEFAULT_SAMPLES;
  o->spacing = SNTP_DEFAULT_SPACING;
  o->reply_wait = SNTP_DEFAULT_REPLY_WAIT;
}

static void
trace(const struct run *r, int level, const char *fmt, ...) TSYNC_PRINTF(3, 4);

static void
trace(const struct run *r, int level, const char *fmt, ...)
{
  char line[256];
  va_list ap;

  if (!r->o->trace)
    return;
  va_start(ap, fmt);
  if (vsnprintf(line, sizeof(line), fmt, ap) >= 0)
    r->o->trace(r->o->trace_ctx, level, line);
  va_end(ap);
}

static struct timespec
realtime(void)
{
  struct timespec ts;

  (void)clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

static struct timespec
add_secs(struct timespec t, double s)
{
  long long ns = (long long)(s * 1e9) + t.tv_nsec;

  t.tv_sec += (time_t)(ns / 1000000000LL);
  t.tv_nsec = (long)(ns % 1000000000LL);
  return t;
}

/* Opens a connected socket to the first address of a resolved target that takes one. */
static void
open_target(struct run *r, size_t i, struct tsync_lookup *l)
{
  struct sntp_result *res = &r->res[i];
  const struct addrinfo *ai;
  int one = 1;
  int tx_flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
                 SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;

  for (ai = l->res; ai && r->t[i].fd < 0; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    tsync_addr_text(ai->ai_addr, ai->ai_addrlen, res->address, sizeof(res->address));
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
      res->status = tsync_err_errno(&res->err, TSYNC_ERR_CONNECT, errno,
                                    "cannot reach %s (%s)", l->host, res->address);
      if (fd >= 0)
        close(fd);
      continue;
    }
    /* the kernel's receive time is T4, and its transmit time T1 where it gives one:
     * system-call and scheduling delays then do not bias the offset */
    (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &tx_flags, sizeof(tx_flags));
    r->t[i].fd = fd;
    res->status = TSYNC_ERR_TIMEOUT;
  }
}

static void
send_sample(struct run *r, size_t i)
{
  struct target *t = &r->t[i];
  struct sntp_result *res = &r->res[i];
  struct outstanding *o = &t->out[res->sent];
  uint8_t pkt[SNTP_PACKET_LEN];
  size_t len;

  /* random bits in the transmit timestamp: they hide our clock and make a blind
   * spoof guess 64 bits; the real T1 is kept here */
  if (getrandom(&o->xmt, sizeof(o->xmt), GRND_NONBLOCK) != (ssize_t)sizeof(o->xmt))
    o->xmt = sntp_ts_from_timespec(tsync_now());
  len = sntp_wire_request(pkt, o->xmt);
  o->t1 = sntp_ts_from_timespec(realtime());
  if (send(t->fd, pkt, len, 0) == (ssize_t)len) {
    o->open = true;
    o->tx_key = t->tx_keys++;
    trace(r, 3, "request %u to %s", res->sent, res->address);
  }
  res->sent++;
  t->next_send = add_secs(tsync_now(), r->o->spacing);
  if (res->sent >= r->o->samples)
    t->give_up = add_secs(tsync_now(), r->o->reply_wait);
}

static void
drop(struct sntp_result *res, const char *fmt, ...) TSYNC_PRINTF(2, 3);

static void
drop(struct sntp_result *res, const char *fmt, ...)
{
  va_list ap;

  res->dropped++;
  va_start(ap, fmt);
  if (vsnprintf(res->last_drop, sizeof(res->last_drop), fmt, ap) < 0)
    res->last_drop[0] = '\0';
  va_end(ap);
}

/* The request a reply answers, by its origin timestamp; -1 when none is open. */
static int
match_origin(const struct target *t, unsigned sent, struct sntp_ts origin)
{
  unsigned k;

  for (k = 0; k < sent; k++)
    if (t->out[k].open && t->out[k].xmt.sec == origin.sec && t->out[k].xmt.frac == origin.frac)
      return (int)k;
  return -1;
}

static void
handle_reply(struct run *r, size_t i, const uint8_t *buf, size_t len, struct sntp_ts t4)
{
  struct target *t = &r->t[i];
  struct sntp_result *res = &r->res[i];
  struct sample *s;
  struct sntp_packet p;
  struct tsync_err e;
  int k;

  if (!sntp_wire_decode(buf, len, &p)) {
    drop(res, "%s reply (%zu bytes)", len < SNTP_PACKET_LEN ? "short" : "oversized", len);
    return;
  }
  k = match_origin(t, res->sent, p.origin);
  if (k < 0) {
    drop(res, "reply whose origin matches no request (stale, duplicate or spoofed)");
    return;
  }
  if (sntp_wire_check(&p, &e) != TSYNC_OK) {
    drop(res, "%s", e.msg);
    return;
  }
  t->out[k].open = false;
  if (sntp_wire_kod(&p, res->kod_code)) {
    /* RATE, DENY, RSTR: stop asking this server in this run (RFC 5905 §7.4) */
    res->kod = true;
    t->done = true;
    trace(r, 1, "%s sent a Kiss-o'-Death %s", res->address, res->kod_code);
    return;
  }
  s = &t->samples[k];
  s->ok = true;
  s->pkt = p;
  sntp_wire_offset_delay(t->out[k].t1, p.receive, p.transmit, t4, &s->offset, &s->delay);
  trace(r, 2, "%s sample %d: offset %+.6f s, delay %.6f s", res->address, k, s->offset,
        s->delay);
  if (++res->answered >= r->o->samples)
    t->done = true;
}

/* T4 from the kernel's SCM_TIMESTAMPNS, or now when the kernel gave none. */
static struct sntp_ts
receive_time(struct msghdr *m)
{
  struct cmsghdr *c;

  for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;

      memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      return sntp_ts_from_timespec(ts);
    }
  }
  return sntp_ts_from_timespec(realtime());
}

/* The kernel's transmit timestamps (SO_TIMESTAMPING, error queue) replace the T1 read
 * before send(), for requests still waiting for their reply. */
static void
read_tx_times(struct target *t, unsigned sent)
{
  uint8_t data[64] = {0}; /* the payload is not wanted (OPT_TSONLY) */
  char cbuf[512];

  for (;;) {
    struct iovec iov = {data, sizeof(data)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c;
    struct timespec ts = {0, 0};
    const struct sock_extended_err *ee = NULL;
    unsigned k;

    if (recvmsg(t->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
      return;
    for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING)
        memcpy(&ts, CMSG_DATA(c), sizeof(ts)); /* ts[0]: the software timestamp */
      else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
        ee = (const struct sock_extended_err *)CMSG_DATA(c);
    }
    if (!ee || ee->ee_origin != SO_EE_ORIGIN_TIMESTAMPING || ts.tv_sec == 0)
      continue;
    for (k = 0; k < sent; k++)
      if (t->out[k].open && t->out[k].tx_key == ee->ee_data)
        t->out[k].t1 = sntp_ts_from_timespec(ts);
  }
}

static void
receive(struct run *r, size_t i)
{
  struct target *t = &r->t[i];
  uint8_t buf[SNTP_REPLY_MAX + 1];
  char cbuf[CMSG_SPACE(sizeof(struct timespec)) + 64];

  read_tx_times(t, r->res[i].sent);
  while (!t->done) {
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf)};
    /* MSG_TRUNC: n is the datagram's real length, so an oversized one is seen */
    ssize_t n = recvmsg(t->fd, &m, MSG_DONTWAIT | MSG_TRUNC);

    if (n < 0) {
      if (errno == ECONNREFUSED) {
        r->res[i].status = tsync_err_set(&r->res[i].err, TSYNC_ERR_CONNECT,
                                         "%s refused NTP (ICMP port unreachable): no NTP "
                                         "server listening on that port",
                                         r->res[i].address);
        t->done = true;
      }
      return;
    }
    handle_reply(r, i, buf, (size_t)n, receive_time(&m));
  }
}

static void
finish_one(struct run *r, size_t i);

/* Finalises every target that is done, so its result need not wait for the others. */
static void
finish_done(struct run *r, bool all)
{
  size_t i;

  for (i = 0; i < r->n; i++)
    if (!r->t[i].finished && (all || r->t[i].done))
      finish_one(r, i);
}

static void
finish(struct run *r, size_t i)
{
  struct target *t = &r->t[i];
  struct sntp_result *res = &r->res[i];
  const struct sample *best = NULL;
  unsigned k;

  for (k = 0; k < res->sent; k++) {
    res->reach = (res->reach << 1) | (t->samples[k].ok ? 1u : 0u);
    if (t->samples[k].ok && (!best || t->samples[k].delay < best->delay))
      best = &t->samples[k];
  }
  if (t->fd >= 0)
    close(t->fd);
  t->fd = -1;
  if (best) {
    double sum = 0.0;

    /* the lowest-delay sample has the least room for asymmetry (RFC 5905 §10) */
    for (k = 0; k < res->sent; k++)
      if (t->samples[k].ok && &t->samples[k] != best)
        sum += (t->samples[k].offset - best->offset) * (t->samples[k].offset - best->offset);
    res->status = TSYNC_OK;
    res->reply = best->pkt;
    res->offset = best->offset;
    res->delay = best->delay;
    res->jitter = res->answered > 1 ? sqrt(sum / (res->answered - 1)) : 0.0;
    res->ref_time = sntp_ts_to_unix(best->pkt.ref, realtime());
  } else if (res->kod) {
    res->status = tsync_err_set(&res->err, TSYNC_ERR_REFUSED, "%s sent a Kiss-o'-Death %s",
                                res->address, res->kod_code);
  } else if (res->status == TSYNC_ERR_TIMEOUT && res->dropped) {
    tsync_err_set(&res->err, TSYNC_ERR_TIMEOUT,
                  "no valid NTP reply from %s to %u requests (%u dropped, last: %s)",
                  res->address, res->sent, res->dropped, res->last_drop);
  } else if (res->status == TSYNC_ERR_TIMEOUT) {
    tsync_err_set(&res->err, TSYNC_ERR_TIMEOUT, "no NTP reply from %s to %u requests",
                  res->address, res->sent);
  }
}

static void
finish_one(struct run *r, size_t i)
{
  r->t[i].finished = true;
  finish(r, i);
  if (r->o->done)
    r->o->done(r->o->done_ctx, i, &r->res[i]);
}

/* Sends what is due and retires targets whose time is up; returns the milliseconds
 * until the next thing to do, or -1 when no target is active. */
static int
step(struct run *r)
{
  struct timespec now = tsync_now(), next = r->deadline;
  bool active = false;
  size_t i;

  for (i = 0; i < r->n; i++) {
    struct target *t = &r->t[i];

    if (t->done)
      continue;
    if (r->res[i].sent < r->o->samples && tsync_ts_diff(t->next_send, now) >= 0.0)
      send_sample(r, i);
    if (r->res[i].sent >= r->o->samples && tsync_ts_diff(t->give_up, now) >= 0.0) {
      t->done = true;
      continue;
    }
    active = true;
    next = tsync_earlier(next, r->res[i].sent < r->o->samples ? t->next_send : t->give_up);
  }
  return active ? tsync_ms_left(next) : -1;
}

static void
loop(struct run *r, struct pollfd *pfd, size_t *map)
{
  for (;;) {
    int ms = step(r);
    size_t i, m = 0;

    if (ms < 0 || tsync_ms_left(r->deadline) == 0)
      return;
    for (i = 0; i < r->n; i++) {
      if (r->t[i].done)
        continue;
      pfd[m].fd = r->t[i].fd;
      pfd[m].events = POLLIN;
      pfd[m].revents = 0;
      map[m++] = i;
    }
    if (poll(pfd, (nfds_t)m, ms) > 0) {
      for (i = 0; i < m; i++)
        if (pfd[i].revents)
          receive(r, map[i]);
    }
    finish_done(r, false);
  }
}

/* Resolves every target at once and opens its socket; a target that cannot be reached
 * is done with its reason. */
static enum tsync_status
setup(struct run *r, const struct sntp_request *req, struct tsync_err *err)
{
  struct tsync_lookup *l = calloc(r->n, sizeof(*l));
  size_t i;

  if (!l)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory for %zu targets", r->n);
  for (i = 0; i < r->n; i++) {
    l[i].host = req[i].host;
    l[i].port = req[i].port ? req[i].port : "123";
    l[i].family = req[i].family;
  }
  tsync_resolve_many(l, r->n, r->deadline);
  for (i = 0; i < r->n; i++) {
    memset(&r->res[i], 0, sizeof(r->res[i]));
    r->t[i].fd = -1;
    r->t[i].next_send = tsync_now();
    if (l[i].status == TSYNC_OK) {
      open_target(r, i, &l[i]);
      freeaddrinfo(l[i].res);
    } else {
      r->res[i].status = l[i].status;
      r->res[i].err = l[i].err;
    }
    r->t[i].done = r->t[i].fd < 0;
  }
  free(l);
  return TSYNC_OK;
}

enum tsync_status
sntp_query(const struct sntp_request *req, struct sntp_result *res, size_t n,
           const struct sntp_opts *o, struct timespec deadline, struct tsync_err *err)
{
  struct run r = {o, res, calloc(n ? n : 1, sizeof(struct target)), n, deadline};
  struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));
  size_t *map = calloc(n ? n : 1, sizeof(*map));
  enum tsync_status st;

  if (o->samples < 1 || o->samples > SNTP_MAX_SAMPLES)
    st = tsync_err_set(err, TSYNC_ERR_ARG, "samples must be 1 to %d", SNTP_MAX_SAMPLES);
  else if (!r.t || !pfd || !map)
    st = tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory for %zu targets", n);
  else
    st = setup(&r, req, err);
  if (st == TSYNC_OK) {
    loop(&r, pfd, map);
    finish_done(&r, true);
  }
  free(r.t);
  free(pfd);
  free(map);
  return st;
}
