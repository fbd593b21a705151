/* chrony_wire.c -- cmdmon encoding, reply validation and decoding (chrony-cmdmon.md §1). */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "chrony_wire.h"
#include "wire_bytes.h"

#define PKT_TYPE_REQUEST 1
#define PKT_TYPE_REPLY 2
#define IPADDR_LEN 20

/* Reply codes accepted per command, with the data length each layout needs (§1.8).
 * Versions differ by reply code, never by a changed layout under one code (§1.10). */
static const struct {
  uint16_t cmd, code;
  uint16_t data_len;
} reply_table[] = {
    {CHRONY_REQ_N_SOURCES, 2, 4},          {CHRONY_REQ_SOURCE_DATA, 3, 48},
    {CHRONY_REQ_TRACKING, 5, 76},          {CHRONY_REQ_SOURCESTATS, 6, 56},
    {CHRONY_REQ_SERVER_STATS, 14, 20},  /* 2.x-3.x */
    {CHRONY_REQ_SERVER_STATS, 22, 32},  /* 4.0-4.1 */
    {CHRONY_REQ_SERVER_STATS, 24, 44},  /* 4.2-4.3 */
    {CHRONY_REQ_SERVER_STATS, 25, 168}, /* >= 4.4, 64-bit counters */
    {CHRONY_REQ_NTP_DATA, 16, 124},     /* <= 4.5 */
    {CHRONY_REQ_NTP_DATA, 26, 144},     /* >= 4.6 */
    {CHRONY_REQ_NTP_SOURCE_NAME, 19, 256}, {CHRONY_REQ_CLIENT_ACCESSES, 21, 492},
    {CHRONY_REQ_SELECT_DATA, 23, 48},
};

static double
getfloat(const uint8_t *p)
{
  return chrony_wire_float(wire_get32(p));
}

size_t
chrony_wire_request(uint8_t *buf, size_t len, uint16_t cmd, uint16_t attempt,
                    uint32_t sequence, const uint8_t *data, size_t data_len)
{
  if (len < CHRONY_REQ_SIZE || data_len > CHRONY_REQ_SIZE - CHRONY_REQ_HDR_LEN)
    return 0;
  memset(buf, 0, CHRONY_REQ_SIZE);
  buf[0] = CHRONY_PROTO_VERSION;
  buf[1] = PKT_TYPE_REQUEST;
  wire_put16(buf + 4, cmd);
  wire_put16(buf + 6, attempt);
  /* the sequence is echoed byte for byte; its byte order does not matter */
  wire_put32(buf + 8, sequence);
  if (data_len)
    memcpy(buf + CHRONY_REQ_HDR_LEN, data, data_len);
  return CHRONY_REQ_SIZE;
}

int
chrony_wire_is_ours(const uint8_t *pkt, size_t len, uint16_t cmd, const uint32_t *seqs,
                    size_t n_seqs)
{
  size_t i;

  if (len < CHRONY_RPY_HDR_LEN || wire_get16(pkt + 4) != cmd)
    return 0;
  for (i = 0; i < n_seqs; i++)
    if (wire_get32(pkt + 16) == seqs[i])
      return 1;
  return 0;
}

static int
expected_len(uint16_t cmd, uint16_t code, size_t *data_len)
{
  size_t i;

  for (i = 0; i < TSYNC_ARRAY_LEN(reply_table); i++) {
    if (reply_table[i].cmd == cmd && reply_table[i].code == code) {
      *data_len = reply_table[i].data_len;
      return 1;
    }
  }
  return 0;
}

enum tsync_status
chrony_wire_check(const uint8_t *pkt, size_t len, uint16_t cmd, struct chrony_reply *out,
                  struct tsync_err *err)
{
  size_t need;

  if (len < CHRONY_RPY_HDR_LEN)
    return tsync_err_set(err, TSYNC_ERR_PROTO, "reply too short (%zu bytes)", len);
  if (pkt[0] != CHRONY_PROTO_VERSION)
    return tsync_err_set(err, TSYNC_ERR_PROTO, "reply has protocol version %u, expected %u",
                         pkt[0], CHRONY_PROTO_VERSION);
  if (pkt[1] != PKT_TYPE_REPLY || pkt[2] != 0 || pkt[3] != 0)
    return tsync_err_set(err, TSYNC_ERR_PROTO, "reply has packet type %u (reserved %u,%u)",
                         pkt[1], pkt[2], pkt[3]);
  out->command = wire_get16(pkt + 4);
  out->code = wire_get16(pkt + 6);
  out->status = wire_get16(pkt + 8);
  out->sequence = wire_get32(pkt + 16);
  out->data = pkt + CHRONY_RPY_HDR_LEN;
  out->data_len = len - CHRONY_RPY_HDR_LEN;
  if (out->command != cmd)
    return tsync_err_set(err, TSYNC_ERR_PROTO, "reply echoes command %u, expected %u",
                         out->command, cmd);
  if (out->status == CHRONY_STT_UNAUTH)
    return tsync_err_set(err, TSYNC_ERR_UNAUTH, "chronyd: %s",
                         chrony_wire_status_str(out->status));
  if (out->status != CHRONY_STT_SUCCESS)
    return tsync_err_set(err, TSYNC_ERR_REFUSED, "chronyd: %s (status %u)",
                         chrony_wire_status_str(out->status), out->status);
  if (!expected_len(cmd, out->code, &need))
    return tsync_err_set(err, TSYNC_ERR_PROTO, "unexpected reply code %u for command %u",
                         out->code, cmd);
  if (out->data_len < need)
    return tsync_err_set(err, TSYNC_ERR_PROTO,
                         "truncated reply: %zu bytes for reply code %u, need %zu", len,
                         out->code, need + CHRONY_RPY_HDR_LEN);
  return TSYNC_OK;
}

const char *
chrony_wire_status_str(uint16_t status)
{
  static const char *const names[] = {
      [0] = "OK",
      [1] = "Failure",
      [2] = "Not authorised",
      [3] = "Invalid command",
      [4] = "No such source",
      [5] = "Invalid timestamp",
      [6] = "Facility not enabled in daemon",
      [7] = "Bad subnet",
      [8] = "Access allowed",
      [9] = "Access denied",
      [10] = "Host not found",
      [11] = "Source already known",
      [12] = "Too many sources present",
      [13] = "RTC driver not running",
      [14] = "Can't write RTC parameters",
      [15] = "Client logging is not active in the daemon",
      [16] = "Bad sample",
      [17] = "Invalid address family",
      [18] = "Protocol version mismatch",
      [19] = "Packet length mismatch",
      [21] = "Invalid name",
  };

  if (status < TSYNC_ARRAY_LEN(names) && names[status])
    return names[status];
  return "Unknown status";
}

double
chrony_wire_float(uint32_t x)
{
  /* 7-bit signed exponent, 25-bit signed coefficient, no hidden bit (util.c) */
  int32_t exp = (int32_t)(x >> 25);
  int32_t coef = (int32_t)(x & 0x1ffffffu);

  if (exp >= 64)
    exp -= 128;
  if (coef >= (1 << 24))
    coef -= (1 << 25);
  return ldexp((double)coef, exp - 25);
}

unsigned
chrony_wire_ipaddr(const uint8_t *p, char *buf, size_t len)
{
  unsigned family = wire_get16(p + 16);
  int n = 0;

  buf[0] = '\0';
  switch (family) {
  case 1:
    if (!inet_ntop(AF_INET, p, buf, (socklen_t)len))
      buf[0] = '\0';
    break;
  case 2:
    if (!inet_ntop(AF_INET6, p, buf, (socklen_t)len))
      buf[0] = '\0';
    break;
  case 3:
    /* chronyc prints unresolved sources in decimal, zero padded */
    n = snprintf(buf, len, "ID#%010u", (unsigned)wire_get32(p));
    break;
  default:
    break;
  }
  if (n < 0 || (size_t)n >= len)
    buf[0] = '\0';
  return family;
}

void
chrony_wire_refid_name(uint32_t refid, char *buf, size_t len)
{
  size_t i, j = 0;

  for (i = 0; i < 4 && j + 1 < len; i++) {
    unsigned char c = (unsigned char)(refid >> (24 - 8 * i));

    if (isprint(c))
      buf[j++] = (char)c;
  }
  if (len)
    buf[j] = '\0';
}

size_t
chrony_wire_index_body(uint8_t *body, uint32_t index)
{
  wire_put32(body, index);
  return 4;
}

size_t
chrony_wire_clients_body(uint8_t *body, uint32_t first, uint32_t count)
{
  wire_put32(body, first);
  wire_put32(body + 4, count);
  wire_put32(body + 8, 0);  /* min_hits */
  wire_put32(body + 12, 0); /* reset: never, this is a monitor */
  return 16;
}

void
chrony_wire_tracking(const struct chrony_reply *r, struct tsync_clock *out)
{
  const uint8_t *d = r->data;
  uint32_t high = wire_get32(d + 28);
  unsigned leap = wire_get16(d + 26);
  char ip[TSYNC_ADDR_SIZE];

  memset(out, 0, sizeof(*out));
  out->refid = wire_get32(d);
  (void)chrony_wire_ipaddr(d + 4, ip, sizeof(ip));
  if (ip[0] && strncmp(ip, "ID#", 3) != 0)
    memcpy(out->ref_name, ip, sizeof(out->ref_name));
  else
    chrony_wire_refid_name(out->refid, out->ref_name, sizeof(out->ref_name));
  /* chrony's local reference is 127.127.1.1; it never uses "LOCL" */
  out->ref_local = out->refid == 0x7F7F0101u;
  out->stratum = wire_get16(d + 24);
  out->leap = leap <= 3 ? (enum tsync_leap)leap : TSYNC_LEAP_UNSYNC;
  /* 0x7fffffff in the high word marks a 32-bit time_t build */
  out->ref_time = (double)((uint64_t)(high == 0x7fffffffu ? 0 : high) << 32 | wire_get32(d + 32));
  out->ref_time += (double)(wire_get32(d + 36) > 999999999u ? 999999999u : wire_get32(d + 36)) / 1e9;
  out->offset = getfloat(d + 40);
  out->last_offset = getfloat(d + 44);
  out->rms_offset = getfloat(d + 48);
  out->freq_ppm = getfloat(d + 52);
  out->resid_freq_ppm = getfloat(d + 56);
  out->skew_ppm = getfloat(d + 60);
  out->root_delay = getfloat(d + 64);
  out->root_dispersion = getfloat(d + 68);
  out->update_interval = getfloat(d + 72);
  out->est_error = fabs(out->last_offset) + out->root_dispersion + out->root_delay / 2.0;
}

uint32_t
chrony_wire_n_sources(const struct chrony_reply *r)
{
  return wire_get32(r->data);
}

unsigned
chrony_wire_source_data(const struct chrony_reply *r, struct tsync_source *out)
{
  const uint8_t *d = r->data;
  unsigned family, mode = wire_get16(d + 26), state = wire_get16(d + 24);

  memset(out, 0, sizeof(*out));
  family = chrony_wire_ipaddr(d, out->address, sizeof(out->address));
  out->mode = mode <= 2 ? (enum tsync_src_mode)mode : TSYNC_MODE_UNKNOWN;
  if (out->mode == TSYNC_MODE_REFCLOCK && family == 1) {
    /* a refclock's address field carries its refid ("PPS\0"): name it as chronyc does */
    out->refid = wire_get32(d);
    chrony_wire_refid_name(out->refid, out->address, sizeof(out->address));
  } else if (family == 1) {
    out->refid = wire_get32(d);
  }
  memcpy(out->name, out->address, sizeof(out->address));
  out->poll = (int16_t)wire_get16(d + 20);
  out->stratum = wire_get16(d + 22);
  out->state = state <= 5 ? (enum tsync_src_state)state : TSYNC_SRC_UNKNOWN;
  out->reach = wire_get16(d + 30) & 0xffu;
  out->lost = tsync_reach_lost(out->reach);
  out->since_sample = wire_get32(d + 32);
  /* chrony's sign is local - source; ours is source - local (report.h) */
  out->orig_offset = -getfloat(d + 36);
  out->offset = -getfloat(d + 40);
  out->error = getfloat(d + 44);
  return family;
}

/* The reply's source (refid + IPAddr at d) is src: by address, or by refid for a
 * refclock, whose address is UNSPEC in these replies. */
static int
same_source(const uint8_t *d, const struct tsync_source *src)
{
  char ip[TSYNC_ADDR_SIZE];
  unsigned family = chrony_wire_ipaddr(d + 4, ip, sizeof(ip));

  if (src->mode == TSYNC_MODE_REFCLOCK)
    return family == 0 && wire_get32(d) == src->refid;
  return family != 0 && strcmp(ip, src->address) == 0;
}

int
chrony_wire_sourcestats(const struct chrony_reply *r, struct tsync_source *out)
{
  const uint8_t *d = r->data;

  if (!same_source(d, out))
    return 0;
  out->have_stats = true;
  out->n_samples = wire_get32(d + 24);
  out->n_runs = wire_get32(d + 28);
  out->span = wire_get32(d + 32);
  out->sd = getfloat(d + 36);
  out->stats_resid_freq_ppm = getfloat(d + 40);
  out->stats_skew_ppm = getfloat(d + 44);
  out->est_offset = -getfloat(d + 48);
  out->est_offset_err = getfloat(d + 52);
  return 1;
}

char
chrony_wire_select_char(const struct chrony_reply *r, const struct tsync_source *src)
{
  char c = (char)r->data[24];

  if (!same_source(r->data, src) || !isprint((unsigned char)c))
    return 0;
  return c;
}

void
chrony_wire_source_name(const struct chrony_reply *r, char *buf, size_t len)
{
  size_t i, j = 0;

  /* the name is NUL-terminated within 256 bytes; keep printable characters only */
  for (i = 0; i < 256 && r->data[i] && j + 1 < len; i++)
    if (isprint(r->data[i]))
      buf[j++] = (char)r->data[i];
  if (len)
    buf[j] = '\0';
}

size_t
chrony_wire_ipaddr_body(uint8_t *body, const char *addr)
{
  memset(body, 0, IPADDR_LEN);
  if (inet_pton(AF_INET, addr, body) == 1) {
    body[17] = 1;
  } else if (inet_pton(AF_INET6, addr, body) == 1) {
    body[17] = 2;
  } else {
    return 0;
  }
  return IPADDR_LEN;
}

void
chrony_wire_ntpdata(const struct chrony_reply *r, struct tsync_source *out)
{
  const uint8_t *d = r->data;

  /* both codes share the layout up to the counters; 26 only adds timestamp counts */
  out->delay = getfloat(d + 76);
  out->pkts_tx = wire_get32(d + 96);
  out->pkts_rx = wire_get32(d + 100);
  out->pkts_valid = wire_get32(d + 104);
  out->have_ntpdata = true;
}

void
chrony_wire_serverstats(const struct chrony_reply *r, struct tsync_serverstats *out)
{
  const uint8_t *d = r->data;

  memset(out, 0, sizeof(*out));
  out->valid = true;
  switch (r->code) {
  case 14:
    out->ntp_hits = wire_get32(d);
    out->cmd_hits = wire_get32(d + 4);
    out->ntp_drops = wire_get32(d + 8);
    out->cmd_drops = wire_get32(d + 12);
    out->log_drops = wire_get32(d + 16);
    break;
  case 25:
    out->ntp_hits = wire_get64(d);
    out->nke_hits = wire_get64(d + 8);
    out->cmd_hits = wire_get64(d + 16);
    out->ntp_drops = wire_get64(d + 24);
    out->nke_drops = wire_get64(d + 32);
    out->cmd_drops = wire_get64(d + 40);
    out->log_drops = wire_get64(d + 48);
    out->ntp_auth_hits = wire_get64(d + 56);
    break;
  default: /* 22 and 24 share the first eight 32-bit fields */
    out->ntp_hits = wire_get32(d);
    out->nke_hits = wire_get32(d + 4);
    out->cmd_hits = wire_get32(d + 8);
    out->ntp_drops = wire_get32(d + 12);
    out->nke_drops = wire_get32(d + 16);
    out->cmd_drops = wire_get32(d + 20);
    out->log_drops = wire_get32(d + 24);
    out->ntp_auth_hits = wire_get32(d + 28);
    break;
  }
}

size_t
chrony_wire_clients(const struct chrony_reply *r, struct tsync_client *out, size_t max,
                    uint32_t *n_indices, uint32_t *next_index, uint32_t *n_clients)
{
  const uint8_t *d = r->data;
  uint32_t i, n;
  size_t kept = 0;

  *n_indices = wire_get32(d);
  *next_index = wire_get32(d + 4);
  n = wire_get32(d + 8);
  /* a wire count is clamped to what the layout can hold */
  *n_clients = n = n > CHRONY_CLIENTS_PER_REPLY ? CHRONY_CLIENTS_PER_REPLY : n;
  for (i = 0; i < n && kept < max; i++) {
    const uint8_t *c = d + 12 + 60 * i;
    struct tsync_client *o = &out[kept];
    unsigned family;

    memset(o, 0, sizeof(*o));
    family = chrony_wire_ipaddr(c, o->address, sizeof(o->address));
    if (family != 1 && family != 2)
      continue;
    o->ntp_hits = wire_get32(c + 20);
    o->cmd_hits = wire_get32(c + 28);
    o->ntp_drops = wire_get32(c + 32);
    o->last_ntp_ago = wire_get32(c + 48);
    o->last_cmd_ago = wire_get32(c + 56);
    kept++;
  }
  return kept;
}
