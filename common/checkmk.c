/* checkmk.c -- Checkmk local check line (docs.checkmk.com, "Local checks": status,
 * service name, metrics, status detail). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "checkmk.h"
#include "output.h"
#include "sbuf.h"

/* Text for a field of the line: no quote, backslash, '|' or control character. */
static void
put_clean(struct sbuf *l, const char *s, const char *also_bad)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;

    sbuf_put(l, "%c", c < 0x20 || c == 0x7f || strchr(also_bad, c) ? '_' : c);
  }
}

/* The upper bound of a threshold, when it has one Checkmk can show. */
static void
put_level(struct sbuf *l, const struct thr_range *r, bool symmetric)
{
  if (!r || !r->set || r->inside || r->end_inf)
    return;
  if (symmetric || r->start_inf || r->start == 0.0 || isinf(r->start))
    sbuf_put(l, "%.9g", r->end);
}

/* A metric name keeps [A-Za-z0-9_.-]; anything else would end the name or the field. */
static char
metric_char(char c)
{
  bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'; /* ASCII whatever the caller's locale */

  return keep ? c : '_';
}

static void
put_metric(struct sbuf *l, const struct eval_perf *p)
{
  const char *c;

  for (c = p->label; *c; c++)
    sbuf_put(l, "%c", metric_char(*c));
  sbuf_put(l, "=%.9g;", isfinite(p->value) ? p->value : 0.0);
  put_level(l, p->warn, p->symmetric);
  sbuf_put(l, ";");
  put_level(l, p->crit, p->symmetric);
  sbuf_put(l, ";");
  if (p->has_min)
    sbuf_put(l, "%.9g", p->min);
  sbuf_put(l, ";");
  if (p->has_max)
    sbuf_put(l, "%.9g", p->max);
}

/* Long output: one line per source or host, each after a literal "\n". */
static void
put_long(struct sbuf *l, const struct tsync_report *rep)
{
  char text[512];
  size_t i;

  for (i = 0; i < rep->n_hosts && !l->full; i++) {
    out_host_line(&rep->hosts[i], rep->api, text, sizeof(text));
    sbuf_put(l, "\\n");
    put_clean(l, text, "\\|");
  }
  for (i = 0; i < rep->n_sources && !rep->n_hosts && !l->full; i++) {
    out_source_line(&rep->sources[i], text, sizeof(text));
    sbuf_put(l, "\\n");
    put_clean(l, text, "\\|");
  }
}

enum tsync_status
cmk_render(const char *service, const struct eval_result *res, const struct tsync_report *rep,
           char *buf, size_t len)
{
  struct sbuf l;
  char summary[EVAL_MAX_MSGS * EVAL_MSG_SIZE];
  size_t whole;
  unsigned i;

  sbuf_init(&l, buf, len);
  sbuf_put(&l, "%d \"", (int)res->state);
  put_clean(&l, service, "\"'\\"); /* Checkmk refuses a ' in a quoted name too */
  sbuf_put(&l, "\" ");
  for (i = 0; i < res->n_perf; i++) {
    sbuf_put(&l, i ? "|" : "");
    put_metric(&l, &res->perf[i]);
  }
  sbuf_put(&l, res->n_perf ? " " : "- ");
  out_summary(res, summary, sizeof(summary));
  /* the grammar needs a status detail: an OK result without words says "OK" */
  put_clean(&l, summary[0] ? summary : tsync_state_str(res->state), "\\|");
  whole = l.full ? 0 : l.used; /* 0: not even the line without long output fits */
  if (rep)
    put_long(&l, rep);
  sbuf_put(&l, "\n");
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
