/* sbuf.c -- bounded string builder. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sbuf.h"

void
sbuf_init(struct sbuf *b, char *buf, size_t len)
{
  b->p = buf;
  b->len = len;
  b->used = 0;
  b->full = len == 0;
  if (len)
    buf[0] = '\0';
}

void
sbuf_put(struct sbuf *b, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (b->full || b->len == 0)
    return;
  va_start(ap, fmt);
  n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= b->len - b->used) {
    b->full = true;
    b->p[b->used] = '\0'; /* drop the partial piece */
    return;
  }
  b->used += (size_t)n;
}

void
sbuf_cut_to_line(struct sbuf *b)
{
  char *nl;

  if (b->len == 0)
    return;
  nl = b->used ? memrchr(b->p, '\n', b->used) : NULL;
  b->used = nl ? (size_t)(nl - b->p) + 1 : 0;
  b->p[b->used] = '\0';
}
