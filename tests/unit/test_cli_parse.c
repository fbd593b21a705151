/* test_cli_parse.c -- check_chrony's and check_w32time's option parsing where the
 * monitoring systems lean on it: empty values from unset Zabbix key parameters, and
 * check_chrony's -H taking a socket path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chrony_check.h"
#include "w32time_check.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static enum tsync_status
chrony(int argc, char **argv, struct chrony_check_cfg *cfg, struct tsync_err *err)
{
  enum tsync_status st;

  err->msg[0] = '\0';
  st = chrony_check_parse(argc, argv, cfg, err);
  chrony_check_free(cfg);
  return st;
}

static void
test_chrony_host_is_socket_path(void **state)
{
  char *argv[] = {"check_chrony", "-H", "/run/chrony/chronyd.sock", "--format=json"};
  struct chrony_check_cfg cfg;
  struct tsync_err err;

  (void)state;
  assert_int_equal(chrony(ARGC(argv), argv, &cfg, &err), TSYNC_OK);
  assert_string_equal(cfg.socket_path, "/run/chrony/chronyd.sock");
  assert_null(cfg.common.host);
  assert_int_equal(cfg.common.format, CLI_FORMAT_JSON);
}

static void
test_chrony_host_stays_host(void **state)
{
  char *argv[] = {"check_chrony", "-H", "ntp1.example.net", "-p", "10323"};
  struct chrony_check_cfg cfg;
  struct tsync_err err;

  (void)state;
  assert_int_equal(chrony(ARGC(argv), argv, &cfg, &err), TSYNC_OK);
  assert_null(cfg.socket_path);
  assert_string_equal(cfg.common.host, "ntp1.example.net");
  assert_string_equal(cfg.common.port, "10323");
}

static void
test_chrony_empty_means_default(void **state)
{
  char *argv[] = {"check_chrony", "--format=json", "-H", "", "-p", ""};
  struct chrony_check_cfg cfg;
  struct tsync_err err;

  (void)state;
  assert_int_equal(chrony(ARGC(argv), argv, &cfg, &err), TSYNC_OK);
  assert_null(cfg.socket_path);
  assert_null(cfg.common.host);
  assert_null(cfg.common.port);
}

/* Every option, not only -H/-p: thresholds and modes from unset macros keep defaults */
static void
test_chrony_any_empty_value_is_default(void **state)
{
  char *argv[] = {"check_chrony",
                  "-s",
                  "",
                  "-w",
                  "",
                  "-c",
                  "",
                  "--mode",
                  "",
                  "-m",
                  "",
                  "--format",
                  "",
                  "-t",
                  "",
                  "--expect-client",
                  ""};
  struct chrony_check_cfg cfg;
  struct tsync_err err;

  (void)state;
  assert_int_equal(chrony(ARGC(argv), argv, &cfg, &err), TSYNC_OK);
  assert_null(cfg.socket_path);
  assert_string_equal(cfg.sync.offset_warn.text, "0.05");
  assert_string_equal(cfg.sync.offset_crit.text, "0.25");
  assert_string_equal(cfg.sync.usable_warn.text, "2:");
  assert_int_equal(cfg.mode, CHRONY_CHECK_SYNC);
  assert_int_equal(cfg.common.format, CLI_FORMAT_NAGIOS);
  assert_true(cfg.common.timeout == CLI_DEFAULT_TIMEOUT);
  assert_int_equal(cfg.clients.n_expect, 0);
}

static void
test_chrony_socket_twice_refused(void **state)
{
  char *argv[] = {"check_chrony", "-s", "/a.sock", "-H", "/b.sock"};
  char *port[] = {"check_chrony", "-H", "/a.sock", "-p", "323"};
  struct chrony_check_cfg cfg;
  struct tsync_err err;

  (void)state;
  assert_int_equal(chrony(ARGC(argv), argv, &cfg, &err), TSYNC_ERR_ARG);
  assert_non_null(strstr(err.msg, "-s and -H exclude each other"));
  assert_int_equal(chrony(ARGC(port), port, &cfg, &err), TSYNC_ERR_ARG);
  assert_non_null(strstr(err.msg, "-p needs -H"));
}

static void
test_chrony_bad_port_still_refused(void **state)
{
  char *argv[] = {"check_chrony", "-H", "127.0.0.1", "-p", "0"};
  struct chrony_check_cfg cfg;
  struct tsync_err err;

  (void)state;
  assert_int_equal(chrony(ARGC(argv), argv, &cfg, &err), TSYNC_ERR_ARG);
  assert_non_null(strstr(err.msg, "-p/--port"));
}

static void
test_w32time_empty_port_and_host(void **state)
{
  char *ok[] = {"check_w32time", "-H", "dc01", "-p", ""};
  char *no_host[] = {"check_w32time", "-H", "", "-p", "123"};
  struct w32time_cfg cfg;
  struct tsync_err err;

  (void)state;
  err.msg[0] = '\0';
  assert_int_equal(w32time_parse(ARGC(ok), ok, &cfg, &err), TSYNC_OK);
  assert_string_equal(cfg.common.host, "dc01");
  assert_null(cfg.common.port);
  w32time_free(&cfg);
  assert_int_equal(w32time_parse(ARGC(no_host), no_host, &cfg, &err), TSYNC_ERR_ARG);
  assert_non_null(strstr(err.msg, "-H/--hostname is required"));
  w32time_free(&cfg);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chrony_host_is_socket_path),
      cmocka_unit_test(test_chrony_host_stays_host),
      cmocka_unit_test(test_chrony_empty_means_default),
      cmocka_unit_test(test_chrony_any_empty_value_is_default),
      cmocka_unit_test(test_chrony_socket_twice_refused),
      cmocka_unit_test(test_chrony_bad_port_still_refused),
      cmocka_unit_test(test_w32time_empty_port_and_host),
  };

  return cmocka_run_group_tests_name("cli_parse", tests, NULL, NULL);
}
