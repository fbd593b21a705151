/* report.h -- the data model every probe fills: a clock report and a list of sources.
 *
 * One vocabulary for chronyd, NTP servers and ESXi hosts, so the rulebook, the output
 * and the MIB never care where the numbers came from.
 *
 * Sign convention (DESIGN.md): offset = reference time - local clock, in seconds, the
 * RFC 5905 theta. Positive means the checked clock is behind. For chrony this is the
 * tracking "System time" correction; chronyc prints "slow" when it is positive. Source
 * offsets follow the same sign (source - local), the opposite of chronyc's sources column.
 */
#ifndef TSYNC_REPORT_H
#define TSYNC_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "status.h"

#define TSYNC_NAME_SIZE 256    /* chrony's NTP_SOURCE_NAME carries up to 255 chars */
#define TSYNC_ADDR_SIZE 64     /* IPv6 text with scope, or "ID#0000000001" */
#define TSYNC_MAX_SOURCES 256  /* ceiling on sources read from one daemon */
#define TSYNC_MAX_CLIENTS 4096 /* ceiling on client records read from one daemon */

enum tsync_leap {
  TSYNC_LEAP_NORMAL = 0,
  TSYNC_LEAP_INSERT = 1,
  TSYNC_LEAP_DELETE = 2,
  TSYNC_LEAP_UNSYNC = 3,
};

enum tsync_src_mode {
  TSYNC_MODE_SERVER = 0,   /* client association to a server, chronyc '^' */
  TSYNC_MODE_PEER = 1,     /* symmetric peer, '=' */
  TSYNC_MODE_REFCLOCK = 2, /* reference clock, '#' */
  TSYNC_MODE_UNKNOWN = 3,
};

/* Numbered as chrony's SOURCE_DATA state so the wire decoder maps 1:1. */
enum tsync_src_state {
  TSYNC_SRC_SELECTED = 0,     /* '*' the system peer */
  TSYNC_SRC_UNUSABLE = 1,     /* '?' not selectable (unreachable, no samples, noselect) */
  TSYNC_SRC_FALSETICKER = 2,  /* 'x' */
  TSYNC_SRC_JITTERY = 3,      /* '~' too variable */
  TSYNC_SRC_COMBINED = 4,     /* '+' */
  TSYNC_SRC_NOT_COMBINED = 5, /* '-' selectable, not combined */
  TSYNC_SRC_UNKNOWN = 6,
};

struct tsync_clock {
  enum tsync_leap leap;
  unsigned stratum; /* 0 = unsynchronised / unknown */
  uint32_t refid;
  char ref_name[TSYNC_ADDR_SIZE]; /* IPv4/IPv6 text, or the printable refid ("PPS"), or "" */
  bool ref_local;     /* serving from the local clock (chrony 7F7F0101, NTP LOCL) */
  double ref_time;    /* UNIX seconds of the last update, 0 if never */
  double offset;      /* theta, seconds (chrony current_correction) */
  double last_offset; /* chrony's sign: positive = local clock was ahead */
  double rms_offset;
  double freq_ppm; /* positive = local clock runs fast */
  double resid_freq_ppm;
  double skew_ppm;
  double root_delay;
  double root_dispersion;
  double update_interval;
  double est_error; /* |last_offset| + root_dispersion + root_delay/2 */
};

struct tsync_source {
  char name[TSYNC_NAME_SIZE]; /* configured name where known, else the address */
  char address[TSYNC_ADDR_SIZE];
  uint32_t refid; /* IPv4 address or refclock id as a refid; 0 if none */
  enum tsync_src_mode mode;
  enum tsync_src_state state;
  char select_char; /* chrony SELECT_DATA state character, 0 when unknown */
  unsigned stratum;
  unsigned reach;        /* 8-bit reachability register */
  unsigned lost;         /* polls lost since first reached, within the register */
  int poll;              /* log2 seconds */
  uint32_t since_sample; /* seconds, UINT32_MAX = never */
  double offset;         /* theta of the last sample: source - local */
  double orig_offset;    /* theta as measured, before slew correction */
  double error;          /* error bound of the last sample */
  bool have_stats;       /* SOURCESTATS fields below are valid */
  unsigned n_samples, n_runs;
  uint32_t span;
  double sd, stats_resid_freq_ppm, stats_skew_ppm, est_offset, est_offset_err;
  bool have_ntpdata; /* NTP_DATA fields below are valid (Unix socket only) */
  double delay;      /* round-trip delay of the last sample */
  uint32_t pkts_tx, pkts_rx, pkts_valid; /* since the source was added; wrap */
};

/* Server activity counters (chrony SERVER_STATS); counters wrap on 32-bit versions. */
struct tsync_serverstats {
  bool valid;
  uint64_t ntp_hits, ntp_drops, cmd_hits, cmd_drops, log_drops, nke_hits, nke_drops;
  uint64_t ntp_auth_hits;
};

struct tsync_client {
  char address[TSYNC_ADDR_SIZE];
  uint32_t ntp_hits, ntp_drops, cmd_hits;
  uint32_t last_ntp_ago; /* seconds, UINT32_MAX = never */
  uint32_t last_cmd_ago;
};

#define TSYNC_MAX_NOTES 8
#define TSYNC_NOTE_SIZE 200

/* Things a probe could not do without failing the check ("selectdata not permitted
 * over UDP"): shown in long output and JSON, never change the state by themselves. */
struct tsync_notes {
  unsigned n;
  char text[TSYNC_MAX_NOTES][TSYNC_NOTE_SIZE];
};

#define TSYNC_MAX_EXPECT 64 /* hosts in one --expect-client/--expect-source list */
#define TSYNC_MAX_ADDRS 8   /* addresses one expected host may resolve to */

/* A host the user expects to see (a client, a time source), and what it resolved to. */
struct tsync_expect {
  char name[TSYNC_NAME_SIZE];
  char addrs[TSYNC_MAX_ADDRS][TSYNC_ADDR_SIZE];
  unsigned n_addrs;
};

/* What an NTP exchange adds to the clock report (check_w32time). */
struct tsync_ntp {
  bool valid;
  unsigned sent, answered;
  unsigned reach;               /* answered samples as a register, newest in bit 0 */
  double delay, jitter;         /* of the best sample; RMS of offsets around it */
  int poll, precision;          /* log2 seconds, as the server sent them */
  unsigned version;
  bool kod;
  char kod_code[5];             /* "RATE", "DENY", "RSTR", ... */
  char ref_host[TSYNC_NAME_SIZE]; /* the reference id's address resolved back, or "" */
};

#define TSYNC_MAX_NTP_SERVERS 16

/* A hypervisor host's clock and time service, as its management API reports them
 * (check_esxi_time). have_* says whether the host's API version has the field at all:
 * a missing field is "not available", never a silent OK. */
struct tsync_host {
  char name[TSYNC_NAME_SIZE];
  enum tsync_status status;     /* TSYNC_OK, or why this host could not be read */
  char error[TSYNC_ERR_SIZE];
  bool have_offset;
  double offset;                /* host clock - midpoint of the local send/receive times */
  double rtt;                   /* the query's round trip: the offset is +/- rtt/2 */
  char ntp_servers[TSYNC_MAX_NTP_SERVERS][TSYNC_NAME_SIZE];
  unsigned n_ntp_servers;
  char clock_protocol[8];       /* "ntp", "ptp", or "" before API 7.0 */
  bool have_ntpd;
  bool ntpd_running;
  char ntpd_policy[16];         /* "on", "automatic", "off" */
  bool have_health;             /* the API 7.0.3 fields below exist on this host */
  bool have_service_sync, service_sync;
  bool have_last_sync;          /* false on 7.0.3+: never synchronised */
  double last_sync_age;         /* seconds */
  bool have_fallback, in_fallback;
  char remote_ntp_server[TSYNC_NAME_SIZE];
};

/* The monitoring host's own clock, as its kernel sees it. */
struct tsync_local {
  bool known;
  bool synced;
  double est_error;
};

/* Which list a report carries; set before probing, so that a failed run prints the same
 * JSON shape ("hosts": [] rather than "sources": []) as a good one. */
enum tsync_report_list {
  TSYNC_LIST_SOURCES = 0,
  TSYNC_LIST_CLIENTS,
  TSYNC_LIST_HOSTS,
};

/* Everything one probe learnt. Owned by the caller; release with tsync_report_free. */
struct tsync_report {
  enum tsync_report_list list;
  char transport[TSYNC_NAME_SIZE + 8]; /* how the service was reached ("unix:/run/...") */
  bool have_clock;
  struct tsync_clock clock;
  struct tsync_source *sources; /* n_sources entries, malloc'd */
  size_t n_sources;
  unsigned n_unresolved; /* sources not yet resolved (chrony ID# entries) */
  bool have_select;      /* select_char of the sources is filled */
  struct tsync_ntp ntp;
  struct tsync_local local;
  struct tsync_host *hosts;          /* n_hosts entries, malloc'd (check_esxi_time) */
  size_t n_hosts;
  char api[48];                      /* the API spoken ("SOAP 8.0.3.0", "VI/JSON 8.0.3.0") */
  struct tsync_serverstats stats;
  struct tsync_client *clients; /* n_clients entries, malloc'd */
  size_t n_clients;
  struct tsync_notes notes;
};

/* Copies src into dst[len], truncating, always NUL-terminated; returns dst. */
char *tsync_copy(char *dst, size_t len, const char *src);

/* Frees the lists and zeroes the report. */
void tsync_report_free(struct tsync_report *r);

/* Appends a formatted note (silently dropped past TSYNC_MAX_NOTES). */
void tsync_note(struct tsync_notes *notes, const char *fmt, ...) TSYNC_PRINTF(2, 3);

/* Number of polls lost since the register first saw a reply: zero bits below the
 * highest set bit. 0 for reach 0 (unreachable is judged separately). */
unsigned tsync_reach_lost(unsigned reach);

/* Usable = selected, combined or selectable-not-combined. */
static inline int
tsync_src_usable(enum tsync_src_state s)
{
  return s == TSYNC_SRC_SELECTED || s == TSYNC_SRC_COMBINED || s == TSYNC_SRC_NOT_COMBINED;
}

/* The sources that are usable (tsync_src_usable) and reachable (reach not 0), as the
 * rulebook and the metrics count them. */
void tsync_count_sources(const struct tsync_report *r, unsigned *usable, unsigned *reachable);

/* Short words for a state ("selected", "falseticker", ...) and chronyc's characters. */
const char *tsync_src_state_str(enum tsync_src_state s);
char tsync_src_state_char(enum tsync_src_state s);
const char *tsync_src_mode_str(enum tsync_src_mode m);
char tsync_src_mode_char(enum tsync_src_mode m);
const char *tsync_leap_str(enum tsync_leap l);

#endif
