/* fuzz_sntp_wire.c -- libFuzzer target for the NTP reply decoder and its arithmetic.
 * Any datagram must either be rejected by sntp_wire_decode or decode without touching
 * memory outside it; the checks, the KoD reader and the refid text must stay in their
 * buffers; offsets, delays and UNIX times must be finite, delays never negative. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sntp_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_UNIX 1767225600 /* 2026-01-01T00:00:00Z: a fixed "now" keeps runs repeatable */

static void
check_kod(const struct sntp_packet *p)
{
  char code[5];
  size_t i, n;

  memset(code, 'X', sizeof(code));
  if (!sntp_wire_kod(p, code))
    return;
  n = strnlen(code, sizeof(code));
  if (n == 0 || n > 4 || p->stratum != 0)
    abort();
  for (i = 0; i < n; i++)
    if (!isupper((unsigned char)code[i]) && !isdigit((unsigned char)code[i]))
      abort();
}

static void
check_refid(const struct sntp_packet *p)
{
  char buf[8];

  memset(buf, 'X', sizeof(buf));
  /* 6 of 8 bytes: a dotted quad does not fit, and nothing may be written past 6 */
  sntp_wire_refid_text(p->refid, p->stratum, buf, 6);
  if (strnlen(buf, 6) >= 6 || buf[6] != 'X' || buf[7] != 'X')
    abort();
}

/* T1 from the origin field, as the client's own send time would be matched to it; T4 a
 * local receive time derived from the input, in any era. */
static void
check_offset(const struct sntp_packet *p)
{
  struct sntp_ts t4 = {p->ref.sec ^ p->receive.frac, p->ref.frac ^ p->transmit.sec};
  double offset = NAN, delay = NAN;

  sntp_wire_offset_delay(p->origin, p->receive, p->transmit, t4, &offset, &delay);
  if (!isfinite(offset) || !isfinite(delay) || delay < 0.0)
    abort();
  /* every difference is within +-2^31 s of T1 */
  if (fabs(offset) > 4294967296.0 || delay > 3.0 * 4294967296.0)
    abort();
}

static void
check_times(const struct sntp_packet *p)
{
  struct timespec now = {NOW_UNIX, 0};
  double t = sntp_ts_to_unix(p->ref, now);

  if (!isfinite(t) || fabs(t - NOW_UNIX) > 2147483648.0 + 1.0)
    abort();
  if (sntp_ts_diff(p->transmit, p->transmit) != 0.0)
    abort();
  if (sntp_ts_diff(p->receive, p->transmit) != -sntp_ts_diff(p->transmit, p->receive) &&
      !(p->receive.sec - p->transmit.sec == 0x80000000u))
    abort();
}

/* Our own request of the packet's transmit timestamp decodes back to it. */
static void
check_request(const struct sntp_packet *p)
{
  uint8_t buf[SNTP_PACKET_LEN];
  struct sntp_packet q;

  if (sntp_wire_request(buf, p->transmit) != SNTP_PACKET_LEN ||
      !sntp_wire_decode(buf, sizeof(buf), &q))
    abort();
  if (q.mode != SNTP_MODE_CLIENT || q.version != 4 || q.transmit.sec != p->transmit.sec ||
      q.transmit.frac != p->transmit.frac)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct sntp_packet p;
  struct tsync_err err;
  uint8_t *pkt;
  bool ok;

  /* an exact-size copy, so ASan sees any read past the datagram */
  pkt = malloc(size ? size : 1);
  if (!pkt)
    return 0;
  memcpy(pkt, data, size);
  ok = sntp_wire_decode(pkt, size, &p);
  if (ok != (size >= SNTP_PACKET_LEN && size <= SNTP_REPLY_MAX))
    abort();
  if (ok) {
    if (sntp_wire_check(&p, &err) != TSYNC_OK && strnlen(err.msg, sizeof(err.msg)) == 0)
      abort();
    if (p.leap > 3 || p.version > 7 || p.mode > 7 || p.stratum > 255)
      abort();
    check_kod(&p);
    check_refid(&p);
    check_offset(&p);
    check_times(&p);
    check_request(&p);
  }
  free(pkt);
  return 0;
}
