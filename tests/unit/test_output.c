/* test_output.c -- perfdata items, summary, Nagios text, JSON and Zabbix discovery.
 * JSON output is parsed back with jansson and checked key by key. */
#include <jansson.h>
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

#include "output.h"

struct fx {
  struct thr_range warn, crit;
  struct eval_result res;
  struct tsync_report rep;
  char buf[OUT_BUF_SIZE];
};

static struct thr_range
range(const char *text)
{
  struct thr_range r;
  struct tsync_err err = {""};

  if (thr_parse(&r, text, &err) != TSYNC_OK)
    fail_msg("thr_parse('%s'): %s", text, err.msg);
  return r;
}

static size_t
count_char(const char *s, char c)
{
  size_t n = 0;

  for (; *s; s++)
    n += *s == c;
  return n;
}

/* ---- out_perf_item ---- */

static struct eval_perf
perf(const char *label, double value, const char *uom)
{
  struct eval_perf p;

  memset(&p, 0, sizeof(p));
  set_str(p.label, sizeof(p.label), label);
  p.value = value;
  p.uom = uom;
  return p;
}

static void
expect_perf(const struct eval_perf *p, const char *want)
{
  char buf[256];

  memset(buf, 'Z', sizeof(buf));
  assert_int_equal(out_perf_item(p, buf, sizeof(buf)), TSYNC_OK);
  assert_string_equal(buf, want);
}

static void
test_perf_ranges(void **state)
{
  struct thr_range w = range("0.05"), c = range("0.25");
  struct eval_perf p = perf("offset", 0.0123, "s");

  (void)state;
  expect_perf(&p, "offset=0.0123s");
  p.warn = &w;
  p.crit = &c;
  expect_perf(&p, "offset=0.0123s;0.05;0.25");
  p.value = -0.0123;
  p.symmetric = true;
  expect_perf(&p, "offset=-0.0123s;-0.05:0.05;-0.25:0.25");
}

/* symmetric rewrites only a plain 0:N range; everything else stays as written */
static void
expect_symmetric(const char *text, const char *shown)
{
  struct thr_range w = range(text);
  struct eval_perf p = perf("x", 1, "");
  char want[64];

  p.warn = &w;
  p.symmetric = true;
  assert_true(snprintf(want, sizeof(want), "x=1;%s", shown) < (int)sizeof(want));
  expect_perf(&p, want);
}

static void
test_perf_symmetric(void **state)
{
  (void)state;
  expect_symmetric("0.05", "-0.05:0.05");
  expect_symmetric("0:0.5", "-0.5:0.5");
  expect_symmetric("1e-3", "-0.001:0.001");
  expect_symmetric("10", "-10:10");
  expect_symmetric("@1:2", "@1:2");
  expect_symmetric("@0.05", "@0.05");
  expect_symmetric("10:", "10:");
  expect_symmetric("~:10", "~:10");
  expect_symmetric("5:10", "5:10");
  expect_symmetric("-1:1", "-1:1");
}

static void
test_perf_unset_range(void **state)
{
  struct thr_range unset;
  struct eval_perf p = perf("x", 1, "");

  (void)state;
  memset(&unset, 0, sizeof(unset));
  set_str(unset.text, sizeof(unset.text), "5"); /* text of an unset range is ignored */
  p.warn = &unset;
  p.crit = &unset;
  expect_perf(&p, "x=1");
}

static void
test_perf_quoting(void **state)
{
  struct eval_perf p = perf("my label", 1, "");

  (void)state;
  expect_perf(&p, "'my label'=1");
  p = perf("a=b", 1, "");
  expect_perf(&p, "'a=b'=1");
  p = perf("it's", 1, "");
  expect_perf(&p, "'it''s'=1");
  p = perf("''", 1, "");
  expect_perf(&p, "''''''=1");
  p = perf("a-b_c.d/e", 1, "");
  expect_perf(&p, "a-b_c.d/e=1");
}

static void
expect_number(double value, bool integer, const char *want)
{
  struct eval_perf p = perf("v", value, "");
  char text[80];

  p.integer = integer;
  assert_true(snprintf(text, sizeof(text), "v=%s", want) < (int)sizeof(text));
  expect_perf(&p, text);
}

static void
test_perf_numbers(void **state)
{
  (void)state;
  expect_number(3, true, "3");
  expect_number(3.7, true, "4");
  expect_number(0, true, "0");
  expect_number(4294967295.0, true, "4294967295");
  expect_number(2.5, false, "2.5");
  expect_number(100, false, "100");
  expect_number(0.1, false, "0.1");
  expect_number(-12.5, false, "-12.5");
  expect_number(0, false, "0");
  expect_number(1e-7, false, "0.0000001");
  expect_number(1.5e-6, false, "0.0000015");
  expect_number(1e-10, false, "0");
  expect_number(-1e-10, false, "0");
  expect_number(1e20, false, "100000000000000000000");
  expect_number(1234567.125, false, "1234567.125");
}

static void
test_perf_uom_min_max(void **state)
{
  struct thr_range w = range("3"), c = range("5");
  struct eval_perf p = perf("stratum", 2, "");

  (void)state;
  p.integer = true;
  p.has_min = true;
  expect_perf(&p, "stratum=2;;;0");
  p.has_max = true;
  p.max = 16;
  expect_perf(&p, "stratum=2;;;0;16");
  p.warn = &w;
  p.crit = &c;
  expect_perf(&p, "stratum=2;3;5;0;16");
  p = perf("drops", 7, "c");
  p.has_max = true;
  p.max = 10.5;
  expect_perf(&p, "drops=7c;;;;10.5");
  p = perf("x", 1, NULL);
  p.crit = &c;
  expect_perf(&p, "x=1;;5");
  p.warn = &w;
  p.crit = NULL;
  expect_perf(&p, "x=1;3");
}

static void
test_perf_too_large(void **state)
{
  struct thr_range w = range("3"), c = range("5");
  struct eval_perf p = perf("stratum", 2, "");
  const char *want = "stratum=2;3;5;0;16";
  char buf[64];
  size_t n = strlen(want);

  (void)state;
  p.integer = p.has_min = p.has_max = true;
  p.max = 16;
  p.warn = &w;
  p.crit = &c;
  assert_int_equal(out_perf_item(&p, buf, n + 1), TSYNC_OK);
  assert_string_equal(buf, want);
  memset(buf, 'Z', sizeof(buf));
  assert_int_equal(out_perf_item(&p, buf, n), TSYNC_ERR_TOO_LARGE);
  assert_true(memchr(buf, '\0', n) != NULL);
  assert_int_equal(out_perf_item(&p, buf, 3), TSYNC_ERR_TOO_LARGE);
  assert_true(memchr(buf, '\0', 3) != NULL);
}

/* ---- out_summary ---- */

static void
test_summary_ok(void **state)
{
  struct fx *f = *state;
  char buf[128];

  memset(buf, 'Z', sizeof(buf));
  set_str(f->res.ok_text, sizeof(f->res.ok_text), "synchronised to ntp1");
  out_summary(&f->res, buf, sizeof(buf));
  assert_string_equal(buf, "synchronised to ntp1");
}

static void
test_summary_order(void **state)
{
  struct fx *f = *state;
  char buf[128];

  set_str(f->res.ok_text, sizeof(f->res.ok_text), "not shown");
  eval_add(&f->res, TSYNC_STATE_WARNING, "w1");
  eval_add(&f->res, TSYNC_STATE_CRITICAL, "c1");
  eval_add(&f->res, TSYNC_STATE_UNKNOWN, "u1");
  eval_add(&f->res, TSYNC_STATE_WARNING, "w2");
  eval_add(&f->res, TSYNC_STATE_CRITICAL, "c2");
  out_summary(&f->res, buf, sizeof(buf));
  assert_string_equal(buf, "c1, c2, u1, w1, w2");
  assert_int_equal(f->res.state, TSYNC_STATE_CRITICAL);
}

static void
test_summary_truncated(void **state)
{
  struct fx *f = *state;
  char buf[6];

  eval_add(&f->res, TSYNC_STATE_CRITICAL, "c1");
  eval_add(&f->res, TSYNC_STATE_CRITICAL, "c2");
  out_summary(&f->res, buf, sizeof(buf));
  assert_string_equal(buf, "c1"); /* ", c2" needs 5 more: dropped whole */
}

/* ---- out_source_line ---- */

static void
expect_line(const struct tsync_source *s, const char *want)
{
  char buf[512];

  memset(buf, 'Z', sizeof(buf));
  out_source_line(s, buf, sizeof(buf));
  assert_string_equal(buf, want);
}

static void
test_source_line(void **state)
{
  struct tsync_source s;

  (void)state;
  unit_fill_source(&s, "ntp1", "10.0.0.1", TSYNC_MODE_SERVER, TSYNC_SRC_SELECTED);
  s.stratum = 1;
  s.reach = 0377;
  s.since_sample = 30;
  s.offset = 12e-6;
  s.error = 25e-6;
  expect_line(&s, "^* ntp1 (10.0.0.1) stratum 1 reach 377 offset +12us +/- 25us, selected");
  s.offset = -1.5e-3;
  s.error = 2e-6; /* chronyc's steps: ns below 10 us */
  expect_line(&s, "^* ntp1 (10.0.0.1) stratum 1 reach 377 offset -1500us +/- 2000ns, "
                  "selected");
  s.offset = 0.312;
  s.error = 12.34;
  expect_line(&s, "^* ntp1 (10.0.0.1) stratum 1 reach 377 offset +312ms +/- 12.3s, "
                  "selected");
}

static void
test_source_line_no_sample(void **state)
{
  struct tsync_source s;

  (void)state;
  unit_fill_source(&s, "ntp2", "10.0.0.2", TSYNC_MODE_PEER, TSYNC_SRC_UNUSABLE);
  s.since_sample = UINT32_MAX;
  s.offset = 1.0; /* ignored without a sample */
  expect_line(&s, "=? ntp2 (10.0.0.2) stratum 0 reach 000 no sample, unusable");
}

static void
test_source_line_variants(void **state)
{
  struct tsync_source s;

  (void)state;
  unit_fill_source(&s, "PPS", "PPS", TSYNC_MODE_REFCLOCK, TSYNC_SRC_NOT_COMBINED);
  s.reach = 017;
  expect_line(&s, "#- PPS stratum 0 reach 017 offset +0ns +/- 0ns, not combined");
  unit_fill_source(&s, "x", "", TSYNC_MODE_UNKNOWN, TSYNC_SRC_UNKNOWN);
  s.stratum = 3;
  s.reach = 1;
  expect_line(&s, "   x stratum 3 reach 001 offset +0ns +/- 0ns, unknown");
  unit_fill_source(&s, "bad", "10.9.9.9", TSYNC_MODE_SERVER, TSYNC_SRC_FALSETICKER);
  s.reach = 0373;
  s.offset = 0.5;
  s.error = 0.001;
  expect_line(&s, "^x bad (10.9.9.9) stratum 0 reach 373 offset +500ms +/- 1000us, "
                  "falseticker");
  unit_fill_source(&s, "j", "10.1.1.1", TSYNC_MODE_SERVER, TSYNC_SRC_JITTERY);
  expect_line(&s, "^~ j (10.1.1.1) stratum 0 reach 000 offset +0ns +/- 0ns, too variable");
  unit_fill_source(&s, "c", "10.1.1.2", TSYNC_MODE_SERVER, TSYNC_SRC_COMBINED);
  expect_line(&s, "^+ c (10.1.1.2) stratum 0 reach 000 offset +0ns +/- 0ns, combined");
}

static void
test_source_line_small(void **state)
{
  struct tsync_source s;
  char buf[10];

  (void)state;
  unit_fill_source(&s, "ntp1", "10.0.0.1", TSYNC_MODE_SERVER, TSYNC_SRC_SELECTED);
  out_source_line(&s, buf, sizeof(buf));
  assert_string_equal(buf, "^* ntp1");
}

/* ---- fixtures for the whole-result formatters ---- */

static int
setup(void **state)
{
  return unit_alloc_state(state, sizeof(struct fx));
}

static int
teardown(void **state)
{
  return unit_free_state(state, &((struct fx *)*state)->rep);
}

/* A WARNING result with two perf items and a report of two sources and a note. */
static void
sample(struct fx *f)
{
  struct tsync_source *s;

  f->warn = range("0.05");
  f->crit = range("0.25");
  eval_add(&f->res, TSYNC_STATE_WARNING, "ntp2 unreachable (reach 0)");
  f->res.perf[0] = perf("offset", 0.0001, "s");
  f->res.perf[0].warn = &f->warn;
  f->res.perf[0].crit = &f->crit;
  f->res.perf[0].symmetric = true;
  f->res.perf[1] = perf("stratum", 2, "");
  f->res.perf[1].integer = f->res.perf[1].has_min = f->res.perf[1].has_max = true;
  f->res.perf[1].max = 16;
  f->res.n_perf = 2;
  unit_add_sources(&f->rep, 2);
  s = &f->rep.sources[0];
  unit_fill_source(s, "ntp1", "10.0.0.1", TSYNC_MODE_SERVER, TSYNC_SRC_SELECTED);
  s->stratum = 1;
  s->reach = 0377;
  s->poll = 6;
  s->since_sample = 30;
  s->offset = 12e-6;
  s->error = 25e-6;
  s->select_char = '*';
  s->have_stats = true;
  s->n_samples = 8;
  s->sd = 3e-6;
  s = &f->rep.sources[1];
  unit_fill_source(s, "ntp2", "10.0.0.2", TSYNC_MODE_PEER, TSYNC_SRC_UNUSABLE);
  s->since_sample = UINT32_MAX;
  s->lost = 0;
  tsync_note(&f->rep.notes, "selectdata not permitted over %s", "UDP");
  set_str(f->rep.transport, sizeof(f->rep.transport), "unix:/run/chrony/chronyd.sock");
}

#define LINE1                                                                                 \
  "CHRONY WARNING: ntp2 unreachable (reach 0) | "                                             \
  "offset=0.0001s;-0.05:0.05;-0.25:0.25 stratum=2;;;0;16\n"
#define LINE2 "^* ntp1 (10.0.0.1) stratum 1 reach 377 offset +12us +/- 25us, selected\n"
#define LINE3 "=? ntp2 (10.0.0.2) stratum 0 reach 000 no sample, unusable\n"
#define LINE4 "note: selectdata not permitted over UDP\n"

/* ---- out_nagios ---- */

static void
test_nagios_full(void **state)
{
  struct fx *f = *state;

  sample(f);
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 0, f->buf, sizeof(f->buf)),
                   TSYNC_OK);
  assert_string_equal(f->buf, LINE1 LINE2 LINE3 LINE4);
}

static void
test_nagios_verbose(void **state)
{
  struct fx *f = *state;

  sample(f);
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 1, f->buf, sizeof(f->buf)),
                   TSYNC_OK);
  assert_string_equal(f->buf,
                      LINE1 LINE2 LINE3 LINE4 "queried via unix:/run/chrony/chronyd.sock\n");
}

static void
test_nagios_ok_no_report(void **state)
{
  struct fx *f = *state;

  set_str(f->res.ok_text, sizeof(f->res.ok_text), "synchronised to ntp1");
  assert_int_equal(out_nagios("NTP", &f->res, NULL, 0, f->buf, sizeof(f->buf)), TSYNC_OK);
  assert_string_equal(f->buf, "NTP OK: synchronised to ntp1\n");
}

static void
test_nagios_clients(void **state)
{
  struct fx *f = *state;
  struct tsync_client *c;

  set_str(f->res.ok_text, sizeof(f->res.ok_text), "2 NTP clients");
  f->rep.clients = calloc(2, sizeof(*f->rep.clients));
  assert_non_null(f->rep.clients);
  f->rep.n_clients = 2;
  c = &f->rep.clients[0];
  set_str(c->address, sizeof(c->address), "192.0.2.1");
  c->ntp_hits = 5;
  c->last_ntp_ago = 10;
  c->ntp_drops = 1;
  c = &f->rep.clients[1];
  set_str(c->address, sizeof(c->address), "192.0.2.2");
  c->last_ntp_ago = UINT32_MAX;
  c->cmd_hits = 3;
  f->rep.n_unresolved = 1;
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 0, f->buf, sizeof(f->buf)),
                   TSYNC_OK);
  assert_string_equal(f->buf, "CHRONY OK: 2 NTP clients\n"
                              "client 192.0.2.1: 5 NTP requests, last 10 s ago, 1 dropped\n"
                              "client 192.0.2.2: no NTP request (3 command requests)\n"
                              "1 source not yet resolved\n");
  f->rep.n_unresolved = 2;
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 0, f->buf, sizeof(f->buf)),
                   TSYNC_OK);
  assert_non_null(strstr(f->buf, "\n2 sources not yet resolved\n"));
}

/* Names from the daemon must never start perfdata early. */
static void
test_nagios_pipes(void **state)
{
  struct fx *f = *state;
  const char *perf_bar;

  sample(f);
  set_str(f->rep.sources[0].name, TSYNC_NAME_SIZE, "a|b");
  set_str(f->res.msgs[0].text, EVAL_MSG_SIZE, "x|y unreachable (reach 0)");
  tsync_note(&f->rep.notes, "odd|note");
  set_str(f->rep.transport, sizeof(f->rep.transport), "unix:/p|q");
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 1, f->buf, sizeof(f->buf)),
                   TSYNC_OK);
  assert_int_equal(count_char(f->buf, '|'), 1);
  perf_bar = strstr(f->buf, " | offset=");
  assert_non_null(perf_bar);
  assert_true(perf_bar < strchr(f->buf, '\n'));
  assert_non_null(strstr(f->buf, "WARNING: x/y unreachable (reach 0) | "));
  assert_non_null(strstr(f->buf, "\n^* a/b (10.0.0.1) "));
  assert_non_null(strstr(f->buf, "\nnote: odd/note\n"));
  assert_non_null(strstr(f->buf, "\nqueried via unix:/p/q\n"));
}

static void
test_nagios_pipe_ok_text(void **state)
{
  struct fx *f = *state;

  set_str(f->res.ok_text, sizeof(f->res.ok_text), "synchronised to a|b");
  assert_int_equal(out_nagios("CHRONY", &f->res, NULL, 0, f->buf, sizeof(f->buf)), TSYNC_OK);
  assert_string_equal(f->buf, "CHRONY OK: synchronised to a/b\n");
}

static void
test_nagios_too_large(void **state)
{
  struct fx *f = *state;
  size_t len;

  sample(f);
  for (len = 1; len < 40; len += 9) {
    memset(f->buf, 'Z', len);
    assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 0, f->buf, len),
                     TSYNC_ERR_TOO_LARGE);
    assert_true(memchr(f->buf, '\0', len) != NULL);
  }
  f->buf[0] = 'Z';
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 0, f->buf, 0), TSYNC_ERR_TOO_LARGE);
  assert_int_equal(f->buf[0], 'Z'); /* nothing written into a zero-length buffer */
}

/* Too small for the long output: cut after the last whole line that fits. */
static void
test_nagios_cut_at_line(void **state)
{
  struct fx *f = *state;
  size_t len = strlen(LINE1 LINE2) + 10;

  sample(f);
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 0, f->buf, len),
                   TSYNC_ERR_TOO_LARGE);
  assert_string_equal(f->buf, LINE1 LINE2);
  len = strlen(LINE1 LINE2 LINE3 LINE4) + 1;
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 0, f->buf, len), TSYNC_OK);
  assert_int_equal(out_nagios("CHRONY", &f->res, &f->rep, 0, f->buf, len - 1),
                   TSYNC_ERR_TOO_LARGE);
  assert_string_equal(f->buf, LINE1 LINE2 LINE3);
}

/* ---- out_json ---- */

/* Parses buf: one line ending in a newline, holding one JSON value. */
static json_t *
load(const char *buf)
{
  json_error_t error;
  size_t n = strlen(buf);
  json_t *root;

  assert_true(n > 0 && buf[n - 1] == '\n');
  assert_int_equal(count_char(buf, '\n'), 1);
  root = json_loads(buf, 0, &error);
  if (!root)
    fail_msg("json_loads: %s at %d: %s", error.text, error.position, buf);
  return root;
}

static const char *
jstr(json_t *obj, const char *key)
{
  json_t *v = json_object_get(obj, key);

  if (!json_is_string(v))
    fail_msg("key '%s' is not a string", key);
  return json_string_value(v);
}

static json_int_t
jint(json_t *obj, const char *key)
{
  json_t *v = json_object_get(obj, key);

  if (!json_is_integer(v))
    fail_msg("key '%s' is not an integer", key);
  return json_integer_value(v);
}

static double
jreal(json_t *obj, const char *key)
{
  json_t *v = json_object_get(obj, key);

  if (!json_is_real(v))
    fail_msg("key '%s' is not a real", key);
  return json_real_value(v);
}

static void
check_source_json(json_t *s0, json_t *s1)
{
  assert_string_equal(jstr(s0, "name"), "ntp1");
  assert_string_equal(jstr(s0, "address"), "10.0.0.1");
  assert_string_equal(jstr(s0, "mode"), "server");
  assert_string_equal(jstr(s0, "state"), "selected");
  assert_string_equal(jstr(s0, "select"), "*");
  assert_int_equal(jint(s0, "stratum"), 1);
  assert_int_equal(jint(s0, "reach"), 255);
  assert_string_equal(jstr(s0, "reach_octal"), "377");
  assert_int_equal(jint(s0, "lost"), 0);
  assert_int_equal(jint(s0, "poll"), 6);
  assert_int_equal(jint(s0, "last_sample_ago"), 30);
  assert_true(fabs(jreal(s0, "offset") - 12e-6) < 1e-15);
  assert_true(fabs(jreal(s0, "error") - 25e-6) < 1e-15);
  assert_int_equal(jint(s0, "samples"), 8);
  assert_true(fabs(jreal(s0, "std_dev") - 3e-6) < 1e-15);
  assert_string_equal(jstr(s1, "mode"), "peer");
  assert_string_equal(jstr(s1, "state"), "unusable");
  assert_string_equal(jstr(s1, "reach_octal"), "000");
  assert_true(json_is_null(json_object_get(s1, "last_sample_ago")));
  assert_null(json_object_get(s1, "samples")); /* no stats */
  assert_null(json_object_get(s1, "select"));  /* no select character */
}

static void
test_json_sources(void **state)
{
  struct fx *f = *state;
  json_t *root, *metrics, *sources, *notes;

  sample(f);
  f->rep.have_select = true;
  f->rep.have_clock = true;
  set_str(f->rep.clock.ref_name, TSYNC_ADDR_SIZE, "10.0.0.1");
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  assert_string_equal(jstr(root, "state"), "WARNING");
  assert_int_equal(jint(root, "exit_code"), 1);
  assert_string_equal(jstr(root, "summary"), "ntp2 unreachable (reach 0)");
  metrics = json_object_get(root, "metrics");
  assert_int_equal(json_object_size(metrics), 2);
  assert_true(jreal(metrics, "offset") == 0.0001);
  assert_int_equal(jint(metrics, "stratum"), 2);
  assert_string_equal(jstr(root, "leap_status"), "Normal");
  assert_string_equal(jstr(root, "reference"), "10.0.0.1");
  assert_true(json_is_false(json_object_get(root, "reference_local")));
  assert_string_equal(jstr(root, "transport"), "unix:/run/chrony/chronyd.sock");
  sources = json_object_get(root, "sources");
  assert_int_equal(json_array_size(sources), 2);
  check_source_json(json_array_get(sources, 0), json_array_get(sources, 1));
  notes = json_object_get(root, "notes");
  assert_int_equal(json_array_size(notes), 1);
  assert_string_equal(json_string_value(json_array_get(notes, 0)),
                      "selectdata not permitted over UDP");
  assert_null(json_object_get(root, "clients"));
  json_decref(root);
}

static void
test_json_select_off(void **state)
{
  struct fx *f = *state;
  json_t *root;

  sample(f); /* have_select false: the select character is not trusted */
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  assert_null(json_object_get(json_array_get(json_object_get(root, "sources"), 0), "select"));
  assert_null(json_object_get(root, "leap_status")); /* have_clock false */
  json_decref(root);
}

static void
test_json_clients(void **state)
{
  struct fx *f = *state;
  json_t *root, *clients, *c0, *c1;

  f->rep.clients = calloc(2, sizeof(*f->rep.clients));
  assert_non_null(f->rep.clients);
  f->rep.n_clients = 2;
  set_str(f->rep.clients[0].address, TSYNC_ADDR_SIZE, "192.0.2.1");
  f->rep.clients[0].ntp_hits = 5;
  f->rep.clients[0].ntp_drops = 1;
  f->rep.clients[0].last_ntp_ago = 10;
  f->rep.clients[0].cmd_hits = 2;
  set_str(f->rep.clients[1].address, TSYNC_ADDR_SIZE, "2001:db8::2");
  f->rep.clients[1].last_ntp_ago = UINT32_MAX;
  unit_add_sources(&f->rep, 1); /* ignored in clients mode */
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  assert_null(json_object_get(root, "sources"));
  clients = json_object_get(root, "clients");
  assert_int_equal(json_array_size(clients), 2);
  c0 = json_array_get(clients, 0);
  c1 = json_array_get(clients, 1);
  assert_string_equal(jstr(c0, "address"), "192.0.2.1");
  assert_int_equal(jint(c0, "ntp_requests"), 5);
  assert_int_equal(jint(c0, "ntp_drops"), 1);
  assert_int_equal(jint(c0, "last_ntp_request_ago"), 10);
  assert_int_equal(jint(c0, "cmd_requests"), 2);
  assert_string_equal(jstr(c1, "address"), "2001:db8::2");
  assert_true(json_is_null(json_object_get(c1, "last_ntp_request_ago")));
  assert_int_equal(json_array_size(json_object_get(root, "notes")), 0);
  json_decref(root);
}

/* A clients probe that found none still reports clients, not the sources. */
static void
test_json_clients_empty(void **state)
{
  struct fx *f = *state;
  json_t *root;

  sample(f);
  f->rep.clients = calloc(1, sizeof(*f->rep.clients));
  assert_non_null(f->rep.clients);
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  assert_null(json_object_get(root, "sources"));
  assert_true(json_is_array(json_object_get(root, "clients")));
  assert_int_equal(json_array_size(json_object_get(root, "clients")), 0);
  json_decref(root);
  assert_int_equal(out_discovery(&f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  assert_string_equal(f->buf, "[]\n");
}

static void
test_json_states(void **state)
{
  struct fx *f = *state;
  json_t *root;

  set_str(f->res.ok_text, sizeof(f->res.ok_text), "all fine");
  assert_int_equal(out_json(&f->res, NULL, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  assert_string_equal(jstr(root, "state"), "OK");
  assert_int_equal(jint(root, "exit_code"), 0);
  assert_string_equal(jstr(root, "summary"), "all fine");
  assert_int_equal(json_object_size(json_object_get(root, "metrics")), 0);
  assert_null(json_object_get(root, "sources"));
  assert_null(json_object_get(root, "notes"));
  json_decref(root);
  eval_add(&f->res, TSYNC_STATE_UNKNOWN, "cannot parse");
  assert_int_equal(out_json(&f->res, NULL, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  assert_string_equal(jstr(root, "state"), "UNKNOWN");
  assert_int_equal(jint(root, "exit_code"), 3);
  json_decref(root);
}

/* A counter beyond json_int_t (a 64-bit counter from the daemon) stays a positive
 * number instead of going through an out-of-range integer conversion. */
static void
test_json_huge_counter(void **state)
{
  struct fx *f = *state;
  json_t *root, *v;

  f->res.perf[0] = perf("ntp_requests", 18446744073709551615.0, "c");
  f->res.perf[0].integer = true;
  f->res.perf[1] = perf("ntp_drops", 9223372036854775807.0, "c");
  f->res.perf[1].integer = true;
  f->res.perf[2] = perf("clients", 4096, "");
  f->res.perf[2].integer = true;
  f->res.n_perf = 3;
  assert_int_equal(out_json(&f->res, NULL, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  v = json_object_get(json_object_get(root, "metrics"), "ntp_requests");
  assert_true(json_is_number(v));
  assert_true(json_number_value(v) > 1.8e19 && json_number_value(v) < 1.9e19);
  v = json_object_get(json_object_get(root, "metrics"), "ntp_drops");
  assert_true(json_is_number(v) && json_number_value(v) > 9.2e18);
  assert_int_equal(jint(json_object_get(root, "metrics"), "clients"), 4096);
  json_decref(root);
}

static void
test_json_escaping(void **state)
{
  struct fx *f = *state;
  const char *odd = "q\"b\\s|\tz";
  json_t *root, *s0;

  unit_add_sources(&f->rep, 1);
  unit_fill_source(&f->rep.sources[0], odd, "10.0.0.1", TSYNC_MODE_SERVER, TSYNC_SRC_SELECTED);
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  s0 = json_array_get(json_object_get(root, "sources"), 0);
  assert_string_equal(jstr(s0, "name"), odd);
  json_decref(root);
}

static void
test_json_too_large(void **state)
{
  struct fx *f = *state;

  size_t n;

  sample(f);
  memset(f->buf, 'Z', 64);
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, 64), TSYNC_ERR_TOO_LARGE);
  assert_string_equal(f->buf, "");
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  n = strlen(f->buf); /* text and newline; the NUL makes n + 1 */
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, n + 1), TSYNC_OK);
  assert_int_equal(strlen(f->buf), n);
  assert_int_equal(out_json(&f->res, &f->rep, f->buf, n), TSYNC_ERR_TOO_LARGE);
  assert_string_equal(f->buf, "");
}

/* ---- out_discovery ---- */

static void
test_discovery_sources(void **state)
{
  struct fx *f = *state;
  json_t *root, *o;

  sample(f);
  assert_int_equal(out_discovery(&f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  assert_true(json_is_array(root));
  assert_int_equal(json_array_size(root), 2);
  o = json_array_get(root, 0);
  assert_int_equal(json_object_size(o), 3);
  assert_string_equal(jstr(o, "{#NAME}"), "ntp1");
  assert_string_equal(jstr(o, "{#ADDRESS}"), "10.0.0.1");
  assert_string_equal(jstr(o, "{#MODE}"), "server");
  o = json_array_get(root, 1);
  assert_string_equal(jstr(o, "{#NAME}"), "ntp2");
  assert_string_equal(jstr(o, "{#MODE}"), "peer");
  json_decref(root);
}

static void
test_discovery_clients(void **state)
{
  struct fx *f = *state;
  json_t *root, *o;

  unit_add_sources(&f->rep, 1); /* not listed in clients mode */
  f->rep.clients = calloc(1, sizeof(*f->rep.clients));
  assert_non_null(f->rep.clients);
  f->rep.n_clients = 1;
  set_str(f->rep.clients[0].address, TSYNC_ADDR_SIZE, "192.0.2.1");
  assert_int_equal(out_discovery(&f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  root = load(f->buf);
  assert_int_equal(json_array_size(root), 1);
  o = json_array_get(root, 0);
  assert_int_equal(json_object_size(o), 1);
  assert_string_equal(jstr(o, "{#CLIENT}"), "192.0.2.1");
  json_decref(root);
}

static void
test_discovery_empty(void **state)
{
  struct fx *f = *state;

  assert_int_equal(out_discovery(&f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  assert_string_equal(f->buf, "[]\n");
  assert_int_equal(out_discovery(&f->rep, f->buf, 4), TSYNC_OK);
  assert_int_equal(out_discovery(&f->rep, f->buf, 3), TSYNC_ERR_TOO_LARGE);
  assert_string_equal(f->buf, "");
  assert_int_equal(out_discovery(&f->rep, f->buf, 2), TSYNC_ERR_TOO_LARGE);
  assert_string_equal(f->buf, "");
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_perf_ranges),
      cmocka_unit_test(test_perf_symmetric),
      cmocka_unit_test(test_perf_unset_range),
      cmocka_unit_test(test_perf_quoting),
      cmocka_unit_test(test_perf_numbers),
      cmocka_unit_test(test_perf_uom_min_max),
      cmocka_unit_test(test_perf_too_large),
      FX_TEST(test_summary_ok),
      FX_TEST(test_summary_order),
      FX_TEST(test_summary_truncated),
      cmocka_unit_test(test_source_line),
      cmocka_unit_test(test_source_line_no_sample),
      cmocka_unit_test(test_source_line_variants),
      cmocka_unit_test(test_source_line_small),
      FX_TEST(test_nagios_full),
      FX_TEST(test_nagios_verbose),
      FX_TEST(test_nagios_ok_no_report),
      FX_TEST(test_nagios_clients),
      FX_TEST(test_nagios_pipes),
      FX_TEST(test_nagios_pipe_ok_text),
      FX_TEST(test_nagios_too_large),
      FX_TEST(test_nagios_cut_at_line),
      FX_TEST(test_json_sources),
      FX_TEST(test_json_select_off),
      FX_TEST(test_json_clients),
      FX_TEST(test_json_clients_empty),
      FX_TEST(test_json_states),
      FX_TEST(test_json_huge_counter),
      FX_TEST(test_json_escaping),
      FX_TEST(test_json_too_large),
      FX_TEST(test_discovery_sources),
      FX_TEST(test_discovery_clients),
      FX_TEST(test_discovery_empty),
  };

  return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
