/* checkmk.c -- Checkmk local check line (docs.checkmk.com, "Local checks": status,
 * service name, metrics, status detail). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checkmk.h"
#include "output.h"

struct line {
  char *buf;
  size_t len, used;
  bool full;
};

static void
put(struct line *l, const char *fmt, ...) TSYNC_PRINTF(2, 3);

static void
put(struct line *l, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (l->full)
    return;
  va_start(ap, fmt);
  n = vsnprintf(l->buf + l->used, l->len - l->used, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= l->len - l->used) {
    l->full = true;
    l->buf[l->used] = '\0';
    return;
  }
  l->used += (size_t)n;
}

/* Text for a field of the line: no quote, backslash, '|' or control character. */
static void
put_clean(struct line *l, const char *s, const char *also_bad)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;

    put(l, "%c", c < 0x20 || c == 0x7f || strchr(also_bad, c) ? '_' : c);
  }
}

/* The upper bound of a threshold, when it has one Checkmk can show. */
static void
put_level(struct line *l, const struct thr_range *r, bool symmetric)
{
  if (!r || !r->set || r->inside || r->end_inf)
    return;
  if (symmetric || r->start_inf || r->start == 0.0 || isinf(r->start))
    put(l, "%.9g", r->end);
}

static void
put_metric(struct line *l, const struct eval_perf *p)
{
  const char *c;

  for (c = p->label; *c; c++)
    put(l, "%c", (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                         (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-'
                     ? *c
                     : '_');
  put(l, "=%.9g;", isfinite(p->value) ? p->value : 0.0);
  put_level(l, p->warn, p->symmetric);
  put(l, ";");
  put_level(l, p->crit, p->symmetric);
  put(l, ";");
  if (p->has_min)
    put(l, "%.9g", p->min);
  put(l, ";");
  if (p->has_max)
    put(l, "%.9g", p->max);
}

/* Long output: one line per source or host, each after a literal "\n". */
static void
put_long(struct line *l, const struct tsync_report *rep)
{
  char text[512];
  size_t i;

  for (i = 0; i < rep->n_hosts && !l->full; i++) {
    out_host_line(&rep->hosts[i], rep->api, text, sizeof(text));
    put(l, "\\n");
    put_clean(l, text, "\\|");
  }
  for (i = 0; i < rep->n_sources && !rep->n_hosts && !l->full; i++) {
    out_source_line(&rep->sources[i], text, sizeof(text));
    put(l, "\\n");
    put_clean(l, text, "\\|");
  }
}

enum tsync_status
cmk_render(const char *service, const struct eval_result *res, const struct tsync_report *rep,
           char *buf, size_t len)
{
  struct line l = {buf, len, 0, len == 0};
  char summary[EVAL_MAX_MSGS * EVAL_MSG_SIZE];
  size_t whole;
  unsigned i;

  put(&l, "%d \"", (int)res->state);
  put_clean(&l, service, "\"'\\"); /* Checkmk refuses a ' in a quoted name too */
  put(&l, "\" ");
  for (i = 0; i < res->n_perf; i++) {
    put(&l, i ? "|" : "");
    put_metric(&l, &res->perf[i]);
  }
  put(&l, res->n_perf ? " " : "- ");
  out_summary(res, summary, sizeof(summary));
  /* the grammar needs a status detail: an OK result without words says "OK" */
  put_clean(&l, summary[0] ? summary : tsync_state_str(res->state), "\\|");
  whole = l.full ? 0 : l.used; /* 0: not even the line without long output fits */
  if (rep)
    put_long(&l, rep);
  put(&l, "\n");
  if (l.full && len) { /* keep the line without the long output that did not fit */
    l.used = whole && whole + 1 < len ? whole : 0;
    buf[l.used] = '\0';
    if (l.used) {
      buf[l.used++] = '\n';
      buf[l.used] = '\0';
    }
  }
  return l.full ? TSYNC_ERR_TOO_LARGE : TSYNC_OK;
}
