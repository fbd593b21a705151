/* parse.c -- bounded, checked number parsing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"

bool
tsync_scan_double(const char *text, double *out, const char **end)
{
  const char *num;
  char *stop;
  double v;

  /* strtod accepts leading space, hex, "inf" and "nan": allow only [+-]digits[.digits][e..] */
  if (!text || !(isdigit((unsigned char)text[0]) || text[0] == '.' ||
                 ((text[0] == '-' || text[0] == '+') &&
                  (isdigit((unsigned char)text[1]) || text[1] == '.'))))
    return false;
  num = text + (text[0] == '-' || text[0] == '+');
  if (num[0] == '0' && (num[1] == 'x' || num[1] == 'X'))
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

/* Exactly n digits at *p, advancing it. */
static bool
digits(const char **p, int n, int *out)
{
  int v = 0, i;

  for (i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return false;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return true;
}

static bool
expect_char(const char **p, char c)
{
  if (**p != c)
    return false;
  (*p)++;
  return true;
}

/* The zone suffix: "Z" or "+hh:mm" / "-hh:mm", as seconds east of UTC. */
static bool
zone(const char **p, int *east)
{
  int sign, hh, mm;

  if (expect_char(p, 'Z')) {
    *east = 0;
    return true;
  }
  if (**p != '+' && **p != '-')
    return false;
  sign = **p == '-' ? -1 : 1;
  (*p)++;
  if (!digits(p, 2, &hh) || !expect_char(p, ':') || !digits(p, 2, &mm) || hh > 23 || mm > 59)
    return false;
  *east = sign * (hh * 3600 + mm * 60);
  return true;
}

enum tsync_status
tsync_parse_datetime(const char *text, double *out, struct tsync_err *err)
{
  const char *p = text ? text : "";
  int y, mo, d, h, mi, s, east;
  double frac = 0.0, scale = 0.1;
  struct tm tm;
  time_t t;

  if (!digits(&p, 4, &y) || !expect_char(&p, '-') || !digits(&p, 2, &mo) ||
      !expect_char(&p, '-') || !digits(&p, 2, &d) || !expect_char(&p, 'T') ||
      !digits(&p, 2, &h) || !expect_char(&p, ':') || !digits(&p, 2, &mi) ||
      !expect_char(&p, ':') || !digits(&p, 2, &s))
    goto bad;
  if (expect_char(&p, '.')) {
    if (!isdigit((unsigned char)*p))
      goto bad;
    for (; isdigit((unsigned char)*p) && scale > 1e-10; p++, scale /= 10)
      frac += (*p - '0') * scale;
    while (isdigit((unsigned char)*p))
      p++; /* digits past nanoseconds carry no meaning here */
  }
  if (!zone(&p, &east) || *p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
      mi > 59 || s > 60)
    goto bad;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  t = timegm(&tm);
  *out = (double)t - east + frac;
  return TSYNC_OK;
bad:
  return tsync_err_set(err, TSYNC_ERR_PROTO, "not an ISO-8601 date and time: '%.40s'",
                       text ? text : "");
}
