/* chrony.h -- chronyd's command/monitoring protocol (cmdmon) client and probes.
 *
 * Transports: chronyd's Unix datagram socket (every command) or UDP port 323 (only the
 * "open" commands; the rest answer "Not authorised"). Requests are padded and carry a
 * random sequence per attempt; every reply is validated before use (chrony_wire.h).
 * All calls block at most until the caller's CLOCK_MONOTONIC deadline.
 * Thread-safe: all state lives in the caller's struct chrony_client.
 */
#ifndef TSYNC_CHRONY_H
#define TSYNC_CHRONY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "chrony_wire.h"
#include "report.h"
#include "status.h"

#define CHRONY_DEFAULT_SOCKET "/run/chrony/chronyd.sock"
#define CHRONY_DEFAULT_PORT "323"

struct chrony_target {
  const char *socket_path; /* Unix socket; NULL = default (when host is NULL too) */
  const char *host;        /* UDP host; NULL = not UDP */
  const char *port;        /* UDP port; NULL = 323 */
  int family;              /* AF_UNSPEC, AF_INET or AF_INET6 */
  const char *client_name; /* prefix of the bound client socket file, e.g. "check_chrony" */
  tsync_trace_fn trace;    /* may be NULL */
  void *trace_ctx;
};

struct chrony_client;

/* Opens a connection as chronyc does: the socket when given, UDP when a host is given,
 * else the default socket, then UDP 127.0.0.1:323, then [::1]:323. In that default
 * chain a UDP candidate must answer one TRACKING request to be chosen. Returns
 * TSYNC_ERR_CONNECT naming every path tried when none works. */
enum tsync_status chrony_open(struct chrony_client **out, const struct chrony_target *t,
                              struct timespec deadline, struct tsync_err *err) TSYNC_WUR;

/* Closes the socket and removes the bound client socket file. NULL is ignored. */
void chrony_close(struct chrony_client *c);

/* "unix:/run/chrony/chronyd.sock" or "udp:127.0.0.1:323". Valid until chrony_close. */
const char *chrony_transport(const struct chrony_client *c);
bool chrony_is_unix(const struct chrony_client *c);

/* Why the default socket was passed over for UDP ("" when it was not). */
const char *chrony_fallback_note(const struct chrony_client *c);

/* The client socket path chrony_open binds for server_path and name (pid based), so a
 * signal handler can unlink it. Returns 0 when it does not fit in len or sun_path. */
size_t chrony_client_path(const char *server_path, const char *name, long pid, char *buf,
                          size_t len);

/* One request/reply exchange: retries with a doubling timeout (1 s first) until a valid
 * reply or the deadline. rbuf (>= CHRONY_RPY_MAX + 1 bytes) holds the reply that rep
 * points into. Replies that are not ours are dropped; malformed ones are dropped and
 * named in the timeout message. Status errors come back as chrony_wire_check says. */
enum tsync_status chrony_exchange(struct chrony_client *c, uint16_t cmd, const uint8_t *body,
                                  size_t body_len, struct timespec deadline, uint8_t *rbuf,
                                  size_t rlen, struct chrony_reply *rep,
                                  struct tsync_err *err) TSYNC_WUR;

/* Probes for check_chrony's default mode: TRACKING, then every source (SOURCE_DATA,
 * SOURCESTATS, SELECT_DATA and NTP_SOURCE_NAME where permitted; refused extras become
 * notes). Fills report (free with tsync_report_free, also on failure). */
enum tsync_status chrony_probe_sync(struct chrony_client *c, struct timespec deadline,
                                    struct tsync_report *report,
                                    struct tsync_err *err) TSYNC_WUR;

/* Probes for clients mode: SERVER_STATS (a note when refused) and every client record
 * (CLIENT_ACCESSES_BY_INDEX3, paged, up to TSYNC_MAX_CLIENTS). */
enum tsync_status chrony_probe_clients(struct chrony_client *c, struct timespec deadline,
                                       struct tsync_report *report,
                                       struct tsync_err *err) TSYNC_WUR;

/* NTP_DATA for every NTP source in report (from chrony_probe_sync): fills their delay
 * and packet counters. TSYNC_ERR_UNAUTH over UDP (Unix socket only); a source gone
 * meanwhile is skipped. */
enum tsync_status chrony_probe_ntpdata(struct chrony_client *c, struct timespec deadline,
                                       struct tsync_report *report,
                                       struct tsync_err *err) TSYNC_WUR;

/* SERVER_STATS alone (NTP and command packet counters); TSYNC_ERR_UNAUTH over UDP on
 * chrony < 4.7. */
enum tsync_status chrony_probe_serverstats(struct chrony_client *c, struct timespec deadline,
                                           struct tsync_serverstats *out,
                                           struct tsync_err *err) TSYNC_WUR;

#endif
