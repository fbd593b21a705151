/* output.h -- the formats a check result leaves in: Nagios text, JSON, Zabbix LLD.
 *
 * Formatters write into a caller-owned buffer and never print. They return
 * TSYNC_ERR_TOO_LARGE (buffer left NUL-terminated, cut at a line end where possible)
 * when len is too small; OUT_BUF_SIZE holds any result the core can produce.
 */
#ifndef TSYNC_OUTPUT_H
#define TSYNC_OUTPUT_H

#include <stddef.h>

#include "eval.h"
#include "report.h"
#include "status.h"

#define OUT_BUF_SIZE (256 * 1024)

/* "PREFIX STATE: summary | perfdata" then long output: context, one line per source
 * (or client), notes; verbose >= 1 adds the transport line. Ends with a newline. */
enum tsync_status out_nagios(const char *prefix, const struct eval_result *res,
                             const struct tsync_report *rep, int verbose, char *buf,
                             size_t len) TSYNC_WUR;

/* {"state","exit_code","summary","metrics":{perf label: value},"sources":[...]} or, when
 * the report holds clients, "clients":[...]; plus "notes". One line, newline ended. */
enum tsync_status out_json(const struct eval_result *res, const struct tsync_report *rep,
                           char *buf, size_t len) TSYNC_WUR;

/* Zabbix low-level discovery: a JSON array of {"{#NAME}":…} objects, one per source
 * (or per client when the report holds clients). */
enum tsync_status out_discovery(const struct tsync_report *rep, char *buf,
                                size_t len) TSYNC_WUR;

/* The summary alone: the findings worst first joined by ", ", or the OK text. */
void out_summary(const struct eval_result *res, char *buf, size_t len);

/* The first line without perfdata: "PREFIX STATE: summary" ('|' in names becomes '/').
 * The agent's tsyncCheckStatusText is this line. */
void out_status_line(const char *prefix, const struct eval_result *res, char *buf,
                     size_t len);

/* One perfdata item: 'label'=value[uom];warn;crit;min;max (label quoted when needed). */
enum tsync_status out_perf_item(const struct eval_perf *p, char *buf, size_t len) TSYNC_WUR;

/* One long-output line for a source, e.g. "^* ntp1 (10.0.0.1) stratum 1 reach 377 offset
 * +12us". */
void out_source_line(const struct tsync_source *s, char *buf, size_t len);

/* One long-output line for a hypervisor host: offset, ntpd, NTP servers, sync health or
 * "not available on API x.y". */
void out_host_line(const struct tsync_host *h, const char *api, char *buf, size_t len);

#endif
