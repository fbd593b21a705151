/* cli.h -- option handling shared by the plugins (and the agent's "check" lines).
 *
 * The plugins follow the Monitoring Plugins guidelines: -h, -V, -v (repeatable), -t,
 * -w/-c, -H/-p/-4/-6, --format, --discover. getopt_long keeps global state, so parsing
 * must not run on two threads at once (the agent parses its config on one thread).
 */
#ifndef TSYNC_CLI_H
#define TSYNC_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#define CLI_DEFAULT_TIMEOUT 10.0
#define CLI_MAX_TIMEOUT 3600.0

enum cli_format {
  CLI_FORMAT_NAGIOS = 0,
  CLI_FORMAT_JSON = 1,
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
};

/* Long-option values above any short option character. */
enum {
  CLI_OPT_FORMAT = 0x100,
  CLI_OPT_DISCOVER,
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
  {                                                                                           \
    "discover", no_argument, NULL, CLI_OPT_DISCOVER                                           \
  }

/* Defaults: timeout 10 s, Nagios format. */
void cli_common_init(struct cli_common *c);

/* Handles one getopt result if it is a common option. Returns 1 when handled, 0 when the
 * option is not a common one, -1 on a bad value (err set). */
int cli_parse_common(struct cli_common *c, int opt, const char *arg, struct tsync_err *err);

/* "check_chrony v1.0.0 (timesync-monitor 1.0.0)". */
void cli_version(const char *prog, char *buf, size_t len);

#endif
