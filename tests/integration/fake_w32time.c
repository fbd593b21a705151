/* fake_w32time.c -- a fake NTP server that answers like Windows W32Time, or misbehaves.
 *
 * Integration tests point check_w32time (or any SNTP client) at it to prove the verdicts.
 * Self-contained (no project headers):
 *   cc -std=c11 -D_GNU_SOURCE -o fake_w32time tests/integration/fake_w32time.c -lm
 *
 * Usage: fake_w32time --udp IP:PORT|[IP6]:PORT --mode MODE [--offset SECONDS]
 *                     [--delay-ms N] [--refid A.B.C.D] [--lifetime SECONDS]
 *                     [--ready-file FILE] [--tx-stamp-log FILE] [-v] [--help]
 *
 * Wire format: RFC 5905 §7.3 and shared/protocols/ntp-w32time.md (packet layout, B1, B2).
 * Like W32Time (MS-SNTP §3.1.5, §3.2.5.1) only requests of exactly 48 bytes with mode 3
 * and version 1-4 are answered; anything else (68/120-byte MS-SNTP, mode 6/7, other
 * lengths) is dropped silently. The modes are listed in mode_table below and by --help.
 *
 * The fake's clock is CLOCK_REALTIME + --offset. T2 is the kernel receive time
 * (SO_TIMESTAMPNS), T3 is read just before sendto, the origin is the request's transmit
 * timestamp byte for byte, the reference timestamp is T2 - 30 s. --delay-ms holds each
 * reply back for N ms after T3 is written (an asymmetric path: a client measures offset
 * about offset - N/2 and delay about N); requests keep being read meanwhile.
 *
 * --tx-stamp-log FILE measures the fake's own send lag, the asymmetry every server that
 * reads T3 in user space before sendto() has (W32Time, chronyd in basic mode): a client
 * whose T1 and T4 are exact measures offset about offset - lag/2. It asks the kernel for
 * software TX timestamps (SO_TIMESTAMPING, kernel Documentation/networking/timestamping.rst;
 * on loopback the stamp is taken inside sendto, in the driver's xmit), reads each one from
 * the error queue and writes one line per reply, flushed at once:
 *   "TX_LAG_NS HOLD_NS"   TX_LAG_NS = kernel TX time - T3, HOLD_NS = T3 - T2
 * both CLOCK_REALTIME nanoseconds without --offset; under --delay-ms the lag includes the
 * delay. The file starts with one "#" comment line; replies without a T3 (zero-xmt,
 * garbage) are not logged. At exit a summary (count, min, mean, max, replies without a
 * stamp) goes to stderr. The stamp costs the kernel a small allocation after the stamp
 * point, on the reply's way to the client; without the option nothing of this is done.
 *
 * Only loopback addresses are accepted. Nothing goes to stdout unless -v (one line per
 * datagram received) or --help. The process exits after --lifetime seconds (default 60)
 * and on SIGTERM/SIGINT/SIGHUP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "responder_util.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum {
  NTP_LEN = 48,
  NTP_MODE_CLIENT = 3,
  NTP_MODE_SERVER = 4,
  POLL_LOG2 = 10,
  PRECISION_LOG2 = -23, /* Windows 10 / Server 2016+ (ntp-w32time.md B2) */
  SHORT_LEN = 47,
  OVERSIZED_LEN = 1000,
  REQ_BUF_LEN = 512,      /* anything but 48 bytes is dropped, so no need for more */
  RCVBUF_BYTES = 4 << 20, /* a burst of 800 requests must not overflow the queue */
  DRAIN_MAX = 256,        /* datagrams read per wakeup before due replies are sent */
  QUEUE_MAX = 16384,      /* delayed datagrams in flight */
  CLIENTS_MAX = 4096,     /* rate-limit: source address:port entries */
  POLL_SLICE_MS = 200,
  TX_PENDING_MAX = 64, /* replies sent whose TX timestamp is not read yet */
};

#define NTP_UNIX_DELTA 2208988800LL /* seconds from 1900-01-01 to 1970-01-01 */
#define REF_AGE_S 30                /* reference timestamp = T2 - 30 s */
#define RATE_WINDOW_NS 1000000000LL /* rate-limit: less than 1 s since the last answer */
#define OFFSET_MAX_S 1.0e9
#define NS_PER_S 1000000000LL

enum mode {
  MODE_SYNCED,
  MODE_LOCL,
  MODE_UNSYNC,
  MODE_UNSYNC_STALE,
  MODE_KOD_RATE,
  MODE_KOD_DENY,
  MODE_KOD_RSTR,
  MODE_HYPERV,
  MODE_SILENT,
  MODE_WRONG_ORIGIN_FIRST,
  MODE_DUPLICATE,
  MODE_SHORT,
  MODE_OVERSIZED,
  MODE_GARBAGE,
  MODE_ZERO_XMT,
  MODE_MODE3_REPLY,
  MODE_RATE_LIMIT,
};

enum refid_kind { REFID_IPV4, REFID_ASCII, REFID_ZERO };

/* The header fields of one server state (ntp-w32time.md B2). */
struct wire_state {
  uint8_t li;
  uint8_t stratum;
  enum refid_kind refid;
  const char *ascii; /* 4 bytes, REFID_ASCII only */
  double root_delay;
  double root_disp;
};

/* (a) synced to an NTP peer; (c) free-running on the CMOS clock; (d) unsynchronized, with
 * stratum 0 or stale (nagios-plugins #281/#329); a Kiss-o'-Death (RFC 5905 §7.4) carries no
 * clock data, so its root delay and dispersion are 0; the Hyper-V VM IC provider. */
static const struct wire_state st_synced = {0, 3, REFID_IPV4, NULL, 0.0254, 7.77};
static const struct wire_state st_locl = {0, 1, REFID_ASCII, "LOCL", 0.0254, 10.0};
static const struct wire_state st_unsync = {3, 0, REFID_ZERO, NULL, 0.0254, 10.0};
static const struct wire_state st_stale = {3, 3, REFID_IPV4, NULL, 0.0254, 10.0};
static const struct wire_state st_rate = {3, 0, REFID_ASCII, "RATE", 0.0, 0.0};
static const struct wire_state st_deny = {3, 0, REFID_ASCII, "DENY", 0.0, 0.0};
static const struct wire_state st_rstr = {3, 0, REFID_ASCII, "RSTR", 0.0, 0.0};
static const struct wire_state st_hyperv = {0, 1, REFID_ZERO, NULL, 0.0254, 0.01};

static const struct {
  const char *name;
  enum mode mode;
  const struct wire_state *state; /* the header sent (damaged modes: before damage) */
  const char *help;
} mode_table[] = {
    {"synced", MODE_SYNCED, &st_synced,
     "LI 0, stratum 3, refid 10.1.2.3 or --refid, disp 7.77 s"},
    {"locl", MODE_LOCL, &st_locl, "LI 0, stratum 1, refid LOCL, disp 10 s"},
    {"unsync", MODE_UNSYNC, &st_unsync, "LI 3, stratum 0, refid 0, disp 10 s"},
    {"unsync-stale", MODE_UNSYNC_STALE, &st_stale,
     "LI 3, stratum 3 (stale), refid as synced, disp 10 s"},
    {"kod-rate", MODE_KOD_RATE, &st_rate, "Kiss-o'-Death: LI 3, stratum 0, RATE"},
    {"kod-deny", MODE_KOD_DENY, &st_deny, "Kiss-o'-Death: LI 3, stratum 0, DENY"},
    {"kod-rstr", MODE_KOD_RSTR, &st_rstr, "Kiss-o'-Death: LI 3, stratum 0, RSTR"},
    {"hyperv", MODE_HYPERV, &st_hyperv, "LI 0, stratum 1, refid 0, disp 0.01 s"},
    {"silent", MODE_SILENT, &st_synced, "read requests, never reply"},
    {"wrong-origin-first", MODE_WRONG_ORIGIN_FIRST, &st_synced,
     "a synced reply with origin + 2^-32 s, then the correct one"},
    {"duplicate", MODE_DUPLICATE, &st_synced, "the synced reply twice, byte for byte"},
    {"short", MODE_SHORT, &st_synced, "the synced reply cut to 47 bytes"},
    {"oversized", MODE_OVERSIZED, &st_synced, "the synced reply + garbage, 1000 bytes"},
    {"garbage", MODE_GARBAGE, &st_synced, "48 random bytes"},
    {"zero-xmt", MODE_ZERO_XMT, &st_synced, "the synced reply, transmit timestamp 0"},
    {"mode-3-reply", MODE_MODE3_REPLY, &st_synced, "the synced reply with mode 3"},
    {"rate-limit", MODE_RATE_LIMIT, &st_synced,
     "synced; RATE within 1 s of the previous synced answer, per address:port"},
};

struct options {
  const char *udp_spec;
  const char *ready_file;
  const char *tx_stamp_log;
  size_t mode_index;
  double offset_s;
  long delay_ms;
  long lifetime_s;
  uint8_t refid[4];
  bool verbose;
  bool help;
};

/* How a datagram's transmit timestamp is filled when it leaves (or is queued). */
enum xmt_fill { XMT_NOW, XMT_ZERO, XMT_AS_PREVIOUS, XMT_UNTOUCHED };

struct dgram {
  uint8_t pkt[NTP_LEN];
  size_t len; /* bytes sent: 47, 48 or OVERSIZED_LEN (tail from server.junk) */
  enum xmt_fill xmt;
  int64_t t2_ns, t3_ns; /* CLOCK_REALTIME of T2 and T3 (0: none), --tx-stamp-log only */
};

/* A datagram held back by --delay-ms; the delay is constant, so the queue is FIFO. */
struct pending {
  int64_t due_ns; /* CLOCK_MONOTONIC */
  struct peer to;
  struct dgram d;
};

/* A reply sent under --tx-stamp-log, waiting for its kernel TX timestamp. */
struct tx_pending {
  bool open;
  uint32_t id; /* the kernel's id for the datagram (SOF_TIMESTAMPING_OPT_ID) */
  int64_t t2_ns, t3_ns;
};

/* --tx-stamp-log: the running summary written at exit. */
struct lag_stats {
  unsigned long n, missing, unmatched;
  int64_t min_ns, max_ns;
  double sum_ns;
};

struct client {
  struct peer addr;
  int64_t last_ns; /* arrival of the last request answered normally */
};

struct server {
  int fd;
  int64_t deadline_ns; /* CLOCK_MONOTONIC */
  enum mode mode;
  const char *name;
  const struct wire_state *state;
  int64_t offset_fx; /* injected offset, signed 32.32 seconds */
  int64_t delay_ns;
  uint8_t refid[4];
  bool verbose;
  struct pending *queue; /* ring of QUEUE_MAX */
  size_t q_head, q_count;
  struct client *clients; /* rate-limit table of CLIENTS_MAX */
  size_t n_clients;
  unsigned long dropped; /* replies lost to a full queue or a refused send */
  FILE *tx_log;          /* --tx-stamp-log, or NULL: no TX timestamps asked for */
  uint32_t tx_next_id;   /* the id the kernel gives the next datagram sent */
  struct tx_pending tx_pending[TX_PENDING_MAX]; /* by id modulo TX_PENDING_MAX */
  struct lag_stats lag;
  uint8_t junk[OVERSIZED_LEN];
};

/* One accepted request. */
struct request {
  struct peer from;
  uint8_t pkt[NTP_LEN];
  uint64_t t2;        /* NTP timestamp, offset applied */
  int64_t t2_ns;      /* the same, CLOCK_REALTIME nanoseconds without the offset */
  int64_t arrived_ns; /* CLOCK_MONOTONIC */
};

/* ---- time and byte order ------------------------------------------------------------ */

static int64_t
ts_ns(const struct timespec *ts)
{
  return (int64_t)ts->tv_sec * NS_PER_S + ts->tv_nsec;
}

static int64_t
mono_ns(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0;
  return ts_ns(&ts);
}

/* NTP 64-bit timestamp (RFC 5905 §6) of a CLOCK_REALTIME reading plus the offset. The
 * shift keeps the seconds modulo 2^32, so the era wraps in 2036 as on the wire. */
static uint64_t
ntp_stamp(const struct timespec *ts, int64_t offset_fx)
{
  uint64_t sec = (uint64_t)((int64_t)ts->tv_sec + NTP_UNIX_DELTA);
  uint64_t frac = ((uint64_t)ts->tv_nsec << 32) / (uint64_t)NS_PER_S;

  return ((sec << 32) | frac) + (uint64_t)offset_fx;
}

static struct timespec
real_now(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    memset(&ts, 0, sizeof(ts));
  return ts;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t
get_u32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_u64(uint8_t *p, uint64_t v)
{
  put_u32(p, (uint32_t)(v >> 32));
  put_u32(p + 4, (uint32_t)v);
}

/* NTP short format: unsigned 16.16 seconds (RFC 5905 §6). */
static uint32_t
short_format(double seconds)
{
  return (uint32_t)lround(seconds * 65536.0);
}

/* ---- replies -------------------------------------------------------------------------- */

static bool
fill_random(uint8_t *buf, size_t len)
{
  size_t got = 0;

  while (got < len) {
    ssize_t n = getrandom(buf + got, len - got, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      fprintf(stderr, "fake_w32time: getrandom: %s\n", strerror(errno));
      return false;
    }
    got += (size_t)n;
  }
  return true;
}

static void
put_refid(uint8_t *p, const struct server *srv, const struct wire_state *st)
{
  if (st->refid == REFID_IPV4)
    memcpy(p, srv->refid, 4);
  else if (st->refid == REFID_ASCII)
    memcpy(p, st->ascii, 4);
  else
    memset(p, 0, 4);
}

/* The full 48-byte reply for a state, transmit timestamp still zero (RFC 5905 §7.3):
 * version as in the request, origin = the request's transmit timestamp byte for byte. */
static void
build_reply(uint8_t *p, const struct server *srv, const struct wire_state *st,
            const struct request *rq)
{
  uint8_t vn = (uint8_t)((rq->pkt[0] >> 3) & 7);

  memset(p, 0, NTP_LEN);
  p[0] = (uint8_t)(st->li << 6 | vn << 3 | NTP_MODE_SERVER);
  p[1] = st->stratum;
  p[2] = POLL_LOG2;
  p[3] = (uint8_t)PRECISION_LOG2;
  put_u32(p + 4, short_format(st->root_delay));
  put_u32(p + 8, short_format(st->root_disp));
  put_refid(p + 12, srv, st);
  put_u64(p + 16, rq->t2 - ((uint64_t)REF_AGE_S << 32));
  memcpy(p + 24, rq->pkt + 40, 8);
  put_u64(p + 32, rq->t2);
}

static bool
same_peer(const struct peer *a, const struct peer *b)
{
  if (a->addr.ss_family != b->addr.ss_family)
    return false;
  if (a->addr.ss_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)&a->addr;
    const struct sockaddr_in *y = (const struct sockaddr_in *)&b->addr;

    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->addr;
  const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->addr;

  return x->sin6_port == y->sin6_port &&
         memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* The client's entry, created if new; when the table is full the stalest one is reused. */
static struct client *
find_client(struct server *srv, const struct peer *from)
{
  size_t oldest = 0;

  for (size_t i = 0; i < srv->n_clients; i++) {
    if (same_peer(&srv->clients[i].addr, from))
      return &srv->clients[i];
    if (srv->clients[i].last_ns < srv->clients[oldest].last_ns)
      oldest = i;
  }
  if (srv->n_clients < CLIENTS_MAX)
    oldest = srv->n_clients++;
  srv->clients[oldest].addr = *from;
  srv->clients[oldest].last_ns = INT64_MIN;
  return &srv->clients[oldest];
}

/* rate-limit, like chronyd's ratelimit with kod: a request less than 1 s after the last
 * one answered normally gets RATE; a RATE answer does not restart the window. */
static const struct wire_state *
rate_limit_state(struct server *srv, const struct request *rq)
{
  struct client *c = find_client(srv, &rq->from);

  if (c->last_ns != INT64_MIN && rq->arrived_ns - c->last_ns < RATE_WINDOW_NS)
    return &st_rate;
  c->last_ns = rq->arrived_ns;
  return &st_synced;
}

static void
set_dgram(struct dgram *d, size_t len, enum xmt_fill xmt)
{
  d->len = len;
  d->xmt = xmt;
}

/* Turns the correct reply in d[0] into what a damaged mode sends; returns the count. */
static size_t
damage_reply(enum mode mode, struct dgram *d)
{
  switch (mode) {
  case MODE_WRONG_ORIGIN_FIRST:
    d[1] = d[0];
    put_u32(d[0].pkt + 28, get_u32(d[0].pkt + 28) + 1);
    return 2;
  case MODE_DUPLICATE:
    d[1] = d[0];
    d[1].xmt = XMT_AS_PREVIOUS;
    return 2;
  case MODE_SHORT:
    d[0].len = SHORT_LEN;
    return 1;
  case MODE_OVERSIZED:
    d[0].len = OVERSIZED_LEN;
    return 1;
  case MODE_ZERO_XMT:
    d[0].xmt = XMT_ZERO;
    return 1;
  case MODE_MODE3_REPLY:
    d[0].pkt[0] = (uint8_t)((d[0].pkt[0] & 0xF8) | NTP_MODE_CLIENT);
    return 1;
  default:
    return 1;
  }
}

/* The datagrams this mode sends for the request (at most 2); 0 means none. */
static size_t
plan_reply(struct server *srv, const struct request *rq, struct dgram *d)
{
  const struct wire_state *st = srv->state;

  set_dgram(&d[0], NTP_LEN, XMT_NOW);
  if (srv->mode == MODE_SILENT)
    return 0;
  if (srv->mode == MODE_GARBAGE) {
    set_dgram(&d[0], NTP_LEN, XMT_UNTOUCHED);
    return fill_random(d[0].pkt, NTP_LEN) ? 1 : 0;
  }
  if (srv->mode == MODE_RATE_LIMIT)
    st = rate_limit_state(srv, rq);
  build_reply(d[0].pkt, srv, st, rq);
  return damage_reply(srv->mode, d);
}

/* ---- output --------------------------------------------------------------------------- */

static void
format_peer(const struct peer *p, char *buf, size_t len)
{
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  int n;

  if (p->addr.ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&p->addr;

    (void)inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
    port = ntohs(s6->sin6_port);
    n = snprintf(buf, len, "[%s]:%u", host, port);
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&p->addr;

    (void)inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
    port = ntohs(s4->sin_port);
    n = snprintf(buf, len, "%s:%u", host, port);
  }
  if (n < 0 || (size_t)n >= len)
    (void)snprintf(buf, len, "?");
}

/* -v: one line per datagram received, e.g.
 * "from 127.0.0.1:4711 len 48 vn 4 mode 3: synced, 1 datagram(s), 48 bytes". */
static void
trace(const struct server *srv, const struct peer *from, const uint8_t *pkt, size_t len,
      const char *what, const struct dgram *d, size_t n)
{
  char who[INET6_ADDRSTRLEN + 10];

  if (!srv->verbose)
    return;
  format_peer(from, who, sizeof(who));
  printf("from %s len %zu vn %u mode %u: %s", who, len, len > 0 ? (pkt[0] >> 3) & 7u : 0u,
         len > 0 ? pkt[0] & 7u : 0u, what);
  if (n > 0)
    printf(", %zu datagram(s), %zu bytes", n, d[0].len);
  printf("\n");
  (void)fflush(stdout);
}

/* ---- I/O ------------------------------------------------------------------------------ */

static bool
should_stop(const struct server *srv)
{
  return stop_requested || mono_ns() >= srv->deadline_ns;
}

/* ---- send lag (--tx-stamp-log) ------------------------------------------------------ */

/* Software TX timestamps (timestamping.rst): each datagram sent is stamped as it leaves
 * and the stamp queued on the error queue, with the datagram's id (OPT_ID: 0, 1, ... per
 * datagram) and no payload (OPT_TSONLY). */
static bool
enable_tx_stamps(int fd)
{
  int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
              SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;

  return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) == 0;
}

/* After a failed send we cannot know whether the kernel used an id, so the ids are
 * restarted at 0 (setting OPT_ID anew does that) and the stamps still open given up. */
static void
restart_tx_ids(struct server *srv)
{
  int off = 0;

  for (size_t i = 0; i < TX_PENDING_MAX; i++) {
    if (srv->tx_pending[i].open)
      srv->lag.missing++;
    srv->tx_pending[i].open = false;
  }
  srv->tx_next_id = 0;
  if (setsockopt(srv->fd, SOL_SOCKET, SO_TIMESTAMPING, &off, sizeof(off)) != 0 ||
      !enable_tx_stamps(srv->fd))
    fprintf(stderr, "fake_w32time: SO_TIMESTAMPING: %s\n", strerror(errno));
}

/* A reply the kernel took: its stamp will carry the next id. */
static void
note_sent(struct server *srv, const struct dgram *d)
{
  struct tx_pending *p = &srv->tx_pending[srv->tx_next_id % TX_PENDING_MAX];

  if (p->open)
    srv->lag.missing++;
  p->open = true;
  p->id = srv->tx_next_id++;
  p->t2_ns = d->t2_ns;
  p->t3_ns = d->t3_ns;
}

/* One line per reply with a T3: "TX_LAG_NS HOLD_NS", flushed so a reader can tell the
 * replies of one client run from the next by counting lines. */
static void
log_lag(struct server *srv, uint32_t id, const struct timespec *tx)
{
  struct tx_pending *p = &srv->tx_pending[id % TX_PENDING_MAX];
  int64_t lag;

  if (!p->open || p->id != id) {
    srv->lag.unmatched++;
    return;
  }
  p->open = false;
  if (p->t3_ns == 0)
    return;
  lag = ts_ns(tx) - p->t3_ns;
  if (srv->lag.n == 0 || lag < srv->lag.min_ns)
    srv->lag.min_ns = lag;
  if (srv->lag.n == 0 || lag > srv->lag.max_ns)
    srv->lag.max_ns = lag;
  srv->lag.n++;
  srv->lag.sum_ns += (double)lag;
  fprintf(srv->tx_log, "%lld %lld\n", (long long)lag, (long long)(p->t3_ns - p->t2_ns));
  (void)fflush(srv->tx_log);
}

/* One message from the error queue: 1 with a send timestamp and its id, 0 for anything
 * else, -1 when the queue is empty. */
static int
read_tx_stamp(int fd, uint32_t *id, struct timespec *tx)
{
  uint8_t data[64]; /* OPT_TSONLY: no payload comes back */
  union {
    struct cmsghdr align;
    uint8_t bytes[512];
  } ctl;
  struct iovec iov = {data, sizeof(data)};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.bytes,
                       .msg_controllen = sizeof(ctl.bytes)};
  struct sock_extended_err ee;
  bool have_ts = false, have_ee = false;

  if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
        c->cmsg_len >= CMSG_LEN(sizeof(*tx))) {
      memcpy(tx, CMSG_DATA(c), sizeof(*tx)); /* ts[0]: the software stamp */
      have_ts = true;
    } else if (((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) &&
               c->cmsg_len >= CMSG_LEN(sizeof(ee))) {
      memcpy(&ee, CMSG_DATA(c), sizeof(ee));
      have_ee = true;
    }
  }
  if (!have_ts || !have_ee || ee.ee_origin != SO_EE_ORIGIN_TIMESTAMPING ||
      ee.ee_info != SCM_TSTAMP_SND || tx->tv_sec == 0)
    return 0;
  *id = ee.ee_data;
  return 1;
}

/* On loopback the kernel queues the stamp inside sendto, so this runs right after it. */
static void
read_tx_stamps(struct server *srv)
{
  uint32_t id;
  struct timespec tx;
  int r;

  while ((r = read_tx_stamp(srv->fd, &id, &tx)) >= 0) {
    if (r > 0)
      log_lag(srv, id, &tx);
  }
}

/* Never blocks: a reply the kernel will not take now is counted as lost, as an NTP server
 * would lose it. A client that has gone away (ECONNREFUSED) is normal in tests. */
static void
send_dgram(struct server *srv, const struct peer *to, const struct dgram *d)
{
  uint8_t wire[OVERSIZED_LEN];
  size_t head = d->len < NTP_LEN ? d->len : NTP_LEN;
  ssize_t n;

  memcpy(wire, d->pkt, head);
  if (d->len > NTP_LEN)
    memcpy(wire + NTP_LEN, srv->junk, d->len - NTP_LEN);
  n = sendto(srv->fd, wire, d->len, MSG_DONTWAIT, (const struct sockaddr *)&to->addr, to->len);
  if (srv->tx_log != NULL) {
    if (n >= 0)
      note_sent(srv, d);
    else
      restart_tx_ids(srv);
    read_tx_stamps(srv);
  }
  if (n == (ssize_t)d->len)
    return;
  srv->dropped++;
  if (n >= 0)
    fprintf(stderr, "fake_w32time: short send (%zd of %zu bytes)\n", n, d->len);
  else if (srv->verbose || errno != ECONNREFUSED)
    fprintf(stderr, "fake_w32time: sendto: %s\n", strerror(errno));
}

static void
enqueue(struct server *srv, const struct peer *to, const struct dgram *d)
{
  struct pending *p;

  if (srv->q_count == QUEUE_MAX) {
    srv->dropped++;
    fprintf(stderr, "fake_w32time: delay queue full, reply dropped\n");
    return;
  }
  p = &srv->queue[(srv->q_head + srv->q_count) % QUEUE_MAX];
  srv->q_count++;
  p->due_ns = mono_ns() + srv->delay_ns;
  p->to = *to;
  p->d = *d;
}

static void
send_due(struct server *srv)
{
  int64_t now = mono_ns();

  while (srv->q_count > 0 && srv->queue[srv->q_head].due_ns <= now) {
    send_dgram(srv, &srv->queue[srv->q_head].to, &srv->queue[srv->q_head].d);
    srv->q_head = (srv->q_head + 1) % QUEUE_MAX;
    srv->q_count--;
  }
}

/* T3 is read for each datagram just before it is sent, or queued under --delay-ms. */
static void
dispatch(struct server *srv, const struct peer *to, struct dgram *d, size_t n)
{
  struct timespec t3 = {0, 0};

  for (size_t i = 0; i < n; i++) {
    if (d[i].xmt == XMT_NOW)
      t3 = real_now();
    if (d[i].xmt == XMT_ZERO)
      memset(d[i].pkt + 40, 0, 8);
    else if (d[i].xmt != XMT_UNTOUCHED)
      put_u64(d[i].pkt + 40, ntp_stamp(&t3, srv->offset_fx));
    if (d[i].xmt == XMT_NOW || d[i].xmt == XMT_AS_PREVIOUS)
      d[i].t3_ns = ts_ns(&t3);
    if (srv->delay_ns > 0)
      enqueue(srv, to, &d[i]);
    else
      send_dgram(srv, to, &d[i]);
  }
}

/* MS-SNTP §3.2.5.1: 48 bytes, mode 3; versions 1-4 as RFC 5905 servers take them. */
static bool
acceptable(const uint8_t *pkt, size_t len)
{
  unsigned vn = (pkt[0] >> 3) & 7u;

  return len == NTP_LEN && (pkt[0] & 7u) == NTP_MODE_CLIENT && vn >= 1 && vn <= 4;
}

static void
handle(struct server *srv, struct request *rq, size_t len)
{
  struct dgram d[2];
  const char *label;
  size_t n;

  if (!acceptable(rq->pkt, len)) {
    trace(srv, &rq->from, rq->pkt, len, "ignored", NULL, 0);
    return;
  }
  memset(d, 0, sizeof(d));
  n = plan_reply(srv, rq, d);
  for (size_t i = 0; i < n; i++)
    d[i].t2_ns = rq->t2_ns;
  label = srv->name;
  if (srv->mode == MODE_RATE_LIMIT)
    label = d[0].pkt[1] == 0 ? "kod-rate" : "synced";
  trace(srv, &rq->from, rq->pkt, len, label, d, n);
  dispatch(srv, &rq->from, d, n);
}

/* The kernel's receive time (SCM_TIMESTAMPNS), or the clock now if there is none. */
static void
receive_time(struct msghdr *msg, struct timespec *ts)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
        c->cmsg_len >= CMSG_LEN(sizeof(*ts))) {
      memcpy(ts, CMSG_DATA(c), sizeof(*ts));
      return;
    }
  }
  if (clock_gettime(CLOCK_REALTIME, ts) != 0)
    memset(ts, 0, sizeof(*ts));
}

/* Reads one datagram (its full length counted, its first bytes kept); false when the
 * socket is drained or failed. */
static bool
receive_one(struct server *srv)
{
  uint8_t buf[REQ_BUF_LEN];
  union {
    struct cmsghdr align; /* SCM_TIMESTAMPNS; SCM_TIMESTAMPING too under --tx-stamp-log */
    uint8_t bytes[CMSG_SPACE(sizeof(struct timespec)) * 2 +
                  CMSG_SPACE(sizeof(struct timespec) * 3)];
  } ctl;
  struct request rq;
  struct iovec iov = {buf, sizeof(buf)};
  struct msghdr msg;
  struct timespec ts;
  ssize_t n;

  memset(&rq, 0, sizeof(rq));
  memset(&msg, 0, sizeof(msg));
  msg.msg_name = &rq.from.addr;
  msg.msg_namelen = sizeof(rq.from.addr);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.bytes;
  msg.msg_controllen = sizeof(ctl.bytes);
  n = recvmsg(srv->fd, &msg, MSG_DONTWAIT | MSG_TRUNC); /* n: the full length */
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      fprintf(stderr, "fake_w32time: recvmsg: %s\n", strerror(errno));
    return false;
  }
  rq.arrived_ns = mono_ns();
  receive_time(&msg, &ts);
  rq.t2 = ntp_stamp(&ts, srv->offset_fx);
  rq.t2_ns = ts_ns(&ts);
  rq.from.len = msg.msg_namelen;
  memcpy(rq.pkt, buf, (size_t)n < NTP_LEN ? (size_t)n : NTP_LEN);
  handle(srv, &rq, (size_t)n);
  return true;
}

/* How long ppoll() may wait: up to the next delayed reply, the lifetime or one slice. */
static struct timespec
wait_budget(const struct server *srv)
{
  int64_t now = mono_ns();
  int64_t left = srv->deadline_ns - now;
  struct timespec ts;

  if (srv->q_count > 0 && srv->queue[srv->q_head].due_ns - now < left)
    left = srv->queue[srv->q_head].due_ns - now;
  if (left > (int64_t)POLL_SLICE_MS * 1000000)
    left = (int64_t)POLL_SLICE_MS * 1000000;
  if (left < 0)
    left = 0;
  ts.tv_sec = (time_t)(left / NS_PER_S);
  ts.tv_nsec = (long)(left % NS_PER_S);
  return ts;
}

static void
serve(struct server *srv)
{
  while (!should_stop(srv)) {
    struct pollfd pfd = {srv->fd, POLLIN, 0};
    struct timespec budget = wait_budget(srv);
    int r = ppoll(&pfd, 1, &budget, NULL);

    if (r < 0 && errno != EINTR) {
      fprintf(stderr, "fake_w32time: poll: %s\n", strerror(errno));
      return;
    }
    if (r > 0 && (pfd.revents & POLLERR) && srv->tx_log != NULL)
      read_tx_stamps(srv); /* a stamp not read after its send would make poll spin */
    if (r > 0 && (pfd.revents & POLLIN)) {
      for (int i = 0; i < DRAIN_MAX && receive_one(srv); i++)
        send_due(srv);
    }
    send_due(srv);
  }
}

/* ---- options -------------------------------------------------------------------------- */

/* Whole-string finite decimal number in [min, max]: no spaces, hex, inf or nan. */
static bool
parse_double(const char *s, double min, double max, double *out)
{
  const char *digits = s != NULL && (*s == '-' || *s == '+') ? s + 1 : s;
  char *end;
  double v;

  if (digits == NULL || ((*digits < '0' || *digits > '9') && *digits != '.') ||
      strpbrk(s, "xXpP") != NULL)
    return false;
  errno = 0;
  v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min || v > max)
    return false;
  *out = v;
  return true;
}

static bool
parse_mode(const char *s, size_t *out)
{
  for (size_t i = 0; i < N_ELEMS(mode_table); i++) {
    if (strcmp(s, mode_table[i].name) == 0) {
      *out = i;
      return true;
    }
  }
  return false;
}

static void
usage(FILE *f)
{
  fprintf(f, "usage: fake_w32time --udp IP:PORT|[IP6]:PORT --mode MODE [--offset SECONDS]\n"
             "                    [--delay-ms N] [--refid A.B.C.D] [--lifetime SECONDS]\n"
             "                    [--ready-file FILE] [--tx-stamp-log FILE] [-v] [--help]\n"
             "Answers only 48-byte NTP mode-3 requests (versions 1-4), on loopback.\n"
             "  --offset SECONDS  the fake clock is the real one + SECONDS (default 0)\n"
             "  --delay-ms N      send each reply N ms after its transmit timestamp\n"
             "  --refid A.B.C.D   IPv4 refid of synced and unsync-stale (10.1.2.3)\n"
             "  --lifetime S      exit after S seconds (default 60)\n"
             "  --ready-file FILE write \"ready\" there once the socket is bound\n"
             "  --tx-stamp-log FILE  measure the send lag: kernel TX timestamps on, one line\n"
             "                    per reply \"TX_LAG_NS HOLD_NS\" (kernel TX time - T3,\n"
             "                    T3 - T2; no --offset), a summary on stderr at exit\n"
             "  -v                one line per datagram received on stdout\n"
             "modes:\n");
  for (size_t i = 0; i < N_ELEMS(mode_table); i++)
    fprintf(f, "  %-19s %s\n", mode_table[i].name, mode_table[i].help);
}

static bool
bad_value(const char *what, const char *arg)
{
  fprintf(stderr, "fake_w32time: %s, not '%s'\n", what, arg);
  return false;
}

static bool
parse_option(int c, const char *arg, struct options *opt)
{
  switch (c) {
  case 'u':
    opt->udp_spec = arg;
    return true;
  case 'm':
    return parse_mode(arg, &opt->mode_index) || bad_value("unknown --mode", arg);
  case 'o':
    return parse_double(arg, -OFFSET_MAX_S, OFFSET_MAX_S, &opt->offset_s) ||
           bad_value("--offset wants seconds within +-1e9", arg);
  case 'd':
    return parse_long(arg, 0, 60000, &opt->delay_ms) ||
           bad_value("--delay-ms wants 0..60000", arg);
  case 'f':
    return inet_pton(AF_INET, arg, opt->refid) == 1 ||
           bad_value("--refid wants an IPv4 address", arg);
  case 'l':
    return parse_long(arg, 1, 86400, &opt->lifetime_s) ||
           bad_value("--lifetime wants 1..86400 seconds", arg);
  case 'r':
    opt->ready_file = arg;
    return true;
  case 'x':
    opt->tx_stamp_log = arg;
    return true;
  case 'v':
    opt->verbose = true;
    return true;
  case 'h':
    opt->help = true;
    return true;
  default:
    return false;
  }
}

static bool
parse_args(int argc, char **argv, struct options *opt)
{
  static const struct option longopts[] = {{"udp", required_argument, NULL, 'u'},
                                           {"mode", required_argument, NULL, 'm'},
                                           {"offset", required_argument, NULL, 'o'},
                                           {"delay-ms", required_argument, NULL, 'd'},
                                           {"refid", required_argument, NULL, 'f'},
                                           {"lifetime", required_argument, NULL, 'l'},
                                           {"ready-file", required_argument, NULL, 'r'},
                                           {"tx-stamp-log", required_argument, NULL, 'x'},
                                           {"verbose", no_argument, NULL, 'v'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  static const uint8_t default_refid[4] = {10, 1, 2, 3};
  bool have_mode = false;
  int c;

  memset(opt, 0, sizeof(*opt));
  opt->lifetime_s = 60;
  memcpy(opt->refid, default_refid, sizeof(opt->refid));
  while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
    if (!parse_option(c, optarg, opt))
      return false;
    have_mode = have_mode || c == 'm';
  }
  if (opt->help)
    return true;
  if (optind != argc || !have_mode || opt->udp_spec == NULL) {
    fprintf(stderr, "fake_w32time: need --udp and --mode\n");
    return false;
  }
  return true;
}

/* ---- setup ---------------------------------------------------------------------------- */

/* A big receive queue for bursts (SO_RCVBUFFORCE needs CAP_NET_ADMIN, SO_RCVBUF is capped
 * by net.core.rmem_max), and kernel receive timestamps for T2. */
static bool
tune_socket(int fd)
{
  int size = RCVBUF_BYTES, one = 1;

  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) == 0;
}

static bool
open_udp(struct server *srv, const char *spec)
{
  struct peer addr;

  if (!parse_udp_spec(spec, &addr)) {
    fprintf(stderr, "fake_w32time: --udp wants a loopback IP:PORT or [::1]:PORT, not '%s'\n",
            spec);
    return false;
  }
  srv->fd = socket(addr.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (srv->fd < 0 || bind(srv->fd, (const struct sockaddr *)&addr.addr, addr.len) != 0) {
    fprintf(stderr, "fake_w32time: bind %s: %s\n", spec, strerror(errno));
    return false;
  }
  if (!tune_socket(srv->fd)) {
    fprintf(stderr, "fake_w32time: SO_TIMESTAMPNS: %s\n", strerror(errno));
    return false;
  }
  if (srv->tx_log != NULL && !enable_tx_stamps(srv->fd)) {
    fprintf(stderr, "fake_w32time: SO_TIMESTAMPING: %s\n", strerror(errno));
    return false;
  }
  return true;
}

/* --tx-stamp-log: the file, truncated, with its one comment line. */
static bool
open_tx_log(struct server *srv, const char *file)
{
  srv->tx_log = fopen(file, "we");
  if (srv->tx_log == NULL ||
      fprintf(srv->tx_log, "# fake_w32time send lag, one reply a line: TX_LAG_NS HOLD_NS "
                           "(kernel TX time - T3, T3 - T2)\n") < 0 ||
      fflush(srv->tx_log) != 0) {
    fprintf(stderr, "fake_w32time: --tx-stamp-log %s: %s\n", file, strerror(errno));
    return false;
  }
  return true;
}

/* Reads the stamps still queued, writes the summary to stderr and closes the file. */
static bool
close_tx_log(struct server *srv)
{
  const struct lag_stats *l = &srv->lag;
  bool ok;

  if (srv->tx_log == NULL)
    return true;
  if (srv->fd >= 0)
    read_tx_stamps(srv);
  for (size_t i = 0; i < TX_PENDING_MAX; i++)
    srv->lag.missing += srv->tx_pending[i].open ? 1 : 0;
  if (l->n > 0)
    fprintf(stderr,
            "fake_w32time: send lag over %lu replies: min %lld ns, mean %.0f ns, "
            "max %lld ns\n",
            l->n, (long long)l->min_ns, l->sum_ns / (double)l->n, (long long)l->max_ns);
  if (l->missing + l->unmatched > 0)
    fprintf(stderr, "fake_w32time: %lu replies without a TX timestamp, %lu stamps unmatched\n",
            l->missing, l->unmatched);
  ok = fclose(srv->tx_log) == 0;
  if (!ok)
    fprintf(stderr, "fake_w32time: --tx-stamp-log: %s\n", strerror(errno));
  srv->tx_log = NULL;
  return ok;
}

static bool
init_server(struct server *srv, const struct options *opt)
{
  srv->fd = -1;
  srv->mode = mode_table[opt->mode_index].mode;
  srv->name = mode_table[opt->mode_index].name;
  srv->state = mode_table[opt->mode_index].state;
  srv->offset_fx = llround(opt->offset_s * 4294967296.0);
  srv->delay_ns = (int64_t)opt->delay_ms * 1000000;
  srv->verbose = opt->verbose;
  memcpy(srv->refid, opt->refid, sizeof(srv->refid));
  srv->deadline_ns = mono_ns() + (int64_t)opt->lifetime_s * NS_PER_S;
  srv->queue = calloc(QUEUE_MAX, sizeof(*srv->queue));
  srv->clients = calloc(CLIENTS_MAX, sizeof(*srv->clients));
  if (srv->queue == NULL || srv->clients == NULL) {
    fprintf(stderr, "fake_w32time: out of memory\n");
    return false;
  }
  if (opt->tx_stamp_log != NULL && !open_tx_log(srv, opt->tx_stamp_log))
    return false;
  return fill_random(srv->junk, sizeof(srv->junk));
}

int
main(int argc, char **argv)
{
  struct options opt;
  struct server *srv;
  bool ok;

  if (!parse_args(argc, argv, &opt)) {
    usage(stderr);
    return 1;
  }
  if (opt.help) {
    usage(stdout);
    return 0;
  }
  if (!install_signals()) {
    fprintf(stderr, "fake_w32time: sigaction: %s\n", strerror(errno));
    return 1;
  }
  srv = calloc(1, sizeof(*srv));
  if (srv == NULL) {
    fprintf(stderr, "fake_w32time: out of memory\n");
    return 1;
  }
  ok = init_server(srv, &opt) && open_udp(srv, opt.udp_spec);
  if (ok && opt.ready_file != NULL)
    ok = write_ready_file("fake_w32time", opt.ready_file);
  if (ok)
    serve(srv);
  if (srv->dropped > 0)
    fprintf(stderr, "fake_w32time: %lu replies not sent\n", srv->dropped);
  ok = close_tx_log(srv) && ok;
  if (srv->fd >= 0)
    (void)close(srv->fd);
  free(srv->queue);
  free(srv->clients);
  free(srv);
  return ok ? 0 : 1;
}
