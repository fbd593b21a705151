/* test_eval_ntp.c -- the W32Time rulebook (eval_ntp.c) on hand-made reports, and
 * w32time_fill_report from a hand-filled sntp_result (protocols/ntp-w32time.md B2, B6). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "unit_util.h"

#include "eval.h"
#include "output.h"
#include "report.h"
#include "w32time_check.h"

#define REFID_10_1_2_3 0x0A010203u
#define REFID_LOCL 0x4C4F434Cu

struct fx {
  struct eval_ntp_cfg cfg;
  struct tsync_report rep;
  struct eval_result res;
};

/* The one source w32time_fill_report makes: the queried server. */
static void
add_server(struct tsync_report *r)
{
  struct tsync_source *s = calloc(1, sizeof(*s));

  assert_non_null(s);
  set_str(s->name, sizeof(s->name), "dc01.example.com");
  set_str(s->address, sizeof(s->address), "192.0.2.10");
  s->mode = TSYNC_MODE_SERVER;
  s->state = TSYNC_SRC_SELECTED;
  s->stratum = 3;
  s->reach = 0xF;
  r->sources = s;
  r->n_sources = 1;
}

/* W32Time synced to 10.1.2.3 at stratum 3 (B2 a), 4 of 4 samples, this host synced. */
static void
synced(struct tsync_report *r)
{
  struct tsync_clock *c = &r->clock;

  r->have_clock = true;
  c->leap = TSYNC_LEAP_NORMAL;
  c->stratum = 3;
  c->refid = REFID_10_1_2_3;
  set_str(c->ref_name, sizeof(c->ref_name), "10.1.2.3");
  c->offset = 0.2;
  c->root_delay = 0.0312;
  c->root_dispersion = 7.77;
  r->ntp.valid = true;
  r->ntp.sent = 4;
  r->ntp.answered = 4;
  r->ntp.reach = 0xF;
  r->ntp.delay = 0.0105;
  r->ntp.jitter = 0.0021;
  r->ntp.version = 4;
  r->local.known = true;
  r->local.synced = true;
  add_server(r);
}

static int
setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));

  if (!f)
    return -1;
  eval_ntp_defaults(&f->cfg);
  synced(&f->rep);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  return unit_free_state(state, &((struct fx *)*state)->rep);
}

static struct eval_result *
run(struct fx *f)
{
  eval_ntp_server(&f->cfg, &f->rep, &f->res);
  return &f->res;
}

/* The report of a server that sent a KoD: no sample answered. */
static void
kod_only(struct tsync_report *r, const char *code)
{
  struct tsync_source *s = r->sources;

  memset(&r->clock, 0, sizeof(r->clock));
  memset(&r->ntp, 0, sizeof(r->ntp));
  r->have_clock = false;
  r->ntp.valid = true;
  r->ntp.sent = 1;
  r->ntp.kod = true;
  set_str(r->ntp.kod_code, sizeof(r->ntp.kod_code), code);
  s->state = TSYNC_SRC_UNUSABLE;
  s->reach = 0;
}

static void
expect_no_msg_with(const struct eval_result *res, const char *part)
{
  unsigned i;

  for (i = 0; i < res->n_msgs; i++)
    if (strstr(res->msgs[i].text, part))
      fail_msg("unexpected message '%s'", res->msgs[i].text);
}

/* ---- defaults and the offset ---- */

static void
test_defaults(void **state)
{
  struct eval_ntp_cfg cfg;

  (void)state;
  memset(&cfg, 0xFF, sizeof(cfg));
  eval_ntp_defaults(&cfg);
  assert_true(cfg.offset_warn.set);
  assert_string_equal(cfg.offset_warn.text, "1");
  assert_true(cfg.offset_crit.set);
  assert_string_equal(cfg.offset_crit.text, "5");
  assert_false(cfg.stratum_warn.set);
  assert_false(cfg.stratum_crit.set);
  assert_false(cfg.root_distance.set);
  assert_int_equal(cfg.n_expect, 0);
  assert_false(cfg.require_local_sync);
}

static void
test_synced_ok(void **state)
{
  struct fx *f = *state;
  struct eval_result *res = run(f);

  expect_state(res, TSYNC_STATE_OK, 0);
  assert_int_equal(strncmp(res->ok_text, "synchronized to 10.1.2.3 (stratum 3)", 36), 0);
  assert_string_equal(res->ok_text,
                      "synchronized to 10.1.2.3 (stratum 3), offset +200ms, 4 of 4 samples");
}

static void
test_offset_warning(void **state)
{
  struct fx *f = *state;

  f->rep.clock.offset = 1.5;
  expect_state(run(f), TSYNC_STATE_WARNING, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_WARNING, "offset +1.500 s > 1 s");
  f->rep.clock.offset = -1.0; /* the bound itself is inside */
  expect_state(run(f), TSYNC_STATE_OK, 0);
}

static void
test_offset_critical(void **state)
{
  struct fx *f = *state;

  f->rep.clock.offset = -6.0;
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_CRITICAL, "offset -6.000 s > 5 s");
  expect_no_msg_with(&f->res, "Kerberos");
}

static void
test_offset_kerberos(void **state)
{
  struct fx *f = *state;

  f->rep.clock.offset = 301.0;
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_contains(f->res.msgs[0].text, "offset +301.000 s > 5 s");
  expect_contains(f->res.msgs[0].text, "Kerberos");
  f->rep.clock.offset = -43149.0; /* Icinga #176's stripchart */
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_contains(f->res.msgs[0].text, "Kerberos");
  f->rep.clock.offset = 299.0;
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_no_msg_with(&f->res, "Kerberos");
}

/* ---- the server's sync state (B2) ---- */

static void
test_unsynced_li3_stratum0(void **state)
{
  struct fx *f = *state;

  f->rep.clock.leap = TSYNC_LEAP_UNSYNC;
  f->rep.clock.stratum = 0;
  f->rep.clock.refid = 0;
  f->rep.clock.ref_name[0] = '\0';
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_CRITICAL,
                "not synchronized (leap indicator 3, stratum 0)");
  assert_int_equal(f->res.n_perf, 7); /* the server did answer */
}

static void
test_unsynced_stale_stratum(void **state)
{
  struct fx *f = *state;

  f->rep.clock.leap = TSYNC_LEAP_UNSYNC;
  f->rep.clock.offset = 12.0; /* meaningless from an unsynchronized server */
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_CRITICAL,
                "not synchronized (leap indicator 3, stratum 3)");
  expect_no_msg_with(&f->res, "offset");
}

static void
test_unsynced_stratum0_li0(void **state)
{
  struct fx *f = *state;

  f->rep.clock.stratum = 0;
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_CRITICAL,
                "not synchronized (leap indicator 0, stratum 0)");
}

static void
test_locl(void **state)
{
  struct fx *f = *state;

  f->rep.clock.stratum = 1;
  f->rep.clock.refid = REFID_LOCL;
  f->rep.clock.ref_local = true;
  set_str(f->rep.clock.ref_name, sizeof(f->rep.clock.ref_name), "LOCL");
  f->rep.clock.offset = 3.0;
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_contains(f->res.msgs[0].text, "free-running on its local CMOS clock");
  expect_no_msg_with(&f->res, "offset");
  /* LOCL above stratum 1 would be an IPv4 refid (76.79.67.76), not the CMOS clock */
  f->rep.clock.stratum = 2;
  f->rep.clock.offset = 0.0;
  expect_state(run(f), TSYNC_STATE_OK, 0);
}

static void
test_stratum1_gps_ok(void **state)
{
  struct fx *f = *state;

  f->rep.clock.stratum = 1;
  f->rep.clock.refid = 0x47505300u;
  set_str(f->rep.clock.ref_name, sizeof(f->rep.clock.ref_name), "GPS");
  expect_state(run(f), TSYNC_STATE_OK, 0);
  expect_contains(f->res.ok_text, "synchronized to GPS (stratum 1)");
}

/* ---- Kiss-o'-Death ---- */

static void
test_kod_rate(void **state)
{
  struct fx *f = *state;

  kod_only(&f->rep, "RATE");
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_contains(f->res.msgs[0].text, "Kiss-o'-Death RATE from 192.0.2.10");
  expect_contains(f->res.msgs[0].text, "rate-limits");
  assert_int_equal(f->res.n_perf, 0); /* nothing was measured */
}

static void
test_kod_deny_rstr(void **state)
{
  struct fx *f = *state;

  kod_only(&f->rep, "DENY");
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_contains(f->res.msgs[0].text, "Kiss-o'-Death DENY");
  expect_contains(f->res.msgs[0].text, "refuses");
  set_str(f->rep.ntp.kod_code, sizeof(f->rep.ntp.kod_code), "RSTR");
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_contains(f->res.msgs[0].text, "Kiss-o'-Death RSTR");
  expect_contains(f->res.msgs[0].text, "refuses");
  expect_no_msg_with(&f->res, "rate-limits");
}

static void
test_kod_other_and_no_source(void **state)
{
  struct fx *f = *state;

  kod_only(&f->rep, "INIT");
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_CRITICAL, "Kiss-o'-Death INIT from 192.0.2.10");
  f->rep.n_sources = 0; /* sources stays allocated for teardown */
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_CRITICAL, "Kiss-o'-Death INIT from the server");
  f->rep.n_sources = 1;
}

static void
test_kod_after_sample(void **state)
{
  struct fx *f = *state;

  f->rep.ntp.sent = 2;
  f->rep.ntp.answered = 1;
  f->rep.ntp.kod = true;
  set_str(f->rep.ntp.kod_code, sizeof(f->rep.ntp.kod_code), "RATE");
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_contains(f->res.msgs[0].text, "rate-limits");
  assert_int_equal(f->res.n_perf, 7);
  assert_string_equal(f->res.perf[6].label, "samples");
  assert_true(f->res.perf[6].value == 1.0 && f->res.perf[6].max == 2.0);
  assert_true(f->res.perf[0].value == 0.2);
}

/* ---- --expect-source ---- */

static void
expect_source(struct eval_ntp_cfg *cfg, const char *name, const char *addr)
{
  static struct tsync_expect backing[8]; /* the parser would allocate these */
  struct tsync_expect *e;

  if (!cfg->expect)
    cfg->expect = backing;
  assert_true(cfg->n_expect < 8);
  e = &cfg->expect[cfg->n_expect++];
  memset(e, 0, sizeof(*e));
  set_str(e->name, sizeof(e->name), name);
  set_str(e->addrs[0], sizeof(e->addrs[0]), addr);
  e->n_addrs = 1;
}

static void
test_expect_source_ok(void **state)
{
  struct fx *f = *state;

  expect_source(&f->cfg, "ntp-a.example.com", "10.9.9.9");
  expect_source(&f->cfg, "dc02.example.com", "10.1.2.3");
  expect_state(run(f), TSYNC_STATE_OK, 0);
  f->cfg.expect[1].n_addrs = 0; /* resolved to nothing: no match */
  expect_state(run(f), TSYNC_STATE_WARNING, 1);
}

static void
test_expect_source_mismatch(void **state)
{
  struct fx *f = *state;

  expect_source(&f->cfg, "dc02.example.com", "10.9.9.9");
  expect_state(run(f), TSYNC_STATE_WARNING, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_WARNING,
                "syncing from 10.1.2.3, not from dc02.example.com");
  expect_source(&f->cfg, "dc03.example.com", "10.9.9.8");
  expect_state(run(f), TSYNC_STATE_WARNING, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_WARNING,
                "syncing from 10.1.2.3, not from dc02.example.com, dc03.example.com");
}

static void
test_expect_source_ref_host(void **state)
{
  struct fx *f = *state;

  expect_source(&f->cfg, "dc02.example.com", "10.9.9.9");
  set_str(f->rep.ntp.ref_host, sizeof(f->rep.ntp.ref_host), "time.windows.com");
  expect_state(run(f), TSYNC_STATE_WARNING, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_WARNING,
                "syncing from 10.1.2.3 (time.windows.com), not from dc02.example.com");
  expect_contains(f->res.ok_text, "synchronized to 10.1.2.3 (time.windows.com) (stratum 3)");
}

/* ---- optional thresholds ---- */

static void
test_root_distance(void **state)
{
  struct fx *f = *state;

  f->rep.clock.root_dispersion = 10.0; /* W32Time's LocalClockDispersion: no finding */
  expect_state(run(f), TSYNC_STATE_OK, 0);
  set_range(&f->cfg.root_distance, "1");
  f->rep.clock.root_dispersion = 7.77;
  expect_state(run(f), TSYNC_STATE_WARNING, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_WARNING, "root distance 7.7856 s > 1 s");
  f->rep.clock.root_dispersion = 0.5; /* 0.0156 + 0.5 */
  expect_state(run(f), TSYNC_STATE_OK, 0);
}

static void
test_stratum_thresholds(void **state)
{
  struct fx *f = *state;

  set_range(&f->cfg.stratum_warn, "4");
  set_range(&f->cfg.stratum_crit, "6");
  expect_state(run(f), TSYNC_STATE_OK, 0);
  f->rep.clock.stratum = 5;
  expect_state(run(f), TSYNC_STATE_WARNING, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_WARNING, "stratum 5 > 4");
  f->rep.clock.stratum = 7;
  expect_state(run(f), TSYNC_STATE_CRITICAL, 1);
  expect_msg_at(&f->res, 0, TSYNC_STATE_CRITICAL, "stratum 7 > 6");
}

/* ---- this host's clock ---- */

static void
test_local_unsynced(void **state)
{
  struct fx *f = *state;
  const char *tail = "; this host's clock is unsynchronised";
  size_t n, t = strlen(tail);

  f->rep.local.synced = false;
  expect_state(run(f), TSYNC_STATE_OK, 0);
  n = strlen(f->res.ok_text);
  assert_true(n > t);
  assert_string_equal(f->res.ok_text + n - t, tail);
  f->cfg.require_local_sync = true;
  expect_state(run(f), TSYNC_STATE_UNKNOWN, 1);
  expect_contains(f->res.msgs[0].text, "this host's clock is not synchronised");
  f->rep.local.known = false; /* could not tell: no finding, no remark */
  expect_state(run(f), TSYNC_STATE_OK, 0);
  assert_null(strstr(f->res.ok_text, "unsynchronised"));
}

static void
test_local_synced_no_remark(void **state)
{
  struct fx *f = *state;

  f->cfg.require_local_sync = true;
  expect_state(run(f), TSYNC_STATE_OK, 0);
  assert_null(strstr(f->res.ok_text, "unsynchronised"));
}

/* ---- perfdata ---- */

static void
test_perf_labels(void **state)
{
  static const char *const labels[] = {"offset",     "delay",           "jitter", "stratum",
                                       "root_delay", "root_dispersion", "samples"};
  struct fx *f = *state;
  const struct eval_perf *p = run(f)->perf;
  unsigned i;

  assert_int_equal(f->res.n_perf, 7);
  for (i = 0; i < 7; i++) {
    assert_string_equal(p[i].label, labels[i]);
    assert_int_equal(p[i].symmetric, i == 0);
    assert_int_equal(p[i].integer, i == 3 || i == 6);
  }
  assert_string_equal(p[0].uom, "s");
  assert_ptr_equal(p[0].warn, &f->cfg.offset_warn);
  assert_ptr_equal(p[0].crit, &f->cfg.offset_crit);
  assert_ptr_equal(p[3].warn, &f->cfg.stratum_warn);
  assert_true(p[3].has_max && p[3].max == 16.0);
  assert_true(p[6].has_min && p[6].min == 0.0 && p[6].has_max && p[6].max == 4.0);
}

static void
test_perf_values(void **state)
{
  struct fx *f = *state;
  const struct eval_perf *p;
  const double want[] = {0.2, 0.0105, 0.0021, 3, 0.0312, 7.77, 4};
  unsigned i;

  f->rep.ntp.sent = 5;
  p = run(f)->perf;
  for (i = 0; i < 7; i++)
    if (p[i].value != want[i])
      fail_msg("%s = %g, want %g", p[i].label, p[i].value, want[i]);
  assert_true(p[6].max == 5.0);
}

static void
test_perf_rendered(void **state)
{
  struct fx *f = *state;

  f->rep.clock.offset = -0.25;
  run(f);
  expect_perf_text(&f->res.perf[0], "offset=-0.25s;-1:1;-5:5");
  expect_perf_text(&f->res.perf[3], "stratum=3;;;0;16");
  expect_perf_text(&f->res.perf[6], "samples=4;;;0;4");
}

/* ---- w32time_fill_report ---- */

static void
sntp_ok(struct sntp_result *res)
{
  struct sntp_packet *p = &res->reply;

  memset(res, 0, sizeof(*res));
  res->status = TSYNC_OK;
  set_str(res->address, sizeof(res->address), "192.0.2.10");
  res->sent = 4;
  res->answered = 4;
  res->reach = 0xF;
  p->leap = 0;
  p->version = 4;
  p->mode = SNTP_MODE_SERVER;
  p->stratum = 3;
  p->poll = 10;
  p->precision = -23;
  p->root_delay = 0.0312;
  p->root_dispersion = 7.77;
  p->refid = REFID_10_1_2_3;
  res->offset = 0.2;
  res->delay = 0.0105;
  res->jitter = 0.0021;
  res->ref_time = 1767225600.0;
}

static void
fill(const struct sntp_result *res, struct tsync_report *r)
{
  const struct sntp_request req = {"dc01.example.com", NULL, AF_UNSPEC};

  memset(r, 0, sizeof(*r));
  assert_int_equal(w32time_fill_report(&req, res, r), TSYNC_OK);
  assert_int_equal(r->n_sources, 1);
  assert_non_null(r->sources);
}

static void
test_fill_clock(void **state)
{
  struct sntp_result res;
  struct tsync_report r;
  const struct tsync_clock *c = &r.clock;

  (void)state;
  sntp_ok(&res);
  fill(&res, &r);
  assert_true(r.have_clock);
  assert_int_equal(c->leap, TSYNC_LEAP_NORMAL);
  assert_int_equal(c->stratum, 3);
  assert_int_equal(c->refid, REFID_10_1_2_3);
  assert_string_equal(c->ref_name, "10.1.2.3");
  assert_false(c->ref_local);
  assert_true(c->ref_time == 1767225600.0);
  assert_true(c->offset == 0.2);
  assert_true(c->root_delay == 0.0312 && c->root_dispersion == 7.77);
  assert_true(fabs(c->est_error - (0.00525 + 0.0156 + 7.77)) < 1e-12);
  tsync_report_free(&r);
}

static void
test_fill_ntp_and_source(void **state)
{
  struct sntp_result res;
  struct tsync_report r;
  const struct tsync_source *s;

  (void)state;
  sntp_ok(&res);
  fill(&res, &r);
  assert_true(r.ntp.valid);
  assert_int_equal(r.ntp.sent, 4);
  assert_int_equal(r.ntp.answered, 4);
  assert_int_equal(r.ntp.reach, 0xF);
  assert_true(r.ntp.delay == 0.0105 && r.ntp.jitter == 0.0021);
  assert_int_equal(r.ntp.poll, 10);
  assert_int_equal(r.ntp.precision, -23);
  assert_int_equal(r.ntp.version, 4);
  assert_false(r.ntp.kod);
  s = &r.sources[0];
  assert_string_equal(s->name, "dc01.example.com");
  assert_string_equal(s->address, "192.0.2.10");
  assert_int_equal(s->mode, TSYNC_MODE_SERVER);
  assert_int_equal(s->state, TSYNC_SRC_SELECTED);
  assert_int_equal(s->reach, 0xF);
  assert_int_equal(s->lost, 0);
  assert_int_equal(s->since_sample, 0);
  assert_int_equal(s->stratum, 3);
  assert_int_equal(s->poll, 10);
  assert_int_equal(s->refid, REFID_10_1_2_3);
  assert_true(s->offset == 0.2 && s->orig_offset == 0.2);
  assert_true(s->error == 0.0105 / 2.0);
  tsync_report_free(&r);
}

static void
test_fill_then_eval(void **state)
{
  struct sntp_result res;
  struct tsync_report r;
  struct eval_ntp_cfg cfg;
  struct eval_result out;

  (void)state;
  eval_ntp_defaults(&cfg);
  sntp_ok(&res);
  fill(&res, &r);
  eval_ntp_server(&cfg, &r, &out);
  expect_state(&out, TSYNC_STATE_OK, 0);
  expect_contains(out.ok_text, "synchronized to 10.1.2.3 (stratum 3), offset +200ms");
  tsync_report_free(&r);
  res.reply.stratum = 1;
  res.reply.refid = REFID_LOCL;
  fill(&res, &r);
  assert_true(r.clock.ref_local);
  assert_string_equal(r.clock.ref_name, "LOCL");
  eval_ntp_server(&cfg, &r, &out);
  expect_state(&out, TSYNC_STATE_CRITICAL, 1);
  expect_contains(out.msgs[0].text, "CMOS");
  tsync_report_free(&r);
  res.reply.stratum = 2; /* the same bytes as an upstream's IPv4 address */
  fill(&res, &r);
  assert_false(r.clock.ref_local);
  assert_string_equal(r.clock.ref_name, "76.79.67.76");
  tsync_report_free(&r);
}

static void
test_fill_unsynced_and_lost(void **state)
{
  struct sntp_result res;
  struct tsync_report r;

  (void)state;
  sntp_ok(&res);
  res.reply.leap = SNTP_LEAP_UNSYNC;
  res.reply.stratum = 0;
  res.reply.refid = 0;
  res.reach = 0xD; /* one sample lost */
  res.answered = 3;
  fill(&res, &r);
  assert_true(r.have_clock);
  assert_int_equal(r.clock.leap, TSYNC_LEAP_UNSYNC);
  assert_string_equal(r.clock.ref_name, "");
  assert_int_equal(r.sources[0].state, TSYNC_SRC_UNUSABLE);
  assert_int_equal(r.sources[0].reach, 0xD);
  assert_int_equal(r.sources[0].lost, 1);
  assert_int_equal(r.ntp.answered, 3);
  tsync_report_free(&r);
}

static void
test_fill_kod_unanswered(void **state)
{
  struct sntp_result res;
  struct tsync_report r;
  struct eval_ntp_cfg cfg;
  struct eval_result out;

  (void)state;
  memset(&res, 0, sizeof(res));
  res.status = TSYNC_ERR_REFUSED;
  set_str(res.address, sizeof(res.address), "192.0.2.10");
  res.sent = 1;
  res.kod = true;
  set_str(res.kod_code, sizeof(res.kod_code), "RATE");
  res.reply.stratum = 0;
  res.reply.refid = 0x52415445u;
  fill(&res, &r);
  assert_false(r.have_clock);
  assert_true(r.ntp.valid && r.ntp.kod);
  assert_string_equal(r.ntp.kod_code, "RATE");
  assert_int_equal(r.ntp.answered, 0);
  assert_int_equal(r.ntp.sent, 1);
  assert_int_equal(r.sources[0].state, TSYNC_SRC_UNUSABLE);
  assert_int_equal(r.sources[0].since_sample, UINT32_MAX);
  assert_string_equal(r.sources[0].address, "192.0.2.10");
  assert_string_equal(r.clock.ref_name, "");
  eval_ntp_defaults(&cfg);
  eval_ntp_server(&cfg, &r, &out);
  expect_state(&out, TSYNC_STATE_CRITICAL, 1);
  expect_contains(out.msgs[0].text, "Kiss-o'-Death RATE from 192.0.2.10");
  assert_int_equal(out.n_perf, 0);
  tsync_report_free(&r);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      T(test_synced_ok),
      T(test_offset_warning),
      T(test_offset_critical),
      T(test_offset_kerberos),
      T(test_unsynced_li3_stratum0),
      T(test_unsynced_stale_stratum),
      T(test_unsynced_stratum0_li0),
      T(test_locl),
      T(test_stratum1_gps_ok),
      T(test_kod_rate),
      T(test_kod_deny_rstr),
      T(test_kod_other_and_no_source),
      T(test_kod_after_sample),
      T(test_expect_source_ok),
      T(test_expect_source_mismatch),
      T(test_expect_source_ref_host),
      T(test_root_distance),
      T(test_stratum_thresholds),
      T(test_local_unsynced),
      T(test_local_synced_no_remark),
      T(test_perf_labels),
      T(test_perf_values),
      T(test_perf_rendered),
      cmocka_unit_test(test_fill_clock),
      cmocka_unit_test(test_fill_ntp_and_source),
      cmocka_unit_test(test_fill_then_eval),
      cmocka_unit_test(test_fill_unsynced_and_lost),
      cmocka_unit_test(test_fill_kod_unanswered),
  };

  return cmocka_run_group_tests_name("eval_ntp", tests, NULL, NULL);
}
