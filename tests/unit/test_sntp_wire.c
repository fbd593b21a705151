/* test_sntp_wire.c -- NTP packet encoding, decoding, on-wire checks, Kiss-o'-Death and
 * era-safe timestamp arithmetic (RFC 5905 §6, §7.3, §8; protocols/ntp-w32time.md). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sntp_wire.h"

#define ERA1_UNIX 2085978496  /* 2036-02-07T06:28:16Z: NTP seconds wrap to 0 */
#define Y2026_UNIX 1767225600 /* 2026-01-01T00:00:00Z */
#define EPS 1e-9

static void
put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static struct sntp_ts
ts(uint32_t sec, uint32_t frac)
{
  struct sntp_ts t = {sec, frac};

  return t;
}

/* base + secs, in plain 64-bit wrap-around arithmetic (independent of the code's). */
static struct sntp_ts
ts_add(struct sntp_ts base, double secs)
{
  uint64_t v = (uint64_t)base.sec << 32 | base.frac;

  v += (uint64_t)(int64_t)llround(secs * 4294967296.0);
  return ts((uint32_t)(v >> 32), (uint32_t)v);
}

static struct timespec
tspec(time_t sec, long nsec)
{
  struct timespec t = {sec, nsec};

  return t;
}

static void
assert_near(double got, double want, double eps)
{
  if (!(fabs(got - want) <= eps))
    fail_msg("got %.12f, want %.12f (eps %g)", got, want, eps);
}

/* A synced W32Time reply: LI 0, VN 4, mode 4, stratum 3, refid 10.1.2.3. */
static void
reply(uint8_t *b)
{
  memset(b, 0, SNTP_PACKET_LEN);
  b[0] = 0x24;
  b[1] = 3;
  put32(b + 40, 0xE5000000u);
  put32(b + 44, 0x00000001u);
}

static void
decode_ok(const uint8_t *b, struct sntp_packet *p)
{
  assert_true(sntp_wire_decode(b, SNTP_PACKET_LEN, p));
}

/* ---- request ---- */

static void
test_request_layout(void **state)
{
  uint8_t buf[SNTP_PACKET_LEN + 8];
  size_t i;

  (void)state;
  memset(buf, 0xAA, sizeof(buf));
  assert_int_equal(sntp_wire_request(buf, ts(0x01020304u, 0xA1B2C3D4u)), 48);
  assert_int_equal(buf[0], 0x23); /* LI 0, VN 4, mode 3 */
  for (i = 1; i < 40; i++)
    if (buf[i] != 0)
      fail_msg("byte %zu = 0x%02X, want 0", i, buf[i]);
  assert_memory_equal(buf + 40, "\x01\x02\x03\x04\xA1\xB2\xC3\xD4", 8);
  for (i = SNTP_PACKET_LEN; i < sizeof(buf); i++)
    assert_int_equal(buf[i], 0xAA); /* nothing written past 48 bytes */
}

static void
test_request_decodes_back(void **state)
{
  uint8_t buf[SNTP_PACKET_LEN];
  struct sntp_packet p;

  (void)state;
  (void)sntp_wire_request(buf, ts(0xFFFFFFFFu, 0x12345678u));
  decode_ok(buf, &p);
  assert_int_equal(p.version, 4);
  assert_int_equal(p.mode, SNTP_MODE_CLIENT);
  assert_int_equal(p.leap, 0);
  assert_int_equal(p.transmit.sec, 0xFFFFFFFFu);
  assert_int_equal(p.transmit.frac, 0x12345678u);
}

/* ---- decode ---- */

static void
hand_built(uint8_t *b)
{
  memset(b, 0, SNTP_PACKET_LEN);
  b[0] = 0xE4; /* LI 3, VN 4, mode 4 */
  b[1] = 7;
  b[2] = 0x0A;                /* poll 10 */
  b[3] = 0xE9;                /* precision -23 */
  put32(b + 4, 0x0007C51Eu);  /* 7.7700 s */
  put32(b + 8, 0x000A8000u);  /* 10.5 s */
  put32(b + 12, 0xD8EF2308u); /* 216.239.35.8 */
  put32(b + 16, 0x11111111u);
  put32(b + 20, 0x22222222u);
  put32(b + 24, 0x33333333u);
  put32(b + 28, 0x44444444u);
  put32(b + 32, 0x55555555u);
  put32(b + 36, 0x66666666u);
  put32(b + 40, 0x77777777u);
  put32(b + 44, 0x88888888u);
}

static void
test_decode_fields(void **state)
{
  uint8_t b[SNTP_PACKET_LEN];
  struct sntp_packet p;

  (void)state;
  hand_built(b);
  decode_ok(b, &p);
  assert_int_equal(p.leap, 3);
  assert_int_equal(p.version, 4);
  assert_int_equal(p.mode, 4);
  assert_int_equal(p.stratum, 7);
  assert_int_equal(p.poll, 10);
  assert_int_equal(p.precision, -23);
  assert_near(p.root_delay, 7.77, 1e-4);
  assert_near(p.root_delay, 0x0007C51E / 65536.0, 0.0);
  assert_near(p.root_dispersion, 10.5, 0.0);
  assert_int_equal(p.refid, 0xD8EF2308u);
  assert_int_equal(p.ref.sec, 0x11111111u);
  assert_int_equal(p.ref.frac, 0x22222222u);
  assert_int_equal(p.origin.sec, 0x33333333u);
  assert_int_equal(p.origin.frac, 0x44444444u);
  assert_int_equal(p.receive.sec, 0x55555555u);
  assert_int_equal(p.receive.frac, 0x66666666u);
  assert_int_equal(p.transmit.sec, 0x77777777u);
  assert_int_equal(p.transmit.frac, 0x88888888u);
}

static void
test_decode_signed_and_short(void **state)
{
  uint8_t b[SNTP_PACKET_LEN];
  struct sntp_packet p;

  (void)state;
  hand_built(b);
  b[0] = 0x1C; /* LI 0, VN 3, mode 4 */
  b[2] = 0xFA; /* poll -6 */
  b[3] = 0xFA; /* precision -6 (older W32Time) */
  put32(b + 4, 0xFFFFFFFFu);
  put32(b + 8, 0x00000001u);
  decode_ok(b, &p);
  assert_int_equal(p.leap, 0);
  assert_int_equal(p.version, 3);
  assert_int_equal(p.poll, -6);
  assert_int_equal(p.precision, -6);
  assert_near(p.root_delay, 65535.0 + 65535.0 / 65536.0, 0.0); /* unsigned 16.16 */
  assert_near(p.root_dispersion, 1.0 / 65536.0, 0.0);
  b[3] = 0x7F;
  decode_ok(b, &p);
  assert_int_equal(p.precision, 127);
  b[3] = 0x80;
  decode_ok(b, &p);
  assert_int_equal(p.precision, -128);
}

static void
test_decode_lengths(void **state)
{
  uint8_t b[SNTP_REPLY_MAX + 1];
  struct sntp_packet p;

  (void)state;
  memset(b, 0, sizeof(b));
  hand_built(b);
  assert_false(sntp_wire_decode(b, 0, &p));
  assert_false(sntp_wire_decode(b, 47, &p));
  assert_true(sntp_wire_decode(b, 48, &p));
  assert_true(sntp_wire_decode(b, 68, &p)); /* MS-SNTP authenticator */
  assert_true(sntp_wire_decode(b, 120, &p));
  assert_false(sntp_wire_decode(b, 121, &p));
  assert_int_equal(SNTP_REPLY_MAX, 120);
}

static void
test_decode_clears_output(void **state)
{
  uint8_t b[SNTP_PACKET_LEN];
  struct sntp_packet p;

  (void)state;
  memset(b, 0, sizeof(b));
  memset(&p, 0xFF, sizeof(p));
  decode_ok(b, &p);
  assert_int_equal(p.stratum, 0);
  assert_int_equal(p.refid, 0);
  assert_int_equal(p.transmit.sec, 0);
  assert_near(p.root_delay, 0.0, 0.0);
}

/* ---- on-wire checks ---- */

static void
expect_reject(const struct sntp_packet *p, const char *cause)
{
  struct tsync_err err = {""};

  assert_int_equal(sntp_wire_check(p, &err), TSYNC_ERR_PROTO);
  if (!strstr(err.msg, cause))
    fail_msg("'%s' does not name '%s'", err.msg, cause);
}

static void
test_check(void **state)
{
  uint8_t b[SNTP_PACKET_LEN];
  struct sntp_packet p;
  struct tsync_err err = {""};

  (void)state;
  reply(b);
  decode_ok(b, &p);
  assert_int_equal(sntp_wire_check(&p, &err), TSYNC_OK);
  assert_int_equal(sntp_wire_check(&p, NULL), TSYNC_OK);
  p.version = 1;
  assert_int_equal(sntp_wire_check(&p, &err), TSYNC_OK);
  p.version = 4;
  p.mode = 3;
  expect_reject(&p, "mode 3");
  p.mode = 5;
  expect_reject(&p, "mode 5");
  p.mode = 4;
  p.version = 0;
  expect_reject(&p, "version 0");
  p.version = 5;
  expect_reject(&p, "version 5");
  p.version = 4;
  p.transmit = ts(0, 0);
  expect_reject(&p, "transmit");
  p.transmit = ts(0, 1);
  assert_int_equal(sntp_wire_check(&p, &err), TSYNC_OK);
}

/* ---- Kiss-o'-Death ---- */

static bool
kod(unsigned stratum, uint32_t refid, char code[5])
{
  uint8_t b[SNTP_PACKET_LEN];
  struct sntp_packet p;

  reply(b);
  b[1] = (uint8_t)stratum;
  put32(b + 12, refid);
  decode_ok(b, &p);
  memset(code, 'X', 5);
  return sntp_wire_kod(&p, code);
}

static void
expect_kod(uint32_t refid, const char *want)
{
  char code[5];

  assert_true(kod(0, refid, code));
  assert_string_equal(code, want);
}

static void
test_kod_codes(void **state)
{
  (void)state;
  expect_kod(0x52415445u, "RATE");
  expect_kod(0x44454E59u, "DENY");
  expect_kod(0x52535452u, "RSTR");
  expect_kod(0x494E4954u, "INIT");
  expect_kod(0x53544550u, "STEP");
  expect_kod(0x41555448u, "AUTH");
  expect_kod(0x58310000u, "X1"); /* a short code is NUL padded */
}

static void
test_kod_not(void **state)
{
  char code[5];

  (void)state;
  assert_false(kod(0, 0, code));           /* W32Time unsynchronized (B2 d), not a KoD */
  assert_false(kod(1, 0x4C4F434Cu, code)); /* LOCL: a stratum-1 source name */
  assert_false(kod(2, 0x52415445u, code)); /* RATE bytes as an IPv4 refid */
  assert_false(kod(0, 0x72617465u, code)); /* "rate" */
  assert_false(kod(0, 0x52615445u, code)); /* "RaTE" */
  assert_false(kod(0, 0x52410145u, code)); /* non-printable */
  assert_false(kod(0, 0x524154FFu, code));
  assert_false(kod(0, 0x00415445u, code)); /* leading NUL */
  assert_false(kod(0, 0x52412045u, code)); /* space */
}

/* ---- timestamps ---- */

static void
test_ts_from_timespec(void **state)
{
  struct sntp_ts t;

  (void)state;
  t = sntp_ts_from_timespec(tspec(0, 0));
  assert_int_equal(t.sec, 2208988800u);
  assert_int_equal(t.frac, 0);
  t = sntp_ts_from_timespec(tspec(ERA1_UNIX, 500000000));
  assert_int_equal(t.sec, 0); /* era 1 */
  assert_int_equal(t.frac, 0x80000000u);
  t = sntp_ts_from_timespec(tspec(ERA1_UNIX - 1, 250000000));
  assert_int_equal(t.sec, 0xFFFFFFFFu);
  assert_int_equal(t.frac, 0x40000000u);
  t = sntp_ts_from_timespec(tspec(Y2026_UNIX, 999999999));
  assert_int_equal(t.sec, 3976214400u);
  assert_int_equal(t.frac, 0xFFFFFFFBu); /* floor(0.999999999 * 2^32), no carry */
}

static void
test_ts_diff(void **state)
{
  struct sntp_ts a = ts(0xFFFFFFFFu, 0), b = ts(1, 0);

  (void)state;
  assert_near(sntp_ts_diff(a, b), 2.0, 0.0);
  assert_near(sntp_ts_diff(b, a), -2.0, 0.0);
  a = ts(0xFFFFFFFFu, 0x80000000u);
  b = ts(0, 0x40000000u);
  assert_near(sntp_ts_diff(a, b), 0.75, 0.0);
  assert_near(sntp_ts_diff(b, a), -0.75, 0.0);
  assert_near(sntp_ts_diff(ts(5, 0xC0000000u), ts(5, 0x40000000u)), -0.5, 0.0);
  assert_near(sntp_ts_diff(ts(7, 1), ts(7, 1)), 0.0, 0.0);
  assert_near(sntp_ts_diff(ts(0, 0), ts(0, 1)), 1.0 / 4294967296.0, 0.0);
  /* the nearest era: 2^31 - 1 s ahead is ahead, 2^31 + 1 s ahead is behind */
  assert_near(sntp_ts_diff(ts(0, 0), ts(0x7FFFFFFFu, 0)), 2147483647.0, 0.0);
  assert_near(sntp_ts_diff(ts(0, 0), ts(0x80000001u, 0)), -2147483647.0, 0.0);
}

/* Seconds exactly 2^31 apart with a.frac > b.frac: the 32.32 sum must not overflow (the
 * sanitizer build aborts on signed overflow); the answer is half an era either way. */
static void
test_ts_diff_half_era(void **state)
{
  struct sntp_ts a = ts(0, 1), b = ts(0x80000000u, 0);
  double ab = sntp_ts_diff(a, b), ba = sntp_ts_diff(b, a);

  (void)state;
  assert_true(isfinite(ab) && isfinite(ba));
  assert_near(fabs(ab), 2147483648.0, 1e-6);
  assert_near(ab, -ba, 0.0);
  a = ts(0x7FFFFFFFu, 0xFFFFFFFFu);
  b = ts(0xFFFFFFFFu, 0xFFFFFFFEu);
  assert_near(fabs(sntp_ts_diff(a, b)), 2147483648.0, 1e-6);
  assert_near(fabs(sntp_ts_diff(b, a)), 2147483648.0, 1e-6);
}

static void
test_ts_to_unix_2026(void **state)
{
  struct timespec now = tspec(Y2026_UNIX, 0);

  (void)state;
  assert_near(sntp_ts_to_unix(ts(3976214400u, 0x80000000u), now), Y2026_UNIX + 0.5, EPS);
  assert_near(sntp_ts_to_unix(ts(3976214400u - 86400u, 0), now), Y2026_UNIX - 86400.0, EPS);
  assert_near(sntp_ts_to_unix(ts(2208988800u, 0), now), 0.0, EPS);
  assert_near(sntp_ts_to_unix(ts(0, 0), now), 0.0, 0.0); /* zero: never set */
  assert_near(sntp_ts_to_unix(ts(0, 1), now), ERA1_UNIX + 1.0 / 4294967296.0, 1e-6);
  now = tspec(Y2026_UNIX, 250000000);
  assert_near(sntp_ts_to_unix(ts(3976214400u, 0), now), Y2026_UNIX, EPS);
}

static void
test_ts_to_unix_2036(void **state)
{
  struct timespec before = tspec(ERA1_UNIX - 2, 0), after = tspec(ERA1_UNIX + 2, 0);

  (void)state;
  /* an era-1 timestamp read just before the wrap, and an era-0 one just after */
  assert_near(sntp_ts_to_unix(ts(5, 0x80000000u), before), ERA1_UNIX + 5.5, EPS);
  assert_near(sntp_ts_to_unix(ts(0xFFFFFFF0u, 0), after), ERA1_UNIX - 16.0, EPS);
  assert_near(sntp_ts_to_unix(ts(0xFFFFFFF0u, 0), before), ERA1_UNIX - 16.0, EPS);
  assert_near(sntp_ts_to_unix(ts(5, 0), after), ERA1_UNIX + 5.0, EPS);
  assert_near(sntp_ts_to_unix(ts(0, 0x80000000u), after), ERA1_UNIX + 0.5, EPS);
  assert_near(sntp_ts_to_unix(ts(0, 0), after), 0.0, 0.0);
  /* an hour into era 1 */
  after = tspec(ERA1_UNIX + 3600, 0);
  assert_near(sntp_ts_to_unix(ts(3600, 0), after), ERA1_UNIX + 3600.0, EPS);
}

static void
test_ts_round_trip(void **state)
{
  static const time_t secs[] = {0,         1000000000,       Y2026_UNIX, ERA1_UNIX - 1,
                                ERA1_UNIX, ERA1_UNIX + 86400};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
    struct timespec now = tspec(secs[i], 123456789);
    struct sntp_ts t = sntp_ts_from_timespec(now);

    assert_near(sntp_ts_to_unix(t, now), (double)secs[i] + 0.123456789, 1e-6);
    assert_near(sntp_ts_to_unix(t, tspec(secs[i] + 1000000, 0)), (double)secs[i] + 0.123456789,
                1e-6);
  }
}

/* ---- offset and delay ---- */

static void
offset_delay(struct sntp_ts t1, double d2, double d3, double d4, double want_off,
             double want_delay)
{
  double off = NAN, delay = NAN;

  sntp_wire_offset_delay(t1, ts_add(t1, d2), ts_add(t1, d3), ts_add(t1, d4), &off, &delay);
  assert_near(off, want_off, EPS);
  assert_near(delay, want_delay, EPS);
}

static void
test_offset_delay(void **state)
{
  struct sntp_ts t1 = ts(3976214400u, 0x12345678u);

  (void)state;
  /* server 2.5 s ahead, 5 ms each way, 1 ms in the server */
  offset_delay(t1, 2.505, 2.506, 0.011, 2.5, 0.010);
  /* same clocks; the request arrives at once, the reply takes 20 ms */
  offset_delay(t1, 0.0, 0.0, 0.020, -0.010, 0.020);
  /* server 3 s behind */
  offset_delay(t1, -2.995, -2.994, 0.011, -3.0, 0.010);
  /* small values */
  offset_delay(t1, 0.000150, 0.000160, 0.000200, 0.000055, 0.000190);
  offset_delay(t1, 0.0, 0.0, 0.0, 0.0, 0.0);
  /* a server more than a day ahead */
  offset_delay(t1, 86400.005, 86400.005, 0.010, 86400.0, 0.010);
}

static void
test_offset_delay_era(void **state)
{
  /* T1 1.5 s before the 2036 wrap; T2..T4 after it */
  struct sntp_ts t1 = ts(0xFFFFFFFEu, 0x80000000u);

  (void)state;
  offset_delay(t1, 2.505, 2.506, 0.011, 2.5, 0.010);
  offset_delay(t1, -2.995, -2.994, 0.011, -3.0, 0.010);
  offset_delay(t1, 1.6, 1.601, 3.2, 0.0005, 3.199);
  /* the server still in era 0, the client already in era 1 */
  t1 = ts(0, 0x10000000u);
  offset_delay(t1, -0.995, -0.994, 0.011, -1.0, 0.010);
}

static void
test_offset_delay_clamp(void **state)
{
  struct sntp_ts t1 = ts(3976214400u, 0);

  (void)state;
  /* the server claims 0.5 s of processing inside a 0.2 s round trip */
  offset_delay(t1, 1.0, 1.5, 0.2, 1.15, 0.0);
  offset_delay(t1, 0.0, 0.0, -0.001, 0.0005, 0.0);
}

/* ---- refid text ---- */

static void
expect_refid(uint32_t refid, unsigned stratum, size_t len, const char *want)
{
  char buf[32];

  assert_true(len <= sizeof(buf) - 1);
  memset(buf, 'Z', sizeof(buf));
  sntp_wire_refid_text(refid, stratum, buf, len);
  assert_string_equal(buf, want);
  assert_int_equal(buf[len], 'Z'); /* nothing past len */
}

static void
test_refid_text(void **state)
{
  char buf[4] = "abc";

  (void)state;
  expect_refid(0x0A010203u, 2, 32 - 1, "10.1.2.3");
  expect_refid(0xD8EF2308u, 15, 31, "216.239.35.8");
  expect_refid(0xFFFFFFFFu, 3, 16, "255.255.255.255");
  expect_refid(0x4C4F434Cu, 1, 31, "LOCL");
  expect_refid(0x47505300u, 1, 31, "GPS");
  expect_refid(0x47500753u, 1, 31, "GPS"); /* non-printable bytes dropped */
  expect_refid(0x7F80FF20u, 1, 31, " ");
  expect_refid(0x52415445u, 0, 31, "RATE");
  expect_refid(0, 0, 31, "");
  expect_refid(0, 1, 31, "");
  expect_refid(0, 2, 31, ""); /* no upstream: no 0.0.0.0 */
  expect_refid(0x4C4F434Cu, 1, 3, "LO");
  expect_refid(0x4C4F434Cu, 1, 1, "");
  expect_refid(0x0A010203u, 2, 5, "10.1");
  expect_refid(0x0A010203u, 2, 1, "");
  sntp_wire_refid_text(0x4C4F434Cu, 1, buf, 0);
  assert_string_equal(buf, "abc"); /* len 0: untouched */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_layout),
      cmocka_unit_test(test_request_decodes_back),
      cmocka_unit_test(test_decode_fields),
      cmocka_unit_test(test_decode_signed_and_short),
      cmocka_unit_test(test_decode_lengths),
      cmocka_unit_test(test_decode_clears_output),
      cmocka_unit_test(test_check),
      cmocka_unit_test(test_kod_codes),
      cmocka_unit_test(test_kod_not),
      cmocka_unit_test(test_ts_from_timespec),
      cmocka_unit_test(test_ts_diff),
      cmocka_unit_test(test_ts_diff_half_era),
      cmocka_unit_test(test_ts_to_unix_2026),
      cmocka_unit_test(test_ts_to_unix_2036),
      cmocka_unit_test(test_ts_round_trip),
      cmocka_unit_test(test_offset_delay),
      cmocka_unit_test(test_offset_delay_era),
      cmocka_unit_test(test_offset_delay_clamp),
      cmocka_unit_test(test_refid_text),
  };

  return cmocka_run_group_tests_name("sntp_wire", tests, NULL, NULL);
}
