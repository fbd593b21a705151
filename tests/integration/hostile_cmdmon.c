/* hostile_cmdmon.c -- a fake chronyd command responder that misbehaves on purpose.
 *
 * Integration tests point check_chrony at it to prove the plugin survives bad replies.
 * Self-contained (no project headers, no libm):
 *   cc -std=c11 -D_GNU_SOURCE -o hostile_cmdmon tests/integration/hostile_cmdmon.c
 *
 * Usage: hostile_cmdmon (--unix PATH | --udp IP:PORT | --udp [IP6]:PORT) --mode MODE
 *                       [--lifetime SECONDS] [--ready-file FILE] [-v]
 *
 * Wire format: shared/protocols/chrony-cmdmon.md §1.2 (headers), §1.3 (validation),
 * §1.5 (Float, IPAddr, Timespec), §1.6 (codes), §1.8 (reply data), §1.9 (Unix socket).
 *
 * Modes (each applies to every request that has >= 20 bytes and pkt_type 1):
 *   ok              a synchronised chronyd 4.3 with one source 127.0.0.1, including
 *                   chronyd's request checks (§1.3: drop < 28 or > 860 bytes or nonzero
 *                   res1/res2, 18 for version 5, 3 for unknown commands, 19 when short)
 *   silent          never reply
 *   truncated       first 40 bytes of the correct reply
 *   short-header    first 20 bytes of the correct reply
 *   oversized       correct reply zero-padded to 4000 bytes
 *   wrong-version   correct reply with version 5
 *   wrong-type      correct reply with pkt_type 1
 *   wrong-sequence  correct reply with sequence + 1 (a spoof)
 *   wrong-command   correct reply with command + 1
 *   wrong-reply-code  status 0, reply code 9, 104 bytes in all (header + zeros)
 *   unauth, badpktlength, badpktversion, invalid
 *                   status 2 / 19 / 18 / 3 with RPY_NULL, 28 bytes
 *   garbage         104 random bytes
 *   nan-floats      as ok, but TRACKING Floats alternate 0x7FFFFFFF / 0x80000000
 *   flood           50 ok replies with wrong sequences, then the ok reply
 *   slow            as ok, but each reply leaves 3 s after its own request (requests keep
 *                   being read meanwhile, so every retry gets its own late answer)
 *   unauth-extras   as ok, but status 2 for SELECT_DATA, SERVER_STATS and
 *                   CLIENT_ACCESSES_BY_INDEX3 (chronyd over UDP, §1.1)
 *
 * -v prints one line per request on stdout: command, attempt, sequence, request bytes and
 * reply bytes (0 = none sent). Only loopback addresses are accepted for --udp. The process
 * exits by itself after --lifetime seconds (default 60) and on SIGTERM/SIGINT/SIGHUP, and
 * removes its socket file on every exit except SIGKILL (a stale one is replaced next time).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "responder_util.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum {
  PROTO_VERSION = 6,
  PKT_TYPE_REQUEST = 1,
  PKT_TYPE_REPLY = 2,
  REQ_HDR_LEN = 20,
  RPY_HDR_LEN = 28,
  MAX_REQUEST_LEN = 860, /* sizeof(CMD_Request) in 4.x, §1.3 */
  REQ_BUF_LEN = 1024,
  RPY_BUF_LEN = 4096,
  TRUNCATED_LEN = 40,
  OVERSIZED_LEN = 4000,
  GARBAGE_LEN = 104,
  WRONG_CODE_LEN = 104,
  WRONG_CODE_RPY = 9,
  FLOOD_SPOOFS = 50,
  SLOW_DELAY_MS = 3000,
  PENDING_MAX = 64,       /* slow: replies waiting for their time */
  PENDING_BUF_LEN = 1024, /* the longest ok reply is 520 bytes */
  SEND_RETRY_MS = 1000,   /* a full Unix-socket receive queue blocks the sender */
  POLL_SLICE_MS = 200,
};

/* §1.6 */
enum {
  REQ_N_SOURCES = 14,
  REQ_SOURCE_DATA = 15,
  REQ_TRACKING = 33,
  REQ_SOURCESTATS = 34,
  REQ_SERVER_STATS = 54,
  REQ_NTP_SOURCE_NAME = 65,
  REQ_CLIENT_ACCESSES3 = 68,
  REQ_SELECT_DATA = 69,
};

enum {
  RPY_NULL = 1,
  RPY_N_SOURCES = 2,
  RPY_SOURCE_DATA = 3,
  RPY_TRACKING = 5,
  RPY_SOURCESTATS = 6,
  RPY_NTP_SOURCE_NAME = 19,
  RPY_CLIENT_ACCESSES3 = 21,
  RPY_SELECT_DATA = 23,
  RPY_SERVER_STATS3 = 24,
};

enum {
  STT_SUCCESS = 0,
  STT_UNAUTH = 2,
  STT_INVALID = 3,
  STT_NOSUCHSOURCE = 4,
  STT_BADPKTVERSION = 18,
  STT_BADPKTLENGTH = 19,
};

enum { IPADDR_INET4 = 1 };

#define LOCALHOST 0x7F000001u
#define SOURCE_NAME "ntp-fake.example"

enum mode {
  MODE_OK,
  MODE_SILENT,
  MODE_TRUNCATED,
  MODE_SHORT_HEADER,
  MODE_OVERSIZED,
  MODE_WRONG_VERSION,
  MODE_WRONG_TYPE,
  MODE_WRONG_SEQUENCE,
  MODE_WRONG_COMMAND,
  MODE_WRONG_REPLY_CODE,
  MODE_UNAUTH,
  MODE_BADPKTLENGTH,
  MODE_BADPKTVERSION,
  MODE_INVALID,
  MODE_GARBAGE,
  MODE_NAN_FLOATS,
  MODE_FLOOD,
  MODE_SLOW,
  MODE_UNAUTH_EXTRAS,
};

static const struct {
  const char *name;
  enum mode mode;
} mode_names[] = {
    {"ok", MODE_OK},
    {"silent", MODE_SILENT},
    {"truncated", MODE_TRUNCATED},
    {"short-header", MODE_SHORT_HEADER},
    {"oversized", MODE_OVERSIZED},
    {"wrong-version", MODE_WRONG_VERSION},
    {"wrong-type", MODE_WRONG_TYPE},
    {"wrong-sequence", MODE_WRONG_SEQUENCE},
    {"wrong-command", MODE_WRONG_COMMAND},
    {"wrong-reply-code", MODE_WRONG_REPLY_CODE},
    {"unauth", MODE_UNAUTH},
    {"badpktlength", MODE_BADPKTLENGTH},
    {"badpktversion", MODE_BADPKTVERSION},
    {"invalid", MODE_INVALID},
    {"garbage", MODE_GARBAGE},
    {"nan-floats", MODE_NAN_FLOATS},
    {"flood", MODE_FLOOD},
    {"slow", MODE_SLOW},
    {"unauth-extras", MODE_UNAUTH_EXTRAS},
};

struct options {
  const char *unix_path;
  const char *udp_spec;
  const char *ready_file;
  enum mode mode;
  long lifetime_s;
  bool verbose;
};

/* A reply held back by the slow mode until due_ms. */
struct pending {
  int64_t due_ms;
  struct peer to;
  size_t len;
  uint8_t buf[PENDING_BUF_LEN];
};

struct server {
  int fd;
  const char *owned_path; /* socket file to unlink on exit, or NULL */
  int64_t deadline_ms;    /* CLOCK_MONOTONIC */
  enum mode mode;
  bool verbose;
  size_t n_pending; /* slow mode queue, oldest first */
  struct pending pending[PENDING_MAX];
};

/* One received request; pkt is zero-filled beyond len, so handlers may read any field. */
struct request {
  const uint8_t *pkt;
  size_t len;
  uint16_t command;
  enum mode mode;
};

/* What a command handler produced: reply code, status and data length after the header. */
struct answer {
  uint16_t code;
  uint16_t status;
  size_t len;
};

/* ---- byte order ---------------------------------------------------------------------- */

static void
put_u16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint16_t
get_u16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get_u32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* IPAddr (§1.5): 16 address bytes, u16 family, u16 pad; INET4 in bytes 0-3. */
static void
put_ipv4(uint8_t *p, uint32_t addr)
{
  memset(p, 0, 20);
  put_u32(p, addr);
  put_u16(p + 16, IPADDR_INET4);
}

/* Timespec (§1.5): u32 sec_high, u32 sec_low, u32 nsec. */
static void
put_timespec(uint8_t *p, const struct timespec *ts)
{
  uint64_t sec = (uint64_t)ts->tv_sec;

  put_u32(p, (uint32_t)(sec >> 32));
  put_u32(p + 4, (uint32_t)sec);
  put_u32(p + 8, (uint32_t)ts->tv_nsec);
}

/* ---- Float (§1.5) -------------------------------------------------------------------- */

enum {
  FLOAT_EXP_BITS = 7,
  FLOAT_COEF_BITS = 25,
  FLOAT_EXP_MIN = -64,
  FLOAT_EXP_MAX = 63,
  FLOAT_COEF_MAX = (1 << 24) - 1,
};

/* x * 2^n by exact doubling or halving: the required build line links no libm. */
static double
scale2(double x, int n)
{
  for (; n > 0; n--)
    x *= 2.0;
  for (; n < 0; n++)
    x *= 0.5;
  return x;
}

/* chrony computes the exponent as (int32_t)(log(x) / log(2) + 1), truncating toward zero.
 * With e = floor(log2 x) that is e + 1, except for a non-power of two below 1/2, where the
 * truncation rounds up to e + 2. Derived exactly here. Needs 1e-100 <= x <= 1e100. */
static int
chrony_exponent(double x)
{
  int e = 0;
  double m = x;

  while (m >= 2.0) {
    m *= 0.5;
    e++;
  }
  while (m < 1.0) {
    m *= 2.0;
    e--;
  }
  if (m == 1.0 || e + 1 >= 0)
    return e + 1;
  return e + 2;
}

static uint32_t
float_pack(int32_t exp, int32_t coef, bool neg)
{
  uint32_t c = (uint32_t)coef;

  if (neg)
    c = (0u - c) & ((1u << FLOAT_COEF_BITS) - 1);
  return (uint32_t)exp << FLOAT_COEF_BITS | c;
}

/* The steps and rounding of chrony's UTI_FloatHostToNetwork (util.c): round to nearest,
 * then shift down (truncating) until the coefficient fits, clamp on overflow and underflow;
 * NaN is sent as 0. Returns the host-order word; the caller writes it big-endian. */
static uint32_t
float_encode(double x)
{
  int32_t exp, coef;
  bool neg = x < 0.0;

  if (neg)
    x = -x;
  else if (!(x >= 0.0))
    x = 0.0;
  if (x < 1.0e-100)
    return 0;
  if (x > 1.0e100)
    return float_pack(FLOAT_EXP_MAX, FLOAT_COEF_MAX + neg, neg);
  exp = chrony_exponent(x);
  coef = (int32_t)(scale2(x, FLOAT_COEF_BITS - exp) + 0.5);
  while (coef > FLOAT_COEF_MAX + neg) {
    coef >>= 1;
    exp++;
  }
  if (exp > FLOAT_EXP_MAX)
    return float_pack(FLOAT_EXP_MAX, FLOAT_COEF_MAX + neg, neg);
  if (exp < FLOAT_EXP_MIN) {
    if (exp + FLOAT_COEF_BITS < FLOAT_EXP_MIN)
      return 0;
    coef >>= FLOAT_EXP_MIN - exp;
    exp = FLOAT_EXP_MIN;
  }
  return float_pack(exp, coef, neg);
}

/* §1.5 decoder, used only to self-check the encoder. */
static double
float_decode(uint32_t x)
{
  int32_t exp = (int32_t)(x >> FLOAT_COEF_BITS);
  int32_t coef = (int32_t)(x & ((1u << FLOAT_COEF_BITS) - 1));

  if (exp >= 1 << (FLOAT_EXP_BITS - 1))
    exp -= 1 << FLOAT_EXP_BITS;
  if (coef >= 1 << (FLOAT_COEF_BITS - 1))
    coef -= 1 << FLOAT_COEF_BITS;
  return scale2((double)coef, exp - FLOAT_COEF_BITS);
}

static void
put_float(uint8_t *p, double x)
{
  put_u32(p, float_encode(x));
}

/* Values sent in ok mode, in wire order per reply (§1.8). */
static const double tracking_floats[] = {0.000123, -0.000010, 0.000020, -1.5, 0.001,
                                         0.05,     0.0002,    0.00003,  16.0};
static const double source_floats[] = {0.000002, 0.000001, 0.000005};
static const double stats_floats[] = {0.000003, 0.001, 0.02, 0.000001, 0.000002};
static const double select_floats[] = {1.0, -0.00001, 0.00001};

static bool
float_round_trips(const double *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    double err = float_decode(float_encode(v[i])) - v[i];
    double tol = (v[i] < 0.0 ? -v[i] : v[i]) * (1.0 / (1 << 23));

    if (err > tol || err < -tol)
      return false;
  }
  return true;
}

/* Pinned words (as chrony's own util.c code encodes them, including the clamp at 2^62 and
 * the rounding below 1/2) plus a round trip of every value this program sends. */
static bool
float_self_check(void)
{
  static const struct {
    double value;
    uint32_t word;
  } pinned[] = {{0.0, 0},
                {1.0, 0x04800000},
                {-1.0, 0x03000000},
                {16.0, 0x0C800000},
                {-1.5, 0x05400000},
                {0.000123, 0xEA80F990},
                {0.05, 0xFACCCCCD},
                {-0.00001, 0xE3583A54},
                {1e-20, 0x805E7284},
                {1e300, 0x7EFFFFFF},
                {-1e300, 0x7F000000}};

  for (size_t i = 0; i < N_ELEMS(pinned); i++) {
    if (float_encode(pinned[i].value) != pinned[i].word)
      return false;
  }
  return float_round_trips(tracking_floats, N_ELEMS(tracking_floats)) &&
         float_round_trips(source_floats, N_ELEMS(source_floats)) &&
         float_round_trips(stats_floats, N_ELEMS(stats_floats)) &&
         float_round_trips(select_floats, N_ELEMS(select_floats));
}

static void
put_floats(uint8_t *p, const double *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    put_float(p + 4 * i, v[i]);
}

/* ---- replies (§1.2, §1.8) ------------------------------------------------------------ */

static struct answer
answer_ok(uint16_t code, size_t len)
{
  struct answer a = {code, STT_SUCCESS, len};
  return a;
}

static struct answer
answer_fail(uint16_t status)
{
  struct answer a = {RPY_NULL, status, 0};
  return a;
}

/* The request's index field (SOURCE_DATA, SOURCESTATS, SELECT_DATA) selects source 0? */
static bool
asks_source_zero(const struct request *rq)
{
  return get_u32(rq->pkt + REQ_HDR_LEN) == 0;
}

static struct answer
answer_n_sources(uint8_t *d, const struct request *rq)
{
  (void)rq;
  put_u32(d, 1);
  return answer_ok(RPY_N_SOURCES, 4);
}

static struct answer
answer_tracking(uint8_t *d, const struct request *rq)
{
  struct timespec now;

  if (clock_gettime(CLOCK_REALTIME, &now) != 0)
    memset(&now, 0, sizeof(now));
  put_u32(d, LOCALHOST);
  put_ipv4(d + 4, LOCALHOST);
  put_u16(d + 24, 2);
  put_u16(d + 26, 0);
  put_timespec(d + 28, &now);
  if (rq->mode != MODE_NAN_FLOATS) {
    put_floats(d + 40, tracking_floats, N_ELEMS(tracking_floats));
    return answer_ok(RPY_TRACKING, 76);
  }
  for (size_t i = 0; i < N_ELEMS(tracking_floats); i++)
    put_u32(d + 40 + 4 * i, i % 2 == 0 ? 0x7FFFFFFFu : 0x80000000u);
  return answer_ok(RPY_TRACKING, 76);
}

static struct answer
answer_source_data(uint8_t *d, const struct request *rq)
{
  if (!asks_source_zero(rq))
    return answer_fail(STT_NOSUCHSOURCE);
  put_ipv4(d, LOCALHOST);
  put_u16(d + 20, (uint16_t)-4); /* poll, int16 */
  put_u16(d + 22, 1);            /* stratum */
  put_u16(d + 24, 0);            /* state: selected */
  put_u16(d + 26, 0);            /* mode: client */
  put_u16(d + 28, 0);            /* flags */
  put_u16(d + 30, 0377);         /* reachability */
  put_u32(d + 32, 3);            /* since_sample */
  put_floats(d + 36, source_floats, N_ELEMS(source_floats));
  return answer_ok(RPY_SOURCE_DATA, 48);
}

static struct answer
answer_sourcestats(uint8_t *d, const struct request *rq)
{
  if (!asks_source_zero(rq))
    return answer_fail(STT_NOSUCHSOURCE);
  put_u32(d, LOCALHOST);
  put_ipv4(d + 4, LOCALHOST);
  put_u32(d + 24, 8);   /* n_samples */
  put_u32(d + 28, 5);   /* n_runs */
  put_u32(d + 32, 120); /* span_seconds */
  put_floats(d + 36, stats_floats, N_ELEMS(stats_floats));
  return answer_ok(RPY_SOURCESTATS, 56);
}

static struct answer
answer_select_data(uint8_t *d, const struct request *rq)
{
  if (!asks_source_zero(rq))
    return answer_fail(STT_NOSUCHSOURCE);
  put_u32(d, LOCALHOST);
  put_ipv4(d + 4, LOCALHOST);
  d[24] = '*';        /* state_char; authentication, leap, pad stay 0 */
  put_u16(d + 28, 0); /* conf_options */
  put_u16(d + 30, 0); /* eff_options */
  put_u32(d + 32, 3); /* last_sample_ago */
  put_floats(d + 36, select_floats, N_ELEMS(select_floats));
  return answer_ok(RPY_SELECT_DATA, 48);
}

/* Only the one source's address is known, as in chronyd (§1.7). */
static struct answer
answer_source_name(uint8_t *d, const struct request *rq)
{
  uint8_t want[20];

  put_ipv4(want, LOCALHOST);
  if (memcmp(rq->pkt + REQ_HDR_LEN, want, sizeof(want)) != 0)
    return answer_fail(STT_NOSUCHSOURCE);
  memcpy(d, SOURCE_NAME, sizeof(SOURCE_NAME) - 1);
  return answer_ok(RPY_NTP_SOURCE_NAME, 256);
}

static struct answer
answer_server_stats(uint8_t *d, const struct request *rq)
{
  /* ntp_hits, nke_hits, cmd_hits, ntp_drops, nke_drops, cmd_drops, log_drops,
   * ntp_auth_hits, ntp_interleaved_hits, ntp_timestamps, ntp_span_seconds */
  static const uint32_t v[11] = {100, 0, 5, 1, 0, 0, 0, 0, 0, 0, 0};

  (void)rq;
  for (size_t i = 0; i < N_ELEMS(v); i++)
    put_u32(d + 4 * i, v[i]);
  return answer_ok(RPY_SERVER_STATS3, 44);
}

/* One client at index 0; a later first_index gets an empty page, like chronyd. */
static struct answer
answer_clients(uint8_t *d, const struct request *rq)
{
  uint8_t *c = d + 12;

  put_u32(d, 1); /* n_indices */
  put_u32(d + 4, 1);
  if (get_u32(rq->pkt + REQ_HDR_LEN) != 0)
    return answer_ok(RPY_CLIENT_ACCESSES3, 492);
  put_u32(d + 8, 1);
  put_ipv4(c, LOCALHOST);
  put_u32(c + 20, 42); /* ntp_hits; the other counters stay 0 */
  c[44] = (uint8_t)-4; /* ntp_interval */
  c[45] = 127;         /* nke, cmd, ntp_timeout intervals: n/a */
  c[46] = 127;
  c[47] = 127;
  put_u32(c + 48, 5);           /* last_ntp_hit_ago */
  put_u32(c + 52, 0xFFFFFFFFu); /* last_nke_hit_ago: never */
  put_u32(c + 56, 0xFFFFFFFFu); /* last_cmd_hit_ago: never */
  return answer_ok(RPY_CLIENT_ACCESSES3, 492);
}

/* min_request is chronyd's required request length, max(20 + req data, 28 + reply data)
 * for 4.3 (§1.3); unix_only marks what chronyd refuses over UDP (§1.1). */
static const struct handler {
  uint16_t command;
  uint16_t min_request;
  bool unix_only;
  struct answer (*answer)(uint8_t *data, const struct request *rq);
} handlers[] = {
    {REQ_N_SOURCES, 32, false, answer_n_sources},
    {REQ_SOURCE_DATA, 76, false, answer_source_data},
    {REQ_TRACKING, 104, false, answer_tracking},
    {REQ_SOURCESTATS, 84, false, answer_sourcestats},
    {REQ_SERVER_STATS, 72, true, answer_server_stats},
    {REQ_NTP_SOURCE_NAME, 284, false, answer_source_name},
    {REQ_CLIENT_ACCESSES3, 520, true, answer_clients},
    {REQ_SELECT_DATA, 76, true, answer_select_data},
};

static const struct handler *
find_handler(uint16_t command)
{
  for (size_t i = 0; i < N_ELEMS(handlers); i++) {
    if (handlers[i].command == command)
      return &handlers[i];
  }
  return NULL;
}

/* Zeroes the reply header and fills it; command and sequence are copied byte for byte. */
static void
put_header(uint8_t *out, const struct request *rq, uint16_t code, uint16_t status)
{
  memset(out, 0, RPY_HDR_LEN);
  out[0] = PROTO_VERSION;
  out[1] = PKT_TYPE_REPLY;
  memcpy(out + 4, rq->pkt + 4, 2);
  put_u16(out + 6, code);
  put_u16(out + 8, status);
  memcpy(out + 16, rq->pkt + 8, 4);
}

static size_t
error_reply(uint8_t *out, const struct request *rq, uint16_t status)
{
  put_header(out, rq, RPY_NULL, status);
  return RPY_HDR_LEN;
}

/* The correct answer to the command, without chronyd's request checks. */
static size_t
answer_request(uint8_t *out, const struct request *rq)
{
  const struct handler *h = find_handler(rq->command);
  struct answer a;

  memset(out, 0, RPY_BUF_LEN);
  if (h == NULL)
    return error_reply(out, rq, STT_INVALID);
  a = h->answer(out + RPY_HDR_LEN, rq);
  put_header(out, rq, a.code, a.status);
  return RPY_HDR_LEN + a.len;
}

/* chronyd's checks, in its order (§1.3), then the answer. 0 means drop silently. */
static size_t
checked_reply(uint8_t *out, const struct request *rq)
{
  const uint8_t *p = rq->pkt;
  const struct handler *h;

  if (rq->len < RPY_HDR_LEN || rq->len > MAX_REQUEST_LEN || p[2] != 0 || p[3] != 0)
    return 0;
  if (p[0] != PROTO_VERSION)
    return p[0] >= 5 ? error_reply(out, rq, STT_BADPKTVERSION) : 0;
  h = find_handler(rq->command);
  if (h == NULL)
    return error_reply(out, rq, STT_INVALID);
  if (rq->len < h->min_request)
    return error_reply(out, rq, STT_BADPKTLENGTH);
  if (rq->mode == MODE_UNAUTH_EXTRAS && h->unix_only)
    return error_reply(out, rq, STT_UNAUTH);
  return answer_request(out, rq);
}

static size_t
random_reply(uint8_t *out)
{
  size_t got = 0;

  while (got < GARBAGE_LEN) {
    ssize_t n = getrandom(out + got, GARBAGE_LEN - got, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      fprintf(stderr, "hostile_cmdmon: getrandom: %s\n", strerror(errno));
      return 0;
    }
    got += (size_t)n;
  }
  return GARBAGE_LEN;
}

/* Damages a correct reply of len bytes as the mode says; returns the length to send. */
static size_t
damage_reply(uint8_t *out, size_t len, enum mode mode)
{
  switch (mode) {
  case MODE_TRUNCATED:
    return len < TRUNCATED_LEN ? len : TRUNCATED_LEN;
  case MODE_SHORT_HEADER:
    return REQ_HDR_LEN;
  case MODE_OVERSIZED:
    memset(out + len, 0, OVERSIZED_LEN - len);
    return OVERSIZED_LEN;
  case MODE_WRONG_VERSION:
    out[0] = 5;
    return len;
  case MODE_WRONG_TYPE:
    out[1] = PKT_TYPE_REQUEST;
    return len;
  case MODE_WRONG_SEQUENCE:
    put_u32(out + 16, get_u32(out + 16) + 1);
    return len;
  case MODE_WRONG_COMMAND:
    put_u16(out + 4, (uint16_t)(get_u16(out + 4) + 1));
    return len;
  default:
    return len;
  }
}

/* Builds what this mode sends for the request into out; 0 means send nothing. */
static size_t
build_reply(uint8_t *out, const struct request *rq)
{
  switch (rq->mode) {
  case MODE_SILENT:
    return 0;
  case MODE_GARBAGE:
    return random_reply(out);
  case MODE_UNAUTH:
    return error_reply(out, rq, STT_UNAUTH);
  case MODE_BADPKTLENGTH:
    return error_reply(out, rq, STT_BADPKTLENGTH);
  case MODE_BADPKTVERSION:
    return error_reply(out, rq, STT_BADPKTVERSION);
  case MODE_INVALID:
    return error_reply(out, rq, STT_INVALID);
  case MODE_WRONG_REPLY_CODE:
    memset(out, 0, WRONG_CODE_LEN);
    put_header(out, rq, WRONG_CODE_RPY, STT_SUCCESS);
    return WRONG_CODE_LEN;
  case MODE_OK:
  case MODE_NAN_FLOATS:
  case MODE_FLOOD:
  case MODE_SLOW:
  case MODE_UNAUTH_EXTRAS:
    return checked_reply(out, rq);
  default:
    return damage_reply(out, answer_request(out, rq), rq->mode);
  }
}

/* ---- I/O ------------------------------------------------------------------------------ */

static int64_t
now_ms(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
should_stop(const struct server *srv)
{
  return stop_requested || now_ms() >= srv->deadline_ms;
}

/* A client that gave up and removed its socket (ENOENT, ECONNREFUSED) is expected in the
 * silent and slow tests, so that is reported only with -v. */
static void
report_send_error(const struct server *srv, int err)
{
  if (srv->verbose || (err != ENOENT && err != ECONNREFUSED))
    fprintf(stderr, "hostile_cmdmon: sendto: %s\n", strerror(err));
}

static bool
send_datagram(const struct server *srv, const struct peer *to, const uint8_t *buf, size_t len)
{
  int64_t give_up = now_ms() + SEND_RETRY_MS;

  for (;;) {
    ssize_t n =
        sendto(srv->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&to->addr, to->len);

    if (n == (ssize_t)len)
      return true;
    if (n >= 0) {
      fprintf(stderr, "hostile_cmdmon: short send (%zd of %zu bytes)\n", n, len);
      return false;
    }
    if ((errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR) ||
        now_ms() >= give_up || should_stop(srv)) {
      report_send_error(srv, errno);
      return false;
    }
    (void)poll(NULL, 0, 5);
  }
}

/* flood: FLOOD_SPOOFS copies with other sequence numbers first, then the real reply. */
static void
send_flood(const struct server *srv, const struct peer *to, uint8_t *out, size_t len)
{
  uint32_t seq = get_u32(out + 16);

  for (uint32_t i = 1; i <= FLOOD_SPOOFS; i++) {
    put_u32(out + 16, seq + i);
    if (!send_datagram(srv, to, out, len))
      return;
  }
  put_u32(out + 16, seq);
  (void)send_datagram(srv, to, out, len);
}

/* slow: the reply waits in a queue while requests keep being read, so every answer leaves
 * SLOW_DELAY_MS after its own request (a retry gets its own late answer). */
static void
queue_reply(struct server *srv, const struct peer *to, const uint8_t *buf, size_t len)
{
  struct pending *p;

  if (srv->n_pending == PENDING_MAX || len > sizeof(p->buf)) {
    fprintf(stderr, "hostile_cmdmon: slow: reply queue full, request dropped\n");
    return;
  }
  p = &srv->pending[srv->n_pending++];
  p->due_ms = now_ms() + SLOW_DELAY_MS;
  p->to = *to;
  p->len = len;
  memcpy(p->buf, buf, len);
}

static void
send_due_replies(struct server *srv)
{
  int64_t now = now_ms();
  size_t n = 0;

  while (n < srv->n_pending && srv->pending[n].due_ms <= now) {
    (void)send_datagram(srv, &srv->pending[n].to, srv->pending[n].buf, srv->pending[n].len);
    n++;
  }
  srv->n_pending -= n;
  memmove(srv->pending, srv->pending + n, srv->n_pending * sizeof(srv->pending[0]));
}

static void
handle_request(struct server *srv, const struct peer *from, const uint8_t *pkt, size_t len)
{
  uint8_t out[RPY_BUF_LEN];
  struct request rq = {pkt, len, get_u16(pkt + 4), srv->mode};
  size_t out_len = build_reply(out, &rq);

  if (srv->verbose) {
    printf("command %u attempt %u sequence %08" PRIx32 " bytes %zu reply %zu\n", rq.command,
           get_u16(pkt + 6), get_u32(pkt + 8), len, out_len);
    (void)fflush(stdout);
  }
  if (out_len == 0)
    return;
  if (srv->mode == MODE_SLOW)
    queue_reply(srv, from, out, out_len);
  else if (srv->mode == MODE_FLOOD)
    send_flood(srv, from, out, out_len);
  else
    (void)send_datagram(srv, from, out, out_len);
}

/* A Unix-socket client must have bound a filesystem path, or there is nobody to answer
 * (§1.9; chronyd does not answer unbound or abstract senders either). */
static bool
peer_is_reachable(const struct peer *p)
{
  const struct sockaddr_un *un = (const struct sockaddr_un *)&p->addr;

  if (p->addr.ss_family != AF_UNIX)
    return p->len > 0;
  return p->len > offsetof(struct sockaddr_un, sun_path) && un->sun_path[0] != '\0';
}

static void
receive_one(struct server *srv)
{
  uint8_t pkt[REQ_BUF_LEN];
  struct peer from;
  ssize_t n;

  memset(pkt, 0, sizeof(pkt));
  memset(&from, 0, sizeof(from));
  from.len = sizeof(from.addr);
  n = recvfrom(srv->fd, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from.addr,
               &from.len);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      fprintf(stderr, "hostile_cmdmon: recvfrom: %s\n", strerror(errno));
    return;
  }
  if ((size_t)n < REQ_HDR_LEN || pkt[1] != PKT_TYPE_REQUEST || !peer_is_reachable(&from))
    return;
  handle_request(srv, &from, pkt, (size_t)n);
}

/* Milliseconds poll() may wait: up to the next slow reply, the lifetime or one slice. */
static int
wait_budget(const struct server *srv)
{
  int64_t now = now_ms();
  int64_t left = srv->deadline_ms - now;

  if (srv->n_pending > 0 && srv->pending[0].due_ms - now < left)
    left = srv->pending[0].due_ms - now;
  if (left > POLL_SLICE_MS)
    left = POLL_SLICE_MS;
  return left > 0 ? (int)left : 0;
}

static void
serve(struct server *srv)
{
  while (!should_stop(srv)) {
    struct pollfd pfd = {srv->fd, POLLIN, 0};
    int r = poll(&pfd, 1, wait_budget(srv));

    if (r < 0 && errno != EINTR) {
      fprintf(stderr, "hostile_cmdmon: poll: %s\n", strerror(errno));
      return;
    }
    if (r > 0 && (pfd.revents & POLLIN))
      receive_one(srv);
    send_due_replies(srv);
  }
}

/* ---- setup ---------------------------------------------------------------------------- */

static bool
parse_mode(const char *s, enum mode *out)
{
  for (size_t i = 0; i < N_ELEMS(mode_names); i++) {
    if (strcmp(s, mode_names[i].name) == 0) {
      *out = mode_names[i].mode;
      return true;
    }
  }
  return false;
}

static void
usage(void)
{
  fprintf(stderr, "usage: hostile_cmdmon (--unix PATH | --udp IP:PORT | --udp [IP6]:PORT)"
                  " --mode MODE\n"
                  "                      [--lifetime SECONDS] [--ready-file FILE] [-v]\n"
                  "modes:");
  for (size_t i = 0; i < N_ELEMS(mode_names); i++)
    fprintf(stderr, " %s", mode_names[i].name);
  fprintf(stderr, "\n");
}

static bool
parse_option(int c, const char *arg, struct options *opt)
{
  switch (c) {
  case 'u':
    opt->unix_path = arg;
    return true;
  case 'p':
    opt->udp_spec = arg;
    return true;
  case 'm':
    if (parse_mode(arg, &opt->mode))
      return true;
    fprintf(stderr, "hostile_cmdmon: unknown mode '%s'\n", arg);
    return false;
  case 'l':
    if (parse_long(arg, 1, 86400, &opt->lifetime_s))
      return true;
    fprintf(stderr, "hostile_cmdmon: --lifetime wants 1..86400 seconds, not '%s'\n", arg);
    return false;
  case 'r':
    opt->ready_file = arg;
    return true;
  case 'v':
    opt->verbose = true;
    return true;
  default:
    return false;
  }
}

static bool
parse_args(int argc, char **argv, struct options *opt)
{
  static const struct option longopts[] = {{"unix", required_argument, NULL, 'u'},
                                           {"udp", required_argument, NULL, 'p'},
                                           {"mode", required_argument, NULL, 'm'},
                                           {"lifetime", required_argument, NULL, 'l'},
                                           {"ready-file", required_argument, NULL, 'r'},
                                           {"verbose", no_argument, NULL, 'v'},
                                           {NULL, 0, NULL, 0}};
  bool have_mode = false;
  int c;

  memset(opt, 0, sizeof(*opt));
  opt->lifetime_s = 60;
  while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
    if (!parse_option(c, optarg, opt))
      return false;
    if (c == 'm')
      have_mode = true;
  }
  if (optind != argc || !have_mode || (opt->unix_path == NULL) == (opt->udp_spec == NULL)) {
    fprintf(stderr, "hostile_cmdmon: need exactly one of --unix/--udp, and --mode\n");
    return false;
  }
  return true;
}

static bool
open_udp(struct server *srv, const char *spec)
{
  struct peer addr;

  if (!parse_udp_spec(spec, &addr)) {
    fprintf(stderr, "hostile_cmdmon: --udp wants a loopback IP:PORT or [::1]:PORT, not '%s'\n",
            spec);
    return false;
  }
  srv->fd = socket(addr.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (srv->fd < 0 || bind(srv->fd, (const struct sockaddr *)&addr.addr, addr.len) != 0) {
    fprintf(stderr, "hostile_cmdmon: bind %s: %s\n", spec, strerror(errno));
    return false;
  }
  return true;
}

/* Removes a stale socket file, but refuses to remove anything that is not a socket. */
static bool
remove_stale_socket(const char *path)
{
  struct stat st;

  if (lstat(path, &st) != 0)
    return errno == ENOENT;
  if (!S_ISSOCK(st.st_mode)) {
    fprintf(stderr, "hostile_cmdmon: %s exists and is not a socket\n", path);
    return false;
  }
  return unlink(path) == 0;
}

static bool
open_unix(struct server *srv, const char *path)
{
  struct sockaddr_un un;
  int n;

  memset(&un, 0, sizeof(un));
  un.sun_family = AF_UNIX;
  n = snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
  if (n <= 0 || (size_t)n >= sizeof(un.sun_path)) {
    fprintf(stderr, "hostile_cmdmon: socket path empty or too long: %s\n", path);
    return false;
  }
  if (!remove_stale_socket(path))
    return false;
  srv->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (srv->fd < 0 || bind(srv->fd, (const struct sockaddr *)&un, sizeof(un)) != 0) {
    fprintf(stderr, "hostile_cmdmon: bind %s: %s\n", path, strerror(errno));
    return false;
  }
  srv->owned_path = path;
  if (chmod(path, 0666) != 0) {
    fprintf(stderr, "hostile_cmdmon: chmod %s: %s\n", path, strerror(errno));
    return false;
  }
  return true;
}

int
main(int argc, char **argv)
{
  struct options opt;
  struct server srv;
  bool ok;

  if (!parse_args(argc, argv, &opt)) {
    usage();
    return 1;
  }
  if (!float_self_check()) {
    fprintf(stderr, "hostile_cmdmon: Float encoder self-check failed\n");
    return 1;
  }
  if (!install_signals()) {
    fprintf(stderr, "hostile_cmdmon: sigaction: %s\n", strerror(errno));
    return 1;
  }
  memset(&srv, 0, sizeof(srv));
  srv.fd = -1;
  srv.mode = opt.mode;
  srv.verbose = opt.verbose;
  srv.deadline_ms = now_ms() + opt.lifetime_s * 1000;
  ok = opt.unix_path != NULL ? open_unix(&srv, opt.unix_path) : open_udp(&srv, opt.udp_spec);
  if (ok && opt.ready_file != NULL)
    ok = write_ready_file("hostile_cmdmon", opt.ready_file);
  if (ok)
    serve(&srv);
  if (srv.fd >= 0)
    (void)close(srv.fd);
  if (srv.owned_path != NULL)
    (void)unlink(srv.owned_path);
  return ok ? 0 : 1;
}
