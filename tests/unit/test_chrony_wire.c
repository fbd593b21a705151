/* test_chrony_wire.c -- cmdmon encoding, validation and decoding: golden replies from
 * chronyd 4.3 (tests/unit/golden/) and synthetic ones for the 4.4+/4.6+ codes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chrony_wire.h"

#define MAXPKT (CHRONY_RPY_MAX + 1)

/* chrony's UTI_FloatHostToNetwork, written from §1.5 for round trips. */
static uint32_t
float_encode(double x)
{
  int exp = 0, coef;
  uint32_t e, c;

  if (x == 0.0)
    return 0;
  (void)frexp(x, &exp);
  exp -= 24; /* 25-bit signed coefficient: magnitude below 2^24 */
  if (exp < -64)
    exp = -64;
  if (exp > 63 - 25)
    exp = 63 - 25;
  coef = (int)lround(ldexp(x, -exp));
  if (coef >= (1 << 24) || coef < -(1 << 24)) {
    coef /= 2;
    exp++;
  }
  e = (uint32_t)(exp + 25) & 0x7fu;
  c = (uint32_t)coef & 0x1ffffffu;
  return e << 25 | c;
}

static size_t
load(const char *name, uint8_t *buf)
{
  const char *dir = getenv("GOLDEN_DIR") ? getenv("GOLDEN_DIR") : "tests/unit/golden";
  char path[512];
  size_t n;
  FILE *f;

  assert_true(snprintf(path, sizeof(path), "%s/%s.bin", dir, name) < (int)sizeof(path));
  f = fopen(path, "rb");
  assert_non_null(f);
  n = fread(buf, 1, MAXPKT, f);
  fclose(f);
  return n;
}

/* Loads a golden reply, checks it for cmd and returns it decoded-ready. */
static void
golden(const char *name, uint16_t cmd, uint8_t *buf, struct chrony_reply *r)
{
  size_t n = load(name, buf);
  struct tsync_err err;

  assert_int_equal(chrony_wire_check(buf, n, cmd, r, &err), TSYNC_OK);
}

static void
put16(uint8_t *p, unsigned v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

/* A synthetic success reply header for cmd/code with data_len bytes of zero data. */
static size_t
synth(uint8_t *buf, uint16_t cmd, uint16_t code, size_t data_len)
{
  memset(buf, 0, MAXPKT);
  buf[0] = 6;
  buf[1] = 2;
  put16(buf + 4, cmd);
  put16(buf + 6, code);
  put32(buf + 16, 0x01020304);
  return CHRONY_RPY_HDR_LEN + data_len;
}

static void
test_float_pinned(void **state)
{
  (void)state;
  assert_true(chrony_wire_float(0) == 0.0);
  /* coefficient 1, exponent 0: 2^-25 */
  assert_true(chrony_wire_float(0x00000001u) == ldexp(1.0, -25));
  /* coefficient -1 (all 25 bits set), exponent 0 */
  assert_true(chrony_wire_float(0x01ffffffu) == -ldexp(1.0, -25));
  /* largest: exponent 63, coefficient 2^24 - 1 */
  assert_true(chrony_wire_float(0x7effffffu) == ldexp((double)((1 << 24) - 1), 38));
  /* smallest exponent -64 */
  assert_true(chrony_wire_float(0x80000001u) == ldexp(1.0, -89));
  assert_true(chrony_wire_float(float_encode(1.0)) == 1.0);
  assert_true(chrony_wire_float(float_encode(-0.5)) == -0.5);
}

static void
test_float_round_trip(void **state)
{
  int e;

  (void)state;
  /* full precision needs exponent - 24 >= -64; the top of the range is 2^62 */
  for (e = -40; e <= 61; e++) {
    double x = ldexp(1.2345678, e), y = chrony_wire_float(float_encode(x));

    assert_true(fabs(y - x) <= fabs(x) * ldexp(1.0, -23));
    y = chrony_wire_float(float_encode(-x));
    assert_true(fabs(y + x) <= fabs(x) * ldexp(1.0, -23));
  }
}

static void
test_float_random_bytes_finite(void **state)
{
  uint32_t x = 0x12345678u;
  int i;

  (void)state;
  for (i = 0; i < 100000; i++) {
    x = x * 1664525u + 1013904223u;
    assert_true(isfinite(chrony_wire_float(x)));
  }
}

static void
test_request_layout(void **state)
{
  uint8_t buf[CHRONY_REQ_SIZE + 8], body[4];
  size_t n, i;

  (void)state;
  memset(buf, 0xaa, sizeof(buf));
  n = chrony_wire_request(buf, sizeof(buf), CHRONY_REQ_SOURCE_DATA, 2, 0xdeadbeef, body,
                          chrony_wire_index_body(body, 7));
  assert_int_equal(n, 520);
  assert_int_equal(buf[0], 6);
  assert_int_equal(buf[1], 1);
  assert_int_equal(buf[2] | buf[3], 0);
  assert_int_equal(buf[4] << 8 | buf[5], 15);
  assert_int_equal(buf[6] << 8 | buf[7], 2);
  assert_memory_equal(buf + 8, "\xde\xad\xbe\xef", 4);
  for (i = 12; i < 20; i++)
    assert_int_equal(buf[i], 0);
  assert_memory_equal(buf + 20, "\0\0\0\7", 4);
  for (i = 24; i < 520; i++)
    assert_int_equal(buf[i], 0);
  assert_int_equal(buf[520], 0xaa);
  /* too small a buffer, too long a body */
  assert_int_equal(chrony_wire_request(buf, 519, 33, 0, 1, NULL, 0), 0);
  assert_int_equal(chrony_wire_request(buf, sizeof(buf), 33, 0, 1, buf, 501), 0);
}

static void
test_is_ours(void **state)
{
  uint8_t buf[MAXPKT];
  uint32_t seqs[2] = {0x0a0b0c0d, 0x01020304};
  size_t n = synth(buf, 33, 5, 76);

  (void)state;
  assert_true(chrony_wire_is_ours(buf, n, 33, seqs, 2));
  assert_false(chrony_wire_is_ours(buf, n, 33, seqs, 1));  /* spoofed sequence */
  assert_false(chrony_wire_is_ours(buf, n, 34, seqs, 2));  /* other command */
  assert_false(chrony_wire_is_ours(buf, 27, 33, seqs, 2)); /* shorter than a header */
}

static void
test_check_header_faults(void **state)
{
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  struct tsync_err err;
  size_t n = load("tracking_synced", buf);

  (void)state;
  assert_int_equal(chrony_wire_check(buf, n, 33, &r, &err), TSYNC_OK);
  assert_int_equal(r.code, 5);
  assert_int_equal(chrony_wire_check(buf, 27, 33, &r, &err), TSYNC_ERR_PROTO);
  assert_int_equal(chrony_wire_check(buf, n - 1, 33, &r, &err), TSYNC_ERR_PROTO);
  assert_non_null(strstr(err.msg, "truncated"));
  assert_int_equal(chrony_wire_check(buf, n, 34, &r, &err), TSYNC_ERR_PROTO);
  buf[0] = 5;
  assert_int_equal(chrony_wire_check(buf, n, 33, &r, &err), TSYNC_ERR_PROTO);
  assert_non_null(strstr(err.msg, "version 5"));
  buf[0] = 6;
  buf[1] = 1;
  assert_int_equal(chrony_wire_check(buf, n, 33, &r, &err), TSYNC_ERR_PROTO);
  buf[1] = 2;
  buf[3] = 1;
  assert_int_equal(chrony_wire_check(buf, n, 33, &r, &err), TSYNC_ERR_PROTO);
  buf[3] = 0;
  put16(buf + 6, 9); /* a real reply code, but not one TRACKING answers with */
  assert_int_equal(chrony_wire_check(buf, n, 33, &r, &err), TSYNC_ERR_PROTO);
  assert_non_null(strstr(err.msg, "reply code 9"));
}

static void
test_check_status(void **state)
{
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  struct tsync_err err;
  size_t n;

  (void)state;
  n = load("select_data_udp_unauth", buf);
  assert_int_equal(chrony_wire_check(buf, n, 69, &r, &err), TSYNC_ERR_UNAUTH);
  assert_non_null(strstr(err.msg, "Not authorised"));
  n = load("source_data_nosuch", buf);
  assert_int_equal(chrony_wire_check(buf, n, 15, &r, &err), TSYNC_ERR_REFUSED);
  assert_int_equal(r.status, CHRONY_STT_NOSUCHSOURCE);
  n = synth(buf, 33, 1, 0);
  put16(buf + 8, 18);
  assert_int_equal(chrony_wire_check(buf, n, 33, &r, &err), TSYNC_ERR_REFUSED);
  assert_non_null(strstr(err.msg, "Protocol version mismatch"));
  put16(buf + 8, 19);
  assert_int_equal(chrony_wire_check(buf, n, 33, &r, &err), TSYNC_ERR_REFUSED);
  assert_non_null(strstr(err.msg, "Packet length mismatch"));
}

/* Every accepted reply code, at exactly its length and one byte short. */
static void
test_check_reply_codes(void **state)
{
  static const struct {
    uint16_t cmd, code, len;
  } ok[] = {{14, 2, 4},    {15, 3, 48},   {33, 5, 76},   {34, 6, 56},   {54, 14, 20},
            {54, 22, 32},  {54, 24, 44},  {54, 25, 168}, {57, 16, 124}, {57, 26, 144},
            {65, 19, 256}, {68, 21, 492}, {69, 23, 48}};
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  size_t i, n;

  (void)state;
  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    n = synth(buf, ok[i].cmd, ok[i].code, ok[i].len);
    assert_int_equal(chrony_wire_check(buf, n, ok[i].cmd, &r, NULL), TSYNC_OK);
    assert_int_equal(chrony_wire_check(buf, n - 1, ok[i].cmd, &r, NULL), TSYNC_ERR_PROTO);
  }
  /* SERVER_STATS answered with an NTP_DATA code */
  n = synth(buf, 54, 16, 124);
  assert_int_equal(chrony_wire_check(buf, n, 54, &r, NULL), TSYNC_ERR_PROTO);
}

static void
test_tracking_golden(void **state)
{
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  struct tsync_clock c;

  (void)state;
  golden("tracking_synced", 33, buf, &r);
  chrony_wire_tracking(&r, &c);
  assert_int_equal(c.refid, 0x7F000001);
  assert_string_equal(c.ref_name, "127.0.0.1");
  assert_false(c.ref_local);
  assert_int_equal(c.stratum, 2);
  assert_int_equal(c.leap, TSYNC_LEAP_NORMAL);
  assert_true(fabs(c.ref_time - 1795675029.124073535) < 1e-6);
  /* values decoded independently of this code from the same bytes */
  assert_true(c.offset == -1.3256634474601015e-06);
  assert_true(c.last_offset == 3.942096071796186e-08);
  assert_true(c.rms_offset == 3.3272247179638725e-08);
  assert_true(c.freq_ppm == -0.06348901242017746);
  assert_true(c.skew_ppm == 0.12444312125444412);
  assert_true(c.root_delay == 2.3939999209687812e-06);
  assert_true(c.root_dispersion == 1.3552134987548925e-06);
  assert_true(fabs(c.est_error - (c.last_offset + c.root_dispersion + c.root_delay / 2)) <
              1e-15);

  golden("tracking_local", 33, buf, &r);
  chrony_wire_tracking(&r, &c);
  assert_true(c.ref_local);
  assert_string_equal(c.ref_name, "");
  assert_int_equal(c.stratum, 1);

  golden("tracking_unsync", 33, buf, &r);
  chrony_wire_tracking(&r, &c);
  assert_int_equal(c.refid, 0);
  assert_int_equal(c.leap, TSYNC_LEAP_UNSYNC);
  assert_int_equal(c.stratum, 0);
  assert_true(c.root_delay == 1.0 && c.root_dispersion == 1.0);
  assert_true(c.ref_time == 0.0);
}

static void
test_tracking_synthetic_edges(void **state)
{
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  struct tsync_clock c;
  size_t n = synth(buf, 33, 5, 76);

  (void)state;
  put16(buf + 28 + 26, 7);          /* leap status out of range */
  put32(buf + 28 + 28, 0x7fffffff); /* 32-bit time_t marker in the high word */
  put32(buf + 28 + 32, 1000);
  put32(buf + 28 + 36, 2000000000); /* nanoseconds out of range */
  put32(buf + 28 + 40, 0x7effffff); /* the largest Float */
  assert_int_equal(chrony_wire_check(buf, n, 33, &r, NULL), TSYNC_OK);
  chrony_wire_tracking(&r, &c);
  assert_int_equal(c.leap, TSYNC_LEAP_UNSYNC);
  assert_true(c.ref_time >= 1000.0 && c.ref_time < 1001.0);
  assert_true(isfinite(c.offset) && c.offset > 1e18);
  /* unresolved/unspec address: the refid's printable characters name it */
  put32(buf + 28, 0x47505300); /* "GPS\0" */
  chrony_wire_tracking(&r, &c);
  assert_string_equal(c.ref_name, "GPS");
}

static void
test_sources_golden(void **state)
{
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  struct tsync_source s, other;
  char name[TSYNC_NAME_SIZE];

  (void)state;
  golden("n_sources", 14, buf, &r);
  assert_int_equal(chrony_wire_n_sources(&r), 1);

  golden("source_data_synced", 15, buf, &r);
  assert_int_equal(chrony_wire_source_data(&r, &s), 1);
  assert_string_equal(s.address, "127.0.0.1");
  assert_string_equal(s.name, "127.0.0.1");
  assert_int_equal(s.mode, TSYNC_MODE_SERVER);
  assert_int_equal(s.state, TSYNC_SRC_SELECTED);
  assert_int_equal(s.poll, -4);
  assert_int_equal(s.stratum, 1);
  assert_int_equal(s.reach, 0377);
  assert_int_equal(s.lost, 0);
  assert_int_equal(s.since_sample, 1);
  /* our sign is source - local: chrony's latest_meas negated */
  assert_true(s.offset == -2.3557952033570473e-07);
  assert_true(s.orig_offset == -2.749999907791789e-07);
  assert_true(s.error == 1.8273060504725436e-06);

  golden("sourcestats_synced", 34, buf, &r);
  other = s;
  assert_int_equal(chrony_wire_sourcestats(&r, &s), 1);
  assert_true(s.have_stats);
  assert_int_equal(s.n_samples, 57);
  assert_int_equal(s.n_runs, 29);
  assert_int_equal(s.span, 4);
  assert_true(s.sd == 2.825801175276865e-07);
  /* stats for another source are not taken */
  memcpy(other.address, "127.0.0.2", 10);
  assert_int_equal(chrony_wire_sourcestats(&r, &other), 0);
  assert_false(other.have_stats);

  golden("select_data_synced", 69, buf, &r);
  assert_int_equal(chrony_wire_select_char(&r, &s), '*');
  assert_int_equal(chrony_wire_select_char(&r, &other), 0);

  golden("source_name", 65, buf, &r);
  chrony_wire_source_name(&r, name, sizeof(name));
  assert_string_equal(name, "127.0.0.1");

  golden("source_data_unreach", 15, buf, &r);
  (void)chrony_wire_source_data(&r, &s);
  assert_int_equal(s.reach, 0);
  assert_int_equal(s.state, TSYNC_SRC_UNUSABLE);
  assert_int_equal(s.since_sample, UINT32_MAX);
}

static void
test_source_families(void **state)
{
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  struct tsync_source s;
  size_t n = synth(buf, 15, 3, 48);
  uint8_t *d = buf + 28;
  char text[TSYNC_ADDR_SIZE];

  (void)state;
  /* refclock: INET4 address field carrying "PPS\0" */
  memcpy(d, "PPS\0", 4);
  put16(d + 16, 1);
  put16(d + 26, 2);
  assert_int_equal(chrony_wire_check(buf, n, 15, &r, NULL), TSYNC_OK);
  assert_int_equal(chrony_wire_source_data(&r, &s), 1);
  assert_int_equal(s.mode, TSYNC_MODE_REFCLOCK);
  assert_string_equal(s.name, "PPS");
  assert_int_equal(s.refid, 0x50505300);
  /* unresolved source: ID family, printed in decimal like chronyc */
  memset(d, 0, 20);
  put32(d, 42);
  put16(d + 16, 3);
  put16(d + 26, 0);
  assert_int_equal(chrony_wire_source_data(&r, &s), 3);
  assert_string_equal(s.address, "ID#0000000042");
  /* IPv6 */
  memset(d, 0, 20);
  d[15] = 1;
  put16(d + 16, 2);
  assert_int_equal(chrony_wire_ipaddr(d, text, sizeof(text)), 2);
  assert_string_equal(text, "::1");
  /* unknown family, mode and state */
  put16(d + 16, 9);
  put16(d + 24, 77);
  put16(d + 26, 77);
  assert_int_equal(chrony_wire_source_data(&r, &s), 9);
  assert_string_equal(s.address, "");
  assert_int_equal(s.mode, TSYNC_MODE_UNKNOWN);
  assert_int_equal(s.state, TSYNC_SRC_UNKNOWN);
}

static void
test_refid_name(void **state)
{
  char buf[8];

  (void)state;
  chrony_wire_refid_name(0x50505300, buf, sizeof(buf));
  assert_string_equal(buf, "PPS");
  chrony_wire_refid_name(0x7F7F0101, buf, sizeof(buf));
  assert_string_equal(buf, "");
  chrony_wire_refid_name(0x4C4F434C, buf, sizeof(buf));
  assert_string_equal(buf, "LOCL");
  chrony_wire_refid_name(0x4C4F434C, buf, 3);
  assert_string_equal(buf, "LO");
}

static void
test_serverstats_versions(void **state)
{
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  struct tsync_serverstats st;
  size_t n;

  (void)state;
  golden("serverstats_v3", 54, buf, &r);
  chrony_wire_serverstats(&r, &st);
  assert_true(st.valid);
  assert_int_equal(st.ntp_hits, 64);
  assert_int_equal(st.cmd_hits, 2);

  n = synth(buf, 54, 14, 20); /* 3.x: ntp, cmd, ntp drops, cmd drops, log drops */
  put32(buf + 28, 11);
  put32(buf + 28 + 4, 22);
  put32(buf + 28 + 8, 33);
  assert_int_equal(chrony_wire_check(buf, n, 54, &r, NULL), TSYNC_OK);
  chrony_wire_serverstats(&r, &st);
  assert_int_equal(st.ntp_hits, 11);
  assert_int_equal(st.cmd_hits, 22);
  assert_int_equal(st.ntp_drops, 33);

  n = synth(buf, 54, 22, 32); /* 4.0: ntp, nke, cmd, ntp drops ... */
  put32(buf + 28, 5);
  put32(buf + 28 + 12, 6);
  assert_int_equal(chrony_wire_check(buf, n, 54, &r, NULL), TSYNC_OK);
  chrony_wire_serverstats(&r, &st);
  assert_int_equal(st.ntp_hits, 5);
  assert_int_equal(st.ntp_drops, 6);

  n = synth(buf, 54, 25, 168); /* 4.4+: Integer64, high word first */
  put32(buf + 28, 1);
  put32(buf + 28 + 4, 2);
  put32(buf + 28 + 24, 0);
  put32(buf + 28 + 28, 7);
  assert_int_equal(chrony_wire_check(buf, n, 54, &r, NULL), TSYNC_OK);
  chrony_wire_serverstats(&r, &st);
  assert_true(st.ntp_hits == 0x100000002ULL);
  assert_int_equal(st.ntp_drops, 7);
}

/* NTP_DATA's request body and both reply codes (16 up to 4.5, 26 from 4.6). */
static void
test_ntpdata(void **state)
{
  static const uint8_t v4[20] = {127, 0, 0, 1, [17] = 1};
  uint8_t buf[MAXPKT], body[20];
  struct chrony_reply r;
  struct tsync_source s;
  uint16_t code;
  size_t n;

  (void)state;
  assert_int_equal(chrony_wire_ipaddr_body(body, "127.0.0.1"), 20);
  assert_memory_equal(body, v4, 20);
  assert_int_equal(chrony_wire_ipaddr_body(body, "::1"), 20);
  assert_int_equal(body[15], 1);
  assert_int_equal(body[17], 2);
  assert_int_equal(chrony_wire_ipaddr_body(body, "ID#0000000001"), 0);
  assert_int_equal(chrony_wire_ipaddr_body(body, "ntp1.example.com"), 0);

  for (code = 16; code <= 26; code += 10) {
    n = synth(buf, 57, code, code == 16 ? 124 : 144);
    put32(buf + 28 + 76, float_encode(0.25));
    put32(buf + 28 + 96, 1000);
    put32(buf + 28 + 100, 990);
    put32(buf + 28 + 104, 985);
    assert_int_equal(chrony_wire_check(buf, n, 57, &r, NULL), TSYNC_OK);
    memset(&s, 0, sizeof(s));
    chrony_wire_ntpdata(&r, &s);
    assert_true(s.have_ntpdata);
    assert_true(s.delay == 0.25);
    assert_int_equal(s.pkts_tx, 1000);
    assert_int_equal(s.pkts_rx, 990);
    assert_int_equal(s.pkts_valid, 985);
    /* one byte short of the code's length: refused before decoding */
    assert_int_not_equal(chrony_wire_check(buf, n - 1, 57, &r, NULL), TSYNC_OK);
  }
}

static void
test_clients(void **state)
{
  uint8_t buf[MAXPKT];
  struct chrony_reply r;
  struct tsync_client out[CHRONY_CLIENTS_PER_REPLY];
  uint32_t n_indices, next, n_clients;
  size_t n, kept, i;

  (void)state;
  golden("clients_v3", 68, buf, &r);
  kept = chrony_wire_clients(&r, out, 8, &n_indices, &next, &n_clients);
  assert_int_equal(kept, 1);
  assert_int_equal(n_indices, 16);
  assert_int_equal(next, 16);
  assert_int_equal(n_clients, 1);
  assert_string_equal(out[0].address, "127.0.0.1");
  assert_int_equal(out[0].ntp_hits, 64);
  assert_int_equal(out[0].last_ntp_ago, 0);
  assert_int_equal(out[0].last_cmd_ago, UINT32_MAX);

  /* a hostile count is clamped to the 8 records the layout holds; UNSPEC is skipped */
  n = synth(buf, 68, 21, 492);
  put32(buf + 28 + 8, 200);
  for (i = 0; i < 8; i++) {
    uint8_t *c = buf + 28 + 12 + 60 * i;

    c[0] = 10;
    c[3] = (uint8_t)i;
    put16(c + 16, i == 3 ? 0 : 1);
  }
  assert_int_equal(chrony_wire_check(buf, n, 68, &r, NULL), TSYNC_OK);
  kept = chrony_wire_clients(&r, out, 8, &n_indices, &next, &n_clients);
  assert_int_equal(n_clients, 8);
  assert_int_equal(kept, 7);
  assert_string_equal(out[3].address, "10.0.0.4");
  /* the caller's room is respected */
  assert_int_equal(chrony_wire_clients(&r, out, 2, &n_indices, &next, &n_clients), 2);
}

static void
test_status_strings(void **state)
{
  (void)state;
  assert_string_equal(chrony_wire_status_str(2), "Not authorised");
  assert_string_equal(chrony_wire_status_str(15),
                      "Client logging is not active in the daemon");
  assert_string_equal(chrony_wire_status_str(20), "Unknown status");
  assert_string_equal(chrony_wire_status_str(65535), "Unknown status");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float_pinned),
      cmocka_unit_test(test_float_round_trip),
      cmocka_unit_test(test_float_random_bytes_finite),
      cmocka_unit_test(test_request_layout),
      cmocka_unit_test(test_is_ours),
      cmocka_unit_test(test_check_header_faults),
      cmocka_unit_test(test_check_status),
      cmocka_unit_test(test_check_reply_codes),
      cmocka_unit_test(test_tracking_golden),
      cmocka_unit_test(test_ntpdata),
      cmocka_unit_test(test_tracking_synthetic_edges),
      cmocka_unit_test(test_sources_golden),
      cmocka_unit_test(test_source_families),
      cmocka_unit_test(test_refid_name),
      cmocka_unit_test(test_serverstats_versions),
      cmocka_unit_test(test_clients),
      cmocka_unit_test(test_status_strings),
  };

  return cmocka_run_group_tests_name("chrony_wire", tests, NULL, NULL);
}
