/* eval.h -- the rulebook: probe results + thresholds -> state, messages, perfdata.
 *
 * Shared by the plugins and the agent, so a state means the same everywhere. Defaults
 * come from the reference article (shared/reference/): alert on chrony's System time
 * at 50 ms, critical at 250 ms; falseticker detection needs 3 sources; Reach 377 is
 * healthy; a client that stops asking has lost NTP connectivity.
 */
#ifndef TSYNC_EVAL_H
#define TSYNC_EVAL_H

#include <stdbool.h>

#include "report.h"
#include "status.h"
#include "threshold.h"

enum tsync_state {
  TSYNC_STATE_OK = 0,
  TSYNC_STATE_WARNING = 1,
  TSYNC_STATE_CRITICAL = 2,
  TSYNC_STATE_UNKNOWN = 3,
};

#define EVAL_MAX_MSGS 32
#define EVAL_MSG_SIZE 256
#define EVAL_MAX_PERF 200
#define EVAL_LABEL_SIZE 96

struct eval_msg {
  enum tsync_state state;
  char text[EVAL_MSG_SIZE];
};

struct eval_perf {
  char label[EVAL_LABEL_SIZE];
  double value;
  const char *uom;                     /* "s", "c" or "" (static) */
  bool integer;                        /* print without decimals */
  const struct thr_range *warn, *crit; /* may be NULL; point into the config */
  bool symmetric;                      /* signed value judged by magnitude: show -N:N ranges */
  bool has_min, has_max;
  double min, max;
};

struct eval_result {
  enum tsync_state state;              /* worst of the messages */
  struct eval_msg msgs[EVAL_MAX_MSGS]; /* non-OK findings, in the order found */
  unsigned n_msgs;
  char ok_text[EVAL_MSG_SIZE]; /* what OK means here, for the summary */
  struct eval_perf perf[EVAL_MAX_PERF];
  unsigned n_perf;
};

struct eval_chrony_cfg {
  struct thr_range offset_warn, offset_crit;   /* on |offset|, seconds */
  struct thr_range stratum_warn, stratum_crit; /* optional */
  struct thr_range usable_warn, usable_crit;   /* usable sources, -m/-n */
  struct thr_range jitter_warn, jitter_crit;   /* RMS offset, optional */
  struct thr_range esterr_warn, esterr_crit;   /* estimated error, optional */
  unsigned reach_lost;                         /* polls lost since first reached */
};


struct eval_clients_cfg {
  struct thr_range age_warn, age_crit; /* seconds since the last NTP request */
  struct tsync_expect *expect;                 /* n_expect, malloc'd (cli_parse_hosts) */
  unsigned n_expect;
};

struct eval_ntp_cfg {
  struct thr_range offset_warn, offset_crit;   /* on |offset|, seconds */
  struct thr_range stratum_warn, stratum_crit; /* optional */
  struct thr_range root_distance;              /* optional: root delay/2 + dispersion */
  struct tsync_expect *expect; /* --expect-source, resolved to IPv4; malloc'd, n_expect */
  unsigned n_expect;
  bool require_local_sync;
};

struct eval_esxi_cfg {
  struct thr_range offset_warn, offset_crit;  /* on |offset|, seconds */
  struct tsync_expect *expect_ntp; /* --expect-ntp-server names; malloc'd, n_expect_ntp */
  unsigned n_expect_ntp;
  double max_sync_age;                        /* seconds since lastSyncTime */
  char api_version[32];                       /* for "not available on API x.y" */
};

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *tsync_state_str(enum tsync_state s);

/* Fills cfg with the article's defaults: -w 0.05 -c 0.25 -m 2: -n 1: --reach-lost 3. */
void eval_chrony_defaults(struct eval_chrony_cfg *cfg);

/* Fills cfg with the clients defaults: -w 4096 -c 16384, nothing expected. */
void eval_clients_defaults(struct eval_clients_cfg *cfg);

/* Judges a chrony sync report (clock + sources). */
void eval_chrony_sync(const struct eval_chrony_cfg *cfg, const struct tsync_report *r,
                      struct eval_result *out);

/* Judges a chrony clients report against the expected clients. */
void eval_chrony_clients(const struct eval_clients_cfg *cfg, const struct tsync_report *r,
                         struct eval_result *out);

/* Fills cfg with the W32Time defaults: -w 1 -c 5 (seconds; Kerberos allows 300). */
void eval_ntp_defaults(struct eval_ntp_cfg *cfg);

/* Judges an NTP server's reply (check_w32time): sync state, W32Time's free-running
 * CMOS clock, Kiss-o'-Death, expected source, offset, and the local clock's state. */
void eval_ntp_server(const struct eval_ntp_cfg *cfg, const struct tsync_report *r,
                     struct eval_result *out);

/* Defaults: -w 1 -c 5 seconds, --max-sync-age 3600. */
void eval_esxi_defaults(struct eval_esxi_cfg *cfg);

/* Judges every host of r->hosts (check_esxi_time): offset, ntpd service, NTP servers,
 * and the API 7.0.3 health fields where the host has them. Worst state wins; with more
 * than one host each finding and perfdata label names its host. */
void eval_esxi(const struct eval_esxi_cfg *cfg, const struct tsync_report *r,
               struct eval_result *out);

/* A probe that failed: the state its status means (a time service that does not answer
 * is CRITICAL; unusable arguments or a daemon we cannot understand are UNKNOWN). */
enum tsync_state eval_status_state(enum tsync_status st);
void eval_failure(enum tsync_status st, const char *message, struct eval_result *out);

/* Adds a finding; raises out->state. Text is truncated to EVAL_MSG_SIZE. */
void eval_add(struct eval_result *out, enum tsync_state s, const char *fmt, ...)
    TSYNC_PRINTF(3, 4);

/* Internal to the eval modules: threshold breach message, seconds text, perfdata. */
enum tsync_state eval_check(struct eval_result *out, const struct thr_range *warn,
                            const struct thr_range *crit, double value, const char *what,
                            const char *shown, const char *unit, const char *suffix);
void eval_fmt_secs(double v, char *buf, size_t len);
struct eval_perf *eval_add_perf(struct eval_result *out, const char *label, double value,
                                const char *uom, const struct thr_range *warn,
                                const struct thr_range *crit);
void eval_set_ok_text(struct eval_result *out, const char *fmt, ...) TSYNC_PRINTF(2, 3);
void eval_preset(struct thr_range *r, const char *text);

/* Formats seconds with sign in chronyc's steps: "+12ns", "-1500us", "+312ms", "+2.5s". */
void eval_fmt_offset(double seconds, char *buf, size_t len);

#endif
