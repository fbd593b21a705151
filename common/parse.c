/* parse.c -- bounded, checked number parsing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "parse.h"

bool
tsync_scan_double(const char *text, double *out, const char **end)
{
  const char *digits;
  char *stop;
  double v;

  /* strtod accepts leading space, hex, "inf" and "nan": allow only [+-]digits[.digits][e..] */
  if (!text || !(isdigit((unsigned char)text[0]) || text[0] == '.' ||
                 ((text[0] == '-' || text[0] == '+') &&
                  (isdigit((unsigned char)text[1]) || text[1] == '.'))))
    return false;
  digits = text + (text[0] == '-' || text[0] == '+');
  if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
    return false;
  errno = 0;
  v = strtod(text, &stop);
  if (stop == text || errno == ERANGE || !isfinite(v))
    return false;
  *out = v;
  *end = stop;
  return true;
}

enum tsync_status
tsync_parse_double(const char *text, double min, double max, double *out, const char *what,
                   struct tsync_err *err)
{
  const char *end;
  double v;

  if (!tsync_scan_double(text, &v, &end) || *end != '\0')
    return tsync_err_set(err, TSYNC_ERR_ARG, "%s: '%s' is not a number", what,
                         text ? text : "");
  if (v < min || v > max)
    return tsync_err_set(err, TSYNC_ERR_ARG, "%s: %s is out of range (%g to %g)", what, text,
                         min, max);
  *out = v;
  return TSYNC_OK;
}

enum tsync_status
tsync_parse_long(const char *text, long min, long max, long *out, const char *what,
                 struct tsync_err *err)
{
  char *end;
  long v;
  const char *p = text ? text : "";

  if (!(isdigit((unsigned char)p[0]) || (p[0] == '-' && isdigit((unsigned char)p[1]))))
    return tsync_err_set(err, TSYNC_ERR_ARG, "%s: '%s' is not an integer", what, p);
  errno = 0;
  v = strtol(p, &end, 10);
  if (*end != '\0')
    return tsync_err_set(err, TSYNC_ERR_ARG, "%s: '%s' is not an integer", what, p);
  if (errno == ERANGE || v < min || v > max)
    return tsync_err_set(err, TSYNC_ERR_ARG, "%s: %s is out of range (%ld to %ld)", what, p,
                         min, max);
  *out = v;
  return TSYNC_OK;
}
