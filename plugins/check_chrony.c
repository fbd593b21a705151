/* check_chrony -- Nagios/Icinga plugin: chronyd's synchronisation, sources and clients,
 * read over chronyd's control protocol (cmdmon), never by parsing chronyc output. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chrony_check.h"
#include "output.h"

#define PROG "check_chrony"

static const char usage[] =
    "Usage: " PROG " [-s SOCKET | -H HOST [-p PORT] [-4|-6]] [-t SECONDS]\n"
    "         [-w OFFSET] [-c OFFSET] [-W STRATUM] [-C STRATUM] [-m USABLE] [-n USABLE]\n"
    "         [-j RMS] [-k RMS] [-e ERROR] [-E ERROR] [--reach-lost N]\n"
    "         [--mode=sync|clients] [--expect-client HOST[,HOST...]]\n"
    "         [--format=nagios|json|openmetrics|checkmk] [--service-name NAME]\n"
    "         [--discover] [-v] [-h] [-V]\n";

static const char help[] =
    "Checks chronyd over its control protocol (what chronyc speaks): whether it is\n"
    "synchronised, how far the system clock is off, and the health of its sources;\n"
    "with --mode=clients, whether the hosts it serves still ask it for time.\n"
    "\n"
    "Connection:\n"
    " -s, --socket=PATH     chronyd's Unix socket (all data; root or the chrony user)\n"
    " -H, --hostname=HOST   chronyd over UDP (only the open commands; see below); an\n"
    "                       absolute path is taken as the Unix socket, like -s\n"
    " -p, --port=PORT       UDP command port (default 323)\n"
    " -4, -6                use IPv4 / IPv6 only\n"
    "                       Without -s or -H: /run/chrony/chronyd.sock, then UDP\n"
    "                       127.0.0.1:323, then [::1]:323 (-v says which was used).\n"
    " -t, --timeout=SECONDS whole run, default 10\n"
    "\n"
    "Sync mode (default, --mode=sync); ranges use the Nagios syntax N, N:, ~:N, N:M, @N:M:\n"
    " -w, --warning=RANGE   |offset| in seconds (default 0.05)\n"
    " -c, --critical=RANGE  |offset| in seconds (default 0.25)\n"
    " -W, --stratum-warning=RANGE, -C, --stratum-critical=RANGE   stratum (off)\n"
    " -m, --sources-warning=RANGE  usable sources (default 2:)\n"
    " -n, --sources-critical=RANGE usable sources (default 1:)\n"
    " -j, --jitter-warning=RANGE, -k, --jitter-critical=RANGE   RMS offset, s (off)\n"
    " -e, --error-warning=RANGE, -E, --error-critical=RANGE\n"
    "                       estimated error |last offset| + root dispersion\n"
    "                       + root delay/2, s (off)\n"
    " --reach-lost=N        warn when a source lost N of its last 8 polls (default 3;\n"
    "                       0 = off); a source with reach 0 always warns\n"
    "   CRITICAL: not synchronised (leap status or no reference). WARNING: serving from\n"
    "   the local clock (local stratum fallback), a falseticker, an unreachable source.\n"
    "\n"
    "Clients mode (--mode=clients, needs the Unix socket, or opencommands on chrony 4.7+):\n"
    " --expect-client=HOST[,HOST...]  hosts that must keep asking for time\n"
    " -w, --warning=RANGE   seconds since an expected client's last request (4096)\n"
    " -c, --critical=RANGE  the same, critical (16384); never seen is CRITICAL\n"
    "\n"
    "Output:\n"
    " --format=nagios|json  status line + perfdata + one line per source, or one JSON\n"
    "                       object {state, exit_code, summary, metrics, sources}\n"
    " --format=openmetrics  Prometheus text (timesync_* series, # EOF), for\n"
    "                       node_exporter's textfile collector (contrib/prometheus)\n"
    " --format=checkmk      one Checkmk local check line (contrib/checkmk)\n"
    " --service-name=NAME   its Checkmk service name (default \"Timesync chrony\")\n"
    " --discover            Zabbix low-level discovery JSON of the sources (or clients)\n"
    " -v, --verbose         more detail (repeatable); -h help; -V version\n"
    "\n"
    "Sign convention: offset = reference time - local clock (RFC 5905 theta). Positive\n"
    "means this clock is behind; chronyc prints such an offset as \"slow\". Thresholds\n"
    "apply to |offset|. Source offsets use the same sign (chronyc's sources column\n"
    "shows the opposite).\n"
    "\n"
    "Privileges: the Unix socket serves everything but only to root and the chrony user\n"
    "(Debian: _chrony, /run/chrony is 0700). Other users (nagios) get tracking, sources\n"
    "and sourcestats over UDP 127.0.0.1:323; selectdata, serverstats and clients need\n"
    "the socket (sudo) or 'opencommands' on chrony >= 4.7.\n"
    "\n"
    "An option given an empty value counts as not given (Zabbix passes unset key\n"
    "parameters and macros so).\n"
    "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for -h, -V, bad options).\n";

/* The client socket file, for the signal handler: it must go on every exit path. */
static char sock_path[128];

static void
on_signal(int sig)
{
  static const char msg[] = "CHRONY UNKNOWN: interrupted by a signal\n";

  (void)sig;
  if (sock_path[0])
    (void)unlink(sock_path);
  if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
    _exit(3);
  _exit(3);
}

static void
guard_client_socket(const struct chrony_check_cfg *cfg)
{
  struct sigaction sa;

  if (!cfg->common.host)
    (void)chrony_client_path(cfg->socket_path ? cfg->socket_path : CHRONY_DEFAULT_SOCKET, PROG,
                             (long)getpid(), sock_path, sizeof(sock_path));
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  (void)sigaction(SIGTERM, &sa, NULL);
  (void)sigaction(SIGINT, &sa, NULL);
  (void)sigaction(SIGHUP, &sa, NULL);
}

int
main(int argc, char **argv)
{
  static char out[OUT_BUF_SIZE];
  static struct cli_trace trace;
  struct chrony_check_cfg cfg;
  struct tsync_report report;
  struct eval_result result;
  struct tsync_err err;
  enum tsync_status st;
  int code;

  st = chrony_check_parse(argc, argv, &cfg, &err);
  if (!cli_render_parsed(&cfg.common, st, err.msg, PROG, "CHRONY", usage, help, out,
                         sizeof(out), &code)) {
    trace.verbose = cfg.common.verbose;
    guard_client_socket(&cfg);
    chrony_check_run(&cfg, PROG, cli_trace_collect, &trace, &report, &result);
    code = cli_render(&cfg.common, "CHRONY", &result, &report, &trace, out, sizeof(out));
    tsync_report_free(&report);
  }
  fputs(out, stdout);
  chrony_check_free(&cfg);
  return code;
}
