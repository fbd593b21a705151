/* test_esxi_check.c -- check_esxi_time's options (esxi_parse), its authfile
 * (esxi_read_authfile: mode 0600 only, username=/password= lines) and esxi_forget.
 * Authfiles are mkstemp files in /tmp, removed by each test's teardown. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_util.h"

#include "esxi_check.h"

#define AUTH_OK "username=monitor\npassword=s3cret!\n"

struct fx {
  char path[64]; /* the authfile, "" when none */
  char dir[64];  /* a temp directory, "" when none */
  struct esxi_cfg cfg;
  struct tsync_err err;
  bool parsed; /* cfg may own memory: esxi_free before reuse */
};

static int
setup(void **state)
{
  return unit_alloc_state(state, sizeof(struct fx));
}

static int
teardown(void **state)
{
  struct fx *f = *state;

  if (f->parsed)
    esxi_free(&f->cfg);
  if (f->path[0])
    (void)unlink(f->path);
  if (f->dir[0])
    (void)rmdir(f->dir);
  free(f);
  return 0;
}

/* Writes text into a new temp file of the given mode; its path in f->path. */
static const char *
authfile(struct fx *f, const char *text, mode_t mode)
{
  int fd;

  assert_true(snprintf(f->path, sizeof(f->path), "/tmp/test_esxi_check_XXXXXX") <
              (int)sizeof(f->path));
  fd = mkstemp(f->path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  assert_int_equal(fchmod(fd, mode), 0);
  assert_int_equal(close(fd), 0);
  return f->path;
}

static enum tsync_status
read_auth(struct fx *f, const char *text, mode_t mode)
{
  f->err.msg[0] = '\0';
  return esxi_read_authfile(authfile(f, text, mode), &f->cfg, &f->err);
}

static enum tsync_status
parse(struct fx *f, int argc, char **argv)
{
  f->err.msg[0] = '\0';
  if (f->parsed)
    esxi_free(&f->cfg);
  f->parsed = true;
  return esxi_parse(argc, argv, &f->cfg, &f->err);
}

/* Parse refused with a message containing why. */
static void
parse_bad(struct fx *f, int argc, char **argv, const char *why)
{
  if (parse(f, argc, argv) != TSYNC_ERR_ARG)
    fail_msg("argv with %s accepted", argv[argc - 1]);
  expect_contains(f->err.msg, why);
}

static bool
all_zero(const char *buf, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    if (buf[i])
      return false;
  return true;
}

/* ---- the authfile ---- */

static void
test_authfile_ok(void **state)
{
  struct fx *f = *state;

  assert_int_equal(read_auth(f, AUTH_OK, 0600), TSYNC_OK);
  assert_string_equal(f->cfg.username, "monitor");
  assert_string_equal(f->cfg.password, "s3cret!");
}

/* Owner read-only is as good as 0600; group or others may neither read nor write. */
static void
test_authfile_modes(void **state)
{
  static const mode_t refused[] = {0640, 0604, 0620, 0602, 0644, 0660, 0666, 0610};
  struct fx *f = *state;
  size_t i;

  assert_int_equal(read_auth(f, AUTH_OK, 0400), TSYNC_OK);
  for (i = 0; i < TSYNC_ARRAY_LEN(refused); i++) {
    assert_int_equal(unlink(f->path), 0);
    memset(&f->cfg, 0, sizeof(f->cfg));
    if (read_auth(f, AUTH_OK, refused[i]) != TSYNC_ERR_ARG)
      fail_msg("mode %04o accepted", (unsigned)refused[i]);
    expect_contains(f->err.msg, "chmod 600");
    expect_contains(f->err.msg, f->path);
    assert_string_equal(f->cfg.password, ""); /* not even read */
  }
}

static void
test_authfile_no_password(void **state)
{
  struct fx *f = *state;

  assert_int_equal(read_auth(f, "username=monitor\n", 0600), TSYNC_ERR_ARG);
  expect_contains(f->err.msg, "has no password= line");
  assert_int_equal(unlink(f->path), 0);
  assert_int_equal(read_auth(f, "username=monitor\npassword=\n", 0600), TSYNC_ERR_ARG);
  assert_int_equal(unlink(f->path), 0);
  assert_int_equal(read_auth(f, "", 0600), TSYNC_ERR_ARG);
  assert_int_equal(unlink(f->path), 0);
  /* keys are exact: no spaces around '=', no other case */
  assert_int_equal(read_auth(f, "Password=x\npassword =y\n password=z\n", 0600),
                   TSYNC_ERR_ARG);
}

static void
test_authfile_crlf(void **state)
{
  struct fx *f = *state;

  assert_int_equal(read_auth(f, "username=monitor\r\npassword=s3cret!\r\n", 0600), TSYNC_OK);
  assert_string_equal(f->cfg.username, "monitor");
  assert_string_equal(f->cfg.password, "s3cret!");
}

/* The value is the rest of the line: '=', spaces and '#' belong to the password. */
static void
test_authfile_value_verbatim(void **state)
{
  struct fx *f = *state;

  assert_int_equal(read_auth(f, "# comment\npassword=a=b c #d\nusername=DOM\\mon", 0600),
                   TSYNC_OK);
  assert_string_equal(f->cfg.password, "a=b c #d");
  assert_string_equal(f->cfg.username, "DOM\\mon"); /* no final newline */
}

static void
test_authfile_long_value(void **state)
{
  struct fx *f = *state;
  char text[ESXI_SECRET_SIZE + 64];

  memcpy(text, "password=", 9);
  memset(text + 9, 'p', sizeof(text) - 11);
  text[sizeof(text) - 2] = '\n';
  text[sizeof(text) - 1] = '\0';
  assert_int_equal(read_auth(f, text, 0600), TSYNC_OK);
  assert_int_equal(strlen(f->cfg.password), ESXI_SECRET_SIZE - 1);
}

static void
test_authfile_username_preset(void **state)
{
  struct fx *f = *state;

  memcpy(f->cfg.username, "admin", 6);
  assert_int_equal(read_auth(f, AUTH_OK, 0600), TSYNC_OK);
  assert_string_equal(f->cfg.username, "admin");
  assert_string_equal(f->cfg.password, "s3cret!");
}

static void
test_authfile_missing(void **state)
{
  struct fx *f = *state;

  assert_int_equal(esxi_read_authfile("/nonexistent/auth", &f->cfg, &f->err), TSYNC_ERR_ARG);
  expect_contains(f->err.msg, "cannot read authfile /nonexistent/auth");
}

static void
test_authfile_not_regular(void **state)
{
  struct fx *f = *state;

  assert_true(snprintf(f->dir, sizeof(f->dir), "/tmp/test_esxi_check_d_XXXXXX") <
              (int)sizeof(f->dir));
  assert_non_null(mkdtemp(f->dir)); /* mode 0700: only "regular file" refuses it */
  assert_int_equal(esxi_read_authfile(f->dir, &f->cfg, &f->err), TSYNC_ERR_ARG);
  expect_contains(f->err.msg, f->dir);
  /* refused for what it is, not for a missing password= line */
  assert_null(strstr(f->err.msg, "password="));
}

/* esxi_read_authfile in a child, as its exit status; -1 when it was still blocked after
 * 5 s (then killed). */
static int
read_in_child(const char *path)
{
  const struct timespec tick = {0, 10 * 1000 * 1000};
  pid_t pid = fork();
  int status, i;

  assert_true(pid >= 0);
  if (pid == 0) {
    struct esxi_cfg cfg;
    struct tsync_err err;

    memset(&cfg, 0, sizeof(cfg));
    _exit((int)esxi_read_authfile(path, &cfg, &err));
  }
  for (i = 0; i < 500; i++) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    (void)nanosleep(&tick, NULL);
  }
  (void)kill(pid, SIGKILL);
  (void)waitpid(pid, &status, 0);
  return -1;
}

/* A FIFO with no writer: refused at once, not waited on. */
static void
test_authfile_fifo(void **state)
{
  struct fx *f = *state;

  assert_true(snprintf(f->dir, sizeof(f->dir), "/tmp/test_esxi_check_d_XXXXXX") <
              (int)sizeof(f->dir));
  assert_non_null(mkdtemp(f->dir));
  assert_true(snprintf(f->path, sizeof(f->path), "%s/fifo", f->dir) < (int)sizeof(f->path));
  assert_int_equal(mkfifo(f->path, 0600), 0);
  assert_int_equal(read_in_child(f->path), TSYNC_ERR_ARG);
}

static void
test_forget(void **state)
{
  struct fx *f = *state;

  assert_int_equal(read_auth(f, AUTH_OK, 0600), TSYNC_OK);
  memset(f->cfg.password + 8, 'z', sizeof(f->cfg.password) - 8); /* past the NUL too */
  esxi_forget(&f->cfg);
  assert_true(all_zero(f->cfg.password, sizeof(f->cfg.password)));
  assert_string_equal(f->cfg.username, "monitor"); /* only the password goes */
}

/* ---- options ---- */

static void
test_parse_needs_authfile(void **state)
{
  char *argv[] = {"check_esxi_time", "-H", "vc.example.com", "-u", "monitor"};
  struct fx *f = *state;

  parse_bad(f, 5, argv, "passwords never go on the command line");
  expect_contains(f->err.msg, "--authfile");
}

static void
test_parse_esxi_and_all_hosts(void **state)
{
  struct fx *f = *state;
  char *argv[] = {"check_esxi_time", "-H",    "vc",         "--authfile", NULL,
                  "--esxi",          "esx01", "--all-hosts"};

  argv[4] = (char *)authfile(f, AUTH_OK, 0600);
  parse_bad(f, 8, argv, "--esxi and --all-hosts exclude each other");
}

static void
test_parse_api(void **state)
{
  static const char *const names[] = {"auto", "soap", "json"};
  static const enum vsphere_api want[] = {VSPHERE_API_AUTO, VSPHERE_API_SOAP,
                                          VSPHERE_API_JSON};
  struct fx *f = *state;
  char *argv[] = {"check_esxi_time", "-H", "vc", "--authfile", NULL, "--api", NULL};
  size_t i;

  argv[4] = (char *)authfile(f, AUTH_OK, 0600);
  for (i = 0; i < TSYNC_ARRAY_LEN(names); i++) {
    argv[6] = (char *)names[i];
    if (parse(f, 7, argv) != TSYNC_OK)
      fail_msg("--api %s: %s", names[i], f->err.msg);
    assert_int_equal(f->cfg.api, want[i]);
  }
  argv[6] = "rest";
  parse_bad(f, 7, argv, "--api: 'rest' is not auto, soap or json");
  argv[6] = "SOAP";
  parse_bad(f, 7, argv, "is not auto, soap or json");
  argv[6] = ""; /* an unset macro: the default */
  assert_int_equal(parse(f, 7, argv), TSYNC_OK);
  assert_int_equal(f->cfg.api, VSPHERE_API_AUTO);
}

static void
test_parse_thresholds(void **state)
{
  struct fx *f = *state;
  char *argv[] = {"check_esxi_time", "-H", "vc", "--authfile", NULL, "-w", "0.5", "-c", "2"};

  argv[4] = (char *)authfile(f, AUTH_OK, 0600);
  assert_int_equal(parse(f, 9, argv), TSYNC_OK);
  assert_string_equal(f->cfg.eval.offset_warn.text, "0.5");
  assert_true(f->cfg.eval.offset_warn.end == 0.5);
  assert_string_equal(f->cfg.eval.offset_crit.text, "2");
  assert_true(f->cfg.eval.offset_crit.end == 2);
  argv[6] = "abc";
  parse_bad(f, 9, argv, "-w: ");
  argv[6] = "1";
  argv[8] = "5:1";
  parse_bad(f, 9, argv, "-c: ");
}

static void
test_parse_expect_ntp(void **state)
{
  struct fx *f = *state;
  char *argv[] = {
      "check_esxi_time",           "-H", "vc", "--authfile", NULL, "--expect-ntp-server",
      "ntp1.example.com,10.0.0.12"};

  argv[4] = (char *)authfile(f, AUTH_OK, 0600);
  assert_int_equal(parse(f, 7, argv), TSYNC_OK);
  assert_int_equal(f->cfg.eval.n_expect_ntp, 2);
  assert_string_equal(f->cfg.eval.expect_ntp[0].name, "ntp1.example.com");
  assert_string_equal(f->cfg.eval.expect_ntp[1].name, "10.0.0.12");
  argv[6] = "a,,b";
  parse_bad(f, 7, argv, "--expect-ntp-server: bad host list 'a,,b'");
  argv[6] = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q";
  parse_bad(f, 7, argv, "--expect-ntp-server: more than 16 hosts");
}

static void
test_parse_max_sync_age(void **state)
{
  struct fx *f = *state;
  char *argv[] = {"check_esxi_time", "-H", "vc", "--authfile", NULL, "--max-sync-age", "7200"};

  argv[4] = (char *)authfile(f, AUTH_OK, 0600);
  assert_int_equal(parse(f, 7, argv), TSYNC_OK);
  assert_true(f->cfg.eval.max_sync_age == 7200);
  argv[6] = "0";
  parse_bad(f, 7, argv, "--max-sync-age: 0 is out of range");
  argv[6] = "1h";
  parse_bad(f, 7, argv, "--max-sync-age: '1h' is not a number");
}

/* Every option given; slot 8 takes the authfile's path. */
#define FULL_ARGV                                                                             \
  {                                                                                           \
    "check_esxi_time", "-H", "vc.example.com", "-p", "8443", "-u", "admin", "--authfile",     \
        NULL, "--esxi", "esx01.example.com", "--api=soap", "--cacert", "/etc/ssl/vc.pem",     \
        "--session-file", "/var/tmp/vc.session", "-t", "20", "-w", "0.5", "-c", "2",          \
        "--expect-ntp-server", "a,b", "--max-sync-age", "600"                                 \
  }

static void
test_parse_full(void **state)
{
  struct fx *f = *state;
  char *argv[] = FULL_ARGV;
  const struct esxi_cfg *c = &f->cfg;

  argv[8] = (char *)authfile(f, AUTH_OK, 0600);
  if (parse(f, (int)TSYNC_ARRAY_LEN(argv), argv) != TSYNC_OK)
    fail_msg("refused: %s", f->err.msg);
  assert_string_equal(c->common.host, "vc.example.com");
  assert_string_equal(c->common.port, "8443");
  assert_true(c->common.timeout == 20);
  assert_string_equal(c->username, "admin"); /* -u wins over the file */
  assert_string_equal(c->password, "s3cret!");
  assert_string_equal(c->authfile, f->path);
  assert_string_equal(c->esxi, "esx01.example.com");
  assert_false(c->all_hosts);
  assert_int_equal(c->api, VSPHERE_API_SOAP);
  assert_string_equal(c->cacert, "/etc/ssl/vc.pem");
  assert_false(c->insecure);
  assert_string_equal(c->session_file, "/var/tmp/vc.session");
  assert_string_equal(c->eval.offset_warn.text, "0.5");
  assert_string_equal(c->eval.offset_crit.text, "2");
  assert_int_equal(c->eval.n_expect_ntp, 2);
  assert_true(c->eval.max_sync_age == 600);
}

static void
test_parse_defaults(void **state)
{
  struct fx *f = *state;
  char *argv[] = {"check_esxi_time", "-H",         "esx01", "--authfile", NULL,
                  "--insecure",      "--all-hosts"};
  const struct esxi_cfg *c = &f->cfg;

  argv[4] = (char *)authfile(f, AUTH_OK, 0600);
  memset(&f->cfg, 0xFF, sizeof(f->cfg)); /* esxi_parse starts from scratch */
  assert_int_equal(parse(f, 7, argv), TSYNC_OK);
  assert_string_equal(c->username, "monitor"); /* from the file */
  assert_true(c->insecure && c->all_hosts);
  assert_null(c->esxi);
  assert_null(c->common.port);
  assert_null(c->cacert);
  assert_null(c->session_file);
  assert_int_equal(c->api, VSPHERE_API_AUTO);
  assert_true(c->common.timeout == CLI_DEFAULT_TIMEOUT);
  assert_string_equal(c->eval.offset_warn.text, "1");
  assert_string_equal(c->eval.offset_crit.text, "5");
  assert_true(c->eval.max_sync_age == 3600);
  assert_int_equal(c->eval.n_expect_ntp, 0);
}

static void
test_parse_refusals(void **state)
{
  struct fx *f = *state;
  char *no_host[] = {"check_esxi_time", "--authfile", NULL};
  char *unknown[] = {"check_esxi_time", "-H", "vc", "--password", "x"};
  char *extra[] = {"check_esxi_time", "-H", "vc", "--authfile", NULL, "stray"};
  char *bad_mode[] = {"check_esxi_time", "-H", "vc", "--authfile", NULL};
  char *no_user[] = {"check_esxi_time", "-H", "vc", "--authfile", NULL};

  no_host[2] = extra[4] = (char *)authfile(f, AUTH_OK, 0600);
  parse_bad(f, 3, no_host, "-H/--hostname is required");
  parse_bad(f, 5, unknown, "--password");
  parse_bad(f, 6, extra, "unexpected argument 'stray'");
  assert_int_equal(unlink(f->path), 0);
  bad_mode[4] = (char *)authfile(f, AUTH_OK, 0644);
  parse_bad(f, 5, bad_mode, "chmod 600");
  assert_int_equal(unlink(f->path), 0);
  no_user[4] = (char *)authfile(f, "password=s3cret!\n", 0600);
  parse_bad(f, 5, no_user, "no user: give -u USER or username= in");
}

/* -h needs neither -H nor the authfile. */
static void
test_parse_help(void **state)
{
  struct fx *f = *state;
  char *argv[] = {"check_esxi_time", "-h"};

  assert_int_equal(parse(f, 2, argv), TSYNC_OK);
  assert_int_equal(f->cfg.common.action, CLI_HELP);
  assert_string_equal(f->cfg.password, "");
}

/* Zabbix passes unset key parameters as "": those options count as not given, and an
 * empty authfile is still missing. */
static void
test_parse_empty_values(void **state)
{
  struct fx *f = *state;
  char *argv[] = {
      "check_esxi_time", "-H", "vc",         "-p", "", "--esxi", "", "--cacert", "",
      "--session-file",  "",   "--authfile", NULL};
  char *no_auth[] = {"check_esxi_time", "-H", "vc", "--authfile", ""};
  char *no_host[] = {"check_esxi_time", "-H", "", "--authfile", NULL};

  argv[12] = no_host[4] = (char *)authfile(f, AUTH_OK, 0600);
  assert_int_equal(parse(f, 13, argv), TSYNC_OK);
  assert_null(f->cfg.common.port);
  assert_null(f->cfg.esxi);
  assert_null(f->cfg.cacert);
  assert_null(f->cfg.session_file);
  parse_bad(f, 5, no_auth, "--authfile FILE is required");
  parse_bad(f, 5, no_host, "-H/--hostname is required");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
      T(test_authfile_ok),
      T(test_authfile_modes),
      T(test_authfile_no_password),
      T(test_authfile_crlf),
      T(test_authfile_value_verbatim),
      T(test_authfile_long_value),
      T(test_authfile_username_preset),
      T(test_authfile_missing),
      T(test_authfile_not_regular),
      T(test_authfile_fifo),
      T(test_forget),
      T(test_parse_needs_authfile),
      T(test_parse_esxi_and_all_hosts),
      T(test_parse_api),
      T(test_parse_thresholds),
      T(test_parse_expect_ntp),
      T(test_parse_max_sync_age),
      T(test_parse_full),
      T(test_parse_defaults),
      T(test_parse_refusals),
      T(test_parse_help),
      T(test_parse_empty_values),
  };

  return cmocka_run_group_tests_name("esxi_check", tests, NULL, NULL);
}
