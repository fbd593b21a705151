/* report.c -- small helpers over the shared data model. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

char *
tsync_copy(char *dst, size_t len, const char *src)
{
  if (len && snprintf(dst, len, "%s", src ? src : "") < 0)
    dst[0] = '\0';
  return dst;
}

void
tsync_report_free(struct tsync_report *r)
{
  free(r->sources);
  free(r->clients);
  free(r->hosts);
  memset(r, 0, sizeof(*r));
}

void
tsync_note(struct tsync_notes *notes, const char *fmt, ...)
{
  va_list ap;

  if (notes->n >= TSYNC_MAX_NOTES)
    return;
  va_start(ap, fmt);
  if (vsnprintf(notes->text[notes->n], TSYNC_NOTE_SIZE, fmt, ap) >= 0)
    notes->n++;
  va_end(ap);
}

void
tsync_count_sources(const struct tsync_report *r, unsigned *usable, unsigned *reachable)
{
  size_t i;

  *usable = *reachable = 0;
  for (i = 0; i < r->n_sources; i++) {
    *usable += tsync_src_usable(r->sources[i].state) ? 1u : 0u;
    *reachable += r->sources[i].reach != 0;
  }
}

unsigned
tsync_reach_lost(unsigned reach)
{
  unsigned top = 0, ones = 0, bit;

  reach &= 0xffu;
  for (bit = 0; bit < 8; bit++) {
    if (reach & (1u << bit)) {
      top = bit + 1;
      ones++;
    }
  }
  return top - ones;
}

const char *
tsync_src_state_str(enum tsync_src_state s)
{
  static const char *const names[] = {
      [TSYNC_SRC_SELECTED] = "selected",       [TSYNC_SRC_UNUSABLE] = "unusable",
      [TSYNC_SRC_FALSETICKER] = "falseticker", [TSYNC_SRC_JITTERY] = "too variable",
      [TSYNC_SRC_COMBINED] = "combined",       [TSYNC_SRC_NOT_COMBINED] = "not combined",
      [TSYNC_SRC_UNKNOWN] = "unknown",
  };

  return (unsigned)s < TSYNC_ARRAY_LEN(names) ? names[s] : "unknown";
}

char
tsync_src_state_char(enum tsync_src_state s)
{
  static const char chars[] = "*?x~+-";

  return (unsigned)s < sizeof(chars) - 1 ? chars[s] : ' ';
}

const char *
tsync_src_mode_str(enum tsync_src_mode m)
{
  static const char *const names[] = {"server", "peer", "refclock", "unknown"};

  return (unsigned)m < TSYNC_ARRAY_LEN(names) ? names[m] : "unknown";
}

char
tsync_src_mode_char(enum tsync_src_mode m)
{
  static const char chars[] = "^=#";

  return (unsigned)m < sizeof(chars) - 1 ? chars[m] : ' ';
}

const char *
tsync_leap_str(enum tsync_leap l)
{
  /* chronyc's words, British spelling included */
  static const char *const names[] = {"Normal", "Insert second", "Delete second",
                                      "Not synchronised"};

  return (unsigned)l < TSYNC_ARRAY_LEN(names) ? names[l] : "Invalid";
}
