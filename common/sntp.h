/* sntp.h -- an NTP client that queries many servers at once (RFC 5905 client mode).
 *
 * Each target gets its own connected UDP socket and a few samples spaced apart; one
 * poll() loop serves all targets, so 200 targets take about as long as one. Requests
 * carry random transmit timestamps (the true send time stays here); a reply counts only
 * with mode 4 and the origin of an outstanding request; T4 is the kernel receive
 * timestamp. A Kiss-o'-Death stops that target. Thread-safe; blocks until the deadline
 * at most.
 */
#ifndef TSYNC_SNTP_H
#define TSYNC_SNTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "report.h"
#include "sntp_wire.h"
#include "status.h"

#define SNTP_MAX_SAMPLES 16
#define SNTP_DEFAULT_SAMPLES 4
#define SNTP_DEFAULT_SPACING 0.3   /* seconds between samples to one server */
#define SNTP_DEFAULT_REPLY_WAIT 2.0 /* seconds after the last request */

struct sntp_request {
  const char *host;
  const char *port; /* NULL = "123" */
  int family;       /* AF_UNSPEC, AF_INET or AF_INET6 */
};

struct sntp_result;

struct sntp_opts {
  unsigned samples;  /* 1..SNTP_MAX_SAMPLES */
  double spacing;    /* seconds */
  double reply_wait; /* seconds */
  tsync_trace_fn trace;
  void *trace_ctx;
  /* optional: called once per target as soon as its result is final, so a slow target
   * delays only its own result (called on the querying thread) */
  void (*done)(void *ctx, size_t index, const struct sntp_result *res);
  void *done_ctx;
};

struct sntp_result {
  enum tsync_status status; /* OK when at least one sample was answered */
  struct tsync_err err;     /* why not, when status != OK */
  char address[TSYNC_ADDR_SIZE];
  unsigned sent, answered;
  unsigned reach;           /* answered samples as a shift register, newest in bit 0 */
  bool kod;
  char kod_code[5];
  struct sntp_packet reply; /* the best sample's reply */
  double offset;            /* theta of the best (lowest delay) sample: server - local */
  double delay;
  double jitter;            /* RMS of the samples' offsets around the best one */
  double ref_time;          /* UNIX seconds of the server's reference timestamp */
  unsigned dropped;         /* datagrams dropped as invalid or not ours */
  char last_drop[96];       /* why the last one was dropped */
};

/* Defaults: 4 samples 0.3 s apart, 2 s for late replies. */
void sntp_opts_default(struct sntp_opts *o);

/* Queries n targets concurrently until each has its samples, stopped on a KoD, or ran
 * out of time (the deadline, or reply_wait after its last request). Fills res[0..n-1].
 * Fails only when it cannot run at all (out of memory). */
enum tsync_status sntp_query(const struct sntp_request *req, struct sntp_result *res,
                             size_t n, const struct sntp_opts *o, struct timespec deadline,
                             struct tsync_err *err) TSYNC_WUR;

#endif
