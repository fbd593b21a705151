/* sntp_wire.c -- NTP packet encoding, decoding, timestamp arithmetic (RFC 5905). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sntp_wire.h"
#include "wire_bytes.h"

#define FRAC 4294967296.0 /* 2^32 */

static struct sntp_ts
get_ts(const uint8_t *p)
{
  struct sntp_ts t = {wire_get32(p), wire_get32(p + 4)};

  return t;
}

/* NTP short format: unsigned 16.16 seconds */
static double
get_short(const uint8_t *p)
{
  return (double)wire_get32(p) / 65536.0;
}

struct sntp_ts
sntp_ts_from_timespec(struct timespec t)
{
  struct sntp_ts ts;

  /* unsigned arithmetic wraps into era 1 after 2036-02-07, as the wire does */
  ts.sec = (uint32_t)((uint64_t)t.tv_sec + SNTP_UNIX_EPOCH);
  ts.frac = (uint32_t)(((uint64_t)t.tv_nsec << 32) / 1000000000u);
  return ts;
}

double
sntp_ts_diff(struct sntp_ts a, struct sntp_ts b)
{
  /* 32.32 fixed point, subtracted modulo 2^64 (no signed overflow when the seconds are
   * 2^31 apart); read as signed, the difference picks the nearest era */
  uint64_t u = ((uint64_t)b.sec << 32 | b.frac) - ((uint64_t)a.sec << 32 | a.frac);

  return (double)(int64_t)u / FRAC;
}

double
sntp_ts_to_unix(struct sntp_ts ts, struct timespec now)
{
  if (ts.sec == 0 && ts.frac == 0)
    return 0.0;
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9 +
         sntp_ts_diff(sntp_ts_from_timespec(now), ts);
}

size_t
sntp_wire_request(uint8_t *buf, struct sntp_ts xmt)
{
  memset(buf, 0, SNTP_PACKET_LEN);
  buf[0] = (4 << 3) | SNTP_MODE_CLIENT; /* LI 0, VN 4, mode 3 */
  wire_put32(buf + 40, xmt.sec);
  wire_put32(buf + 44, xmt.frac);
  return SNTP_PACKET_LEN;
}

bool
sntp_wire_decode(const uint8_t *buf, size_t len, struct sntp_packet *out)
{
  if (len < SNTP_PACKET_LEN || len > SNTP_REPLY_MAX)
    return false;
  memset(out, 0, sizeof(*out));
  out->leap = buf[0] >> 6;
  out->version = (buf[0] >> 3) & 7u;
  out->mode = buf[0] & 7u;
  out->stratum = buf[1];
  out->poll = (int8_t)buf[2];
  out->precision = (int8_t)buf[3];
  out->root_delay = get_short(buf + 4);
  out->root_dispersion = get_short(buf + 8);
  out->refid = wire_get32(buf + 12);
  out->ref = get_ts(buf + 16);
  out->origin = get_ts(buf + 24);
  out->receive = get_ts(buf + 32);
  out->transmit = get_ts(buf + 40);
  return true;
}

enum tsync_status
sntp_wire_check(const struct sntp_packet *p, struct tsync_err *err)
{
  if (p->mode != SNTP_MODE_SERVER)
    return tsync_err_set(err, TSYNC_ERR_PROTO, "reply has mode %u, expected 4 (server)",
                         p->mode);
  if (p->version < 1 || p->version > 4)
    return tsync_err_set(err, TSYNC_ERR_PROTO, "reply has NTP version %u", p->version);
  if (p->transmit.sec == 0 && p->transmit.frac == 0)
    return tsync_err_set(err, TSYNC_ERR_PROTO, "reply has no transmit timestamp");
  return TSYNC_OK;
}

bool
sntp_wire_kod(const struct sntp_packet *p, char code[5])
{
  int i;

  if (p->stratum != 0 || p->refid == 0)
    return false;
  for (i = 0; i < 4; i++) {
    unsigned char c = (unsigned char)(p->refid >> (24 - 8 * i));

    /* codes are upper-case ASCII; a short one is NUL padded ("DENY", "RATE", "AUTH") */
    if (c == 0 && i > 0)
      break;
    if (!isupper(c) && !isdigit(c))
      return false;
    code[i] = (char)c;
  }
  code[i] = '\0';
  return true;
}

void
sntp_wire_offset_delay(struct sntp_ts t1, struct sntp_ts t2, struct sntp_ts t3,
                       struct sntp_ts t4, double *offset, double *delay)
{
  /* all four relative to T1, so a wrap between them costs nothing */
  double d2 = sntp_ts_diff(t1, t2), d3 = sntp_ts_diff(t1, t3), d4 = sntp_ts_diff(t1, t4);

  *offset = (d2 + (d3 - d4)) / 2.0;
  *delay = d4 - (d3 - d2);
  if (*delay < 0.0)
    *delay = 0.0;
}

void
sntp_wire_refid_text(uint32_t refid, unsigned stratum, char *buf, size_t len)
{
  size_t i, j = 0;

  if (len == 0)
    return;
  if (stratum >= 2 && refid != 0) {
    if (snprintf(buf, len, "%u.%u.%u.%u", refid >> 24, (refid >> 16) & 0xffu,
                 (refid >> 8) & 0xffu, refid & 0xffu) < 0)
      buf[0] = '\0';
    return;
  }
  for (i = 0; i < 4 && j + 1 < len; i++) {
    unsigned char c = (unsigned char)(refid >> (24 - 8 * i));

    if (isprint(c))
      buf[j++] = (char)c;
  }
  buf[j] = '\0';
}
