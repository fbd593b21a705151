/* sntp_wire.h -- the NTP packet (RFC 5905 §7.3) as a client sends and reads it.
 *
 * Pure encoding, decoding and arithmetic: no I/O, no clock reads (the caller passes
 * "now"), so every path is unit-tested and fuzzed. Timestamps are kept as the 64-bit
 * wire value; differences are taken in 32.32 fixed point with a signed seconds part,
 * which puts every timestamp in the era nearest its reference and works across 2036.
 * Facts: shared/protocols/ntp-w32time.md.
 */
#ifndef TSYNC_SNTP_WIRE_H
#define TSYNC_SNTP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "status.h"

#define SNTP_PACKET_LEN 48
/* The longest reply read: 48 bytes + the largest MS-SNTP authenticator (120 in all);
 * receive buffers hold one more so a longer datagram shows as oversized. */
#define SNTP_REPLY_MAX 120
#define SNTP_UNIX_EPOCH 2208988800u /* 1970-01-01 in NTP seconds (era 0) */

#define SNTP_LEAP_UNSYNC 3
#define SNTP_MODE_CLIENT 3
#define SNTP_MODE_SERVER 4

/* A 64-bit NTP timestamp: seconds since 1900 (mod 2^32) and a binary fraction. */
struct sntp_ts {
  uint32_t sec;
  uint32_t frac;
};

/* A decoded reply header, host order. */
struct sntp_packet {
  unsigned leap, version, mode, stratum;
  int poll, precision;
  double root_delay, root_dispersion; /* seconds */
  uint32_t refid;
  struct sntp_ts ref, origin, receive, transmit;
};

/* Local time (CLOCK_REALTIME) as an NTP timestamp. Wraps at 2036 as the wire does. */
struct sntp_ts sntp_ts_from_timespec(struct timespec t);

/* b - a in seconds, reading b in the era nearest a (|b - a| < 68 years). */
double sntp_ts_diff(struct sntp_ts a, struct sntp_ts b);

/* UNIX seconds of ts, in the era nearest now (a CLOCK_REALTIME reading); 0 for a zero ts. */
double sntp_ts_to_unix(struct sntp_ts ts, struct timespec now);

/* Writes a 48-byte client request (LI 0, VN 4, mode 3) whose transmit timestamp is xmt
 * (random bits: the true send time stays with the caller). Returns SNTP_PACKET_LEN. */
size_t sntp_wire_request(uint8_t *buf, struct sntp_ts xmt);

/* Decodes the first 48 bytes of a reply of len bytes; false when len is outside
 * [48, SNTP_REPLY_MAX]. No semantic checks: see sntp_wire_check. */
bool sntp_wire_decode(const uint8_t *buf, size_t len, struct sntp_packet *out);

/* The on-wire checks (RFC 5905 §8; protocols/ntp-w32time.md): mode 4, version 1-4,
 * non-zero transmit timestamp. TSYNC_OK or TSYNC_ERR_PROTO with the reason. The origin
 * match is the caller's: it knows which requests are outstanding. */
enum tsync_status sntp_wire_check(const struct sntp_packet *p, struct tsync_err *err) TSYNC_WUR;

/* A Kiss-o'-Death: stratum 0 with a printable ASCII code in the refid; code gets the
 * 4 characters and a NUL. */
bool sntp_wire_kod(const struct sntp_packet *p, char code[5]);

/* Offset theta = ((T2 - T1) + (T3 - T4)) / 2 (positive: server ahead) and delay
 * delta = (T4 - T1) - (T3 - T2), clamped at 0 (RFC 5905 §8). */
void sntp_wire_offset_delay(struct sntp_ts t1, struct sntp_ts t2, struct sntp_ts t3,
                            struct sntp_ts t4, double *offset, double *delay);

/* The refid as text: a.b.c.d for stratum >= 2, the printable ASCII code otherwise
 * ("LOCL", "GPS", "RATE"); "" when empty. */
void sntp_wire_refid_text(uint32_t refid, unsigned stratum, char *buf, size_t len);

#endif
