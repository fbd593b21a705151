/* test_checkmk.c -- the Checkmk local check line, read back by a parser of the grammar
 * Checkmk documents ("Local checks": status 0-3 or P, the service name in double quotes,
 * metrics name=value;warn;crit;min;max joined by '|' or "-", the status detail; long
 * output after a literal "\n"), for every state and the awkward names. */
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

#include "checkmk.h"

#define BUF_SIZE 8192
#define MAX_METRICS 32

struct fx {
  struct thr_range warn, crit, lower;
  struct eval_result res;
  struct tsync_report rep;
  char buf[BUF_SIZE];
};

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

/* ---- the grammar ---- */

struct metric {
  char name[64];
  double value;
  char fields[4][32]; /* warn, crit, min, max as written ("" when empty or absent) */
};

struct cmk_line {
  char state;        /* '0'..'3' or 'P' */
  char service[256];
  struct metric metrics[MAX_METRICS];
  unsigned n_metrics; /* 0 for "-" */
  char detail[4096];  /* the status detail up to the first "\n" */
  unsigned n_long;    /* long output lines after it */
};

static bool
number_ok(const char *s, size_t len)
{
  char tmp[48], *end;

  if (len == 0 || len >= sizeof(tmp))
    return false;
  memcpy(tmp, s, len);
  tmp[len] = '\0';
  if (strpbrk(tmp, "nNiI")) /* no nan, inf */
    return false;
  (void)strtod(tmp, &end);
  return *end == '\0';
}

/* One metric "name=value[;warn[;crit[;min[;max]]]]" of len bytes. */
static void
parse_metric(const char *s, size_t len, struct metric *m)
{
  const char *eq = memchr(s, '=', len), *p, *end = s + len;
  unsigned i;

  memset(m, 0, sizeof(*m));
  if (!eq || eq == s || (size_t)(eq - s) >= sizeof(m->name))
    fail_msg("metric '%.*s' has no name=", (int)len, s);
  for (p = s; p < eq; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '.' || *p == '-'))
      fail_msg("metric name '%.*s' has '%c'", (int)(eq - s), s, *p);
  memcpy(m->name, s, (size_t)(eq - s));
  p = memchr(eq, ';', (size_t)(end - eq));
  if (!p)
    p = end;
  if (!number_ok(eq + 1, (size_t)(p - eq - 1)))
    fail_msg("metric value '%.*s'", (int)(p - eq - 1), eq + 1);
  m->value = strtod(eq + 1, NULL);
  for (i = 0; p < end; i++) {
    const char *next = memchr(p + 1, ';', (size_t)(end - p - 1));

    if (!next)
      next = end;
    if (i >= 4)
      fail_msg("metric '%.*s' has more than 5 fields", (int)len, s);
    if (next > p + 1 && !number_ok(p + 1, (size_t)(next - p - 1)))
      fail_msg("metric field '%.*s'", (int)(next - p - 1), p + 1);
    snprintf(m->fields[i], sizeof(m->fields[i]), "%.*s", (int)(next - p - 1), p + 1);
    p = next;
  }
}

/* Parses text as exactly one local check line ending in '\n'; fails the test if it is
 * not one. */
static void
parse_line(const char *text, struct cmk_line *out)
{
  const char *p = text, *q, *nl = strchr(text, '\n');

  memset(out, 0, sizeof(*out));
  if (!nl || nl[1])
    fail_msg("not exactly one newline-ended line: '%s'", text);
  for (q = text; q < nl; q++)
    if ((unsigned char)*q < 0x20 || *q == 0x7f)
      fail_msg("control character 0x%02x in '%s'", (unsigned char)*q, text);
  if (!strchr("0123P", *p) || p[1] != ' ')
    fail_msg("status '%c' in '%s'", *p, text);
  out->state = *p;
  p += 2;
  if (*p != '"' || !(q = strchr(p + 1, '"')) || q == p + 1 || q[1] != ' ')
    fail_msg("service name not in double quotes: '%s'", text);
  snprintf(out->service, sizeof(out->service), "%.*s", (int)(q - p - 1), p + 1);
  if (strpbrk(out->service, "\\'"))
    fail_msg("backslash or ' in the service name '%s'", out->service);
  p = q + 2;
  q = strchr(p, ' ');
  if (!q || q == p || q + 1 >= nl)
    fail_msg("no metrics field or no status detail: '%s'", text);
  if (q == p + 1 && *p == '-') {
    out->n_metrics = 0;
  } else {
    const char *m = p;

    while (m < q) {
      const char *bar = memchr(m, '|', (size_t)(q - m));

      if (!bar)
        bar = q;
      if (out->n_metrics == MAX_METRICS)
        fail_msg("too many metrics");
      parse_metric(m, (size_t)(bar - m), &out->metrics[out->n_metrics++]);
      m = bar + 1;
    }
  }
  p = q + 1;
  for (q = p; q < nl; q++) {
    if (*q == '|')
      fail_msg("'|' in the status detail: '%s'", text);
    if (*q == '\\' && q[1] != 'n')
      fail_msg("a backslash that is not \\n: '%s'", text);
  }
  q = strstr(p, "\\n");
  if (!q || q > nl)
    q = nl;
  snprintf(out->detail, sizeof(out->detail), "%.*s", (int)(q - p), p);
  for (; q < nl; q = strstr(q + 2, "\\n") ? strstr(q + 2, "\\n") : nl)
    out->n_long++;
}

static const struct metric *
metric(const struct cmk_line *l, const char *name)
{
  unsigned i;

  for (i = 0; i < l->n_metrics; i++)
    if (!strcmp(l->metrics[i].name, name))
      return &l->metrics[i];
  fail_msg("no metric %s", name);
  return NULL;
}

/* ---- fixtures ---- */

static void
add_sources(struct fx *f)
{
  struct tsync_source *s;

  s = unit_add_sources(&f->rep, 2);
  unit_fill_source(s, "ntp1", "10.0.0.1", TSYNC_MODE_SERVER, TSYNC_SRC_SELECTED);
  s->select_char = '*';
  s->reach = 0377;
  s->stratum = 1;
  s->offset = 12e-6;
  s->error = 25e-6;
  unit_fill_source(&s[1], "", "10.0.0.2", TSYNC_MODE_SERVER, TSYNC_SRC_UNUSABLE);
  s[1].since_sample = UINT32_MAX;
}

/* offset with -w 0.05 -c 0.25 (symmetric), usable sources with a lower bound 2: */
static void
add_perf(struct fx *f, double offset)
{
  struct eval_perf *p;

  set_range(&f->warn, "0.05");
  set_range(&f->crit, "0.25");
  set_range(&f->lower, "2:");
  p = eval_add_perf(&f->res, "offset", offset, "s", &f->warn, &f->crit);
  p->symmetric = true;
  p = eval_add_perf(&f->res, "stratum", 2, "", NULL, NULL);
  p->integer = p->has_min = p->has_max = true;
  p->max = 16;
  eval_add_perf(&f->res, "sources_usable", 1, "", &f->lower, NULL);
}

/* ---- tests ---- */

static void
test_every_state(void **state)
{
  struct fx *f = *state;
  struct cmk_line l;
  enum tsync_state st;

  for (st = TSYNC_STATE_OK; st <= TSYNC_STATE_UNKNOWN; st++) {
    memset(&f->res, 0, sizeof(f->res));
    eval_set_ok_text(&f->res, "synchronised to ntp1");
    if (st != TSYNC_STATE_OK)
      eval_add(&f->res, st, "finding in state %d", (int)st);
    add_perf(f, -0.0123);
    assert_int_equal(cmk_render("Timesync chrony", &f->res, NULL, f->buf, sizeof(f->buf)),
                     TSYNC_OK);
    parse_line(f->buf, &l);
    assert_int_equal(l.state, '0' + (int)st);
    assert_string_equal(l.service, "Timesync chrony");
    assert_int_equal(l.n_metrics, 3);
    assert_int_equal(l.n_long, 0);
    if (st == TSYNC_STATE_OK)
      assert_string_equal(l.detail, "synchronised to ntp1");
    else
      expect_contains(l.detail, "finding in state");
  }
}

static void
test_metric_levels(void **state)
{
  struct fx *f = *state;
  const struct metric *m;
  struct cmk_line l;

  add_perf(f, -0.0123);
  assert_int_equal(cmk_render("s", &f->res, NULL, f->buf, sizeof(f->buf)), TSYNC_OK);
  parse_line(f->buf, &l);
  m = metric(&l, "offset");
  expect_near(m->value, -0.0123, 1e-12);
  /* |offset| 0.05 / 0.25: Checkmk's upper levels */
  assert_string_equal(m->fields[0], "0.05");
  assert_string_equal(m->fields[1], "0.25");
  m = metric(&l, "stratum");
  assert_true(m->value == 2.0);
  assert_string_equal(m->fields[2], "0");
  assert_string_equal(m->fields[3], "16");
  /* a lower bound (2:) has no upper level to show */
  m = metric(&l, "sources_usable");
  assert_string_equal(m->fields[0], "");
  assert_string_equal(m->fields[1], "");
}

/* No metrics: "-"; a failed run is such a line. */
static void
test_no_metrics(void **state)
{
  struct fx *f = *state;
  struct cmk_line l;

  eval_failure(TSYNC_ERR_CONNECT, "cannot connect to chronyd at /run/chrony/chronyd.sock",
               &f->res);
  assert_int_equal(cmk_render("Timesync chrony", &f->res, NULL, f->buf, sizeof(f->buf)),
                   TSYNC_OK);
  parse_line(f->buf, &l);
  assert_int_equal(l.state, '2');
  assert_int_equal(l.n_metrics, 0);
  assert_string_equal(f->buf, "2 \"Timesync chrony\" - cannot connect to chronyd at "
                              "/run/chrony/chronyd.sock\n");
}

/* Spaces stay; quotes (both), backslashes, control characters go; so does '|' in the
 * detail. */
static void
test_awkward_names(void **state)
{
  struct fx *f = *state;
  struct cmk_line l;
  struct eval_perf *p;

  eval_add(&f->res, TSYNC_STATE_WARNING, "a|b \\ c\td\ne");
  p = eval_add_perf(&f->res, "esx01.example.com offset", 0.5, "s", NULL, NULL);
  (void)p;
  assert_int_equal(cmk_render("NTP \"dc01\" \\ Bob's\tx", &f->res, NULL, f->buf,
                              sizeof(f->buf)),
                   TSYNC_OK);
  parse_line(f->buf, &l);
  assert_string_equal(l.service, "NTP _dc01_ _ Bob_s_x");
  assert_string_equal(l.metrics[0].name, "esx01.example.com_offset");
  assert_string_equal(l.detail, "a_b _ c_d_e");
}

static void
test_long_output(void **state)
{
  struct fx *f = *state;
  struct cmk_line l;

  eval_add(&f->res, TSYNC_STATE_WARNING, "10.0.0.2 unreachable (reach 0)");
  add_perf(f, 0.001);
  add_sources(f);
  assert_int_equal(cmk_render("Timesync chrony", &f->res, &f->rep, f->buf, sizeof(f->buf)),
                   TSYNC_OK);
  parse_line(f->buf, &l);
  assert_int_equal(l.state, '1');
  assert_string_equal(l.detail, "10.0.0.2 unreachable (reach 0)");
  assert_int_equal(l.n_long, 2);
  expect_contains(f->buf, "\\n^* ntp1 (10.0.0.1) stratum 1 reach 377");
}

static void
test_esxi_hosts_long_output(void **state)
{
  struct fx *f = *state;
  struct cmk_line l;

  eval_set_ok_text(&f->res, "2 hosts in time");
  f->rep.hosts = calloc(2, sizeof(*f->rep.hosts));
  assert_non_null(f->rep.hosts);
  f->rep.n_hosts = 2;
  set_str(f->rep.hosts[0].name, sizeof(f->rep.hosts[0].name), "esx01");
  set_str(f->rep.hosts[1].name, sizeof(f->rep.hosts[1].name), "esx02");
  f->rep.hosts[1].status = TSYNC_ERR_CONNECT;
  set_str(f->rep.hosts[1].error, sizeof(f->rep.hosts[1].error), "not responding | lost");
  assert_int_equal(cmk_render("Timesync ESXi vc01", &f->res, &f->rep, f->buf, sizeof(f->buf)),
                   TSYNC_OK);
  parse_line(f->buf, &l);
  assert_int_equal(l.state, '0');
  assert_int_equal(l.n_metrics, 0);
  assert_int_equal(l.n_long, 2);
}

/* Small buffers: still one parseable line (the long output dropped first), or nothing. */
static void
test_too_small(void **state)
{
  struct fx *f = *state;
  static char full[BUF_SIZE];
  size_t n, head, len;
  struct cmk_line l;

  eval_add(&f->res, TSYNC_STATE_CRITICAL, "not synchronised");
  add_perf(f, 0.3);
  add_sources(f);
  assert_int_equal(cmk_render("Timesync chrony", &f->res, &f->rep, full, sizeof(full)),
                   TSYNC_OK);
  n = strlen(full);
  head = (size_t)(strstr(full, "\\n") - full);
  for (len = 0; len <= n; len++) {
    char *buf = malloc(len ? len : 1); /* exact size: ASan sees any write past it */
    enum tsync_status st;

    assert_non_null(buf);
    st = cmk_render("Timesync chrony", &f->res, &f->rep, buf, len);
    assert_int_equal(st, TSYNC_ERR_TOO_LARGE);
    if (len > head + 1) { /* the line without its long output fits */
      parse_line(buf, &l);
      assert_int_equal(l.state, '2');
      assert_memory_equal(buf, full, head);
    } else if (len) {
      assert_true(strlen(buf) < len);
    }
    free(buf);
  }
}

/* The parser itself rejects what Checkmk would not read. */
static void
test_grammar_examples(void **state)
{
  struct cmk_line l;

  (void)state;
  parse_line("0 \"My service\" myvalue=73 My output text which may contain spaces\n", &l);
  assert_int_equal(l.n_metrics, 1);
  assert_true(l.metrics[0].value == 73.0);
  parse_line("P \"Dynamic\" count=40;30;50 Result is computed from the levels\n", &l);
  assert_int_equal(l.state, 'P');
  assert_string_equal(l.metrics[0].fields[1], "50");
  parse_line("3 \"No metrics\" - text\\nmore\\nand more\n", &l);
  assert_int_equal(l.n_long, 2);
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grammar_examples), FX_TEST(test_every_state),
      FX_TEST(test_metric_levels),             FX_TEST(test_no_metrics),
      FX_TEST(test_awkward_names),             FX_TEST(test_long_output),
      FX_TEST(test_esxi_hosts_long_output),    FX_TEST(test_too_small),
  };

  return cmocka_run_group_tests_name("checkmk", tests, NULL, NULL);
}
