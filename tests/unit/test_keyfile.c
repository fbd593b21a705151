/* test_keyfile.c -- the private key=value file reader behind the authfile and the
 * session file: what it refuses, and how it splits lines. Files live in a mkdtemp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "keyfile.h"

struct fx {
  char dir[64], file[96], link[96];
  char buf[KEYFILE_MAX];
  struct tsync_err err;
};

static int
setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));

  if (!f)
    return -1;
  snprintf(f->dir, sizeof(f->dir), "/tmp/test_keyfile_XXXXXX");
  if (!mkdtemp(f->dir)) {
    free(f);
    return -1;
  }
  snprintf(f->file, sizeof(f->file), "%s/f", f->dir);
  snprintf(f->link, sizeof(f->link), "%s/l", f->dir);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  struct fx *f = *state;

  (void)unlink(f->file);
  (void)unlink(f->link);
  (void)rmdir(f->dir);
  free(f);
  return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
  FILE *fp = fopen(path, "w");

  assert_non_null(fp);
  assert_true(fputs(text, fp) >= 0);
  assert_int_equal(fclose(fp), 0);
  assert_int_equal(chmod(path, mode), 0);
}

static void
test_lines_and_values(void **state)
{
  struct fx *f = *state;
  char *pos = f->buf, *line;
  bool missing = true;

  write_file(f->file, "a=1\n\nbb=two=2\nnoequals\nlast=x", 0600);
  assert_int_equal(keyfile_read(f->file, "test file", true, &missing, f->buf, sizeof(f->buf),
                                &f->err),
                   TSYNC_OK);
  assert_false(missing);
  line = keyfile_line(&pos);
  assert_string_equal(keyfile_value(line, "a"), "1");
  assert_null(keyfile_value(line, "")); /* "=..." is no key */
  line = keyfile_line(&pos);
  assert_string_equal(line, "");
  line = keyfile_line(&pos);
  assert_string_equal(keyfile_value(line, "bb"), "two=2");
  assert_null(keyfile_value(line, "b")); /* a prefix of the key is not the key */
  line = keyfile_line(&pos);
  assert_null(keyfile_value(line, "noequals"));
  line = keyfile_line(&pos);
  assert_string_equal(keyfile_value(line, "last"), "x"); /* no final newline */
  assert_null(keyfile_line(&pos));
  assert_null(keyfile_line(&pos));
}

static void
test_missing(void **state)
{
  struct fx *f = *state;
  bool missing = false;

  assert_int_equal(keyfile_read(f->file, "session file", true, &missing, f->buf,
                                sizeof(f->buf), &f->err),
                   TSYNC_OK);
  assert_true(missing);
  assert_string_equal(f->buf, "");
  /* without missing, absence is an error naming the file */
  assert_int_equal(keyfile_read(f->file, "authfile", false, NULL, f->buf, sizeof(f->buf),
                                &f->err),
                   TSYNC_ERR_ARG);
  assert_non_null(strstr(f->err.msg, "cannot read authfile"));
}

static void
test_refusals(void **state)
{
  struct fx *f = *state;

  write_file(f->file, "password=x\n", 0640);
  assert_int_equal(keyfile_read(f->file, "authfile", false, NULL, f->buf, sizeof(f->buf),
                                &f->err),
                   TSYNC_ERR_ARG);
  assert_non_null(strstr(f->err.msg, "may be read by group or others: chmod 600"));
  assert_int_equal(keyfile_read(f->file, "session file", true, NULL, f->buf, sizeof(f->buf),
                                &f->err),
                   TSYNC_ERR_ARG);
  assert_non_null(strstr(f->err.msg, "must be a regular file of this user with mode 0600"));
  assert_string_equal(f->buf, ""); /* nothing read from a refused file */

  /* a link to a good file: followed for an authfile, not for a file of our own */
  assert_int_equal(chmod(f->file, 0600), 0);
  assert_int_equal(symlink(f->file, f->link), 0);
  assert_int_equal(keyfile_read(f->link, "authfile", false, NULL, f->buf, sizeof(f->buf),
                                &f->err),
                   TSYNC_OK);
  assert_string_equal(f->buf, "password=x\n");
  assert_int_equal(keyfile_read(f->link, "session file", true, NULL, f->buf, sizeof(f->buf),
                                &f->err),
                   TSYNC_ERR_ARG);
}

/* A FIFO at the path is refused at once: opening it must not wait for a writer. */
static void
test_fifo(void **state)
{
  struct fx *f = *state;
  bool missing;

  assert_int_equal(mkfifo(f->file, 0600), 0);
  assert_int_equal(keyfile_read(f->file, "session file", true, &missing, f->buf,
                                sizeof(f->buf), &f->err),
                   TSYNC_ERR_ARG);
  assert_int_equal(keyfile_read(f->file, "authfile", false, NULL, f->buf, sizeof(f->buf),
                                &f->err),
                   TSYNC_ERR_ARG);
}

/* A file larger than the buffer is read up to it, NUL-terminated. */
static void
test_oversized(void **state)
{
  struct fx *f = *state;
  char big[KEYFILE_MAX * 2], small[8];

  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  write_file(f->file, big, 0600);
  assert_int_equal(keyfile_read(f->file, "authfile", false, NULL, f->buf, sizeof(f->buf),
                                &f->err),
                   TSYNC_OK);
  assert_int_equal(strlen(f->buf), KEYFILE_MAX - 1);
  assert_int_equal(keyfile_read(f->file, "authfile", false, NULL, small, sizeof(small),
                                &f->err),
                   TSYNC_OK);
  assert_int_equal(strlen(small), sizeof(small) - 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
  const struct CMUnitTest tests[] = {
      T(test_lines_and_values), T(test_missing), T(test_refusals), T(test_fifo),
      T(test_oversized),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
