/* check_w32time -- Nagios/Icinga plugin: a Windows host's W32Time (or any NTP server),
 * judged from a plain NTP exchange from Linux, with no agent on Windows. */
#include <stdio.h>

#include "output.h"
#include "w32time_check.h"

#define PROG "check_w32time"

static const char usage[] =
    "Usage: " PROG " -H HOST [-p PORT] [-4|-6] [-n SAMPLES] [-t SECONDS]\n"
    "         [-w OFFSET] [-c OFFSET] [-W STRATUM] [-C STRATUM]\n"
    "         [--expect-source HOST[,HOST...]] [--max-root-distance SECONDS]\n"
    "         [--require-local-sync] [--no-reverse-dns]\n"
    "         [--format=nagios|json|openmetrics|checkmk] [--service-name NAME]\n"
    "         [--discover] [-v] [-h] [-V]\n";

static const char help[] =
    "Queries a Windows host's W32Time (or any NTP server) with plain 48-byte NTP\n"
    "requests, like a client would, and judges the reply: is it synchronized, from\n"
    "which source, and how far is its clock from this host's. Windows members answer\n"
    "only when the W32Time NtpServer provider is enabled (contrib/windows/); domain\n"
    "controllers answer already.\n"
    "\n"
    " -H, --hostname=HOST   the Windows host or NTP server (required)\n"
    " -p, --port=PORT       UDP port (default 123)\n"
    " -4, -6                use IPv4 / IPv6 only\n"
    " -n, --samples=N       requests, 0.3 s apart; the lowest-delay reply counts (4)\n"
    " -t, --timeout=SECONDS whole run, default 10\n"
    " -w, --warning=RANGE   |offset| in seconds (default 1)\n"
    " -c, --critical=RANGE  |offset| in seconds (default 5; Kerberos allows 300)\n"
    " -W, --stratum-warning=RANGE, -C, --stratum-critical=RANGE   stratum (off)\n"
    " --expect-source=HOST[,HOST...]  the internal NTP servers (or DCs) this host should\n"
    "                       sync from; another reference id is a WARNING naming it\n"
    " --max-root-distance=SECONDS  warn above root delay/2 + root dispersion (off:\n"
    "                       healthy W32Time reports 7-10 s of root dispersion)\n"
    " --require-local-sync  UNKNOWN when this host's own clock is unsynchronised\n"
    " --no-reverse-dns      do not look up the name of an unexpected source\n"
    " --format=nagios|json  status line + perfdata, or one JSON object\n"
    " --format=openmetrics  Prometheus text (timesync_* series, # EOF), for\n"
    "                       node_exporter's textfile collector (contrib/prometheus)\n"
    " --format=checkmk      one Checkmk local check line (contrib/checkmk)\n"
    " --service-name=NAME   its Checkmk service name (default \"Timesync W32Time HOST\")\n"
    " --discover            Zabbix low-level discovery JSON of the server\n"
    " -v, --verbose         more detail (repeatable); -h help; -V version\n"
    "\n"
    "CRITICAL: no reply (NtpServer provider disabled or UDP 123 blocked), not\n"
    "synchronized (leap indicator 3 or stratum 0), free-running on the local CMOS clock\n"
    "(stratum 1, refid LOCL), a Kiss-o'-Death (RATE, DENY, RSTR), |offset| above -c.\n"
    "WARNING: |offset| above -w, a source not in --expect-source.\n"
    "\n"
    "Sign convention: offset = remote clock - this host's clock (RFC 5905 theta):\n"
    "positive means the Windows host is ahead. Thresholds apply to |offset|. When this\n"
    "host's kernel says its own clock is unsynchronised, the output says so.\n"
    "\n"
    "An option given an empty value counts as not given (Zabbix passes unset key\n"
    "parameters and macros so).\n"
    "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for -h, -V, bad options).\n";

int
main(int argc, char **argv)
{
  static char out[OUT_BUF_SIZE];
  static struct cli_trace trace;
  static struct w32time_cfg cfg;
  struct tsync_report report;
  struct eval_result result;
  struct tsync_err err;
  enum tsync_status st;
  int code;

  st = w32time_parse(argc, argv, &cfg, &err);
  if (!cli_render_parsed(&cfg.common, st, err.msg, PROG, "W32TIME", usage, help, out,
                         sizeof(out), &code)) {
    trace.verbose = cfg.common.verbose;
    w32time_run(&cfg, cli_trace_collect, &trace, &report, &result);
    code = cli_render(&cfg.common, "W32TIME", &result, &report, &trace, out, sizeof(out));
    tsync_report_free(&report);
  }
  fputs(out, stdout);
  w32time_free(&cfg);
  return code;
}
