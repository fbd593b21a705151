/* test_eval_esxi.c -- the hypervisor rulebook (eval_esxi.c) on hand-made reports: offset,
 * ntpd service, NTP servers, the API 7.0.3 health fields, several hosts, failed hosts
 * (esxi-vsphere-api.md §A2). */
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
#include "report.h"

struct fx {
  struct eval_esxi_cfg cfg;
  struct tsync_report rep;
  struct eval_result res;
};

/* An 8.x host in good health: offset +0.5 s, ntpd on and running, two servers, synced
 * two minutes ago. */
static void
healthy(struct tsync_host *h, const char *name)
{
  memset(h, 0, sizeof(*h));
  set_str(h->name, sizeof(h->name), name);
  h->status = TSYNC_OK;
  h->have_offset = true;
  h->offset = 0.5;
  h->rtt = 0.02;
  set_str(h->ntp_servers[0], TSYNC_NAME_SIZE, "10.0.0.11");
  set_str(h->ntp_servers[1], TSYNC_NAME_SIZE, "10.0.0.12");
  h->n_ntp_servers = 2;
  set_str(h->clock_protocol, sizeof(h->clock_protocol), "ntp");
  h->have_ntpd = true;
  h->ntpd_running = true;
  set_str(h->ntpd_policy, sizeof(h->ntpd_policy), "on");
  h->have_health = true;
  h->have_service_sync = true;
  h->service_sync = true;
  h->have_last_sync = true;
  h->last_sync_age = 120;
  h->have_fallback = true;
  set_str(h->remote_ntp_server, sizeof(h->remote_ntp_server), "10.0.0.11");
}

/* A 6.7 host: no systemClockProtocol, none of the health fields. */
static void
api67(struct tsync_host *h)
{
  h->clock_protocol[0] = '\0';
  h->have_health = false;
  h->have_service_sync = h->service_sync = false;
  h->have_last_sync = false;
  h->last_sync_age = 0;
  h->have_fallback = h->in_fallback = false;
  h->remote_ntp_server[0] = '\0';
}

static void
hosts(struct fx *f, size_t n)
{
  size_t i;

  f->rep.hosts = calloc(n ? n : 1, sizeof(*f->rep.hosts));
  assert_non_null(f->rep.hosts);
  f->rep.n_hosts = n;
  for (i = 0; i < n; i++) {
    char name[16];

    assert_true(snprintf(name, sizeof(name), "esx%02zu", i + 1) < (int)sizeof(name));
    healthy(&f->rep.hosts[i], name);
  }
}

static int
setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));

  if (!f)
    return -1;
  eval_esxi_defaults(&f->cfg);
  set_str(f->cfg.api_version, sizeof(f->cfg.api_version), "8.0.3.0");
  hosts(f, 1);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  return unit_free_state(state, &((struct fx *)*state)->rep);
}

/* Replaces the one host with n healthy ones. */
static void
use_hosts(struct fx *f, size_t n)
{
  tsync_report_free(&f->rep);
  hosts(f, n);
}

static struct eval_result *
run(struct fx *f)
{
  memset(&f->res, 0xA5, sizeof(f->res));
  eval_esxi(&f->cfg, &f->rep, &f->res);
  return &f->res;
}

/* Exactly one finding. */
static void
expect_only(const struct eval_result *res, enum tsync_state st, const char *want)
{
  expect_state(res, st, 1);
  expect_msg_at(res, 0, st, want);
}

static const struct eval_perf *
find_perf(const struct eval_result *res, const char *label)
{
  unsigned i;

  for (i = 0; i < res->n_perf; i++)
    if (strcmp(res->perf[i].label, label) == 0)
      return &res->perf[i];
  fail_msg("no perfdata '%s' among %u", label, res->n_perf);
  return NULL;
}

/* ---- defaults, a healthy host, API 6.7 ---- */

static void
test_defaults(void **state)
{
  struct eval_esxi_cfg cfg;

  (void)state;
  memset(&cfg, 0xFF, sizeof(cfg));
  eval_esxi_defaults(&cfg);
  assert_true(cfg.offset_warn.set);
  assert_string_equal(cfg.offset_warn.text, "1");
  assert_true(cfg.offset_crit.set);
  assert_string_equal(cfg.offset_crit.text, "5");
  assert_int_equal(cfg.n_expect_ntp, 0);
  assert_true(cfg.max_sync_age == 3600);
  assert_string_equal(cfg.api_version, "");
}

static void
test_healthy(void **state)
{
  struct eval_result *res = run(*state);
  const struct eval_perf *p;

  expect_state(res, TSYNC_STATE_OK, 0);
  assert_string_equal(res->ok_text, "esx01: offset +500ms, ntpd running, 2 NTP servers");
  assert_int_equal(res->n_perf, 3);
  p = find_perf(res, "offset");
  assert_true(p->value == 0.5 && p->symmetric);
  assert_string_equal(p->uom, "s");
  assert_string_equal(p->warn->text, "1");
  assert_string_equal(p->crit->text, "5");
  p = find_perf(res, "rtt");
  assert_true(p->value == 0.02);
  assert_null(p->warn);
  p = find_perf(res, "last_sync_age");
  assert_true(p->value == 120 && p->integer);
}

static void
test_one_server_singular(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].n_ntp_servers = 1;
  expect_state(run(f), TSYNC_STATE_OK, 0);
  assert_string_equal(f->res.ok_text, "esx01: offset +500ms, ntpd running, 1 NTP server");
}

static void
test_api67_ok(void **state)
{
  struct fx *f = *state;

  api67(&f->rep.hosts[0]);
  set_str(f->cfg.api_version, sizeof(f->cfg.api_version), "6.7.3");
  expect_state(run(f), TSYNC_STATE_OK, 0);
  assert_string_equal(f->res.ok_text, "esx01: offset +500ms, ntpd running, 2 NTP servers; "
                                      "sync health not available on API 6.7.3");
  assert_int_equal(f->res.n_perf, 2); /* no last_sync_age */
}

/* ---- the ntpd service ---- */

static void
test_ntpd_stopped_policy_on(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].ntpd_running = false;
  expect_only(run(f), TSYNC_STATE_CRITICAL, "ntpd is not running (policy on)");
  set_str(f->rep.hosts[0].ntpd_policy, sizeof(f->rep.hosts[0].ntpd_policy), "automatic");
  expect_only(run(f), TSYNC_STATE_CRITICAL, "ntpd is not running (policy automatic)");
  f->rep.hosts[0].ntpd_policy[0] = '\0';
  expect_only(run(f), TSYNC_STATE_CRITICAL, "ntpd is not running (policy ?)");
}

static void
test_ntpd_off(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].ntpd_running = false;
  set_str(f->rep.hosts[0].ntpd_policy, sizeof(f->rep.hosts[0].ntpd_policy), "off");
  expect_only(run(f), TSYNC_STATE_WARNING,
              "ntpd is off (policy off): nothing synchronises this host's clock");
  assert_string_equal(f->res.ok_text, "esx01: offset +500ms, ntpd stopped, 2 NTP servers");
}

/* Running against policy off is how an admin started it by hand: fine. */
static void
test_ntpd_running_policy_off(void **state)
{
  struct fx *f = *state;

  set_str(f->rep.hosts[0].ntpd_policy, sizeof(f->rep.hosts[0].ntpd_policy), "off");
  expect_state(run(f), TSYNC_STATE_OK, 0);
}

static void
test_ntpd_missing(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].have_ntpd = false;
  f->rep.hosts[0].ntpd_running = false;
  expect_only(run(f), TSYNC_STATE_WARNING, "no ntpd service reported");
}

static void
test_ptp_ignores_ntpd(void **state)
{
  struct fx *f = *state;
  struct tsync_host *h = &f->rep.hosts[0];

  set_str(h->clock_protocol, sizeof(h->clock_protocol), "ptp");
  h->ntpd_running = false;
  set_str(h->ntpd_policy, sizeof(h->ntpd_policy), "off");
  expect_state(run(f), TSYNC_STATE_OK, 0);
  set_str(h->ntpd_policy, sizeof(h->ntpd_policy), "on");
  expect_state(run(f), TSYNC_STATE_OK, 0);
  h->have_ntpd = false;
  expect_state(run(f), TSYNC_STATE_OK, 0);
}

/* ---- NTP servers ---- */

static void
test_no_servers(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].n_ntp_servers = 0;
  expect_only(run(f), TSYNC_STATE_WARNING, "no NTP server configured");
  assert_string_equal(f->res.ok_text, "esx01: offset +500ms, ntpd running, 0 NTP servers");
}

static void
expect_ntp(struct fx *f, const char *const *names, unsigned n)
{
  static struct tsync_expect backing[8]; /* the parser would allocate these */
  unsigned i;

  assert_true(n <= 8);
  f->cfg.expect_ntp = backing;
  f->cfg.n_expect_ntp = n;
  for (i = 0; i < n; i++)
    set_str(f->cfg.expect_ntp[i].name, TSYNC_NAME_SIZE, names[i]);
}

static void
test_expect_ntp_match(void **state)
{
  static const char *const want[] = {"ntp1.EXAMPLE.com", "10.0.0.11"};
  struct fx *f = *state;

  set_str(f->rep.hosts[0].ntp_servers[1], TSYNC_NAME_SIZE, "NTP1.example.COM");
  expect_ntp(f, want, 2);
  expect_state(run(f), TSYNC_STATE_OK, 0);
}

static void
test_expect_ntp_mismatch(void **state)
{
  static const char *const c[] = {"c"};
  static const char *const a[] = {"a"};
  static const char *const abc[] = {"a", "b", "c"};
  struct fx *f = *state;

  set_str(f->rep.hosts[0].ntp_servers[0], TSYNC_NAME_SIZE, "a");
  set_str(f->rep.hosts[0].ntp_servers[1], TSYNC_NAME_SIZE, "b");
  expect_ntp(f, c, 1);
  expect_only(run(f), TSYNC_STATE_WARNING, "NTP servers a, b, expected c");
  expect_ntp(f, a, 1); /* a subset is not the list */
  expect_only(run(f), TSYNC_STATE_WARNING, "NTP servers a, b, expected a");
  expect_ntp(f, abc, 3);
  expect_only(run(f), TSYNC_STATE_WARNING, "NTP servers a, b, expected a, b, c");
}

/* ---- the API 7.0.3 health fields ---- */

static void
test_service_sync_false(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].service_sync = false;
  expect_only(run(f), TSYNC_STATE_CRITICAL, "not synchronised (serviceSync false)");
  f->rep.hosts[0].have_service_sync = false; /* unknown: no finding */
  expect_state(run(f), TSYNC_STATE_OK, 0);
}

static void
test_never_synchronised(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].have_last_sync = false;
  expect_only(run(f), TSYNC_STATE_WARNING, "never synchronised (no lastSyncTime)");
  assert_int_equal(f->res.n_perf, 2); /* no last_sync_age */
}

static void
test_sync_age(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].last_sync_age = 7200;
  expect_only(run(f), TSYNC_STATE_WARNING, "last synchronised 7200 s ago > 3600 s");
  assert_true(find_perf(&f->res, "last_sync_age")->value == 7200);
  f->cfg.max_sync_age = 10000;
  expect_state(run(f), TSYNC_STATE_OK, 0);
  f->cfg.max_sync_age = 3600;
  f->rep.hosts[0].last_sync_age = 3600; /* the limit itself is fine */
  expect_state(run(f), TSYNC_STATE_OK, 0);
}

static void
test_fallback(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].in_fallback = true;
  expect_only(run(f), TSYNC_STATE_WARNING,
              "in fallback state (NTP serving because PTP failed)");
}

/* ---- the offset ---- */

static void
test_offsets(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].offset = 0.5;
  expect_state(run(f), TSYNC_STATE_OK, 0);
  f->rep.hosts[0].offset = 1.5;
  expect_only(run(f), TSYNC_STATE_WARNING, "offset +1.500 s > 1 s");
  f->rep.hosts[0].offset = -6;
  expect_only(run(f), TSYNC_STATE_CRITICAL, "offset -6.000 s > 5 s");
  f->rep.hosts[0].offset = 400;
  expect_only(run(f), TSYNC_STATE_CRITICAL,
              "offset +400.000 s > 5 s (exceeds Kerberos 5-minute tolerance)");
  assert_true(find_perf(&f->res, "offset")->value == 400);
}

static void
test_offset_unknown(void **state)
{
  struct fx *f = *state;

  f->rep.hosts[0].have_offset = false;
  f->rep.hosts[0].offset = 99;
  expect_state(run(f), TSYNC_STATE_OK, 0);
  assert_int_equal(f->res.n_perf, 1); /* only last_sync_age */
  assert_non_null(find_perf(&f->res, "last_sync_age"));
}

/* ---- several hosts ---- */

static void
test_two_hosts_healthy(void **state)
{
  static const char *const labels[] = {"esx01_offset", "esx01_rtt", "esx01_last_sync_age",
                                       "esx02_offset", "esx02_rtt", "esx02_last_sync_age"};
  struct fx *f = *state;
  size_t i;

  use_hosts(f, 2);
  f->rep.hosts[1].offset = -0.25;
  expect_state(run(f), TSYNC_STATE_OK, 0);
  assert_string_equal(f->res.ok_text, "2 hosts in time");
  assert_int_equal(f->res.n_perf, 6);
  for (i = 0; i < TSYNC_ARRAY_LEN(labels); i++)
    assert_string_equal(f->res.perf[i].label, labels[i]);
  assert_true(find_perf(&f->res, "esx02_offset")->value == -0.25);
}

static void
test_two_hosts_worst_wins(void **state)
{
  struct fx *f = *state;

  use_hosts(f, 2);
  f->rep.hosts[0].offset = 1.5;
  f->rep.hosts[1].ntpd_running = false;
  f->rep.hosts[1].n_ntp_servers = 0;
  expect_state(run(f), TSYNC_STATE_CRITICAL, 3);
  expect_msg_at(&f->res, 0, TSYNC_STATE_WARNING, "esx01: offset +1.500 s > 1 s");
  expect_msg_at(&f->res, 1, TSYNC_STATE_CRITICAL, "esx02: ntpd is not running (policy on)");
  expect_msg_at(&f->res, 2, TSYNC_STATE_WARNING, "esx02: no NTP server configured");
}

static void
test_two_hosts_api67(void **state)
{
  struct fx *f = *state;

  use_hosts(f, 2);
  api67(&f->rep.hosts[0]);
  api67(&f->rep.hosts[1]);
  set_str(f->cfg.api_version, sizeof(f->cfg.api_version), "6.7.3");
  expect_state(run(f), TSYNC_STATE_OK, 0);
  assert_string_equal(f->res.ok_text,
                      "2 hosts in time; sync health not available on API 6.7.3");
}

static void
test_host_error(void **state)
{
  struct fx *f = *state;
  struct tsync_host *h;

  use_hosts(f, 2);
  h = &f->rep.hosts[1];
  h->status = TSYNC_ERR_TIMEOUT;
  set_str(h->error, sizeof(h->error), "no answer from esx02 within 10 s");
  expect_only(run(f), TSYNC_STATE_CRITICAL, "esx02: no answer from esx02 within 10 s");
  assert_int_equal(f->res.n_perf, 3); /* esx01's only */
  assert_string_equal(f->res.perf[0].label, "esx01_offset");
  h->status = TSYNC_ERR_PROTO; /* a reply we cannot understand: UNKNOWN */
  expect_state(run(f), TSYNC_STATE_UNKNOWN, 1);
}

static void
test_single_host_error(void **state)
{
  struct fx *f = *state;
  struct tsync_host *h = &f->rep.hosts[0];

  h->status = TSYNC_ERR_TIMEOUT;
  set_str(h->error, sizeof(h->error), "timed out");
  expect_only(run(f), TSYNC_STATE_CRITICAL, "timed out");
  assert_int_equal(f->res.n_perf, 0);
}

static void
test_no_hosts(void **state)
{
  struct fx *f = *state;

  f->rep.n_hosts = 0;
  expect_only(run(f), TSYNC_STATE_UNKNOWN, "no host to check (see --esxi / --all-hosts)");
  assert_int_equal(f->res.n_perf, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      T(test_healthy),
      T(test_one_server_singular),
      T(test_api67_ok),
      T(test_ntpd_stopped_policy_on),
      T(test_ntpd_off),
      T(test_ntpd_running_policy_off),
      T(test_ntpd_missing),
      T(test_ptp_ignores_ntpd),
      T(test_no_servers),
      T(test_expect_ntp_match),
      T(test_expect_ntp_mismatch),
      T(test_service_sync_false),
      T(test_never_synchronised),
      T(test_sync_age),
      T(test_fallback),
      T(test_offsets),
      T(test_offset_unknown),
      T(test_two_hosts_healthy),
      T(test_two_hosts_worst_wins),
      T(test_two_hosts_api67),
      T(test_host_error),
      T(test_single_host_error),
      T(test_no_hosts),
  };

  return cmocka_run_group_tests_name("eval_esxi", tests, NULL, NULL);
}
