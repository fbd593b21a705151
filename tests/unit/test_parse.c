/* test_parse.c -- tsync_parse_double, tsync_parse_long, tsync_scan_double and
 * tsync_parse_datetime. Inputs go through exact-size heap copies so the sanitizer build
 * sees any read past the NUL. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "parse.h"

#define SENTINEL_D -7777.0
#define SENTINEL_L -7777L

static char *
dup_exact(const char *text)
{
  size_t n;
  char *copy;

  if (!text)
    return NULL;
  n = strlen(text) + 1;
  copy = malloc(n);
  assert_non_null(copy);
  memcpy(copy, text, n);
  return copy;
}

static enum tsync_status
pdouble(const char *text, double min, double max, double *out, struct tsync_err *err)
{
  char *copy = dup_exact(text);
  enum tsync_status st = tsync_parse_double(copy, min, max, out, "timeout", err);

  free(copy);
  return st;
}

static enum tsync_status
plong(const char *text, long min, long max, long *out, struct tsync_err *err)
{
  char *copy = dup_exact(text);
  enum tsync_status st = tsync_parse_long(copy, min, max, out, "count", err);

  free(copy);
  return st;
}

static void
double_ok(const char *text, double min, double max, double want)
{
  struct tsync_err err = {""};
  double v = SENTINEL_D;

  if (pdouble(text, min, max, &v, &err) != TSYNC_OK)
    fail_msg("'%s' rejected: %s", text, err.msg);
  assert_true(v == want);
}

/* Rejected with a message naming the option and containing why. */
static void
double_bad(const char *text, double min, double max, const char *why)
{
  struct tsync_err err = {""};
  double v = SENTINEL_D;

  if (pdouble(text, min, max, &v, &err) != TSYNC_ERR_ARG)
    fail_msg("'%s' accepted", text ? text : "(null)");
  assert_true(v == SENTINEL_D);
  if (strncmp(err.msg, "timeout: ", 9) != 0 || !strstr(err.msg, why))
    fail_msg("'%s': message '%s' lacks 'timeout: ...%s'", text ? text : "(null)", err.msg,
             why);
}

static void
long_ok(const char *text, long min, long max, long want)
{
  struct tsync_err err = {""};
  long v = SENTINEL_L;

  if (plong(text, min, max, &v, &err) != TSYNC_OK)
    fail_msg("'%s' rejected: %s", text, err.msg);
  assert_int_equal(v, want);
}

static void
long_bad(const char *text, long min, long max, const char *why)
{
  struct tsync_err err = {""};
  long v = SENTINEL_L;

  if (plong(text, min, max, &v, &err) != TSYNC_ERR_ARG)
    fail_msg("'%s' accepted", text ? text : "(null)");
  assert_int_equal(v, SENTINEL_L);
  if (strncmp(err.msg, "count: ", 7) != 0 || !strstr(err.msg, why))
    fail_msg("'%s': message '%s' lacks 'count: ...%s'", text ? text : "(null)", err.msg, why);
}

static void
test_double_valid(void **state)
{
  (void)state;
  double_ok("1.5", 0, 10, 1.5);
  double_ok("0", 0, 10, 0.0);
  double_ok("-2", -5, 5, -2.0);
  double_ok("+3", -5, 5, 3.0);
  double_ok("0.05", 0, 1, 0.05);
  double_ok(".25", 0, 1, 0.25);
  double_ok("-.25", -1, 1, -0.25);
  double_ok("1e-3", 0, 1, 0.001);
  double_ok("2.5E+2", 0, 1000, 250.0);
  double_ok("10", 0, 10, 10.0); /* max inclusive */
  double_ok("-5", -5, 5, -5.0); /* min inclusive */
  double_ok("007", 0, 10, 7.0); /* leading zeros are still decimal */
}

static void
test_double_range(void **state)
{
  (void)state;
  double_bad("10.000001", 0, 10, "10.000001 is out of range (0 to 10)");
  double_bad("-0.1", 0, 10, "-0.1 is out of range (0 to 10)");
  double_bad("1e300", 0, 1e6, "out of range");
}

static void
test_double_garbage(void **state)
{
  static const char *const bad[] = {
      "1.5s", "1.5 ", "1..5", "1.5.", "12abc", "1e", "1e+", "5-", "1,5", "--1",
      "+-1",  "1 2",  "0x",   "\n",   "1\n",   "-",  "+",   ".",  "-.",  "e5",
  };
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++)
    double_bad(bad[i], -1e9, 1e9, "is not a number");
}

static void
test_double_empty_space(void **state)
{
  (void)state;
  double_bad("", 0, 10, "'' is not a number");
  double_bad(NULL, 0, 10, "'' is not a number");
  double_bad(" 1", 0, 10, "is not a number");
  double_bad("\t1", 0, 10, "is not a number");
  double_bad(" ", 0, 10, "is not a number");
}

static void
test_double_hex_nan_inf(void **state)
{
  static const char *const bad[] = {
      "0x10", "0X10", "-0x10", "+0x1", "0x1p3", "0x.8",     "nan",    "NaN",
      "-nan", "inf",  "INF",   "-inf", "+inf",  "infinity", "nan(1)", "0xA",
  };
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++)
    double_bad(bad[i], -1e308, 1e308, "is not a number");
}

static void
test_double_overflow(void **state)
{
  char big[400];

  (void)state;
  double_bad("1e999", -DBL_MAX, DBL_MAX, "is not a number");
  double_bad("-1e999", -DBL_MAX, DBL_MAX, "is not a number");
  double_bad("1e-400", -DBL_MAX, DBL_MAX, "is not a number"); /* underflow: ERANGE */
  memset(big, '9', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  double_bad(big, -DBL_MAX, DBL_MAX, "'999"); /* the message is cut, not overrun */
}

static void
test_double_message(void **state)
{
  struct tsync_err err = {""};
  double v;

  (void)state;
  assert_int_equal(tsync_parse_double("abc", 0, 1, &v, "--offset-warn", &err), TSYNC_ERR_ARG);
  assert_string_equal(err.msg, "--offset-warn: 'abc' is not a number");
  assert_int_equal(tsync_parse_double("2", 0, 1, &v, "-t", &err), TSYNC_ERR_ARG);
  assert_string_equal(err.msg, "-t: 2 is out of range (0 to 1)");
  assert_int_equal(tsync_parse_double("x", 0, 1, &v, "-t", NULL), TSYNC_ERR_ARG);
}

static void
test_long_valid(void **state)
{
  (void)state;
  long_ok("42", 0, 100, 42);
  long_ok("0", 0, 100, 0);
  long_ok("-7", -10, 10, -7);
  long_ok("100", 0, 100, 100);  /* max inclusive */
  long_ok("-10", -10, 10, -10); /* min inclusive */
  long_ok("010", 0, 100, 10);   /* decimal, not octal */
  long_ok("9223372036854775807", LONG_MIN, LONG_MAX, LONG_MAX);
  long_ok("-9223372036854775808", LONG_MIN, LONG_MAX, LONG_MIN);
}

static void
test_long_range(void **state)
{
  (void)state;
  long_bad("101", 0, 100, "101 is out of range (0 to 100)");
  long_bad("-1", 0, 100, "-1 is out of range (0 to 100)");
  long_bad("9223372036854775808", LONG_MIN, LONG_MAX, "is out of range");
  long_bad("-9223372036854775809", LONG_MIN, LONG_MAX, "is out of range");
  long_bad("99999999999999999999999", 0, 10, "is out of range");
}

static void
test_long_garbage(void **state)
{
  static const char *const bad[] = {
      "",  " 5",  "5 ",  "\t5", "1.5", "1e3", "0x10", "0X1", "12abc",
      "-", "--5", "- 5", "abc", "nan", "inf", "5\n",  ".5",  "1,000",
  };
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++)
    long_bad(bad[i], -1000000, 1000000, "is not an integer");
  long_bad(NULL, 0, 10, "'' is not an integer");
}

static void
test_long_message(void **state)
{
  struct tsync_err err = {""};
  long v;

  (void)state;
  assert_int_equal(tsync_parse_long("7x", 0, 9, &v, "--reach-lost", &err), TSYNC_ERR_ARG);
  assert_string_equal(err.msg, "--reach-lost: '7x' is not an integer");
  assert_int_equal(tsync_parse_long("12", 0, 8, &v, "--reach-lost", &err), TSYNC_ERR_ARG);
  assert_string_equal(err.msg, "--reach-lost: 12 is out of range (0 to 8)");
  assert_int_equal(tsync_parse_long("x", 0, 1, &v, "-n", NULL), TSYNC_ERR_ARG);
}

/* The composite scanner stops at the first character that is not part of the number. */
static void
test_scan_double(void **state)
{
  char *text = dup_exact("-1.5:20");
  const char *end = NULL;
  double v = 0;

  (void)state;
  assert_true(tsync_scan_double(text, &v, &end));
  assert_true(v == -1.5);
  assert_ptr_equal(end, text + 4);
  free(text);
  text = dup_exact("0");
  assert_true(tsync_scan_double(text, &v, &end));
  assert_true(v == 0.0 && end == text + 1);
  free(text);
  assert_false(tsync_scan_double(NULL, &v, &end));
  assert_false(tsync_scan_double("~:5", &v, &end));
  assert_false(tsync_scan_double("0x1:5", &v, &end));
}

/* ---- tsync_parse_datetime ---- */

static enum tsync_status
pdatetime(const char *text, double *out, struct tsync_err *err)
{
  char *copy = dup_exact(text);
  enum tsync_status st = tsync_parse_datetime(copy, out, err);

  free(copy);
  return st;
}

/* Parsed to want within eps seconds. */
static void
datetime_ok(const char *text, double want, double eps)
{
  struct tsync_err err = {""};
  double v = SENTINEL_D;

  if (pdatetime(text, &v, &err) != TSYNC_OK)
    fail_msg("'%s' rejected: %s", text, err.msg);
  if (!(fabs(v - want) <= eps))
    fail_msg("'%s' gave %.9f, want %.9f", text, v, want);
}

static void
datetime_bad(const char *text)
{
  struct tsync_err err = {""};
  double v = SENTINEL_D;

  if (pdatetime(text, &v, &err) != TSYNC_ERR_PROTO)
    fail_msg("'%s' accepted as %.9f", text ? text : "(null)", v);
  assert_true(v == SENTINEL_D);
  if (!strstr(err.msg, "not an ISO-8601 date and time"))
    fail_msg("'%s': message '%s'", text ? text : "(null)", err.msg);
}

/* 2026-11-26: 20 783 days after 1970-01-01 (56 years, 14 leap days, then 329 days). */
#define DAYS_2026_11_26 (56 * 365 + 14 + 329)
#define T_2026_11_26_071003 ((double)DAYS_2026_11_26 * 86400 + 7 * 3600 + 10 * 60 + 3)

static void
test_datetime_utc(void **state)
{
  struct tsync_err err = {""};
  double v = 0;

  (void)state;
  assert_true(T_2026_11_26_071003 == 1795677003.0);
  assert_int_equal(pdatetime("2026-11-26T07:10:03.123456Z", &v, &err), TSYNC_OK);
  assert_true(floor(v) == T_2026_11_26_071003);
  assert_true(fabs(v - (T_2026_11_26_071003 + 0.123456)) < 1e-6);
  datetime_ok("2026-11-26T07:10:03Z", T_2026_11_26_071003, 0);
  datetime_ok("2026-11-26T07:10:03.5Z", T_2026_11_26_071003 + 0.5, 0);
  datetime_ok("1970-01-01T00:00:00Z", 0, 0);
  datetime_ok("1970-01-01T00:00:00.000000001Z", 1e-9, 1e-12);
  /* digits past nanoseconds are read and dropped */
  datetime_ok("2026-11-26T07:10:03.1234567891234Z", T_2026_11_26_071003 + 0.123456789, 1e-6);
  datetime_ok("2024-02-29T12:00:00Z", 1709208000, 0);
}

static void
test_datetime_zones(void **state)
{
  (void)state;
  datetime_ok("2026-11-26T08:40:03+01:30", T_2026_11_26_071003, 0);
  datetime_ok("2026-11-26T02:10:03-05:00", T_2026_11_26_071003, 0);
  datetime_ok("2026-11-26T07:10:03+00:00", T_2026_11_26_071003, 0);
  datetime_ok("2026-11-26T07:10:03-00:00", T_2026_11_26_071003, 0);
  datetime_ok("2026-11-26T09:10:03.25+02:00", T_2026_11_26_071003 + 0.25, 1e-6);
  /* the zone moves the date across midnight */
  datetime_ok("2026-11-25T23:10:03-08:00", T_2026_11_26_071003, 0);
  datetime_ok("2026-11-26T23:59:03+16:49", T_2026_11_26_071003, 0);
}

/* Past the NTP era rollover and past 2038 (needs a 64-bit time_t). */
static void
test_datetime_far(void **state)
{
  (void)state;
  assert_true(sizeof(time_t) >= 8);
  datetime_ok("2036-02-07T06:28:16Z", 2085978496.0, 0);
  datetime_ok("2038-01-19T03:14:07Z", 2147483647.0, 0);
  datetime_ok("2038-01-19T03:14:08Z", 2147483648.0, 0);
  datetime_ok("2100-03-01T00:00:00Z", 4107542400.0, 0);
  datetime_ok("9999-12-31T23:59:59Z", 253402300799.0, 0);
}

/* :60 is a leap second: the first second of the next minute. */
static void
test_datetime_leap_sec(void **state)
{
  (void)state;
  datetime_ok("2016-12-31T23:59:60Z", 1483228800.0, 0);
  datetime_ok("2016-12-31T23:59:60.5Z", 1483228800.5, 1e-6);
  datetime_bad("2016-12-31T23:59:61Z");
}

static void
test_datetime_range(void **state)
{
  static const char *const bad[] = {
      "2026-00-26T07:10:03Z", "2026-13-26T07:10:03Z",      "2026-11-00T07:10:03Z",
      "2026-11-32T07:10:03Z", "2026-11-26T24:00:00Z",      "2026-11-26T07:60:03Z",
      "2026-11-26T07:10:99Z", "2026-11-26T07:10:03+24:00", "2026-11-26T07:10:03+01:60",
  };
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++)
    datetime_bad(bad[i]);
}

static void
test_datetime_malformed(void **state)
{
  static const char *const bad[] = {
      "2026-11-26T07:10:03Zjunk",
      "2026-11-26T07:10:03Z ",
      "2026-11-26T07:10:03",
      "2026-11-26T07:10:03.Z",
      "2026-11-26t07:10:03Z",
      "2026-11-26T07:10:03z",
      "2026-11-26 07:10:03Z",
      "2026-11-26",
      "26-11-26T07:10:03Z",
      "2026-11-26T7:10:03Z",
      "2026-11-26T07:10Z",
      "+2026-11-26T07:10:03Z",
      "2026-11-26T07:10:03+0130",
      "2026-11-26T07:10:03+01",
      "2026-11-26T07:10:03+01:3",
      " 2026-11-26T07:10:03Z",
      "2026-1a-26T07:10:03Z",
      "2026-11-26T07:10:03,5Z",
      "",
  };
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++)
    datetime_bad(bad[i]);
  datetime_bad(NULL);
}

static void
test_datetime_message(void **state)
{
  struct tsync_err err = {""};
  double v = SENTINEL_D;

  (void)state;
  assert_int_equal(tsync_parse_datetime("soon", &v, &err), TSYNC_ERR_PROTO);
  assert_string_equal(err.msg, "not an ISO-8601 date and time: 'soon'");
  assert_int_equal(tsync_parse_datetime(NULL, &v, &err), TSYNC_ERR_PROTO);
  assert_string_equal(err.msg, "not an ISO-8601 date and time: ''");
  assert_int_equal(tsync_parse_datetime("x", &v, NULL), TSYNC_ERR_PROTO);
  assert_true(v == SENTINEL_D);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_double_valid),       cmocka_unit_test(test_double_range),
      cmocka_unit_test(test_double_garbage),     cmocka_unit_test(test_double_empty_space),
      cmocka_unit_test(test_double_hex_nan_inf), cmocka_unit_test(test_double_overflow),
      cmocka_unit_test(test_double_message),     cmocka_unit_test(test_long_valid),
      cmocka_unit_test(test_long_range),         cmocka_unit_test(test_long_garbage),
      cmocka_unit_test(test_long_message),       cmocka_unit_test(test_scan_double),
      cmocka_unit_test(test_datetime_utc),       cmocka_unit_test(test_datetime_zones),
      cmocka_unit_test(test_datetime_far),       cmocka_unit_test(test_datetime_leap_sec),
      cmocka_unit_test(test_datetime_range),     cmocka_unit_test(test_datetime_malformed),
      cmocka_unit_test(test_datetime_message),
  };

  return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
