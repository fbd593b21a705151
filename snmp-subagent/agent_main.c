/* timesync-agentx -- a net-snmp AgentX subagent: NTPv4-MIB (RFC 5907) for the local
 * chronyd, and every configured check as rows of TIMESYNC-MONITOR-MIB, with a trap on
 * each state change. main reads like a recipe: options -> config -> pollers -> SNMP loop. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <getopt.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "parse.h"
#include "vsphere.h"

static struct agent agent; /* the config handlers' target; main thread only */
static volatile sig_atomic_t keep_running = 1;

static const char usage[] =
    "Usage: " AGENT_NAME " [-f] [-x ADDRESS] [-c FILE] [-L LOGOPTS] [-p PIDFILE] [-D TOKENS]\n"
    "       [-h] [-V]\n"
    "  -f            stay in the foreground\n"
    "  -x ADDRESS    snmpd's AgentX socket (default unix:/var/agentx/master)\n"
    "  -c FILE       read only this configuration file\n"
    "  -L LOGOPTS    logging as net-snmp daemons: -Lo (stdout), -Le (stderr),\n"
    "                -Lf FILE, -Ls FACILITY (syslog)\n"
    "  -p PIDFILE    write the process id to PIDFILE\n"
    "  -D TOKENS     net-snmp debugging output for these tokens\n"
    "Configuration lines:\n"
    "  check NAME PLUGIN OPTIONS...   PLUGIN is check_chrony, check_w32time or\n"
    "                                 check_esxi_time, with that plugin's options\n"
    "  interval SECONDS               between polls of every check (default 60)\n"
    "  chronySocket PATH              chronyd for NTPv4-MIB (default: the socket, then UDP)\n";

static void
on_check(const char *token, char *line)
{
  struct tsync_err err;

  (void)token;
  if (agent_check_parse(&agent, line, &err) != TSYNC_OK)
    config_perror(err.msg); /* names the file and line; the other checks go on */
}

static void
on_interval(const char *token, char *line)
{
  struct tsync_err err;
  long n;

  (void)token;
  if (tsync_parse_long(line, 1, 86400, &n, "interval", &err) != TSYNC_OK)
    config_perror(err.msg);
  else
    agent.interval = (unsigned)n;
}

static void
on_socket(const char *token, char *line)
{
  (void)token;
  tsync_copy(agent.chrony_socket, sizeof(agent.chrony_socket), line);
}

static void
on_signal(int sig)
{
  (void)sig;
  keep_running = 0;
}

/* One socket per NTP target is open during a poll: lift the soft descriptor limit to
 * the hard one, so a thousand targets do not run into the usual 1024. */
static void
raise_fd_limit(void)
{
  struct rlimit rl;

  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
      snmp_log(LOG_WARNING, "%s: cannot raise the open-file limit\n", AGENT_NAME);
  }
}

static void
announce(unsigned int reg, void *ctx)
{
  (void)reg;
  (void)ctx;
  agent_announce_changes(&agent);
  agent_ntp_announce(&agent);
}

/* Options like other net-snmp daemons. Returns -1 to exit with an error, 1 to exit 0. */
static int
options(int argc, char **argv, bool *foreground, const char **pidfile)
{
  bool logging = false;
  int opt;

  while ((opt = getopt(argc, argv, "fx:c:L:p:D:hV")) != -1) {
    switch (opt) {
    case 'f': *foreground = true; break;
    case 'x':
      netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, optarg);
      break;
    case 'c':
      /* only this file, as snmpd -C -c */
      netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
      netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_OPTIONALCONFIG, optarg);
      break;
    case 'L':
      if (snmp_log_options(optarg, argc, argv) < 0)
        return -1;
      logging = true;
      break;
    case 'p': *pidfile = optarg; break;
    case 'D':
      debug_register_tokens(optarg);
      snmp_set_do_debugging(1);
      break;
    case 'V': printf("%s v%s (timesync-monitor %s)\n", AGENT_NAME, TSYNC_VERSION, TSYNC_VERSION);
      return 1;
    case 'h': fputs(usage, stdout); return 1;
    default: fputs(usage, stderr); return -1;
    }
  }
  if (optind < argc) {
    fputs(usage, stderr);
    return -1;
  }
  if (!logging)
    snmp_enable_stderrlog();
  return 0;
}

static void
setup_snmp(void)
{
  /* the agent serves OIDs it knows by number: loading MIB files only costs time and
   * warnings */
  setenv("MIBS", "", 1);
  setenv("MIBDIRS", "", 1);
  netsnmp_enable_subagent();
  /* reconnect within seconds when snmpd restarts */
  netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 5);
  /* an unprivileged subagent keeps no state on disk (DONT_PERSIST_STATE would also
   * stop the search for timesync-agentx.conf) */
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
  init_agent(AGENT_NAME);
  register_app_config_handler("check", on_check, NULL, "NAME PLUGIN [OPTIONS...]");
  register_app_config_handler("interval", on_interval, NULL, "SECONDS");
  register_app_config_handler("chronySocket", on_socket, NULL, "PATH");
  agent_tsyncmib_init(&agent);
  agent_ntpmib_init(&agent);
  init_snmp(AGENT_NAME); /* reads the configuration: the check lines */
  agent_tsyncmib_rows(&agent);
}

static bool
write_pidfile(const char *path)
{
  FILE *f = fopen(path, "w");

  if (!f)
    return false;
  fprintf(f, "%ld\n", (long)getpid());
  return fclose(f) == 0;
}

int
main(int argc, char **argv)
{
  const char *pidfile = NULL;
  bool foreground = false;
  struct tsync_err err;
  int rc = options(argc, argv, &foreground, &pidfile);

  if (rc)
    return rc < 0 ? 1 : 0;
  agent.interval = AGENT_DEFAULT_INTERVAL;
  agent.heartbeat_interval = 60; /* RFC 5907 DEFVAL */
  agent.started = time(NULL);
  if (!vsphere_global_init())
    return 1;
  setup_snmp();
  if (!foreground && netsnmp_daemonize(1, snmp_stderrlog_status()) != 0)
    return 1;
  if (pidfile && !write_pidfile(pidfile))
    snmp_log(LOG_ERR, "%s: cannot write %s\n", AGENT_NAME, pidfile);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  /* no reload: a SIGHUP from a log rotation must not kill the agent */
  signal(SIGHUP, SIG_IGN);
  raise_fd_limit();
  if (agent_pollers_start(&agent, &err) != TSYNC_OK) {
    snmp_log(LOG_ERR, "%s: %s\n", AGENT_NAME, err.msg);
    return 1;
  }
  snmp_alarm_register(1, SA_REPEAT, announce, NULL);
  snmp_log(LOG_INFO, "%s %s started: %zu checks, every %u s\n", AGENT_NAME, TSYNC_VERSION,
           agent.n_checks, agent.interval);
  while (keep_running)
    agent_check_and_process(1);
  snmp_log(LOG_INFO, "%s stopping\n", AGENT_NAME);
  agent_pollers_stop(&agent);
  snmp_shutdown(AGENT_NAME);
  agent_checks_free(&agent);
  free(agent.prev_names);
  vsphere_global_cleanup();
  if (pidfile)
    (void)unlink(pidfile);
  return 0;
}
