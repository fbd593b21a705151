/* agent.h -- timesync-agentx's shared state: the configured checks, their last
 * completed results, and the local chronyd for NTPv4-MIB.
 *
 * Threads: net-snmp runs on the main thread only (it is not thread-safe); pollers run on
 * their own threads and publish results under each check's mutex. SNMP handlers copy a
 * result under that mutex and never wait for a poll.
 */
#ifndef TSYNC_AGENT_H
#define TSYNC_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "chrony_check.h"
#include "esxi_check.h"
#include "eval.h"
#include "report.h"
#include "w32time_check.h"

#define AGENT_NAME "timesync-agentx"
#define AGENT_MAX_CHECKS 4096
#define AGENT_MAX_ARGS 64
#define AGENT_STATUS_SIZE 512
#define AGENT_DEFAULT_INTERVAL 60

enum agent_kind { AGENT_CHRONY = 1, AGENT_W32TIME = 2, AGENT_ESXI = 3 };

/* One row of tsyncSourceTable. */
struct agent_source {
  char name[TSYNC_NAME_SIZE];
  char address[TSYNC_ADDR_SIZE];
  enum tsync_src_state state;
  unsigned stratum, reach;
  double offset;
};

/* The last completed poll of one check: a value copy, safe to hand to handlers. */
struct agent_result {
  bool valid;
  struct timespec when;       /* CLOCK_MONOTONIC of completion */
  enum tsync_state state;
  char status[AGENT_STATUS_SIZE]; /* the plugin's first line, without perfdata */
  bool have_offset;
  double offset;
  unsigned stratum, reach, usable;
  struct agent_source *sources;   /* n_sources, malloc'd */
  size_t n_sources;
};

struct agent_check {
  unsigned index;             /* tsyncCheckIndex: order in the config, from 1 */
  char name[64];
  enum agent_kind kind;
  char target[TSYNC_NAME_SIZE];
  int argc;
  char *argv[AGENT_MAX_ARGS + 2]; /* owned: the plugin options keep pointers into them */
  union {
    struct chrony_check_cfg chrony;
    struct w32time_cfg w32time;
    struct esxi_cfg esxi;
  } cfg;
  pthread_mutex_t lock;       /* guards res and the fields below */
  struct agent_result res;
  enum tsync_state last_logged; /* state last announced (log line, trap) */
  bool announced;
};

struct agent {
  unsigned interval;          /* seconds between polls */
  char chrony_socket[256];    /* for NTPv4-MIB; "" = default chain */
  struct agent_check **checks;
  size_t n_checks;
  volatile bool stopping;
  pthread_mutex_t wake_lock;
  pthread_cond_t wake;        /* signalled to stop the pollers early */
  /* NTPv4-MIB: the local chronyd */
  pthread_mutex_t ntp_lock;
  struct tsync_report ntp;    /* last completed sync probe; ntp_valid says if any */
  bool ntp_valid;
  char ntp_error[TSYNC_ERR_SIZE]; /* why the last chronyd poll failed */
  struct timespec ntp_when;
  time_t started;             /* for ntpEntStatusEntityUptime */
  pthread_t *threads;         /* the pollers, joined by agent_pollers_stop */
  size_t n_threads;
  /* NTPv4-MIB ntpEntControl and notification state: main thread only */
  unsigned long heartbeat_interval; /* ntpEntHeartbeatInterval, seconds */
  unsigned notif_bits;        /* ntpEntNotifBits: bit n set = notification n enabled */
  bool seen;                  /* prev_* hold a first observation */
  long prev_mode, prev_stratum, prev_peer;
  bool prev_leap;             /* a leap second was pending at the last look */
  size_t prev_sources;
  char (*prev_names)[TSYNC_NAME_SIZE]; /* the sources at the last answered look */
  bool names_known;                    /* prev_names/prev_sources hold an answer */
  time_t last_heartbeat;
  unsigned long notifications; /* ntpEntStatEntityNotifications */
};

/* Parses one "check NAME PLUGIN ARGS..." line into a new check; errors in err. */
enum tsync_status agent_check_parse(struct agent *a, const char *line, struct tsync_err *err);

/* Frees every check; only once the pollers are stopped and the MIB is gone. */
void agent_checks_free(struct agent *a);

/* Starts the poller threads / stops and joins them. */
enum tsync_status agent_pollers_start(struct agent *a, struct tsync_err *err);
void agent_pollers_stop(struct agent *a);

/* Copies a check's current result (sources too) under its lock; free with
 * agent_result_free. */
void agent_result_copy(struct agent_check *c, struct agent_result *out);
void agent_result_free(struct agent_result *r);

/* Registers the MIB handlers (main thread, after init_agent). */
void agent_tsyncmib_init(struct agent *a);
/* Fills tsyncCheckTable's rows once the configuration has been read. */
void agent_tsyncmib_rows(struct agent *a);
void agent_ntpmib_init(struct agent *a);

/* Main-thread housekeeping, every second: traps and log lines for state changes. */
void agent_announce_changes(struct agent *a);
/* The same for NTPv4-MIB's notifications (mode, stratum, system peer, associations,
 * heartbeat), as ntpEntNotifBits enables them. */
void agent_ntp_announce(struct agent *a);

/* Saturating conversion of seconds to Integer32 microseconds. */
long agent_usec(double seconds);

#endif
