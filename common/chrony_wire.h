/* chrony_wire.h -- chrony's cmdmon wire format, protocol version 6 (candm.h).
 *
 * Pure encoding and decoding, no I/O, so every byte path here is unit-tested and fuzzed.
 * Requests are padded to CHRONY_REQ_SIZE; replies are validated by chrony_wire_check()
 * (header, echo, status, a per-command set of accepted reply codes, length for that
 * code) before any decoder reads a field. Decoders only read what the check proved is
 * there. Facts: shared/protocols/chrony-cmdmon.md §1.
 */
#ifndef TSYNC_CHRONY_WIRE_H
#define TSYNC_CHRONY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "status.h"

#define CHRONY_PROTO_VERSION 6
#define CHRONY_REQ_HDR_LEN 20
#define CHRONY_RPY_HDR_LEN 28
/* At least as long as every reply of every version and below every maximum (860 in
 * 4.x, 528 in 3.4+): one fixed size works everywhere (§1.3). */
#define CHRONY_REQ_SIZE 520
/* The longest valid reply (CLIENT_ACCESSES_BY_INDEX3); receive buffers hold one more. */
#define CHRONY_RPY_MAX 520
#define CHRONY_CLIENTS_PER_REPLY 8

enum chrony_cmd {
  CHRONY_REQ_N_SOURCES = 14,
  CHRONY_REQ_SOURCE_DATA = 15,
  CHRONY_REQ_TRACKING = 33,
  CHRONY_REQ_SOURCESTATS = 34,
  CHRONY_REQ_SERVER_STATS = 54,
  CHRONY_REQ_NTP_DATA = 57,
  CHRONY_REQ_NTP_SOURCE_NAME = 65,
  CHRONY_REQ_CLIENT_ACCESSES = 68, /* CLIENT_ACCESSES_BY_INDEX3 */
  CHRONY_REQ_SELECT_DATA = 69,
};

enum chrony_stt {
  CHRONY_STT_SUCCESS = 0,
  CHRONY_STT_FAILED = 1,
  CHRONY_STT_UNAUTH = 2,
  CHRONY_STT_INVALID = 3,
  CHRONY_STT_NOSUCHSOURCE = 4,
  CHRONY_STT_NOTENABLED = 6,
  CHRONY_STT_INACTIVE = 15,
  CHRONY_STT_BADPKTVERSION = 18,
  CHRONY_STT_BADPKTLENGTH = 19,
};

/* A reply whose header chrony_wire_check() accepted; data points into the caller's
 * packet buffer and holds at least the layout length of the reply code. */
struct chrony_reply {
  uint16_t command;
  uint16_t code;
  uint16_t status;
  uint32_t sequence;
  const uint8_t *data;
  size_t data_len;
};

/* Writes a CHRONY_REQ_SIZE request (zero padded) into buf (len >= CHRONY_REQ_SIZE).
 * data/data_len is the request body (<= CHRONY_REQ_SIZE - CHRONY_REQ_HDR_LEN). Returns
 * the number of bytes to send, 0 when it does not fit. */
size_t chrony_wire_request(uint8_t *buf, size_t len, uint16_t cmd, uint16_t attempt,
                           uint32_t sequence, const uint8_t *data, size_t data_len);

/* True when pkt (len bytes) is a reply to our command with one of our sequences: the
 * anti-spoofing gate. Only such a reply may end a wait, even with an error status. */
int chrony_wire_is_ours(const uint8_t *pkt, size_t len, uint16_t cmd, const uint32_t *seqs,
                        size_t n_seqs);

/* Validates a reply that chrony_wire_is_ours() accepted: header fields, status, reply
 * code accepted for cmd, length for that code. TSYNC_OK fills *out; TSYNC_ERR_UNAUTH for
 * STT_UNAUTH; TSYNC_ERR_REFUSED for other error statuses (*out still filled, so the
 * caller can read status); TSYNC_ERR_PROTO for malformed replies. */
enum tsync_status chrony_wire_check(const uint8_t *pkt, size_t len, uint16_t cmd,
                                    struct chrony_reply *out, struct tsync_err *err) TSYNC_WUR;

/* chronyc's text for a status code ("Not authorised"). Static string. */
const char *chrony_wire_status_str(uint16_t status);

/* chrony's 32-bit Float (network order) to double (§1.5). */
double chrony_wire_float(uint32_t net);

/* IPAddr (20 bytes at p) to text: IPv4/IPv6, "ID#%010u" for unresolved sources, "" for
 * UNSPEC. Returns the family (0 UNSPEC, 1 INET4, 2 INET6, 3 ID, other = invalid). */
unsigned chrony_wire_ipaddr(const uint8_t *p, char *buf, size_t len);

/* The printable characters of a reference id, MSB first ("PPS", "" for 7F7F0101). */
void chrony_wire_refid_name(uint32_t refid, char *buf, size_t len);

/* Request bodies. */
size_t chrony_wire_index_body(uint8_t *body, uint32_t index);
size_t chrony_wire_clients_body(uint8_t *body, uint32_t first, uint32_t count);

/* Decoders; each expects a reply checked for the matching command. */
void chrony_wire_tracking(const struct chrony_reply *r, struct tsync_clock *out);
uint32_t chrony_wire_n_sources(const struct chrony_reply *r);
/* Fills identity and measurement fields; returns the address family (see ipaddr). */
unsigned chrony_wire_source_data(const struct chrony_reply *r, struct tsync_source *out);
/* Fills the stats fields of out when the reply's address/refid matches it; else 0. */
int chrony_wire_sourcestats(const struct chrony_reply *r, struct tsync_source *out);
/* SELECT_DATA: the state character when the reply's source matches out, else 0. */
char chrony_wire_select_char(const struct chrony_reply *r, const struct tsync_source *src);
void chrony_wire_source_name(const struct chrony_reply *r, char *buf, size_t len);
/* An IPAddr request body for a numeric address as chrony_wire_ipaddr prints it;
 * 0 when addr is not an IPv4 or IPv6 address. */
size_t chrony_wire_ipaddr_body(uint8_t *body, const char *addr);
/* NTP_DATA (16, 26): the last sample's delay and the packet counters into out. */
void chrony_wire_ntpdata(const struct chrony_reply *r, struct tsync_source *out);
void chrony_wire_serverstats(const struct chrony_reply *r, struct tsync_serverstats *out);
/* CLIENT_ACCESSES_BY_INDEX3: writes up to max records with a known family into out,
 * returns how many; *n_indices / *next_index / *n_clients are the paging fields. */
size_t chrony_wire_clients(const struct chrony_reply *r, struct tsync_client *out, size_t max,
                           uint32_t *n_indices, uint32_t *next_index, uint32_t *n_clients);

#endif
