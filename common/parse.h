/* parse.h -- the one checked number parser (no atoi/strtol/sscanf on input elsewhere). */
#ifndef TSYNC_PARSE_H
#define TSYNC_PARSE_H

#include <stdbool.h>

#include "status.h"

/* Parses the whole of text as a finite decimal number in [min, max] into *out.
 * Leading/trailing spaces, empty text, trailing garbage, NaN and inf are rejected.
 * what names the value in the error message ("timeout"). */
enum tsync_status tsync_parse_double(const char *text, double min, double max, double *out,
                                     const char *what, struct tsync_err *err) TSYNC_WUR;

/* Same for an integer in [min, max] (decimal only). */
enum tsync_status tsync_parse_long(const char *text, long min, long max, long *out,
                                   const char *what, struct tsync_err *err) TSYNC_WUR;

/* Parses the number at the start of text (no range check beyond finiteness) and stores
 * the end in *end; false when no number starts there. For composite syntaxes (ranges). */
bool tsync_scan_double(const char *text, double *out, const char **end);

/* Parses an ISO-8601 / xsd:dateTime UTC time ("2026-11-26T07:10:03.123456Z", fraction
 * optional, "Z" or "+hh:mm"/"-hh:mm") into UNIX seconds. The whole text must match. */
enum tsync_status tsync_parse_datetime(const char *text, double *out,
                                       struct tsync_err *err) TSYNC_WUR;

#endif
