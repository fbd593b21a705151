/* agent_ntpmib.c -- NTPv4-MIB (RFC 5907, mib-2 197) for the local chronyd: ntpEntInfo,
 * ntpEntStatus and ntpAssociationTable, from the last completed chronyd poll. The RFC
 * carries offsets, dispersion and distance as strings with units. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "agent.h"
#include "agent_value.h"
#include "tsync_oids.h"

#define NTP_EPOCH_OFFSET 2208988800.0 /* 1900 to 1970 */

static struct agent *the_agent;

static Netsnmp_Node_Handler control_handler;

/* A copy of the last chronyd report under the lock; false when there is none. */
static bool
snapshot(struct tsync_report *out)
{
  bool ok;

  pthread_mutex_lock(&the_agent->ntp_lock);
  ok = the_agent->ntp_valid;
  *out = the_agent->ntp;
  out->sources = NULL;
  out->clients = NULL;
  out->hosts = NULL;
  if (ok && the_agent->ntp.n_sources &&
      (out->sources = calloc(the_agent->ntp.n_sources, sizeof(*out->sources))))
    memcpy(out->sources, the_agent->ntp.sources,
           the_agent->ntp.n_sources * sizeof(*out->sources));
  else
    out->n_sources = 0;
  pthread_mutex_unlock(&the_agent->ntp_lock);
  return ok;
}


static void
ms(netsnmp_request_info *r, double seconds, bool sign)
{
  char text[48];

  if (snprintf(text, sizeof(text), sign ? "%+.3f ms" : "%.3f ms", seconds * 1e3) < 0)
    text[0] = '\0';
  agent_set_string(r, text);
}

/* NtpDateTime: 128-bit NTP date (era, era offset, 64-bit fraction) into d[16]; returns
 * its length, 0 (zero-length: unknown) when unix_time is not set. */
static size_t
date_octets(double unix_time, unsigned char d[16])
{
  double t = unix_time + NTP_EPOCH_OFFSET, frac = t - floor(t);
  unsigned long long secs = (unsigned long long)floor(t);
  uint32_t era = (uint32_t)(secs >> 32), off = (uint32_t)secs;
  uint64_t f = (uint64_t)(frac * 18446744073709551616.0);
  int i;

  if (unix_time <= 0)
    return 0;
  for (i = 0; i < 4; i++) {
    d[i] = (unsigned char)(era >> (24 - 8 * i));
    d[4 + i] = (unsigned char)(off >> (24 - 8 * i));
  }
  for (i = 0; i < 8; i++)
    d[8 + i] = (unsigned char)(f >> (56 - 8 * i));
  return 16;
}

static void
ntp_date(netsnmp_request_info *r, double unix_time)
{
  unsigned char d[16] = {0};

  snmp_set_var_typed_value(r->requestvb, ASN_OCTET_STR, d, date_octets(unix_time, d));
}

/* ntpEntStatusCurrentMode (RFC 5907 values). */
static long
current_mode(bool ok, const struct tsync_report *rep)
{
  size_t i;

  if (!ok)
    return 1; /* notRunning */
  if (rep->n_sources == 0 && !rep->clock.ref_local)
    return 3; /* noneConfigured */
  if (rep->clock.leap == TSYNC_LEAP_UNSYNC || rep->clock.stratum == 0)
    return 2; /* notSynchronized */
  if (rep->clock.ref_local)
    return 4; /* syncToLocal */
  for (i = 0; i < rep->n_sources; i++)
    if (rep->sources[i].state == TSYNC_SRC_SELECTED &&
        rep->sources[i].mode == TSYNC_MODE_REFCLOCK)
      return 5; /* syncToRefclock */
  return 6; /* syncToRemoteServer */
}

/* The association that tracking names as the reference (ntpAssocId), 0 if none: the
 * reference is what the clock follows, even while its source is briefly unselectable. */
static long
selected(const struct tsync_report *rep)
{
  size_t i;

  if (rep->clock.ref_local || rep->clock.stratum == 0)
    return 0;
  for (i = 0; i < rep->n_sources; i++)
    if (strcmp(rep->sources[i].address, rep->clock.ref_name) == 0 ||
        (rep->sources[i].refid && rep->sources[i].refid == rep->clock.refid))
      return (long)i + 1;
  return 0;
}

/* ntpEntInfo (.1.1.x) */
static void
info_value(netsnmp_request_info *r, unsigned col, bool ok, const struct tsync_report *rep)
{
  struct utsname u;
  char sys[160];

  switch (col) {
  case 1: agent_set_string(r, "chrony"); break;
  case 2: agent_set_string(r, ""); break; /* chronyd does not tell its version over cmdmon */
  case 3: agent_set_string(r, "chrony project (read by " AGENT_NAME ")"); break;
  case 4:
    if (uname(&u) != 0 || snprintf(sys, sizeof(sys), "%s %s", u.sysname, u.machine) < 0)
      tsync_copy(sys, sizeof(sys), "");
    agent_set_string(r, sys);
    break;
  case 5: agent_set_number(r, ASN_UNSIGNED, 1000000000L); break; /* nanosecond timestamps */
  case 6: agent_set_number(r, ASN_INTEGER, -30); break;          /* log2 of 1 ns */
  case 7:
    if (ok)
      ms(r, rep->clock.root_delay / 2.0 + rep->clock.root_dispersion, false);
    else
      agent_set_string(r, "");
    break;
  default: netsnmp_set_request_error(NULL, r, SNMP_NOSUCHOBJECT); break;
  }
}

/* ntpEntStatus (.1.2.x) */
static void
status_value(netsnmp_request_info *r, unsigned col, bool ok, const struct tsync_report *rep)
{
  long sel = ok ? selected(rep) : 0;
  struct timespec now;

  (void)clock_gettime(CLOCK_REALTIME, &now);
  switch (col) {
  case 1: agent_set_number(r, ASN_INTEGER, current_mode(ok, rep)); break;
  case 2:
    agent_set_number(r, ASN_UNSIGNED,
                     ok && rep->clock.stratum ? (long)rep->clock.stratum : 16);
    break;
  case 3: agent_set_number(r, ASN_UNSIGNED, sel); break;
  case 4: agent_set_string(r, ok ? rep->clock.ref_name : ""); break;
  case 5: ms(r, ok ? rep->clock.offset : 0.0, true); break;
  case 6: agent_set_number(r, ASN_UNSIGNED, ok ? (long)rep->n_sources : 0); break;
  case 7: ms(r, ok ? rep->clock.root_dispersion : 0.0, false); break;
  case 8:
    agent_set_number(r, ASN_TIMETICKS, (long)(time(NULL) - the_agent->started) * 100);
    break;
  case 9:
    ntp_date(r, ok && rep->clock.leap != TSYNC_LEAP_UNSYNC
                    ? (double)now.tv_sec + now.tv_nsec / 1e9
                    : 0.0);
    break;
  case 10: /* a pending leap second happens at the next UTC midnight */
    ntp_date(r, ok && (rep->clock.leap == TSYNC_LEAP_INSERT ||
                       rep->clock.leap == TSYNC_LEAP_DELETE)
                    ? (double)((now.tv_sec / 86400 + 1) * 86400)
                    : 0.0);
    break;
  case 11:
    agent_set_number(r, ASN_INTEGER, !ok ? 0 : rep->clock.leap == TSYNC_LEAP_INSERT ? 1
                                 : rep->clock.leap == TSYNC_LEAP_DELETE ? -1
                                                                        : 0);
    break;
  case 12:
  case 13:
  case 15:
    if (!ok || !rep->stats.valid) {
      /* the packet counters need the socket (or opencommands on chrony >= 4.7) */
      netsnmp_set_request_error(NULL, r, SNMP_NOSUCHINSTANCE);
      break;
    }
    agent_set_number(r, ASN_COUNTER,
        (long)(uint32_t)(col == 12   ? rep->stats.ntp_hits
                         : col == 13 ? rep->stats.ntp_hits - rep->stats.ntp_drops
                                     : rep->stats.ntp_drops));
    break;
  case 16: agent_set_number(r, ASN_COUNTER, (long)(uint32_t)the_agent->notifications); break;
  default: netsnmp_set_request_error(NULL, r, SNMP_NOSUCHOBJECT); break;
  }
}

static int
scalar_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
               netsnmp_agent_request_info *info, netsnmp_request_info *requests)
{
  netsnmp_request_info *r;

  (void)h;
  (void)reg;
  if (info->mode != MODE_GET)
    return SNMP_ERR_NOERROR;
  for (r = requests; r; r = r->next) {
    struct tsync_report rep;
    bool ok = snapshot(&rep);
    /* .197.1.<group>.<col>.0, read off the request: the helpers below the scalar group
     * hand over registrations of their own */
    unsigned group = (unsigned)r->requestvb->name[NTP_MIB_ROOT_LEN + 1];
    unsigned col = (unsigned)r->requestvb->name[NTP_MIB_ROOT_LEN + 2];

    if (group == 1)
      info_value(r, col, ok, &rep);
    else
      status_value(r, col, ok, &rep);
    free(rep.sources);
  }
  return SNMP_ERR_NOERROR;
}

/* ---- ntpAssociationTable (.1.3.1) and ntpAssociationStatisticsTable (.1.3.2) ---------
 * Both are indexed by ntpAssocId, the source's position + 1 in the last chronyd report.
 * The statistics table has only the sources with NTP_DATA counters; its iterator's
 * myvoid is non-NULL to say so. */

/* The first position >= pos (1-based) that is a row; 0 when none. */
static size_t
row_pos(size_t pos, bool need_ntpdata)
{
  size_t found = 0;

  pthread_mutex_lock(&the_agent->ntp_lock);
  for (; the_agent->ntp_valid && pos <= the_agent->ntp.n_sources && !found; pos++)
    if (!need_ntpdata || the_agent->ntp.sources[pos - 1].have_ntpdata)
      found = pos;
  pthread_mutex_unlock(&the_agent->ntp_lock);
  return found;
}

static netsnmp_variable_list *
source_row(void **loop, void **data, netsnmp_variable_list *idx, size_t from,
           const netsnmp_iterator_info *i)
{
  size_t pos = row_pos(from, i->myvoid != NULL);

  if (!pos)
    return NULL;
  *loop = *data = (void *)(uintptr_t)pos;
  snmp_set_var_typed_integer(idx, ASN_UNSIGNED, (long)pos);
  return idx;
}

static netsnmp_variable_list *
source_first(void **loop, void **data, netsnmp_variable_list *idx, netsnmp_iterator_info *i)
{
  return source_row(loop, data, idx, 1, i);
}

static netsnmp_variable_list *
source_next(void **loop, void **data, netsnmp_variable_list *idx, netsnmp_iterator_info *i)
{
  return source_row(loop, data, idx, (size_t)(uintptr_t)*loop + 1, i);
}

typedef void source_value_fn(netsnmp_request_info *r, unsigned col,
                             const struct tsync_source *s);

/* Answers GETs on a source table from a snapshot, column by column through value. */
static int
answer_sources(netsnmp_agent_request_info *info, netsnmp_request_info *requests,
               source_value_fn *value)
{
  if (info->mode != MODE_GET)
    return SNMP_ERR_NOERROR;
  for (netsnmp_request_info *r = requests; r; r = r->next) {
    size_t pos = (size_t)(uintptr_t)netsnmp_extract_iterator_context(r);
    netsnmp_table_request_info *ti = netsnmp_extract_table_info(r);
    struct tsync_report rep;

    if (snapshot(&rep) && pos && ti && pos <= rep.n_sources)
      value(r, ti->colnum, &rep.sources[pos - 1]);
    else
      netsnmp_set_request_error(info, r, SNMP_NOSUCHINSTANCE);
    free(rep.sources);
  }
  return SNMP_ERR_NOERROR;
}

static void
assoc_value(netsnmp_request_info *r, unsigned col, const struct tsync_source *s)
{
  unsigned char addr[16];
  int family = strchr(s->address, ':') ? AF_INET6 : AF_INET;
  bool have = inet_pton(family, s->address, addr) == 1;

  switch (col) {
  case 2: agent_set_string(r, s->name); break;
  case 3: /* chrony's refid for an NTP source is its address */
    agent_set_string(r, s->address);
    break;
  case 4: agent_set_number(r, ASN_INTEGER, family == AF_INET6 ? 2 : 1); break;
  case 5:
    snmp_set_var_typed_value(r->requestvb, ASN_OCTET_STR, addr,
                             have ? (family == AF_INET6 ? 16 : 4) : 0);
    break;
  case 6: ms(r, s->offset, true); break;
  case 7: agent_set_number(r, ASN_UNSIGNED, s->stratum ? (long)s->stratum : 16); break;
  case 8: ms(r, s->have_stats ? s->sd : 0.0, false); break; /* jitter: the std deviation */
  case 9: /* delay: NTP_DATA, socket only */
    if (s->have_ntpdata)
      ms(r, s->delay, false);
    else
      agent_set_string(r, "");
    break;
  case 10: ms(r, s->error, false); break;                  /* the sample's error bound */
  default: netsnmp_set_request_error(NULL, r, SNMP_NOSUCHOBJECT); break;
  }
}

static int
assoc_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
              netsnmp_agent_request_info *info, netsnmp_request_info *requests)
{
  (void)h;
  (void)reg;
  return answer_sources(info, requests, assoc_value);
}

/* ntpAssociationStatisticsTable's columns: NTP_DATA's counters. */
static void
stat_value(netsnmp_request_info *r, unsigned col, const struct tsync_source *s)
{
  if (!s->have_ntpdata) { /* the row went between the iterator's look and this one */
    netsnmp_set_request_error(NULL, r, SNMP_NOSUCHINSTANCE);
    return;
  }
  switch (col) {
  case 1: agent_set_number(r, ASN_COUNTER, (long)s->pkts_rx); break;
  case 2: agent_set_number(r, ASN_COUNTER, (long)s->pkts_tx); break;
  case 3: /* received but failed the NTP tests (chrony's RX minus valid) */
    agent_set_number(r, ASN_COUNTER, (long)(uint32_t)(s->pkts_rx - s->pkts_valid));
    break;
  default: netsnmp_set_request_error(NULL, r, SNMP_NOSUCHOBJECT); break;
  }
}

static int
stat_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
             netsnmp_agent_request_info *info, netsnmp_request_info *requests)
{
  (void)h;
  (void)reg;
  return answer_sources(info, requests, stat_value);
}

/* A source table; need_ntpdata: rows only for sources with NTP_DATA counters. */
static void
register_source_table(const char *name, oid *root, size_t len, Netsnmp_Node_Handler *handler,
                      unsigned min_col, unsigned max_col, bool need_ntpdata)
{
  netsnmp_handler_registration *reg =
      netsnmp_create_handler_registration(name, handler, root, len, HANDLER_CAN_RONLY);
  netsnmp_table_registration_info *ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
  netsnmp_iterator_info *it = SNMP_MALLOC_TYPEDEF(netsnmp_iterator_info);

  if (!reg || !ti || !it) {
    free(ti);
    free(it);
    return;
  }
  netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, 0);
  ti->min_column = min_col;
  ti->max_column = max_col;
  it->get_first_data_point = source_first;
  it->get_next_data_point = source_next;
  it->myvoid = need_ntpdata ? (void *)it : NULL; /* any non-NULL pointer: a flag */
  it->table_reginfo = ti;
  netsnmp_register_table_iterator(reg, it);
}

void
agent_ntpmib_init(struct agent *a)
{
  static oid info_oid[] = {NTP_MIB_ROOT, 1, 1};
  static oid status_oid[] = {NTP_MIB_ROOT, 1, 2};
  static oid assoc_oid[] = {NTP_MIB_ROOT, 1, 3, 1};
  static oid stat_oid[] = {NTP_MIB_ROOT, 1, 3, 2};
  static oid control_oid[] = {NTP_MIB_ROOT, 1, 4};
  netsnmp_handler_registration *reg;

  the_agent = a;
  reg = netsnmp_create_handler_registration("ntpEntInfo", scalar_handler, info_oid,
                                            OID_LENGTH(info_oid), HANDLER_CAN_RONLY);
  if (reg)
    netsnmp_register_scalar_group(reg, 1, 7);
  reg = netsnmp_create_handler_registration("ntpEntStatus", scalar_handler, status_oid,
                                            OID_LENGTH(status_oid), HANDLER_CAN_RONLY);
  if (reg)
    netsnmp_register_scalar_group(reg, 1, 16);
  reg = netsnmp_create_handler_registration("ntpEntControl", control_handler, control_oid,
                                            OID_LENGTH(control_oid), HANDLER_CAN_RWRITE);
  if (reg)
    netsnmp_register_scalar_group(reg, 1, 2);
  register_source_table("ntpAssociationTable", assoc_oid, OID_LENGTH(assoc_oid), assoc_handler,
                        2, 10, false);
  register_source_table("ntpAssociationStatisticsTable", stat_oid, OID_LENGTH(stat_oid),
                        stat_handler, 1, 3, true);
}

/* ---- ntpEntControl (.1.4, read-write) and the notifications (.0.n) ----------------- */

/* BITS in an OCTET STRING: bit 0 is the first octet's most significant bit, so each
 * octet is our mask's byte reversed (the multiply-mask-modulo bit reversal). */
static size_t
bits_octets(unsigned bits, unsigned char out[2])
{
  out[0] = (unsigned char)(((bits & 0xffu) * 0x0202020202ULL & 0x010884422010ULL) % 1023);
  out[1] = (unsigned char)((((bits >> 8) & 0xffu) * 0x0202020202ULL & 0x010884422010ULL) % 1023);
  return 2;
}

static unsigned
octets_bits(const unsigned char *in, size_t len)
{
  unsigned char rev[2] = {0, 0};
  size_t i;

  for (i = 0; i < len && i < 2; i++)
    rev[i] = (unsigned char)((in[i] * 0x0202020202ULL & 0x010884422010ULL) % 1023);
  return rev[0] | (unsigned)rev[1] << 8;
}

static int
control_set(netsnmp_agent_request_info *info, netsnmp_request_info *r, unsigned col)
{
  static unsigned long old_interval; /* the UNDO copy; net-snmp sets are serialised */
  static unsigned old_bits;
  netsnmp_variable_list *v = r->requestvb;

  switch (info->mode) {
  case MODE_SET_RESERVE1:
    if (col == 1 && v->type != ASN_UNSIGNED)
      netsnmp_set_request_error(info, r, SNMP_ERR_WRONGTYPE);
    else if (col == 2 && (v->type != ASN_OCTET_STR || v->val_len > 2))
      netsnmp_set_request_error(info, r, v->type != ASN_OCTET_STR ? SNMP_ERR_WRONGTYPE
                                                                   : SNMP_ERR_WRONGLENGTH);
    break;
  case MODE_SET_ACTION:
    old_interval = the_agent->heartbeat_interval;
    old_bits = the_agent->notif_bits;
    if (col == 1)
      the_agent->heartbeat_interval = *v->val.integer;
    else
      the_agent->notif_bits = octets_bits(v->val.string, v->val_len);
    break;
  case MODE_SET_UNDO:
    the_agent->heartbeat_interval = old_interval;
    the_agent->notif_bits = old_bits;
    break;
  default:
    break;
  }
  return SNMP_ERR_NOERROR;
}

static int
control_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
                netsnmp_agent_request_info *info, netsnmp_request_info *requests)
{
  netsnmp_request_info *r;

  (void)h;
  (void)reg;
  for (r = requests; r; r = r->next) {
    unsigned col = (unsigned)r->requestvb->name[NTP_MIB_ROOT_LEN + 2];
    unsigned char b[2];

    if (info->mode != MODE_GET) {
      control_set(info, r, col);
    } else if (col == 1) {
      agent_set_number(r, ASN_UNSIGNED, (long)the_agent->heartbeat_interval);
    } else {
      snmp_set_var_typed_value(r->requestvb, ASN_OCTET_STR, b,
                               bits_octets(the_agent->notif_bits, b));
    }
  }
  return SNMP_ERR_NOERROR;
}

/* Sends notification n (.197.0.n) with ntpEntStatusDateTime, the given object and the
 * message, when ntpEntNotifBits enables it. */
/* One object of a notification besides its date and message. */
struct notif_var {
  const oid *name;
  size_t name_len;
  u_char type;
  const void *val;
  size_t len;
};

/* Sends notification n with ntpEntStatusDateTime, vars and ntpEntNotifMessage, when
 * ntpEntNotifBits enables it. */
static void
notify(unsigned n, const struct notif_var *v, size_t n_vars, const char *msg)
{
  static oid trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
  oid notif[] = {NTP_MIB_ROOT, 0, n};
  oid date_oid[] = {NTP_MIB_ROOT, 1, 2, 9, 0};
  oid msg_oid[] = {NTP_MIB_ROOT, 1, 5, 1, 0};
  netsnmp_variable_list *vars = NULL;
  unsigned char d[16];
  struct timespec now;

  if (!(the_agent->notif_bits & (1u << n)))
    return;
  (void)clock_gettime(CLOCK_REALTIME, &now);
  snmp_varlist_add_variable(&vars, trap_oid, OID_LENGTH(trap_oid), ASN_OBJECT_ID,
                            (u_char *)notif, sizeof(notif));
  snmp_varlist_add_variable(&vars, date_oid, OID_LENGTH(date_oid), ASN_OCTET_STR, d,
                            date_octets((double)now.tv_sec + now.tv_nsec / 1e9, d));
  for (size_t i = 0; i < n_vars; i++)
    snmp_varlist_add_variable(&vars, v[i].name, v[i].name_len, v[i].type, v[i].val, v[i].len);
  snmp_varlist_add_variable(&vars, msg_oid, OID_LENGTH(msg_oid), ASN_OCTET_STR, msg,
                            strlen(msg));
  send_v2trap(vars);
  snmp_free_varbind(vars);
  the_agent->notifications++;
}

/* ntpEntNotifAddAssociation (4) for every name in now but not in was, with its
 * ntpAssocName.id; RemoveAssociation (5) runs it the other way round. */
static void
notify_assoc(unsigned n, const char (*now)[TSYNC_NAME_SIZE], size_t n_now,
             const char (*was)[TSYNC_NAME_SIZE], size_t n_was)
{
  for (size_t i = 0; i < n_now; i++) {
    oid name_oid[] = {NTP_MIB_ROOT, 1, 3, 1, 1, 2, (oid)i + 1};
    struct notif_var v = {name_oid, OID_LENGTH(name_oid), ASN_OCTET_STR, now[i],
                          strlen(now[i])};
    bool seen = false;

    for (size_t k = 0; k < n_was && !seen; k++)
      seen = strcmp(now[i], was[k]) == 0;
    if (!seen)
      notify(n, &v, 1, n == 4 ? "association added" : "association removed");
  }
}

/* The source names of rep, for the next look's comparison; NULL when none (or no
 * memory: then the next look sees them all as added). */
static char (*source_names(const struct tsync_report *rep, size_t *n))[TSYNC_NAME_SIZE]
{
  char (*names)[TSYNC_NAME_SIZE] = rep->n_sources ? calloc(rep->n_sources, sizeof(*names)) : NULL;

  *n = names ? rep->n_sources : 0;
  for (size_t i = 0; i < *n; i++)
    tsync_copy(names[i], sizeof(names[i]), rep->sources[i].name);
  return names;
}

void
agent_ntp_announce(struct agent *a)
{
  static oid mode_oid[] = {NTP_MIB_ROOT, 1, 2, 1, 0};
  static oid stratum_oid[] = {NTP_MIB_ROOT, 1, 2, 2, 0};
  static oid peer_oid[] = {NTP_MIB_ROOT, 1, 2, 3, 0};
  static oid hb_oid[] = {NTP_MIB_ROOT, 1, 4, 1, 0};
  struct tsync_report rep;
  size_t n_names;
  char(*names)[TSYNC_NAME_SIZE];
  bool ok = snapshot(&rep);
  long mode = current_mode(ok, &rep), stratum = ok && rep.clock.stratum ? rep.clock.stratum : 16;
  long peer = ok ? selected(&rep) : 0;
  unsigned long hb = a->heartbeat_interval;
  time_t now = time(NULL);
  bool leap;

  if (!a->seen || mode != a->prev_mode) {
    char why[TSYNC_ERR_SIZE];

    pthread_mutex_lock(&a->ntp_lock);
    tsync_copy(why, sizeof(why), a->ntp_error);
    pthread_mutex_unlock(&a->ntp_lock);
    /* one log line per change of the local chronyd's mode, with the reason */
    snmp_log(LOG_NOTICE, "chronyd: mode %ld%s%s\n", mode, why[0] ? ": " : "", why);
  }
  struct notif_var mode_var = {mode_oid, OID_LENGTH(mode_oid), ASN_INTEGER, &mode, sizeof(mode)};

  names = source_names(&rep, &n_names);
  if (a->seen) {
    struct notif_var stratum_var = {stratum_oid, OID_LENGTH(stratum_oid), ASN_UNSIGNED,
                                    &stratum, sizeof(stratum)};
    struct notif_var peer_var = {peer_oid, OID_LENGTH(peer_oid), ASN_UNSIGNED, &peer,
                                 sizeof(peer)};

    if (mode != a->prev_mode)
      notify(1, &mode_var, 1, "mode changed");
    if (stratum != a->prev_stratum)
      notify(2, &stratum_var, 1, "stratum changed");
    if (peer != a->prev_peer)
      notify(3, &peer_var, 1, "system peer changed");
    /* a failed poll is not every association removed: compare answers only */
    if (ok && a->names_known) {
      notify_assoc(4, (const char(*)[TSYNC_NAME_SIZE])names, n_names,
                   (const char(*)[TSYNC_NAME_SIZE])a->prev_names, a->prev_sources);
      notify_assoc(5, (const char(*)[TSYNC_NAME_SIZE])a->prev_names, a->prev_sources,
                   (const char(*)[TSYNC_NAME_SIZE])names, n_names);
    }
  }
  leap = ok && (rep.clock.leap == TSYNC_LEAP_INSERT || rep.clock.leap == TSYNC_LEAP_DELETE);
  if (leap && !a->prev_leap)
    notify(7, NULL, 0, "leap second announced");
  a->prev_leap = leap;
  if (hb && now - a->last_heartbeat >= (time_t)hb) {
    struct notif_var hb_vars[] = {
        mode_var, {hb_oid, OID_LENGTH(hb_oid), ASN_UNSIGNED, &hb, sizeof(hb)}};

    notify(8, hb_vars, 2, "heartbeat");
    a->last_heartbeat = now;
  }
  a->seen = true;
  a->prev_mode = mode;
  a->prev_stratum = stratum;
  a->prev_peer = peer;
  if (ok) { /* keep the last answer's list through failed polls */
    free(a->prev_names);
    a->prev_names = names;
    a->prev_sources = n_names;
    a->names_known = true;
  } else {
    free(names);
  }
  free(rep.sources);
}
