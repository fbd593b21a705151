/* cli.c -- common option handling. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "parse.h"

void
cli_common_init(struct cli_common *c)
{
  memset(c, 0, sizeof(*c));
  c->timeout = CLI_DEFAULT_TIMEOUT;
  c->family = AF_UNSPEC;
}

int
cli_parse_common(struct cli_common *c, int opt, const char *arg, struct tsync_err *err)
{
  switch (opt) {
  case 'h':
    c->action = CLI_HELP;
    return 1;
  case 'V':
    c->action = CLI_VERSION;
    return 1;
  case 'v':
    c->verbose++;
    return 1;
  case 't':
    return tsync_parse_double(arg, 0.1, CLI_MAX_TIMEOUT, &c->timeout, "-t/--timeout", err) ==
                   TSYNC_OK
               ? 1
               : -1;
  case 'H':
    if (!arg[0])
      return tsync_err_set(err, TSYNC_ERR_ARG, "-H/--hostname: empty host name"), -1;
    c->host = arg;
    return 1;
  case 'p': {
    long port;

    if (tsync_parse_long(arg, 1, 65535, &port, "-p/--port", err) != TSYNC_OK)
      return -1;
    c->port = arg;
    return 1;
  }
  case '4':
  case '6':
    c->family = opt == '4' ? AF_INET : AF_INET6;
    return 1;
  case CLI_OPT_FORMAT:
    if (strcmp(arg, "nagios") == 0)
      c->format = CLI_FORMAT_NAGIOS;
    else if (strcmp(arg, "json") == 0)
      c->format = CLI_FORMAT_JSON;
    else
      return tsync_err_set(err, TSYNC_ERR_ARG, "--format: '%s' is not nagios or json", arg),
             -1;
    return 1;
  case CLI_OPT_DISCOVER:
    c->discover = true;
    return 1;
  default:
    return 0;
  }
}

void
cli_version(const char *prog, char *buf, size_t len)
{
  if (snprintf(buf, len, "%s v%s (timesync-monitor %s)", prog, TSYNC_VERSION, TSYNC_VERSION) <
          0 &&
      len)
    buf[0] = '\0';
}
