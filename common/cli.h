/* cli.h -- option handling shared by the plugins (and the agent's "check" lines).
 *
 * The plugins follow the Monitoring Plugins guidelines: -h, -V, -v (repeatable), -t,
 * -w/-c, -H/-p/-4/-6, --format, --discover. getopt_long keeps global state, so parsing
 * must not run on two threads at once (the agent parses its config on one thread).
 */
#ifndef TSYNC_CLI_H
#define TSYNC_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "eval.h"
#include "report.h"
#include "status.h"

#define CLI_DEFAULT_TIMEOUT 10.0
#define CLI_MAX_TIMEOUT 3600.0

enum cli_format {
  CLI_FORMAT_NAGIOS = 0, /* the order of format_of's names in cli.c */
  CLI_FORMAT_JSON = 1,
  CLI_FORMAT_OPENMETRICS = 2, /* Prometheus text exposition (openmetrics.h) */
  CLI_FORMAT_CHECKMK = 3,     /* one Checkmk local check line (checkmk.h) */
};

/* What cli_parse_common reports besides "handled". */
enum cli_action {
  CLI_RUN = 0,     /* go on and check */
  CLI_HELP = 1,    /* -h given */
  CLI_VERSION = 2, /* -V given */
};

struct cli_common {
  double timeout;
  int verbose;
  enum cli_format format;
  bool discover;
  enum cli_action action;
  const char *host, *port;
  int family; /* AF_UNSPEC, AF_INET (-4), AF_INET6 (-6) */
  const char *service; /* --service-name (Checkmk), NULL: "Timesync KIND [DETAIL] [SUBJECT]" */
  const char *service_detail;  /* a plugin's mode ("clients"): in that name, and the
                                * metrics' check label (chrony_clients); or NULL */
  const char *service_subject; /* the host in that name when not -H (ESXi: --esxi) */
  const char *target;  /* metrics' target when not -H[:-p] (chronyd's socket); plugin-set */
  struct timespec started; /* monotonic, at cli_common_init: the check's duration */
};

/* Long-option values above any short option character. */
enum {
  CLI_OPT_FORMAT = 0x100,
  CLI_OPT_DISCOVER,
  CLI_OPT_SERVICE,
  CLI_OPT_PLUGIN = 0x200 /* first value a plugin may use */
};

/* The short options every plugin takes. */
#define CLI_COMMON_SHORT "hVvt:H:p:46"

/* getopt_long entries for the common options (spread into a plugin's table). */
#define CLI_COMMON_LONG                                                                       \
  {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},                      \
      {"verbose", no_argument, NULL, 'v'}, {"timeout", required_argument, NULL, 't'},         \
      {"hostname", required_argument, NULL, 'H'}, {"port", required_argument, NULL, 'p'},     \
      {"use-ipv4", no_argument, NULL, '4'}, {"use-ipv6", no_argument, NULL, '6'},             \
      {"format", required_argument, NULL, CLI_OPT_FORMAT},                                    \
      {"service-name", required_argument, NULL, CLI_OPT_SERVICE},                             \
  {                                                                                           \
    "discover", no_argument, NULL, CLI_OPT_DISCOVER                                           \
  }

/* Defaults: timeout 10 s, Nagios format; notes the start time. */
void cli_common_init(struct cli_common *c);


/* A plugin's own options, for cli_parse_args: ctx is the plugin's configuration. */
typedef enum tsync_status (*cli_option_fn)(void *ctx, int opt, const char *arg,
                                           struct tsync_err *err);

/* The getopt_long loop of every plugin: each option goes to cli_parse_common first, the
 * others to fn; an unknown option, a missing value or a stray argument is an error. Any
 * option given an empty value counts as not given (ignored), so that templates can pass
 * unset parameters.
 * shortopts must include CLI_COMMON_SHORT and longopts CLI_COMMON_LONG. */
enum tsync_status cli_parse_args(int argc, char **argv, const char *shortopts,
                                 const struct option *longopts, struct cli_common *common,
                                 cli_option_fn fn, void *ctx, struct tsync_err *err) TSYNC_WUR;

/* Parses a Nagios range (thr_parse) given to option opt; err names the option. */
enum tsync_status cli_parse_range(struct thr_range *r, const char *opt, const char *arg,
                                  struct tsync_err *err) TSYNC_WUR;

/* Appends a comma-separated host list (arg of option opt) to *list (grown with realloc;
 * free with cli_free_hosts), at most max entries in all; names only, resolution comes
 * later (tsync_resolve_expect). Lists are sized to what is given: the agent holds
 * thousands of checks. */
enum tsync_status cli_parse_hosts(struct tsync_expect **list, unsigned max, unsigned *n,
                                  const char *opt, const char *arg,
                                  struct tsync_err *err) TSYNC_WUR;
void cli_free_hosts(struct tsync_expect **list, unsigned *n);

#define CLI_TRACE_SIZE 16384

/* -v lines from the core, kept to print after the result (the status line comes
 * first). Caller-owned; cli_trace_collect is its tsync_trace_fn, with the trace as ctx. */
struct cli_trace {
  int verbose;
  size_t used;
  char text[CLI_TRACE_SIZE];
};

void cli_trace_collect(void *ctx, int level, const char *line);

/* Renders a check's outcome as the options ask: Nagios text (PREFIX STATE: ...) plus
 * the trace, JSON, OpenMetrics, a Checkmk local check line, or discovery (only when the
 * probe got data; else the failure). Writes into buf and returns the exit code. */
int cli_render(const struct cli_common *c, const char *prefix, const struct eval_result *res,
               const struct tsync_report *rep, const struct cli_trace *tr, char *buf,
               size_t len);

/* "check_chrony v1.0.0 (timesync-monitor 1.0.0)". */
void cli_version(const char *prog, char *buf, size_t len);

/* A plugin's main, right after parsing its options (st, with why on failure): when the
 * run ends here, renders into buf the option error (a JSON object in JSON mode, else
 * "PREFIX UNKNOWN: why" and the usage) or the -V / -h text, sets *code (3, as Monitoring
 * Plugins do) and returns true. Returns false when the check is to run. */
bool cli_render_parsed(const struct cli_common *c, enum tsync_status st, const char *why,
                       const char *prog, const char *prefix, const char *usage,
                       const char *help, char *buf, size_t len, int *code);

#endif
