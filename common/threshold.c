/* threshold.c -- Nagios range parsing and evaluation (Monitoring Plugins guidelines). */
#include <string.h>

#include "parse.h"
#include "threshold.h"

/* Parses one endpoint that must run up to stop (':' or NUL). */
static int
scan_bound(const char *p, const char *stop, double *out)
{
  const char *end;

  if (!tsync_scan_double(p, out, &end))
    return 0;
  return end == stop;
}

enum tsync_status
thr_parse(struct thr_range *r, const char *text, struct tsync_err *err)
{
  const char *p = text, *colon;
  struct thr_range t;
  size_t len;

  memset(&t, 0, sizeof(t));
  len = text ? strlen(text) : 0;
  if (len == 0)
    return tsync_err_set(err, TSYNC_ERR_ARG, "empty threshold range");
  if (len >= sizeof(t.text))
    return tsync_err_set(err, TSYNC_ERR_ARG, "threshold range too long: '%.20s...'", text);
  memcpy(t.text, text, len + 1);
  if (*p == '@') {
    t.inside = true;
    p++;
  }
  colon = strchr(p, ':');
  if (!colon) {
    /* "10" means 0:10 */
    if (!scan_bound(p, p + strlen(p), &t.end))
      goto bad;
  } else {
    if (strchr(colon + 1, ':') || (p == colon && colon[1] == '\0'))
      goto bad; /* a second ':', or ":" with neither bound */
    if (p[0] == '~' && p + 1 == colon)
      t.start_inf = true;
    else if (p != colon && !scan_bound(p, colon, &t.start))
      goto bad;
    if (colon[1] == '\0')
      t.end_inf = true;
    else if (!scan_bound(colon + 1, colon + 1 + strlen(colon + 1), &t.end))
      goto bad;
  }
  if (!t.start_inf && !t.end_inf && t.start > t.end)
    return tsync_err_set(err, TSYNC_ERR_ARG, "threshold range '%s': start is above end", text);
  t.set = true;
  *r = t;
  return TSYNC_OK;
bad:
  return tsync_err_set(err, TSYNC_ERR_ARG,
                       "invalid threshold range '%s' (use N, N:, ~:N, N:M or @N:M)", text);
}

static bool
within(const struct thr_range *r, double v)
{
  return (r->start_inf || v >= r->start) && (r->end_inf || v <= r->end);
}

bool
thr_alert(const struct thr_range *r, double value)
{
  if (!r || !r->set)
    return false;
  return r->inside ? within(r, value) : !within(r, value);
}

const char *
thr_violation(const struct thr_range *r, double value, double *bound)
{
  if (r->inside)
    return "inside";
  if (!r->end_inf && value > r->end) {
    *bound = r->end;
    return ">";
  }
  *bound = r->start;
  return "<";
}
