/* check_esxi_time -- Nagios/Icinga plugin: ESXi hosts' clocks, NTP configuration and
 * ntpd service, read over the vSphere API from the host itself or through vCenter. */
#include <stdio.h>

#include "esxi_check.h"
#include "output.h"

#define PROG "check_esxi_time"

static const char usage[] =
    "Usage: " PROG " -H HOST [-p PORT] [-4|-6] --authfile FILE [-u USER]\n"
    "         [--esxi NAME | --all-hosts] [--api=auto|soap|json] [--cacert FILE]\n"
    "         [--insecure] [--session-file FILE] [-w OFFSET] [-c OFFSET]\n"
    "         [--expect-ntp-server HOST[,HOST...]] [--max-sync-age SECONDS] [-t SECONDS]\n"
    "         [--format=nagios|json|openmetrics|checkmk] [--service-name NAME]\n"
    "         [--discover] [-v] [-h] [-V]\n";

static const char help[] =
    "Reads an ESXi host's clock (QueryDateTime), its NTP configuration and health\n"
    "(dateTimeInfo) and its ntpd service (serviceInfo) over the vSphere API: directly from\n"
    "an ESXi host (SOAP), or through vCenter (SOAP, or VI/JSON on vCenter 8.0U1+).\n"
    "A read-only vSphere role is enough.\n"
    "\n"
    " -H, --hostname=HOST   the ESXi host or the vCenter\n"
    " -p, --port=PORT       HTTPS port (default 443)\n"
    " -4, -6                use IPv4 / IPv6 only\n"
    " --authfile=FILE       'username=' and 'password=' lines; refused unless mode 0600\n"
    " -u, --username=USER   overrides the authfile's username\n"
    " --esxi=NAME           the host to check behind a vCenter (as vCenter names it)\n"
    " --all-hosts           every host of the vCenter; the worst state wins\n"
    " --api=auto|soap|json  auto: VI/JSON where vCenter >= 8.0.1 offers it, else SOAP\n"
    " --cacert=FILE         CA certificate(s) to verify the server (default: system CAs)\n"
    " --insecure            do not verify TLS (said in the output)\n"
    " --session-file=FILE   keep the session between runs (mode 0600); without it every\n"
    "                       run logs out\n"
    " -w, --warning=RANGE   |offset| in seconds (default 1)\n"
    " -c, --critical=RANGE  |offset| in seconds (default 5; Kerberos allows 300)\n"
    " --expect-ntp-server=HOST[,HOST...]  the NTP servers the host must be set to\n"
    " --max-sync-age=SECONDS  warn when the last NTP sync is older (default 3600)\n"
    " -t, --timeout=SECONDS whole run including the logout, default 10\n"
    " --format=nagios|json  status line + perfdata, or one JSON object\n"
    " --format=openmetrics  Prometheus text (timesync_* series, # EOF), for\n"
    "                       node_exporter's textfile collector (contrib/prometheus)\n"
    " --format=checkmk      one Checkmk local check line (contrib/checkmk)\n"
    " --service-name=NAME   its Checkmk service name (default \"Timesync ESXi HOST\")\n"
    " --discover            Zabbix low-level discovery JSON of the hosts\n"
    " -v, --verbose         more detail (repeatable); -h help; -V version\n"
    "\n"
    "CRITICAL: ntpd not running while its policy is on or automatic; serviceSync false;\n"
    "|offset| above -c; the endpoint does not answer. WARNING: no NTP server configured;\n"
    "servers other than --expect-ntp-server; last sync older than --max-sync-age or\n"
    "never; in fallback state; ntpd off (policy off); |offset| above -w. The API 7.0.3\n"
    "fields (serviceSync, lastSyncTime, inFallbackState) are reported as \"not available\n"
    "on API x.y\" on older hosts. UNKNOWN: bad options or credentials, TLS failures.\n"
    "\n"
    "Sign convention: offset = host clock - this host's clock, measured against the\n"
    "midpoint of the request (positive: the ESXi host is ahead), +/- half the round trip.\n"
    "\n"
    "An option given an empty value counts as not given (Zabbix passes unset key\n"
    "parameters and macros so).\n"
    "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for -h, -V, bad options).\n";

int
main(int argc, char **argv)
{
  static char out[OUT_BUF_SIZE];
  static struct cli_trace trace;
  static struct esxi_cfg cfg;
  static struct eval_result result;
  struct tsync_report report;
  struct tsync_err err;
  enum tsync_status st;
  int code;

  st = esxi_parse(argc, argv, &cfg, &err);
  if (cli_render_parsed(&cfg.common, st, err.msg, PROG, "ESXI", usage, help, out, sizeof(out),
                        &code)) {
    fputs(out, stdout);
    esxi_free(&cfg);
    return code;
  }
  if (!vsphere_global_init()) {
    puts("ESXI UNKNOWN: cannot initialise libcurl");
    esxi_free(&cfg);
    return TSYNC_STATE_UNKNOWN;
  }
  trace.verbose = cfg.common.verbose;
  esxi_run(&cfg, cli_trace_collect, &trace, &report, &result);
  code = cli_render(&cfg.common, "ESXI", &result, &report, &trace, out, sizeof(out));
  fputs(out, stdout);
  tsync_report_free(&report);
  esxi_free(&cfg);
  vsphere_global_cleanup();
  return code;
}
