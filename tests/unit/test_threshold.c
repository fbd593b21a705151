/* test_threshold.c -- Nagios range parsing (thr_parse) and evaluation (thr_alert,
 * thr_violation). Every text is parsed from an exact-size heap copy, so a read past the
 * terminating NUL shows up under the sanitizer build. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "threshold.h"

/* thr_parse on an exact-size heap copy of text (NULL stays NULL). */
static enum tsync_status
parse(struct thr_range *r, const char *text, struct tsync_err *err)
{
  enum tsync_status st;
  char *copy = NULL;

  if (text) {
    size_t n = strlen(text) + 1;

    copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, text, n);
  }
  st = thr_parse(r, copy, err);
  free(copy);
  return st;
}

static struct thr_range
parse_ok(const char *text)
{
  struct thr_range r;
  struct tsync_err err = {""};

  memset(&r, 0, sizeof(r));
  if (parse(&r, text, &err) != TSYNC_OK)
    fail_msg("'%s' rejected: %s", text, err.msg);
  assert_true(r.set);
  assert_string_equal(r.text, text);
  return r;
}

/* Checks the parsed fields in one go. */
static void
expect_range(const char *text, bool inside, bool start_inf, double start, bool end_inf,
             double end)
{
  struct thr_range r = parse_ok(text);

  assert_int_equal(r.inside, inside);
  assert_int_equal(r.start_inf, start_inf);
  assert_int_equal(r.end_inf, end_inf);
  if (!start_inf)
    assert_true(r.start == start);
  if (!end_inf)
    assert_true(r.end == end);
}

static void
test_parse_forms(void **state)
{
  (void)state;
  expect_range("10", false, false, 0, false, 10);
  expect_range("10:", false, false, 10, true, 0);
  expect_range("~:10", false, true, 0, false, 10);
  expect_range("10:20", false, false, 10, false, 20);
  expect_range("@10:20", true, false, 10, false, 20);
  expect_range("@10", true, false, 0, false, 10);
  expect_range("@10:", true, false, 10, true, 0);
  expect_range("5:5", false, false, 5, false, 5);
  expect_range("0", false, false, 0, false, 0);
  expect_range("0:0", false, false, 0, false, 0);
  expect_range("~:", false, true, 0, true, 0);
}

static void
test_parse_numbers(void **state)
{
  (void)state;
  expect_range("-5:5", false, false, -5, false, 5);
  expect_range("-10:-5", false, false, -10, false, -5);
  expect_range("~:-5", false, true, 0, false, -5);
  expect_range("-5:", false, false, -5, true, 0);
  expect_range("0.05", false, false, 0, false, 0.05);
  expect_range("1e-3", false, false, 0, false, 0.001);
  expect_range("2.5E2", false, false, 0, false, 250);
  expect_range(".5", false, false, 0, false, 0.5);
  expect_range("@-0.5:0.25", true, false, -0.5, false, 0.25);
}

/* Longest accepted text: THR_TEXT_SIZE - 1 characters. */
static void
test_parse_length_limit(void **state)
{
  char text[THR_TEXT_SIZE + 1];
  struct thr_range r;
  struct tsync_err err = {""};

  (void)state;
  memset(text, '0', sizeof(text));
  text[THR_TEXT_SIZE - 1] = '\0';
  text[THR_TEXT_SIZE - 2] = '1'; /* "000...01" */
  r = parse_ok(text);
  assert_true(r.end == 1.0);

  memset(text, '0', sizeof(text));
  text[THR_TEXT_SIZE] = '\0';
  assert_int_equal(parse(&r, text, &err), TSYNC_ERR_ARG);
  assert_non_null(strstr(err.msg, "too long"));
}

static void
expect_bad(const char *text, const char *why)
{
  struct thr_range r;
  struct tsync_err err = {""};

  memset(&r, 0xA5, sizeof(r));
  if (parse(&r, text, &err) != TSYNC_ERR_ARG)
    fail_msg("'%s' accepted", text ? text : "(null)");
  if (!strstr(err.msg, why))
    fail_msg("'%s': message '%s' lacks '%s'", text ? text : "(null)", err.msg, why);
  /* r is left as it was */
  assert_int_equal(((unsigned char *)&r)[0], 0xA5);
  assert_int_equal(((unsigned char *)&r)[sizeof(r) - 1], 0xA5);
}

static void
test_parse_malformed(void **state)
{
  static const char *const bad[] = {
      "abc", "1:2:3", "@",    ":",    "@:",   "~",      "10x",   " 10",  "10 ",
      "nan", "inf",   "-inf", "NAN",  "0x10", "-0x10",  "0X1",   "~:~",  "@@1",
      "1e",  ".",     "-",    "+",    "~10",  "10:abc", "a:10",  "10::", "1e999",
      "5:~", "10:+",  "1,5",  "10\n", "\t10", "0x",     "1:0x2",
  };
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++)
    expect_bad(bad[i], "invalid threshold range");
}

static void
test_parse_rejects(void **state)
{
  (void)state;
  expect_bad("", "empty");
  expect_bad(NULL, "empty");
  expect_bad("10:5", "start is above end");
  expect_bad("@10:5", "start is above end");
  expect_bad("-5", "start is above end"); /* means 0:-5 */
  expect_bad("0.2:0.1", "start is above end");
}

static void
test_parse_null_err(void **state)
{
  struct thr_range r;

  (void)state;
  assert_int_equal(thr_parse(&r, "abc", NULL), TSYNC_ERR_ARG);
  assert_int_equal(thr_parse(&r, "", NULL), TSYNC_ERR_ARG);
  assert_int_equal(thr_parse(&r, "5", NULL), TSYNC_OK);
}

static void
test_alert_unset(void **state)
{
  struct thr_range r;

  (void)state;
  memset(&r, 0, sizeof(r));
  assert_false(thr_alert(&r, 0.0));
  assert_false(thr_alert(&r, -1e300));
  assert_false(thr_alert(&r, 1e300));
  r.inside = true; /* inside without set still never alerts */
  assert_false(thr_alert(&r, 0.0));
  assert_false(thr_alert(NULL, 5.0));
}

/* The values just below and just above x. */
#define BELOW(x) nextafter((x), -INFINITY)
#define ABOVE(x) nextafter((x), INFINITY)

static void
test_alert_simple(void **state)
{
  struct thr_range r = parse_ok("10");

  (void)state;
  assert_true(thr_alert(&r, BELOW(0.0)));
  assert_true(thr_alert(&r, -1.0));
  assert_false(thr_alert(&r, 0.0));
  assert_false(thr_alert(&r, 5.0));
  assert_false(thr_alert(&r, 10.0));
  assert_true(thr_alert(&r, ABOVE(10.0)));
  assert_true(thr_alert(&r, 1e300));
}

static void
test_alert_open_end(void **state)
{
  struct thr_range r = parse_ok("10:");

  (void)state;
  assert_true(thr_alert(&r, BELOW(10.0)));
  assert_true(thr_alert(&r, -1e300));
  assert_false(thr_alert(&r, 10.0));
  assert_false(thr_alert(&r, 1e300));
}

static void
test_alert_open_start(void **state)
{
  struct thr_range r = parse_ok("~:10");

  (void)state;
  assert_false(thr_alert(&r, -1e300));
  assert_false(thr_alert(&r, 10.0));
  assert_true(thr_alert(&r, ABOVE(10.0)));
}

static void
test_alert_between(void **state)
{
  struct thr_range r = parse_ok("10:20");

  (void)state;
  assert_true(thr_alert(&r, BELOW(10.0)));
  assert_false(thr_alert(&r, 10.0));
  assert_false(thr_alert(&r, 15.0));
  assert_false(thr_alert(&r, 20.0));
  assert_true(thr_alert(&r, ABOVE(20.0)));
}

static void
test_alert_inside(void **state)
{
  struct thr_range r = parse_ok("@10:20");

  (void)state;
  assert_false(thr_alert(&r, BELOW(10.0)));
  assert_true(thr_alert(&r, 10.0));
  assert_true(thr_alert(&r, 15.0));
  assert_true(thr_alert(&r, 20.0));
  assert_false(thr_alert(&r, ABOVE(20.0)));
  r = parse_ok("@10:");
  assert_false(thr_alert(&r, BELOW(10.0)));
  assert_true(thr_alert(&r, 1e300));
}

static void
test_alert_negative(void **state)
{
  struct thr_range r = parse_ok("-5:5");

  (void)state;
  assert_true(thr_alert(&r, BELOW(-5.0)));
  assert_false(thr_alert(&r, -5.0));
  assert_false(thr_alert(&r, 0.0));
  assert_false(thr_alert(&r, 5.0));
  assert_true(thr_alert(&r, ABOVE(5.0)));
}

static void
test_alert_decimal(void **state)
{
  struct thr_range r = parse_ok("0.05");

  (void)state;
  assert_false(thr_alert(&r, 0.05));
  assert_true(thr_alert(&r, ABOVE(0.05)));
  assert_true(thr_alert(&r, 0.06));
}

static void
test_alert_infinite(void **state)
{
  struct thr_range all = parse_ok("~:"), none = parse_ok("@~:");

  (void)state;
  assert_false(thr_alert(&all, -1e300));
  assert_false(thr_alert(&all, 1e300));
  assert_true(thr_alert(&none, -1e300));
  assert_true(thr_alert(&none, 0.0));
}

static void
expect_violation(const char *text, double value, const char *op, double bound)
{
  struct thr_range r = parse_ok(text);
  double b = -12345.0;

  assert_true(thr_alert(&r, value));
  assert_string_equal(thr_violation(&r, value, &b), op);
  assert_true(b == bound);
}

static void
test_violation(void **state)
{
  struct thr_range r = parse_ok("@10:20");
  double b = -12345.0;

  (void)state;
  expect_violation("10", 11.0, ">", 10.0);
  expect_violation("10", -1.0, "<", 0.0);
  expect_violation("10:", 5.0, "<", 10.0);
  expect_violation("~:10", 11.0, ">", 10.0);
  expect_violation("10:20", 9.0, "<", 10.0);
  expect_violation("10:20", 21.0, ">", 20.0);
  expect_violation("-5:5", -6.0, "<", -5.0);
  expect_violation("0.05", 0.06, ">", 0.05);
  assert_string_equal(thr_violation(&r, 15.0, &b), "inside");
  assert_true(b == -12345.0); /* untouched */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_forms),        cmocka_unit_test(test_parse_numbers),
      cmocka_unit_test(test_parse_length_limit), cmocka_unit_test(test_parse_malformed),
      cmocka_unit_test(test_parse_rejects),      cmocka_unit_test(test_parse_null_err),
      cmocka_unit_test(test_alert_unset),        cmocka_unit_test(test_alert_simple),
      cmocka_unit_test(test_alert_open_end),     cmocka_unit_test(test_alert_open_start),
      cmocka_unit_test(test_alert_between),      cmocka_unit_test(test_alert_inside),
      cmocka_unit_test(test_alert_negative),     cmocka_unit_test(test_alert_decimal),
      cmocka_unit_test(test_alert_infinite),     cmocka_unit_test(test_violation),
  };

  return cmocka_run_group_tests_name("threshold", tests, NULL, NULL);
}
