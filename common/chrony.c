/* chrony.c -- cmdmon transports (Unix socket, UDP) and the request/reply exchange.
 * Facts: chrony-cmdmon.md §1.1 (who may do what), §1.4 (client behaviour), §1.9 (the
 * Unix-socket client side). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "chrony.h"
#include "deadline.h"
#include "resolve.h"

#define FIRST_TIMEOUT_MS 1000 /* chronyc's initial timeout, doubled per attempt */
#define MAX_ATTEMPTS 16       /* sequences remembered per exchange */

struct chrony_client {
  int fd;
  bool is_unix;
  char local_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* bound client socket */
  char transport[TSYNC_NAME_SIZE + 8];
  char fallback_note[TSYNC_NOTE_SIZE]; /* why the default socket was not used */
  tsync_trace_fn trace;
  void *trace_ctx;
};

static void trace(const struct chrony_client *c, int level, const char *fmt, ...)
    TSYNC_PRINTF(3, 4);

static void
trace(const struct chrony_client *c, int level, const char *fmt, ...)
{
  char line[320];
  va_list ap;

  if (!c->trace)
    return;
  va_start(ap, fmt);
  if (vsnprintf(line, sizeof(line), fmt, ap) >= 0)
    c->trace(c->trace_ctx, level, line);
  va_end(ap);
}

size_t
chrony_client_path(const char *server_path, const char *name, long pid, char *buf, size_t len)
{
  const char *slash = strrchr(server_path, '/');
  int dirlen = slash ? (int)(slash - server_path) : 1;
  const char *dir = slash ? server_path : ".";
  int n;

  if (len > sizeof(((struct sockaddr_un *)0)->sun_path))
    len = sizeof(((struct sockaddr_un *)0)->sun_path);
  /* beside the server socket: AppArmor lets chronyd write only there (§1.9) */
  n = snprintf(buf, len, "%.*s/%s.%ld.sock", dirlen, dir, name, pid);
  if (n < 0 || (size_t)n >= len)
    return 0;
  return (size_t)n;
}

static struct chrony_client *
new_client(const struct chrony_target *t)
{
  struct chrony_client *c = calloc(1, sizeof(*c));

  if (!c)
    return NULL;
  c->fd = -1;
  c->trace = t->trace;
  c->trace_ctx = t->trace_ctx;
  return c;
}

/* Releases the socket and the bound client file, keeping the client for another try. */
static void
reset(struct chrony_client *c)
{
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  if (c->local_path[0])
    (void)unlink(c->local_path);
  c->local_path[0] = '\0';
  c->is_unix = false;
}

void
chrony_close(struct chrony_client *c)
{
  if (!c)
    return;
  reset(c);
  free(c);
}

/* A failure to reach the server socket: missing is CONNECT (the daemon is not there),
 * forbidden is PERM (ours to fix: run as root or the chrony user, or use UDP). */
static enum tsync_status
unix_failure(const char *path, int errnum, struct tsync_err *err)
{
  if (errnum == EACCES || errnum == EPERM)
    return tsync_err_errno(err, TSYNC_ERR_PERM, errnum,
                           "cannot use chronyd's socket %s (it needs root or the chrony user; "
                           "-H 127.0.0.1 reads the open data over UDP)",
                           path);
  return tsync_err_errno(err, TSYNC_ERR_CONNECT, errnum, "cannot connect to chronyd at %s",
                         path);
}

static enum tsync_status
open_unix(struct chrony_client *c, const char *path, const char *name, struct tsync_err *err)
{
  struct sockaddr_un local, remote;
  struct stat sb;

  memset(&local, 0, sizeof(local));
  memset(&remote, 0, sizeof(remote));
  local.sun_family = remote.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(remote.sun_path) ||
      !chrony_client_path(path, name, (long)getpid(), local.sun_path, sizeof(local.sun_path)))
    return tsync_err_set(err, TSYNC_ERR_ARG, "socket path too long: %s", path);
  memcpy(remote.sun_path, path, strlen(path) + 1);
  if (stat(path, &sb) < 0)
    return unix_failure(path, errno, err);
  c->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return tsync_err_errno(err, TSYNC_ERR_SYS, errno, "cannot create socket");
  /* a stale file from a killed run would make bind fail */
  (void)unlink(local.sun_path);
  if (bind(c->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
    if (errno == EACCES || errno == EPERM || errno == EROFS)
      return unix_failure(path, EACCES, err);
    return tsync_err_errno(err, TSYNC_ERR_SYS, errno, "cannot bind client socket %s",
                           local.sun_path);
  }
  memcpy(c->local_path, local.sun_path, sizeof(c->local_path));
  /* chronyd may run as an unprivileged user and must be able to reply */
  if (chmod(local.sun_path, 0666) < 0)
    return tsync_err_errno(err, TSYNC_ERR_SYS, errno, "cannot chmod %s", local.sun_path);
  if (connect(c->fd, (struct sockaddr *)&remote, sizeof(remote)) < 0)
    return unix_failure(path, errno, err);
  c->is_unix = true;
  if (snprintf(c->transport, sizeof(c->transport), "unix:%s", path) < 0)
    c->transport[0] = '\0';
  return TSYNC_OK;
}

static enum tsync_status
open_udp(struct chrony_client *c, const struct addrinfo *ai, struct tsync_err *err)
{
  char addr[TSYNC_ADDR_SIZE];
  int port = 0;

  tsync_addr_text(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr));
  if (ai->ai_family == AF_INET)
    port = ntohs(((const struct sockaddr_in *)ai->ai_addr)->sin_port);
  else if (ai->ai_family == AF_INET6)
    port = ntohs(((const struct sockaddr_in6 *)ai->ai_addr)->sin6_port);
  if (snprintf(c->transport, sizeof(c->transport),
               ai->ai_family == AF_INET6 ? "udp:[%s]:%d" : "udp:%s:%d", addr, port) < 0)
    c->transport[0] = '\0';
  c->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return tsync_err_errno(err, TSYNC_ERR_CONNECT, errno, "cannot create socket for %s",
                           c->transport + 4);
  /* a connected socket only accepts datagrams from the server and reports refusals */
  if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0)
    return tsync_err_errno(err, TSYNC_ERR_CONNECT, errno, "cannot connect to chronyd at %s",
                           c->transport + 4);
  return TSYNC_OK;
}

static uint32_t
random_sequence(void)
{
  uint32_t v;
  struct timespec ts;

  if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
    return v;
  /* no entropy yet (early boot): still unpredictable enough to tell our replies apart */
  (void)clock_gettime(CLOCK_REALTIME, &ts);
  return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ ((uint32_t)getpid() << 16);
}

/* What made a received datagram unusable, kept for the timeout message. */
struct drops {
  unsigned n;
  char last[TSYNC_ERR_SIZE];
};

static void
drop(struct drops *d, const char *why)
{
  d->n++;
  if (snprintf(d->last, sizeof(d->last), "%s", why) < 0)
    d->last[0] = '\0';
}

/* Waits until wait_until for a valid reply to one of seqs. TSYNC_ERR_TIMEOUT when none
 * came; anything else ends the exchange. */
static enum tsync_status
await_reply(struct chrony_client *c, uint16_t cmd, const uint32_t *seqs, size_t n_seqs,
            struct timespec wait_until, uint8_t *rbuf, size_t rlen, struct chrony_reply *rep,
            struct drops *drops, struct tsync_err *err)
{
  struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
  struct tsync_err perr;
  enum tsync_status st;
  ssize_t n;
  int ms;

  while ((ms = tsync_ms_left(wait_until)) > 0) {
    if (poll(&pfd, 1, ms) <= 0)
      continue; /* timeout or EINTR: the loop condition decides */
    /* MSG_TRUNC: n is the datagram's real length even when it did not fit */
    n = recv(c->fd, rbuf, rlen, MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        continue;
      return tsync_err_errno(err, TSYNC_ERR_CONNECT, errno, "no chronyd at %s", c->transport);
    }
    if ((size_t)n > CHRONY_RPY_MAX || (size_t)n >= rlen) {
      snprintf(perr.msg, sizeof(perr.msg), "oversized reply (%zd bytes)", n);
      drop(drops, perr.msg);
      continue;
    }
    if (!chrony_wire_is_ours(rbuf, (size_t)n, cmd, seqs, n_seqs)) {
      /* not an answer to this request: a spoof, or a late one from an earlier command */
      drop(drops, (size_t)n < CHRONY_RPY_HDR_LEN ? "reply shorter than a header"
                                                 : "reply with a foreign command or sequence");
      continue;
    }
    st = chrony_wire_check(rbuf, (size_t)n, cmd, rep, &perr);
    trace(c, 3, "reply to command %u: %zd bytes, code %u, status %u", cmd, n,
          (unsigned)(n >= 8 ? (rbuf[6] << 8 | rbuf[7]) : 0),
          (unsigned)(n >= 10 ? (rbuf[8] << 8 | rbuf[9]) : 0));
    if (st == TSYNC_ERR_PROTO) {
      drop(drops, perr.msg);
      continue;
    }
    if (st != TSYNC_OK && err)
      *err = perr;
    return st;
  }
  return TSYNC_ERR_TIMEOUT;
}

enum tsync_status
chrony_exchange(struct chrony_client *c, uint16_t cmd, const uint8_t *body, size_t body_len,
                struct timespec deadline, uint8_t *rbuf, size_t rlen, struct chrony_reply *rep,
                struct tsync_err *err)
{
  uint8_t req[CHRONY_REQ_SIZE];
  uint32_t seqs[MAX_ATTEMPTS];
  struct drops drops = {0, ""};
  struct timespec start = tsync_now();
  double timeout = FIRST_TIMEOUT_MS / 1000.0;
  unsigned attempt;

  for (attempt = 0; tsync_ms_left(deadline) > 0; attempt++) {
    enum tsync_status st;
    size_t len;

    /* a fresh random sequence per attempt; late replies to earlier ones still count */
    seqs[attempt % MAX_ATTEMPTS] = random_sequence();
    len = chrony_wire_request(req, sizeof(req), cmd, (uint16_t)attempt,
                              seqs[attempt % MAX_ATTEMPTS], body, body_len);
    if (len == 0)
      return tsync_err_set(err, TSYNC_ERR_ARG, "request body too long for command %u", cmd);
    trace(c, 3, "request command %u attempt %u to %s", cmd, attempt, c->transport);
    if (send(c->fd, req, len, 0) != (ssize_t)len)
      return tsync_err_errno(err, TSYNC_ERR_CONNECT, errno, "cannot send to chronyd at %s",
                             c->transport);
    st = await_reply(c, cmd, seqs, attempt + 1 < MAX_ATTEMPTS ? attempt + 1 : MAX_ATTEMPTS,
                     tsync_earlier(deadline, tsync_deadline_in(timeout)), rbuf, rlen, rep,
                     &drops, err);
    if (st != TSYNC_ERR_TIMEOUT)
      return st;
    timeout *= 2;
  }
  if (drops.n)
    return tsync_err_set(err, TSYNC_ERR_TIMEOUT,
                         "no valid reply from chronyd at %s after %.1f s (%u bad replies "
                         "dropped, last: %s)",
                         c->transport, tsync_ts_diff(start, tsync_now()), drops.n, drops.last);
  return tsync_err_set(err, TSYNC_ERR_TIMEOUT, "no reply from chronyd at %s after %.1f s",
                       c->transport, tsync_ts_diff(start, tsync_now()));
}

const char *
chrony_transport(const struct chrony_client *c)
{
  return c->transport;
}

bool
chrony_is_unix(const struct chrony_client *c)
{
  return c->is_unix;
}

const char *
chrony_fallback_note(const struct chrony_client *c)
{
  return c->fallback_note;
}

/* Opens UDP to the first usable address of host; with probe, the address must also
 * answer TRACKING (the default chain must not settle on a port nobody serves). */
static enum tsync_status
try_udp(struct chrony_client *c, const char *host, const char *port, int family, bool probe,
        struct timespec deadline, struct tsync_err *err)
{
  struct addrinfo *res, *ai;
  enum tsync_status st;
  uint8_t rbuf[CHRONY_RPY_MAX + 1];
  struct chrony_reply rep;

  st = tsync_resolve(host, port, family, deadline, &res, err);
  if (st != TSYNC_OK)
    return st;
  st = TSYNC_ERR_CONNECT;
  for (ai = res; ai && st != TSYNC_OK; ai = ai->ai_next) {
    reset(c);
    st = open_udp(c, ai, err);
    if (st == TSYNC_OK && probe)
      st = chrony_exchange(c, CHRONY_REQ_TRACKING, NULL, 0, deadline, rbuf, sizeof(rbuf), &rep,
                           err);
  }
  freeaddrinfo(res);
  return st;
}

static enum tsync_status
open_default_chain(struct chrony_client *c, const struct chrony_target *t,
                   struct timespec deadline, struct tsync_err *err)
{
  static const struct {
    const char *host;
    int family;
  } udp[] = {{"127.0.0.1", AF_INET}, {"::1", AF_INET6}};
  struct tsync_err first, e;
  enum tsync_status st, worst;
  size_t i, used;

  st = open_unix(c, CHRONY_DEFAULT_SOCKET, t->client_name ? t->client_name : "tsync", &first);
  if (st == TSYNC_OK)
    return st;
  reset(c);
  trace(c, 1, "%s; trying UDP", first.msg);
  worst = st;
  *err = first;
  for (i = 0; i < TSYNC_ARRAY_LEN(udp); i++) {
    if (t->family != AF_UNSPEC && t->family != udp[i].family)
      continue;
    st = try_udp(c, udp[i].host, CHRONY_DEFAULT_PORT, udp[i].family, true, deadline, &e);
    if (st == TSYNC_OK) {
      if (snprintf(c->fallback_note, sizeof(c->fallback_note),
                   "using %s (only the open commands are served over UDP): %s", c->transport,
                   first.msg) < 0)
        c->fallback_note[0] = '\0';
      return TSYNC_OK;
    }
    reset(c);
    if (st == TSYNC_ERR_TIMEOUT || st == TSYNC_ERR_CONNECT)
      worst = st; /* nothing answers: CRITICAL, whatever the socket said */
    used = strlen(err->msg);
    if (snprintf(err->msg + used, sizeof(err->msg) - used, "; %s", e.msg) < 0)
      err->msg[used] = '\0';
  }
  /* the default socket's verdict decides, unless a UDP candidate hung */
  return worst;
}

enum tsync_status
chrony_open(struct chrony_client **out, const struct chrony_target *t,
            struct timespec deadline, struct tsync_err *err)
{
  struct chrony_client *c = new_client(t);
  const char *name = t->client_name ? t->client_name : "tsync";
  enum tsync_status st;

  *out = NULL;
  if (!c)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  if (t->host)
    st = try_udp(c, t->host, t->port ? t->port : CHRONY_DEFAULT_PORT, t->family, false,
                 deadline, err);
  else if (t->socket_path)
    st = open_unix(c, t->socket_path, name, err);
  else
    st = open_default_chain(c, t, deadline, err);
  if (st != TSYNC_OK) {
    chrony_close(c);
    return st;
  }
  trace(c, 1, "connected to chronyd at %s", c->transport);
  *out = c;
  return TSYNC_OK;
}
