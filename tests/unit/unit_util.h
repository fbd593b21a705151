/* unit_util.h -- helpers the cmocka unit tests share. Each test file is its own
 * executable, so these are static inline: a file that does not use one pays nothing. */
#ifndef TSYNC_UNIT_UTIL_H
#define TSYNC_UNIT_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eval.h"
#include "output.h"
#include "threshold.h"

/* cmocka setup: a zeroed fixture of size bytes in *state (the teardown frees it). */
static inline int
unit_alloc_state(void **state, size_t size)
{
  void *f = calloc(1, size);

  if (!f)
    return -1;
  *state = f;
  return 0;
}

/* cmocka teardown: frees the fixture in *state and the report rep inside it. */
static inline int
unit_free_state(void **state, struct tsync_report *rep)
{
  tsync_report_free(rep);
  free(*state);
  return 0;
}

/* Copies src into a fixed-size report field; the test data must fit. */
static inline void
set_str(char *dst, size_t len, const char *src)
{
  assert_true(snprintf(dst, len, "%s", src) < (int)len);
}

static inline void
set_range(struct thr_range *r, const char *text)
{
  struct tsync_err err = {""};

  if (thr_parse(r, text, &err) != TSYNC_OK)
    fail_msg("thr_parse('%s'): %s", text, err.msg);
}

/* Gives rep a list of n zeroed sources (freed with the report); returns it. */
static inline struct tsync_source *
unit_add_sources(struct tsync_report *rep, size_t n)
{
  rep->sources = calloc(n, sizeof(*rep->sources));
  assert_non_null(rep->sources);
  rep->n_sources = n;
  return rep->sources;
}

/* A source NAME at ADDRESS in MODE and state ST, everything else zero. */
static inline void
unit_fill_source(struct tsync_source *s, const char *name, const char *address,
                 enum tsync_src_mode mode, enum tsync_src_state st)
{
  memset(s, 0, sizeof(*s));
  set_str(s->name, sizeof(s->name), name);
  set_str(s->address, sizeof(s->address), address);
  s->mode = mode;
  s->state = st;
}

/* An exact-size heap copy of text, without the NUL: a parser reading past len trips ASan. */
static inline char *
exact(const char *text, size_t len)
{
  char *copy = malloc(len ? len : 1);

  assert_non_null(copy);
  memcpy(copy, text, len);
  return copy;
}

static inline void
expect_contains(const char *text, const char *part)
{
  if (!strstr(text, part))
    fail_msg("'%s' does not contain '%s'", text, part);
}

static inline void
expect_near(double got, double want, double eps)
{
  if (!(fabs(got - want) <= eps))
    fail_msg("%.9f, want %.9f (+/- %g)", got, want, eps);
}

/* The overall state and the number of findings. */
static inline void
expect_state(const struct eval_result *res, enum tsync_state st, unsigned n_msgs)
{
  if (res->state != st || res->n_msgs != n_msgs)
    fail_msg("state %s with %u messages (first '%s'), want %s with %u",
             tsync_state_str(res->state), res->n_msgs, res->n_msgs ? res->msgs[0].text : "",
             tsync_state_str(st), n_msgs);
}

/* Finding i, its state and text. */
static inline void
expect_msg_at(const struct eval_result *res, unsigned i, enum tsync_state st, const char *want)
{
  assert_true(i < res->n_msgs);
  assert_int_equal(res->msgs[i].state, st);
  assert_string_equal(res->msgs[i].text, want);
}

/* One perfdata item as the plugin prints it. */
static inline void
expect_perf_text(const struct eval_perf *p, const char *want)
{
  char buf[256];

  assert_int_equal(out_perf_item(p, buf, sizeof(buf)), TSYNC_OK);
  assert_string_equal(buf, want);
}

#endif
