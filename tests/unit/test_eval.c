/* test_eval.c -- the rulebook (eval.c) and the report helpers (report.c), on hand-made
 * reports. Thresholds go through thr_parse, as the plugin's options do. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_util.h"

#include "eval.h"
#include "output.h"
#include "report.h"

struct fx {
  struct eval_chrony_cfg cfg;
  struct eval_clients_cfg ccfg;
  struct tsync_report rep;
  struct eval_result res;
};

/* The probe fills lost from the register; so do the tests. */
static void
set_reach(struct tsync_source *s, unsigned reach)
{
  s->reach = reach;
  s->lost = tsync_reach_lost(reach);
}

static void
fill_source(struct tsync_source *s, unsigned i, enum tsync_src_state st)
{
  char text[32];

  memset(s, 0, sizeof(*s));
  assert_true(snprintf(text, sizeof(text), "ntp%u", i + 1) < (int)sizeof(text));
  set_str(s->name, sizeof(s->name), text);
  assert_true(snprintf(text, sizeof(text), "10.0.0.%u", i + 1) < (int)sizeof(text));
  set_str(s->address, sizeof(s->address), text);
  s->refid = 0x0A000001u + i;
  s->mode = TSYNC_MODE_SERVER;
  s->state = st;
  s->stratum = 1;
  s->poll = 6;
  s->since_sample = 30;
  set_reach(s, 0377);
}

/* Synchronised to ntp1 with three usable sources, all reach 377. */
static void
healthy(struct tsync_report *r)
{
  struct tsync_clock *c = &r->clock;
  unsigned i;

  r->have_clock = true;
  c->leap = TSYNC_LEAP_NORMAL;
  c->stratum = 2;
  c->refid = 0x0A000001u;
  set_str(c->ref_name, sizeof(c->ref_name), "10.0.0.1");
  c->offset = 1e-4;
  c->rms_offset = 2e-5;
  c->freq_ppm = -3.5;
  c->skew_ppm = 0.05;
  c->root_delay = 0.01;
  c->root_dispersion = 0.002;
  c->est_error = 0.0071;
  r->sources = calloc(3, sizeof(*r->sources));
  assert_non_null(r->sources);
  r->n_sources = 3;
  for (i = 0; i < 3; i++)
    fill_source(&r->sources[i], i, i == 0 ? TSYNC_SRC_SELECTED : TSYNC_SRC_COMBINED);
}

static int
setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));

  if (!f)
    return -1;
  eval_chrony_defaults(&f->cfg);
  eval_clients_defaults(&f->ccfg);
  *state = f;
  return 0;
}

static int
setup_healthy(void **state)
{
  if (setup(state) != 0)
    return -1;
  healthy(&((struct fx *)*state)->rep);
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
  eval_chrony_sync(&f->cfg, &f->rep, &f->res);
  return &f->res;
}

/* The first message containing text, or NULL. */
static const struct eval_msg *
find_msg(const struct eval_result *res, const char *text)
{
  unsigned i;

  for (i = 0; i < res->n_msgs; i++)
    if (strstr(res->msgs[i].text, text))
      return &res->msgs[i];
  return NULL;
}

/* A message with exactly this state and text exists. */
static void
expect_msg(const struct eval_result *res, enum tsync_state st, const char *text)
{
  unsigned i;

  for (i = 0; i < res->n_msgs; i++)
    if (res->msgs[i].state == st && strcmp(res->msgs[i].text, text) == 0)
      return;
  for (i = 0; i < res->n_msgs; i++)
    print_message("  msg %u [%s] %s\n", i, tsync_state_str(res->msgs[i].state),
                  res->msgs[i].text);
  fail_msg("no %s message '%s'", tsync_state_str(st), text);
}

/* Exactly one finding: this one; and it sets the state. */
static void
expect_only(const struct eval_result *res, enum tsync_state st, const char *text)
{
  expect_msg(res, st, text);
  assert_int_equal(res->n_msgs, 1);
  assert_int_equal(res->state, st);
}

static void
expect_ok(const struct eval_result *res)
{
  if (res->n_msgs)
    fail_msg("unexpected finding: %s", res->msgs[0].text);
  assert_int_equal(res->state, TSYNC_STATE_OK);
}

/* ---- synchronised, healthy ---- */

static void
test_healthy(void **state)
{
  struct eval_result *res = run(*state);

  expect_ok(res);
  assert_string_equal(res->ok_text, "synchronised to 10.0.0.1 (stratum 2), offset +100us, "
                                    "3 of 3 sources usable");
}

static void
test_ok_text_variants(void **state)
{
  struct fx *f = *state;

  f->rep.clock.ref_name[0] = '\0';
  f->rep.sources[2].state = TSYNC_SRC_UNUSABLE;
  f->rep.clock.offset = -0.0123456;
  expect_ok(run(f)); /* 2 usable meets -m 2: */
  assert_string_equal(f->res.ok_text, "synchronised to ? (stratum 2), offset -12ms, "
                                      "2 of 3 sources usable (falseticker detection needs 3)");
}

/* ---- not synchronised ---- */

static void
test_unsync_leap(void **state)
{
  struct fx *f = *state;

  f->rep.clock.leap = TSYNC_LEAP_UNSYNC;
  f->rep.clock.offset = 1.0; /* not judged while unsynchronised */
  expect_only(run(f), TSYNC_STATE_CRITICAL,
              "not synchronised (leap status Not synchronised, stratum 2)");
}

static void
test_unsync_stratum0(void **state)
{
  struct fx *f = *state;

  f->rep.clock.stratum = 0;
  expect_only(run(f), TSYNC_STATE_CRITICAL,
              "not synchronised (leap status Normal, stratum 0)");
}

static void
test_unsync_refid0(void **state)
{
  struct fx *f = *state;

  f->rep.clock.refid = 0;
  expect_only(run(f), TSYNC_STATE_CRITICAL,
              "not synchronised (leap status Normal, stratum 2)");
}

static void
test_unsync_unreachable(void **state)
{
  struct fx *f = *state;
  unsigned i;

  f->rep.clock.leap = TSYNC_LEAP_UNSYNC;
  for (i = 0; i < 3; i++) {
    set_reach(&f->rep.sources[i], 0);
    f->rep.sources[i].state = TSYNC_SRC_UNUSABLE;
  }
  run(f);
  assert_int_equal(f->res.state, TSYNC_STATE_CRITICAL);
  expect_msg(&f->res, TSYNC_STATE_CRITICAL,
             "not synchronised: no source reachable (3 of 3 at reach 0): UDP 123 blocked or "
             "names not resolving?");
  expect_msg(&f->res, TSYNC_STATE_WARNING, "ntp1 unreachable (reach 0)");
  expect_msg(&f->res, TSYNC_STATE_WARNING, "ntp3 unreachable (reach 0)");
  f->rep.n_unresolved = 2;
  run(f);
  assert_non_null(find_msg(&f->res, "no source reachable (5 of 5 at reach 0)"));
}

static void
test_unsync_no_sources(void **state)
{
  struct fx *f = *state;

  free(f->rep.sources);
  f->rep.sources = NULL;
  f->rep.n_sources = 0;
  f->rep.clock.stratum = 0;
  run(f);
  assert_int_equal(f->res.state, TSYNC_STATE_CRITICAL);
  expect_msg(&f->res, TSYNC_STATE_CRITICAL, "not synchronised: no sources configured");
  expect_msg(&f->res, TSYNC_STATE_CRITICAL,
             "usable sources 0 < 1 (falseticker detection needs 3)");
  f->rep.n_unresolved = 1; /* configured, not yet resolved */
  run(f);
  assert_non_null(find_msg(&f->res, "no source reachable (1 of 1 at reach 0)"));
}

/* ---- offset ---- */

static void
offset_is(struct fx *f, double offset)
{
  f->rep.clock.offset = offset;
  run(f);
}

static void
test_offset_warning(void **state)
{
  offset_is(*state, 0.06);
  expect_only(&((struct fx *)*state)->res, TSYNC_STATE_WARNING, "offset +0.060 s > 0.050 s");
  offset_is(*state, -0.06);
  expect_only(&((struct fx *)*state)->res, TSYNC_STATE_WARNING, "offset -0.060 s > 0.050 s");
}

static void
test_offset_critical(void **state)
{
  struct fx *f = *state;

  offset_is(f, -0.3);
  expect_only(&f->res, TSYNC_STATE_CRITICAL, "offset -0.300 s > 0.250 s");
  offset_is(f, 0.3123456);
  expect_only(&f->res, TSYNC_STATE_CRITICAL, "offset +0.312346 s > 0.250 s");
}

static void
test_offset_boundaries(void **state)
{
  struct fx *f = *state;

  offset_is(f, 0.05);
  expect_ok(&f->res);
  offset_is(f, -0.05);
  expect_ok(&f->res);
  offset_is(f, nextafter(0.05, 1.0));
  assert_int_equal(f->res.state, TSYNC_STATE_WARNING);
  offset_is(f, -0.25);
  assert_int_equal(f->res.state, TSYNC_STATE_WARNING);
  offset_is(f, nextafter(-0.25, -1.0));
  assert_int_equal(f->res.state, TSYNC_STATE_CRITICAL);
}

static void
test_offset_kerberos(void **state)
{
  struct fx *f = *state;

  offset_is(f, 400);
  expect_only(&f->res, TSYNC_STATE_CRITICAL,
              "offset +400.000 s > 0.250 s (exceeds Kerberos 5-minute tolerance)");
  offset_is(f, -400);
  assert_non_null(find_msg(&f->res, "Kerberos"));
  offset_is(f, 300); /* the tolerance itself is still within it */
  assert_int_equal(f->res.state, TSYNC_STATE_CRITICAL);
  assert_null(find_msg(&f->res, "Kerberos"));
}

static void
test_offset_custom(void **state)
{
  struct fx *f = *state;

  set_range(&f->cfg.offset_warn, "0.001");
  set_range(&f->cfg.offset_crit, "0.002");
  offset_is(f, 0.0015);
  expect_only(&f->res, TSYNC_STATE_WARNING, "offset +0.0015 s > 0.001 s");
  set_range(&f->cfg.offset_warn, "0.00005");
  offset_is(f, 0.0001);
  expect_only(&f->res, TSYNC_STATE_WARNING, "offset +0.0001 s > 5e-05 s");
}

/* ---- local reference ---- */

static void
test_local_reference(void **state)
{
  struct fx *f = *state;

  f->rep.clock.ref_local = true;
  f->rep.clock.refid = 0x7F7F0101u;
  f->rep.clock.stratum = 10;
  set_str(f->rep.clock.ref_name, TSYNC_ADDR_SIZE, "");
  expect_only(run(f), TSYNC_STATE_WARNING,
              "serving from local clock (stratum 10 fallback): no upstream source reachable");
  assert_string_equal(f->res.ok_text,
                      "serving from local clock (stratum 10), 3 of 3 sources usable");
}

/* With every upstream gone, the fallback stays a WARNING: -n 1: does not escalate it. */
static void
test_local_reference_no_usable(void **state)
{
  struct fx *f = *state;
  size_t i;

  f->rep.clock.ref_local = true;
  f->rep.clock.refid = 0x7F7F0101u;
  f->rep.clock.stratum = 10;
  for (i = 0; i < f->rep.n_sources; i++) {
    f->rep.sources[i].state = TSYNC_SRC_UNUSABLE;
    set_reach(&f->rep.sources[i], 0);
  }
  (void)run(f);
  assert_int_equal(f->res.state, TSYNC_STATE_WARNING);
  assert_non_null(find_msg(&f->res, "usable sources 0 < 2"));
  f->rep.clock.ref_local = false; /* the same sources without the fallback: critical */
  f->rep.clock.refid = 0x7F000001u;
  (void)run(f);
  assert_int_equal(f->res.state, TSYNC_STATE_CRITICAL);
}

/* ---- sources ---- */

static void
test_one_falseticker(void **state)
{
  struct fx *f = *state;

  f->rep.sources[1].state = TSYNC_SRC_FALSETICKER;
  expect_only(run(f), TSYNC_STATE_WARNING, "falseticker ntp2"); /* 2 usable: OK */
}

static void
test_two_falsetickers(void **state)
{
  struct fx *f = *state;

  f->rep.sources[1].state = TSYNC_SRC_FALSETICKER;
  f->rep.sources[2].state = TSYNC_SRC_FALSETICKER;
  run(f);
  assert_int_equal(f->res.state, TSYNC_STATE_WARNING);
  expect_msg(&f->res, TSYNC_STATE_WARNING, "falsetickers ntp2, ntp3");
  expect_msg(&f->res, TSYNC_STATE_WARNING,
             "usable sources 1 < 2 (falseticker detection needs 3)");
  assert_int_equal(f->res.n_msgs, 2);
}

static void
test_usable_one(void **state)
{
  struct fx *f = *state;

  f->rep.sources[1].state = TSYNC_SRC_UNUSABLE;
  f->rep.sources[2].state = TSYNC_SRC_JITTERY;
  expect_only(run(f), TSYNC_STATE_WARNING,
              "usable sources 1 < 2 (falseticker detection needs 3)");
  assert_non_null(strstr(f->res.ok_text, "falseticker detection needs 3"));
}

static void
test_usable_zero(void **state)
{
  struct fx *f = *state;
  unsigned i;

  for (i = 0; i < 3; i++)
    f->rep.sources[i].state = TSYNC_SRC_UNUSABLE;
  expect_only(run(f), TSYNC_STATE_CRITICAL,
              "usable sources 0 < 1 (falseticker detection needs 3)");
}

static void
test_usable_custom(void **state)
{
  struct fx *f = *state;

  set_range(&f->cfg.usable_warn, "4:"); /* -m 4: with 3 usable: no "needs 3" hint */
  expect_only(run(f), TSYNC_STATE_WARNING, "usable sources 3 < 4");
  set_range(&f->cfg.usable_crit, "3:");
  f->rep.sources[2].state = TSYNC_SRC_NOT_COMBINED; /* still usable */
  expect_only(run(f), TSYNC_STATE_WARNING, "usable sources 3 < 4");
  f->rep.sources[2].state = TSYNC_SRC_UNKNOWN;
  expect_only(run(f), TSYNC_STATE_CRITICAL,
              "usable sources 2 < 3 (falseticker detection needs 3)");
}

static void
test_unreachable_source(void **state)
{
  struct fx *f = *state;

  set_reach(&f->rep.sources[2], 0);
  f->rep.sources[2].state = TSYNC_SRC_UNUSABLE;
  expect_only(run(f), TSYNC_STATE_WARNING, "ntp3 unreachable (reach 0)");
  f->cfg.reach_lost = 0; /* --reach-lost 0 does not hide an unreachable source */
  expect_only(run(f), TSYNC_STATE_WARNING, "ntp3 unreachable (reach 0)");
}

static void
reach_is(struct fx *f, unsigned reach)
{
  set_reach(&f->rep.sources[2], reach);
  run(f);
}

static void
test_reach_lost(void **state)
{
  struct fx *f = *state;

  reach_is(f, 0373); /* 1 lost */
  expect_ok(&f->res);
  reach_is(f, 0355); /* 2 lost */
  expect_ok(&f->res);
  reach_is(f, 0307); /* 3 lost */
  expect_only(&f->res, TSYNC_STATE_WARNING, "ntp3 lost 3 of last 8 polls (reach 307)");
  reach_is(f, 010); /* first reply, then 3 lost */
  expect_only(&f->res, TSYNC_STATE_WARNING, "ntp3 lost 3 of last 4 polls (reach 10)");
  reach_is(f, 017); /* only 4 polls so far, none lost */
  expect_ok(&f->res);
  reach_is(f, 01);
  expect_ok(&f->res);
}

static void
test_reach_lost_setting(void **state)
{
  struct fx *f = *state;

  f->cfg.reach_lost = 0;
  reach_is(f, 0307);
  expect_ok(&f->res);
  reach_is(f, 0200);
  expect_ok(&f->res);
  f->cfg.reach_lost = 1;
  reach_is(f, 0373);
  expect_only(&f->res, TSYNC_STATE_WARNING, "ntp3 lost 1 of last 8 polls (reach 373)");
  f->cfg.reach_lost = 8;
  reach_is(f, 0200); /* 7 lost: below 8 */
  expect_ok(&f->res);
}

/* ---- optional thresholds ---- */

static void
stratum_is(struct fx *f, unsigned stratum)
{
  f->rep.clock.stratum = stratum;
  run(f);
}

static void
test_stratum(void **state)
{
  struct fx *f = *state;

  stratum_is(f, 15);
  expect_ok(&f->res); /* no -W/-C by default */
  set_range(&f->cfg.stratum_warn, "3");
  set_range(&f->cfg.stratum_crit, "5");
  stratum_is(f, 3);
  expect_ok(&f->res);
  stratum_is(f, 4);
  expect_only(&f->res, TSYNC_STATE_WARNING, "stratum 4 > 3");
  stratum_is(f, 5);
  assert_int_equal(f->res.state, TSYNC_STATE_WARNING);
  stratum_is(f, 6);
  expect_only(&f->res, TSYNC_STATE_CRITICAL, "stratum 6 > 5");
}

static void
test_stratum_other_forms(void **state)
{
  struct fx *f = *state;

  set_range(&f->cfg.stratum_warn, "2:");
  stratum_is(f, 1);
  expect_only(&f->res, TSYNC_STATE_WARNING, "stratum 1 < 2");
  set_range(&f->cfg.stratum_warn, "@1:1");
  stratum_is(f, 1);
  expect_only(&f->res, TSYNC_STATE_WARNING, "stratum 1 inside @1:1");
  stratum_is(f, 2);
  expect_ok(&f->res);
}

static void
test_jitter(void **state)
{
  struct fx *f = *state;

  f->rep.clock.rms_offset = 10;
  expect_ok(run(f)); /* no -j/-k by default */
  set_range(&f->cfg.jitter_warn, "0.001");
  set_range(&f->cfg.jitter_crit, "0.01");
  f->rep.clock.rms_offset = 0.001;
  expect_ok(run(f));
  f->rep.clock.rms_offset = 0.002;
  expect_only(run(f), TSYNC_STATE_WARNING, "RMS offset 0.002 s > 0.001 s");
  f->rep.clock.rms_offset = 0.02;
  expect_only(run(f), TSYNC_STATE_CRITICAL, "RMS offset 0.020 s > 0.010 s");
}

static void
test_est_error(void **state)
{
  struct fx *f = *state;

  f->rep.clock.est_error = 100;
  expect_ok(run(f)); /* no -e/-E by default */
  set_range(&f->cfg.esterr_warn, "0.1");
  set_range(&f->cfg.esterr_crit, "1");
  f->rep.clock.est_error = 0.1;
  expect_ok(run(f));
  f->rep.clock.est_error = 0.5;
  expect_only(run(f), TSYNC_STATE_WARNING, "estimated error 0.500 s > 0.100 s");
  f->rep.clock.est_error = 2;
  expect_only(run(f), TSYNC_STATE_CRITICAL, "estimated error 2.000 s > 1 s");
}

static void
test_worst_wins(void **state)
{
  struct fx *f = *state;
  char summary[512];

  f->rep.sources[1].state = TSYNC_SRC_FALSETICKER;
  f->rep.clock.offset = 0.5;
  run(f);
  assert_int_equal(f->res.state, TSYNC_STATE_CRITICAL);
  out_summary(&f->res, summary, sizeof(summary));
  assert_string_equal(summary, "offset +0.500 s > 0.250 s, falseticker ntp2");
}

/* ---- perfdata ---- */

static void
test_perf_labels(void **state)
{
  static const char *const labels[] = {
      "offset",     "rms_offset",      "frequency",         "skew",
      "root_delay", "root_dispersion", "est_error",         "stratum",
      "sources",    "sources_usable",  "sources_reachable",
  };
  static const char *const uoms[] = {"s", "s", "", "", "s", "s", "s", "", "", "", ""};
  struct eval_result *res = run(*state);
  unsigned i;

  assert_int_equal(res->n_perf, TSYNC_ARRAY_LEN(labels));
  for (i = 0; i < res->n_perf; i++) {
    assert_string_equal(res->perf[i].label, labels[i]);
    assert_string_equal(res->perf[i].uom, uoms[i]);
    assert_int_equal(res->perf[i].integer, i >= 7);
    assert_int_equal(res->perf[i].has_min, i >= 7);
    assert_int_equal(res->perf[i].symmetric, i == 0);
  }
}

static void
test_perf_values(void **state)
{
  /* ..., stratum 2, 3 sources, 1 usable (ntp1), 2 reachable (ntp1, ntp3) */
  static const double want[] = {1e-4, 2e-5, -3.5, 0.05, 0.01, 0.002, 0.0071, 2, 3, 1, 2};
  struct fx *f = *state;
  unsigned i;

  f->rep.sources[1].state = TSYNC_SRC_UNUSABLE;
  set_reach(&f->rep.sources[1], 0);
  f->rep.sources[2].state = TSYNC_SRC_FALSETICKER;
  run(f);
  for (i = 0; i < TSYNC_ARRAY_LEN(want); i++)
    if (f->res.perf[i].value != want[i])
      fail_msg("%s = %g, want %g", f->res.perf[i].label, f->res.perf[i].value, want[i]);
  assert_true(f->res.perf[7].has_max && f->res.perf[7].max == 16);
  assert_int_equal(f->res.perf[8].has_max, false);
}

static void
test_perf_thresholds(void **state)
{
  struct fx *f = *state;
  const struct eval_perf *p = f->res.perf;

  run(f);
  assert_ptr_equal(p[0].warn, &f->cfg.offset_warn);
  assert_ptr_equal(p[0].crit, &f->cfg.offset_crit);
  assert_ptr_equal(p[1].warn, &f->cfg.jitter_warn);
  assert_ptr_equal(p[1].crit, &f->cfg.jitter_crit);
  assert_null(p[2].warn);
  assert_null(p[5].crit);
  assert_ptr_equal(p[6].warn, &f->cfg.esterr_warn);
  assert_ptr_equal(p[7].crit, &f->cfg.stratum_crit);
  assert_null(p[8].warn);
  assert_ptr_equal(p[9].warn, &f->cfg.usable_warn);
  assert_ptr_equal(p[9].crit, &f->cfg.usable_crit);
  assert_null(p[10].crit);
}

/* What the plugin prints with the default thresholds. */
static void
test_perf_rendered(void **state)
{
  struct fx *f = *state;

  run(f);
  expect_perf_text(&f->res.perf[0], "offset=0.0001s;-0.05:0.05;-0.25:0.25");
  expect_perf_text(&f->res.perf[1], "rms_offset=0.00002s");
  expect_perf_text(&f->res.perf[2], "frequency=-3.5");
  expect_perf_text(&f->res.perf[7], "stratum=2;;;0;16");
  expect_perf_text(&f->res.perf[9], "sources_usable=3;2:;1:;0");
}

static void
test_perf_when_unsynced(void **state)
{
  struct fx *f = *state;

  f->rep.clock.leap = TSYNC_LEAP_UNSYNC;
  run(f);
  assert_int_equal(f->res.n_perf, 11);
}

/* ---- report.c helpers ---- */

static void
test_reach_lost_fn(void **state)
{
  (void)state;
  assert_int_equal(tsync_reach_lost(0), 0);
  assert_int_equal(tsync_reach_lost(0377), 0);
  assert_int_equal(tsync_reach_lost(0373), 1);
  assert_int_equal(tsync_reach_lost(0307), 3);
  assert_int_equal(tsync_reach_lost(01), 0);
  assert_int_equal(tsync_reach_lost(010), 3);
  assert_int_equal(tsync_reach_lost(0200), 7);
  assert_int_equal(tsync_reach_lost(017), 0);
  assert_int_equal(tsync_reach_lost(0x1ff), 0); /* 8-bit register */
  assert_int_equal(tsync_reach_lost(0x100), 0);
}

static void
test_src_usable(void **state)
{
  (void)state;
  assert_true(tsync_src_usable(TSYNC_SRC_SELECTED));
  assert_true(tsync_src_usable(TSYNC_SRC_COMBINED));
  assert_true(tsync_src_usable(TSYNC_SRC_NOT_COMBINED));
  assert_false(tsync_src_usable(TSYNC_SRC_UNUSABLE));
  assert_false(tsync_src_usable(TSYNC_SRC_FALSETICKER));
  assert_false(tsync_src_usable(TSYNC_SRC_JITTERY));
  assert_false(tsync_src_usable(TSYNC_SRC_UNKNOWN));
}

static void
test_notes(void **state)
{
  struct tsync_notes notes;
  unsigned i;

  (void)state;
  memset(&notes, 0, sizeof(notes));
  for (i = 0; i < TSYNC_MAX_NOTES + 3; i++)
    tsync_note(&notes, "note %u", i);
  assert_int_equal(notes.n, TSYNC_MAX_NOTES);
  assert_string_equal(notes.text[0], "note 0");
  assert_string_equal(notes.text[TSYNC_MAX_NOTES - 1], "note 7");
}

/* ---- status mapping, eval_add, formatting ---- */

static void
test_status_state(void **state)
{
  (void)state;
  assert_int_equal(eval_status_state(TSYNC_OK), TSYNC_STATE_OK);
  assert_int_equal(eval_status_state(TSYNC_ERR_CONNECT), TSYNC_STATE_CRITICAL);
  assert_int_equal(eval_status_state(TSYNC_ERR_TIMEOUT), TSYNC_STATE_CRITICAL);
  assert_int_equal(eval_status_state(TSYNC_ERR_RESOLVE), TSYNC_STATE_CRITICAL);
  assert_int_equal(eval_status_state(TSYNC_ERR_ARG), TSYNC_STATE_UNKNOWN);
  assert_int_equal(eval_status_state(TSYNC_ERR_PERM), TSYNC_STATE_UNKNOWN);
  assert_int_equal(eval_status_state(TSYNC_ERR_UNAUTH), TSYNC_STATE_UNKNOWN);
  assert_int_equal(eval_status_state(TSYNC_ERR_REFUSED), TSYNC_STATE_UNKNOWN);
  assert_int_equal(eval_status_state(TSYNC_ERR_PROTO), TSYNC_STATE_UNKNOWN);
  assert_int_equal(eval_status_state(TSYNC_ERR_NOMEM), TSYNC_STATE_UNKNOWN);
  assert_int_equal(eval_status_state(TSYNC_ERR_SYS), TSYNC_STATE_UNKNOWN);
  assert_int_equal(eval_status_state(TSYNC_ERR_TOO_LARGE), TSYNC_STATE_UNKNOWN);
}

static void
test_eval_failure(void **state)
{
  struct fx *f = *state;

  run(f); /* leaves perfdata behind, which eval_failure must clear */
  eval_failure(TSYNC_ERR_TIMEOUT, "no reply from chronyd", &f->res);
  expect_only(&f->res, TSYNC_STATE_CRITICAL, "no reply from chronyd");
  assert_int_equal(f->res.n_perf, 0);
  eval_failure(TSYNC_ERR_ARG, "bad %s", &f->res); /* message is data, not a format */
  expect_only(&f->res, TSYNC_STATE_UNKNOWN, "bad %s");
}

static void
test_eval_add(void **state)
{
  struct eval_result *res = calloc(1, sizeof(*res));
  char longtext[EVAL_MSG_SIZE * 2];
  unsigned i;

  (void)state;
  assert_non_null(res);
  eval_add(res, TSYNC_STATE_WARNING, "w");
  assert_int_equal(res->state, TSYNC_STATE_WARNING);
  eval_add(res, TSYNC_STATE_UNKNOWN, "u");
  assert_int_equal(res->state, TSYNC_STATE_UNKNOWN);
  eval_add(res, TSYNC_STATE_WARNING, "w");
  assert_int_equal(res->state, TSYNC_STATE_UNKNOWN);
  eval_add(res, TSYNC_STATE_CRITICAL, "c");
  eval_add(res, TSYNC_STATE_UNKNOWN, "u");
  assert_int_equal(res->state, TSYNC_STATE_CRITICAL);
  memset(longtext, 'a', sizeof(longtext) - 1);
  longtext[sizeof(longtext) - 1] = '\0';
  eval_add(res, TSYNC_STATE_OK, "%s", longtext);
  assert_int_equal(strlen(res->msgs[5].text), EVAL_MSG_SIZE - 1);
  for (i = 0; i < EVAL_MAX_MSGS; i++)
    eval_add(res, TSYNC_STATE_OK, "filler");
  assert_int_equal(res->n_msgs, EVAL_MAX_MSGS);
  assert_int_equal(res->state, TSYNC_STATE_CRITICAL);
  free(res);
}

static void
test_state_str(void **state)
{
  (void)state;
  assert_string_equal(tsync_state_str(TSYNC_STATE_OK), "OK");
  assert_string_equal(tsync_state_str(TSYNC_STATE_WARNING), "WARNING");
  assert_string_equal(tsync_state_str(TSYNC_STATE_CRITICAL), "CRITICAL");
  assert_string_equal(tsync_state_str(TSYNC_STATE_UNKNOWN), "UNKNOWN");
  assert_string_equal(tsync_state_str((enum tsync_state)7), "UNKNOWN");
}

static void
expect_fmt(double seconds, const char *want)
{
  char buf[32];

  eval_fmt_offset(seconds, buf, sizeof(buf));
  assert_string_equal(buf, want);
}

/* chronyc's steps: ns below 10 us, us below 10 ms, ms below 10 s, then s. */
static void
test_fmt_offset(void **state)
{
  (void)state;
  expect_fmt(0, "+0ns");
  expect_fmt(5e-9, "+5ns");
  expect_fmt(-9999e-9, "-9999ns");
  expect_fmt(1e-5, "+10us");
  expect_fmt(12e-6, "+12us");
  expect_fmt(-1.5e-3, "-1500us");
  expect_fmt(0.01, "+10ms");
  expect_fmt(0.312, "+312ms");
  expect_fmt(9.999, "+9999ms");
  expect_fmt(-12.34, "-12.3s");
  expect_fmt(400, "+400.0s");
}

static void
test_defaults(void **state)
{
  struct fx *f = *state;

  assert_string_equal(f->cfg.offset_warn.text, "0.05");
  assert_true(f->cfg.offset_warn.set && f->cfg.offset_warn.end == 0.05);
  assert_string_equal(f->cfg.offset_crit.text, "0.25");
  assert_string_equal(f->cfg.usable_warn.text, "2:");
  assert_true(f->cfg.usable_warn.end_inf && f->cfg.usable_warn.start == 2);
  assert_string_equal(f->cfg.usable_crit.text, "1:");
  assert_int_equal(f->cfg.reach_lost, 3);
  assert_false(f->cfg.stratum_warn.set || f->cfg.stratum_crit.set);
  assert_false(f->cfg.jitter_warn.set || f->cfg.jitter_crit.set);
  assert_false(f->cfg.esterr_warn.set || f->cfg.esterr_crit.set);
  assert_string_equal(f->ccfg.age_warn.text, "4096");
  assert_string_equal(f->ccfg.age_crit.text, "16384");
  assert_true(f->ccfg.age_crit.set && f->ccfg.age_crit.end == 16384);
  assert_int_equal(f->ccfg.n_expect, 0);
}

/* ---- clients ---- */

static void
expect_client(struct eval_clients_cfg *cfg, const char *name, const char *a1, const char *a2)
{
  static struct tsync_expect backing[8]; /* the parser would allocate these */
  struct tsync_expect *e;

  if (!cfg->expect)
    cfg->expect = backing;
  assert_true(cfg->n_expect < 8);
  e = &cfg->expect[cfg->n_expect++];
  set_str(e->name, sizeof(e->name), name);
  set_str(e->addrs[0], TSYNC_ADDR_SIZE, a1);
  e->n_addrs = 1;
  if (a2) {
    set_str(e->addrs[1], TSYNC_ADDR_SIZE, a2);
    e->n_addrs = 2;
  }
}

/* Two clients in the log: 192.0.2.99 (3 requests) and 2001:db8::10 (7 requests,
 * last ago seconds ago); web1 is expected at 192.0.2.10 or 2001:db8::10. */
static void
clients_report(struct fx *f, uint32_t ago)
{
  struct tsync_client *c;

  f->rep.clients = calloc(2, sizeof(*f->rep.clients));
  assert_non_null(f->rep.clients);
  f->rep.n_clients = 2;
  c = &f->rep.clients[0];
  set_str(c->address, sizeof(c->address), "192.0.2.99");
  c->ntp_hits = 3;
  c->last_ntp_ago = 5;
  c = &f->rep.clients[1];
  set_str(c->address, sizeof(c->address), "2001:db8::10");
  c->ntp_hits = 7;
  c->last_ntp_ago = ago;
  expect_client(&f->ccfg, "web1", "192.0.2.10", "2001:db8::10");
}

static struct eval_result *
run_clients(struct fx *f)
{
  eval_chrony_clients(&f->ccfg, &f->rep, &f->res);
  return &f->res;
}

#define LOST ": lost NTP connectivity, free-running on local clock drift?"

static void
test_clients_recent(void **state)
{
  struct fx *f = *state;

  clients_report(f, 10);
  expect_ok(run_clients(f));
  assert_string_equal(f->res.ok_text, "1 expected client seen within 4096 s; 2 NTP clients");
  f->rep.clients[1].last_ntp_ago = 4096; /* inclusive */
  expect_ok(run_clients(f));
}

static void
test_clients_stale(void **state)
{
  struct fx *f = *state;

  clients_report(f, 5000);
  expect_only(run_clients(f), TSYNC_STATE_WARNING,
              "web1 last NTP request 5000 s ago > 4096 s" LOST);
  f->rep.clients[1].last_ntp_ago = 20000;
  expect_only(run_clients(f), TSYNC_STATE_CRITICAL,
              "web1 last NTP request 20000 s ago > 16384 s" LOST);
}

static void
test_clients_never_seen(void **state)
{
  struct fx *f = *state;

  clients_report(f, UINT32_MAX);
  expect_only(run_clients(f), TSYNC_STATE_CRITICAL,
              "web1 never seen: no NTP request in chronyd's client log");
  f->rep.clients[1].last_ntp_ago = 10;
  expect_client(&f->ccfg, "db1", "192.0.2.77", NULL);
  expect_only(run_clients(f), TSYNC_STATE_CRITICAL,
              "db1 never seen: no NTP request in chronyd's client log");
  assert_string_equal(f->res.ok_text, "2 expected clients seen within 4096 s; 2 NTP clients");
}

static void
test_clients_none_expected(void **state)
{
  struct fx *f = *state;

  clients_report(f, 10);
  f->ccfg.n_expect = 0;
  f->rep.clients[0].ntp_hits = 0; /* command requests only: not an NTP client */
  expect_ok(run_clients(f));
  assert_string_equal(f->res.ok_text, "1 NTP client in chronyd's client log");
}

static void
test_clients_perf(void **state)
{
  struct fx *f = *state;

  clients_report(f, 10);
  run_clients(f);
  assert_int_equal(f->res.n_perf, 1);
  assert_string_equal(f->res.perf[0].label, "clients");
  assert_true(f->res.perf[0].value == 2 && f->res.perf[0].integer && f->res.perf[0].has_min);
  f->rep.stats.valid = true;
  f->rep.stats.ntp_hits = 123456789012ull;
  f->rep.stats.ntp_drops = 5;
  run_clients(f);
  assert_int_equal(f->res.n_perf, 3);
  assert_string_equal(f->res.perf[1].label, "ntp_requests");
  assert_string_equal(f->res.perf[1].uom, "c");
  assert_true(f->res.perf[1].value == 123456789012.0 && f->res.perf[1].integer);
  assert_string_equal(f->res.perf[2].label, "ntp_drops");
  assert_string_equal(f->res.perf[2].uom, "c");
  assert_true(f->res.perf[2].value == 5 && f->res.perf[2].has_min);
  expect_perf_text(&f->res.perf[1], "ntp_requests=123456789012c;;;0");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_healthy, teardown)
#define TB(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
      T(test_healthy),
      T(test_ok_text_variants),
      T(test_unsync_leap),
      T(test_unsync_stratum0),
      T(test_unsync_refid0),
      T(test_unsync_unreachable),
      T(test_unsync_no_sources),
      T(test_offset_warning),
      T(test_offset_critical),
      T(test_offset_boundaries),
      T(test_offset_kerberos),
      T(test_offset_custom),
      T(test_local_reference),
      T(test_local_reference_no_usable),
      T(test_one_falseticker),
      T(test_two_falsetickers),
      T(test_usable_one),
      T(test_usable_zero),
      T(test_usable_custom),
      T(test_unreachable_source),
      T(test_reach_lost),
      T(test_reach_lost_setting),
      T(test_stratum),
      T(test_stratum_other_forms),
      T(test_jitter),
      T(test_est_error),
      T(test_worst_wins),
      T(test_perf_labels),
      T(test_perf_values),
      T(test_perf_thresholds),
      T(test_perf_rendered),
      T(test_perf_when_unsynced),
      cmocka_unit_test(test_reach_lost_fn),
      cmocka_unit_test(test_src_usable),
      cmocka_unit_test(test_notes),
      cmocka_unit_test(test_status_state),
      T(test_eval_failure),
      cmocka_unit_test(test_eval_add),
      cmocka_unit_test(test_state_str),
      cmocka_unit_test(test_fmt_offset),
      TB(test_defaults),
      TB(test_clients_recent),
      TB(test_clients_stale),
      TB(test_clients_never_seen),
      TB(test_clients_none_expected),
      TB(test_clients_perf),
  };

  return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
