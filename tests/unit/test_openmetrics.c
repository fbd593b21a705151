/* test_openmetrics.c -- the Prometheus exposition: every output is read back by a checker
 * of the text format's rules (metadata before samples, one block per family, label
 * escaping, numbers, # UNIT suffix, counters' _total, # EOF last), then its series are
 * looked up by name and labels. */
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

#include "openmetrics.h"

#define BUF_SIZE 16384

struct fx {
  struct thr_range warn, crit;
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

/* ---- a checker of the text format ---- */

static bool
name_char(char c, bool first)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

/* Length of a metric or label name at s (0: none). */
static size_t
name_len(const char *s)
{
  size_t n = 0;

  while (name_char(s[n], n == 0))
    n++;
  return n;
}

/* A quoted label value at s (after '='): the length up to and including the closing
 * quote; 0 for a bad escape or a raw newline. */
static size_t
label_value_len(const char *s)
{
  size_t n = 1;

  if (s[0] != '"')
    return 0;
  for (; s[n] && s[n] != '"'; n++) {
    if (s[n] == '\n')
      return 0;
    if (s[n] == '\\') {
      n++;
      if (s[n] != '\\' && s[n] != '"' && s[n] != 'n')
        return 0;
    }
  }
  return s[n] == '"' ? n + 1 : 0;
}

static bool
value_ok(const char *s)
{
  char *end;

  if (!strcmp(s, "NaN") || !strcmp(s, "+Inf") || !strcmp(s, "-Inf"))
    return true;
  (void)strtod(s, &end);
  return end != s && *end == '\0' && !strpbrk(s, "nN"); /* no "nan"/"inf" spellings */
}

/* Checks the whole exposition; fails the test with the offending line. */
static void
check_exposition(const char *text)
{
  char family[128] = "", type[16] = "", line[1024], seen[4096] = " ";
  bool help = false, eof = false;
  const char *p = text;

  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len;

    if (!nl)
      fail_msg("last line without a newline: '%s'", p);
    len = (size_t)(nl - p);
    assert_true(len < sizeof(line));
    memcpy(line, p, len);
    line[len] = '\0';
    p = nl + 1;
    if (eof)
      fail_msg("a line after # EOF: '%s'", line);
    if (!strcmp(line, "# EOF")) {
      eof = true;
    } else if (!strncmp(line, "# HELP ", 7)) {
      size_t n = name_len(line + 7);
      char key[160];

      if (!n || line[7 + n] != ' ' || !line[8 + n])
        fail_msg("bad HELP line '%s'", line);
      snprintf(family, sizeof(family), "%.*s", (int)n, line + 7);
      snprintf(key, sizeof(key), " %s ", family);
      if (strstr(seen, key))
        fail_msg("family %s appears twice", family);
      assert_true(strlen(seen) + strlen(key) < sizeof(seen));
      strcat(seen, key + 1);
      help = true;
      type[0] = '\0';
    } else if (!strncmp(line, "# TYPE ", 7)) {
      size_t n = strlen(family);

      if (!help || strncmp(line + 7, family, n) || line[7 + n] != ' ')
        fail_msg("TYPE line '%s' not after its HELP", line);
      snprintf(type, sizeof(type), "%s", line + 8 + n);
      if (strcmp(type, "gauge") && strcmp(type, "counter"))
        fail_msg("type '%s'", type);
      if (!strcmp(type, "counter") && (n < 6 || strcmp(family + n - 6, "_total")))
        fail_msg("counter %s without _total", family);
    } else if (!strncmp(line, "# UNIT ", 7)) {
      size_t n = strlen(family), u;

      if (!type[0] || strncmp(line + 7, family, n) || line[7 + n] != ' ')
        fail_msg("UNIT line '%s' not after its TYPE", line);
      u = strlen(line + 8 + n);
      if (!u || n <= u + 1 || strcmp(family + n - u, line + 8 + n) || family[n - u - 1] != '_')
        fail_msg("family %s does not end in its unit '%s'", family, line + 8 + n);
    } else {
      size_t n = name_len(line);
      const char *q = line + n;

      if (!n || !type[0] || strncmp(line, family, n) || family[n])
        fail_msg("sample '%s' outside its family %s", line, family);
      if (*q == '{') {
        q++;
        while (*q != '}') {
          size_t k = name_len(q), v = 0;

          if (!k || q[k] != '=' || !(v = label_value_len(q + k + 1)))
            fail_msg("bad labels in '%s'", line);
          q += k + 1 + v;
          if (*q == ',')
            q++;
          else if (*q != '}')
            fail_msg("bad label separator in '%s'", line);
        }
        q++;
      }
      if (*q != ' ' || !value_ok(q + 1))
        fail_msg("bad value in '%s'", line);
    }
  }
  if (!eof)
    fail_msg("no # EOF at the end");
}

/* The value of the series NAME{LABELS} (LABELS exactly as printed, without braces); fails
 * when there is none. */
static double
series(const char *text, const char *name, const char *labels)
{
  char want[512];
  const char *at;

  snprintf(want, sizeof(want), "\n%s{%s} ", name, labels);
  if (!(at = strstr(text, want)))
    fail_msg("no series %s{%s} in:\n%s", name, labels, text);
  return strtod(at + strlen(want), NULL);
}

static bool
has_family(const char *text, const char *name)
{
  char want[160];

  snprintf(want, sizeof(want), "# TYPE %s ", name);
  return strstr(text, want) != NULL;
}

static size_t
count_lines(const char *text, const char *prefix)
{
  size_t n = 0, len = strlen(prefix);
  const char *p = text;

  for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    n += strncmp(p, prefix, len) == 0;
  return n;
}

/* ---- fixtures ---- */

static void
fill_source(struct tsync_source *s, const char *name, const char *address,
            enum tsync_src_state st, unsigned reach, double offset)
{
  unit_fill_source(s, name, address, TSYNC_MODE_SERVER, st);
  s->reach = reach;
  s->stratum = 2;
  s->offset = offset;
}

/* chronyd synchronised to ntp1, ntp2 unreachable: WARNING. */
static void
chrony_sync(struct fx *f)
{
  struct tsync_clock *c = &f->rep.clock;

  eval_add(&f->res, TSYNC_STATE_WARNING, "ntp2 unreachable (reach 0)");
  eval_add_perf(&f->res, "offset", -0.0123, "s", NULL, NULL);
  f->rep.have_clock = true;
  c->offset = -0.0123;
  c->stratum = 3;
  c->leap = TSYNC_LEAP_NORMAL;
  c->root_delay = 0.004;
  c->root_dispersion = 0.0015;
  c->rms_offset = 2e-5;
  c->freq_ppm = -12.5;
  c->skew_ppm = 0.25;
  c->est_error = 0.0158;
  unit_add_sources(&f->rep, 2);
  fill_source(&f->rep.sources[0], "ntp1.example.com", "10.0.0.1", TSYNC_SRC_SELECTED, 0377,
              -0.012);
  fill_source(&f->rep.sources[1], "", "10.0.0.2", TSYNC_SRC_UNUSABLE, 0, 0.0);
}

static const struct om_run chrony_run = {"chrony", "/run/chrony/chronyd.sock", 0.0125, true};
#define CHR "check=\"chrony\",target=\"/run/chrony/chronyd.sock\""

/* ---- tests ---- */

static void
test_chrony_sync(void **state)
{
  struct fx *f = *state;

  chrony_sync(f);
  assert_int_equal(om_render(&chrony_run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  assert_true(series(f->buf, "timesync_check_state", CHR) == 1.0);
  assert_true(series(f->buf, "timesync_check_success", CHR) == 1.0);
  expect_near(series(f->buf, "timesync_check_duration_seconds", CHR), 0.0125, 1e-12);
  /* seconds and ratios, never ms or ppm */
  expect_near(series(f->buf, "timesync_offset_seconds", CHR), -0.0123, 1e-12);
  expect_near(series(f->buf, "timesync_root_delay_seconds", CHR), 0.004, 1e-12);
  expect_near(series(f->buf, "timesync_frequency_ratio", CHR), -12.5e-6, 1e-15);
  expect_near(series(f->buf, "timesync_skew_ratio", CHR), 0.25e-6, 1e-15);
  assert_true(series(f->buf, "timesync_synchronized", CHR) == 1.0);
  assert_true(series(f->buf, "timesync_stratum", CHR) == 3.0);
  assert_true(series(f->buf, "timesync_local_reference", CHR) == 0.0);
  assert_true(series(f->buf, "timesync_sources", CHR) == 2.0);
  assert_true(series(f->buf, "timesync_sources_usable", CHR) == 1.0);
  assert_true(series(f->buf, "timesync_sources_reachable", CHR) == 1.0);
  /* per source: the name where known, else the address */
  assert_true(series(f->buf, "timesync_reach", CHR ",source=\"ntp1.example.com\"") == 255.0);
  assert_true(series(f->buf, "timesync_reach", CHR ",source=\"10.0.0.2\"") == 0.0);
  assert_true(series(f->buf, "timesync_source_state",
                     CHR ",source=\"ntp1.example.com\",state=\"selected\"") == 1.0);
  assert_true(series(f->buf, "timesync_source_state",
                     CHR ",source=\"10.0.0.2\",state=\"unusable\"") == 1.0);
  expect_near(series(f->buf, "timesync_source_offset_seconds",
                     CHR ",source=\"ntp1.example.com\""),
              -0.012, 1e-12);
  expect_contains(f->buf, "# UNIT timesync_offset_seconds seconds\n");
  assert_false(has_family(f->buf, "timesync_delay_seconds"));
  assert_false(has_family(f->buf, "timesync_clients"));
}

static void
test_unsynchronised_and_local(void **state)
{
  struct fx *f = *state;

  chrony_sync(f);
  f->rep.clock.leap = TSYNC_LEAP_UNSYNC;
  f->rep.clock.stratum = 0;
  assert_int_equal(om_render(&chrony_run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  assert_true(series(f->buf, "timesync_synchronized", CHR) == 0.0);
  f->rep.clock.leap = TSYNC_LEAP_NORMAL;
  f->rep.clock.stratum = 10;
  f->rep.clock.ref_local = true;
  assert_int_equal(om_render(&chrony_run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  assert_true(series(f->buf, "timesync_synchronized", CHR) == 1.0);
  assert_true(series(f->buf, "timesync_local_reference", CHR) == 1.0);
}

/* A failed run is a result: the run's three families and nothing else, state as given. */
static void
test_failed_run(void **state)
{
  struct fx *f = *state;
  struct om_run run = {"esxi", "vc01.example.com", 10.2, false};
  enum tsync_state st;

  for (st = TSYNC_STATE_OK; st <= TSYNC_STATE_UNKNOWN; st++) {
    memset(&f->res, 0, sizeof(f->res));
    eval_add(&f->res, st, "login failed");
    assert_int_equal(om_render(&run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
    check_exposition(f->buf);
    assert_true(series(f->buf, "timesync_check_state",
                       "check=\"esxi\",target=\"vc01.example.com\"") == (double)st);
    assert_true(series(f->buf, "timesync_check_success",
                       "check=\"esxi\",target=\"vc01.example.com\"") == 0.0);
    assert_int_equal(count_lines(f->buf, "# TYPE "), 3);
  }
  /* no report at all (a usage error) */
  assert_int_equal(om_render(&run, &f->res, NULL, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  assert_int_equal(count_lines(f->buf, "# TYPE "), 3);
}

static void
test_label_escaping(void **state)
{
  struct fx *f = *state;
  struct om_run run = {"chrony", "/tmp/a \"b\"\\c\nd", 0.001, true};

  chrony_sync(f);
  set_str(f->rep.sources[0].name, sizeof(f->rep.sources[0].name), "x\"y\\z\nw");
  assert_int_equal(om_render(&run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  assert_true(series(f->buf, "timesync_reach",
                     "check=\"chrony\",target=\"/tmp/a \\\"b\\\"\\\\c\\nd\","
                     "source=\"x\\\"y\\\\z\\nw\"") == 255.0);
}

static void
test_w32time(void **state)
{
  struct fx *f = *state;
  struct om_run run = {"w32time", "dc01.example.com", 0.9, true};
  const char *lb = "check=\"w32time\",target=\"dc01.example.com\"";
  char want[160];

  eval_set_ok_text(&f->res, "synchronized");
  eval_add_perf(&f->res, "offset", 0.25, "s", NULL, NULL);
  f->rep.have_clock = true;
  f->rep.clock.offset = 0.25;
  f->rep.clock.stratum = 1;
  f->rep.clock.ref_local = true;
  f->rep.clock.root_dispersion = 10.0;
  f->rep.ntp.valid = true;
  f->rep.ntp.reach = 0x0b;
  f->rep.ntp.delay = 0.0008;
  f->rep.ntp.jitter = 0.00002;
  unit_add_sources(&f->rep, 1);
  fill_source(&f->rep.sources[0], "", "192.0.2.10", TSYNC_SRC_SELECTED, 0, 0.25);
  assert_int_equal(om_render(&run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  expect_near(series(f->buf, "timesync_offset_seconds", lb), 0.25, 1e-12);
  expect_near(series(f->buf, "timesync_delay_seconds", lb), 0.0008, 1e-12);
  expect_near(series(f->buf, "timesync_jitter_seconds", lb), 0.00002, 1e-12);
  assert_true(series(f->buf, "timesync_root_dispersion_seconds", lb) == 10.0);
  assert_true(series(f->buf, "timesync_local_reference", lb) == 1.0);
  snprintf(want, sizeof(want), "%s,source=\"192.0.2.10\"", lb);
  assert_true(series(f->buf, "timesync_reach", want) == 11.0);
  /* chronyd's own families are not there */
  assert_false(has_family(f->buf, "timesync_rms_offset_seconds"));
  assert_false(has_family(f->buf, "timesync_sources_usable"));
}

static void
test_esxi_hosts(void **state)
{
  struct fx *f = *state;
  struct om_run run = {"esxi", "vc01", 0.3, true};
  struct tsync_host *h;

  eval_add(&f->res, TSYNC_STATE_CRITICAL, "esx02: cannot read");
  eval_add_perf(&f->res, "esx01_offset", 0.5, "s", NULL, NULL);
  f->rep.list = TSYNC_LIST_HOSTS;
  f->rep.hosts = calloc(2, sizeof(*f->rep.hosts));
  assert_non_null(f->rep.hosts);
  f->rep.n_hosts = 2;
  h = &f->rep.hosts[0];
  set_str(h->name, sizeof(h->name), "esx01");
  h->status = TSYNC_OK;
  h->have_offset = true;
  h->offset = 0.5;
  h->rtt = 0.002;
  h->have_ntpd = true;
  h->ntpd_running = true;
  h = &f->rep.hosts[1];
  set_str(h->name, sizeof(h->name), "esx02");
  h->status = TSYNC_ERR_CONNECT;
  assert_int_equal(om_render(&run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  assert_true(series(f->buf, "timesync_check_state", "check=\"esxi\",target=\"vc01\"") == 2.0);
  assert_true(series(f->buf, "timesync_host_success",
                     "check=\"esxi\",target=\"vc01\",host=\"esx01\"") == 1.0);
  assert_true(series(f->buf, "timesync_host_success",
                     "check=\"esxi\",target=\"vc01\",host=\"esx02\"") == 0.0);
  expect_near(series(f->buf, "timesync_offset_seconds",
                     "check=\"esxi\",target=\"vc01\",host=\"esx01\""),
              0.5, 1e-12);
  assert_true(series(f->buf, "timesync_ntpd_running",
                     "check=\"esxi\",target=\"vc01\",host=\"esx01\"") == 1.0);
  /* a host that could not be read has no offset; no host has a sync age: no family */
  assert_null(strstr(f->buf, "timesync_offset_seconds{check=\"esxi\",target=\"vc01\",host=\"esx02\""));
  assert_false(has_family(f->buf, "timesync_last_sync_age_seconds"));
}

static void
test_clients(void **state)
{
  struct fx *f = *state;

  eval_add_perf(&f->res, "clients", 2, "", NULL, NULL);
  f->rep.list = TSYNC_LIST_CLIENTS;
  f->rep.clients = calloc(2, sizeof(*f->rep.clients));
  assert_non_null(f->rep.clients);
  f->rep.n_clients = 2;
  set_str(f->rep.clients[0].address, sizeof(f->rep.clients[0].address), "10.1.0.5");
  f->rep.clients[0].last_ntp_ago = 64;
  set_str(f->rep.clients[1].address, sizeof(f->rep.clients[1].address), "10.1.0.6");
  f->rep.clients[1].last_ntp_ago = UINT32_MAX; /* only command requests */
  f->rep.stats.valid = true;
  f->rep.stats.ntp_hits = 5000000000ull; /* above 2^32: exact */
  f->rep.stats.ntp_drops = 3;
  assert_int_equal(om_render(&chrony_run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  assert_true(series(f->buf, "timesync_clients", CHR) == 2.0);
  assert_true(series(f->buf, "timesync_client_last_request_age_seconds",
                     CHR ",client=\"10.1.0.5\"") == 64.0);
  assert_null(strstr(f->buf, "client=\"10.1.0.6\""));
  expect_contains(f->buf, "\ntimesync_ntp_requests_total{" CHR "} 5000000000\n");
  expect_contains(f->buf, "# TYPE timesync_ntp_drops_total counter\n");
  assert_false(has_family(f->buf, "timesync_offset_seconds"));
}

static void
test_special_values(void **state)
{
  struct fx *f = *state;

  chrony_sync(f);
  f->rep.clock.offset = NAN;
  f->rep.clock.root_delay = INFINITY;
  f->rep.clock.root_dispersion = -INFINITY;
  f->rep.clock.rms_offset = 1e-300;
  assert_int_equal(om_render(&chrony_run, &f->res, &f->rep, f->buf, sizeof(f->buf)), TSYNC_OK);
  check_exposition(f->buf);
  expect_contains(f->buf, "\ntimesync_offset_seconds{" CHR "} NaN\n");
  expect_contains(f->buf, "\ntimesync_root_delay_seconds{" CHR "} +Inf\n");
  expect_contains(f->buf, "\ntimesync_root_dispersion_seconds{" CHR "} -Inf\n");
}

/* Every buffer size: a prefix of the full text cut after a whole line, never past len. */
static void
test_too_small(void **state)
{
  struct fx *f = *state;
  static char full[BUF_SIZE];
  size_t n, len;

  chrony_sync(f);
  assert_int_equal(om_render(&chrony_run, &f->res, &f->rep, full, sizeof(full)), TSYNC_OK);
  n = strlen(full);
  assert_int_equal(om_render(&chrony_run, &f->res, &f->rep, f->buf, n + 1), TSYNC_OK);
  assert_string_equal(f->buf, full);
  for (len = 0; len <= n; len++) {
    char *buf = malloc(len ? len : 1); /* exact size: ASan sees any write past it */
    size_t got;

    assert_non_null(buf);
    assert_int_equal(om_render(&chrony_run, &f->res, &f->rep, buf, len), TSYNC_ERR_TOO_LARGE);
    if (len) {
      got = strlen(buf);
      assert_true(got < len);
      assert_memory_equal(buf, full, got);
      assert_true(got == 0 || buf[got - 1] == '\n');
    }
    free(buf);
  }
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
      FX_TEST(test_chrony_sync),   FX_TEST(test_unsynchronised_and_local),
      FX_TEST(test_failed_run),    FX_TEST(test_label_escaping),
      FX_TEST(test_w32time),       FX_TEST(test_esxi_hosts),
      FX_TEST(test_clients),       FX_TEST(test_special_values),
      FX_TEST(test_too_small),
  };

  return cmocka_run_group_tests_name("openmetrics", tests, NULL, NULL);
}
