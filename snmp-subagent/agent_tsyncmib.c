/* agent_tsyncmib.c -- TIMESYNC-MONITOR-MIB: tsyncCheckTable and tsyncSourceTable, served
 * from the checks' last completed results (never waiting for a poll). */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "agent_value.h"
#include "deadline.h"
#include "tsync_oids.h"

static struct agent *the_agent; /* set once before registration; read-only afterwards */

/* ---- tsyncCheckTable --------------------------------------------------------------- */

/* The check rows never change after the configuration is read: a sorted container finds
 * the row of any request directly, where an iterator would rescan every row per value
 * and make a walk quadratic. */
struct check_row {
  netsnmp_index index; /* first: the container sorts on it */
  oid idx;
  struct agent_check *c;
};

static netsnmp_container *check_rows;

void
agent_tsyncmib_rows(struct agent *a)
{
  size_t i;

  for (i = 0; check_rows && i < a->n_checks; i++) {
    struct check_row *row = SNMP_MALLOC_TYPEDEF(struct check_row);

    if (!row)
      break;
    row->idx = a->checks[i]->index;
    row->index.oids = &row->idx;
    row->index.len = 1;
    row->c = a->checks[i];
    if (CONTAINER_INSERT(check_rows, row) != 0)
      free(row);
  }
}

static void
offset_text(const struct agent_result *res, char *buf, size_t len)
{
  if (!res->have_offset || snprintf(buf, len, "%+.6f s", res->offset) < 0)
    tsync_copy(buf, len, "");
}

static void
check_value(netsnmp_request_info *r, unsigned col, struct agent_check *c,
            const struct agent_result *res)
{
  char text[64];
  double age = res->valid ? tsync_ts_diff(res->when, tsync_now()) : 0;
  const char *status = res->valid ? res->status : "not polled yet";

  switch (col) {
  case TSYNC_COL_CHECK_NAME: agent_set_string(r, c->name); break;
  case TSYNC_COL_CHECK_KIND: agent_set_number(r, ASN_INTEGER, c->kind); break;
  case TSYNC_COL_CHECK_TARGET: agent_set_string(r, c->target); break;
  case TSYNC_COL_CHECK_STATE:
    agent_set_number(r, ASN_INTEGER, res->valid ? res->state : TSYNC_STATE_UNKNOWN);
    break;
  case TSYNC_COL_CHECK_STATUS_TEXT: agent_set_string(r, status); break;
  case TSYNC_COL_CHECK_OFFSET:
    agent_set_number(r, ASN_INTEGER, res->have_offset ? agent_usec(res->offset) : 0);
    break;
  case TSYNC_COL_CHECK_OFFSET_TEXT:
    offset_text(res, text, sizeof(text));
    agent_set_string(r, text);
    break;
  case TSYNC_COL_CHECK_STRATUM: agent_set_number(r, ASN_UNSIGNED, res->stratum); break;
  case TSYNC_COL_CHECK_REACH: agent_set_number(r, ASN_UNSIGNED, res->reach); break;
  case TSYNC_COL_CHECK_USABLE: agent_set_number(r, ASN_UNSIGNED, res->usable); break;
  case TSYNC_COL_CHECK_AGE: /* 4294967295: no poll has completed yet (the MIB says so) */
    agent_set_number(r, ASN_UNSIGNED, !res->valid ? 4294967295L : age > 0 ? (long)age : 0);
    break;
  default: netsnmp_set_request_error(NULL, r, SNMP_NOSUCHOBJECT); break;
  }
}

static int
check_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
              netsnmp_agent_request_info *info, netsnmp_request_info *requests)
{
  netsnmp_request_info *r;

  (void)h;
  (void)reg;
  if (info->mode != MODE_GET)
    return SNMP_ERR_NOERROR;
  for (r = requests; r; r = r->next) {
    struct check_row *row = netsnmp_container_table_row_extract(r);
    struct agent_check *c = row ? row->c : NULL;
    netsnmp_table_request_info *ti = netsnmp_extract_table_info(r);
    struct agent_result res;

    if (!c || !ti) {
      netsnmp_set_request_error(info, r, SNMP_NOSUCHINSTANCE);
      continue;
    }
    agent_result_copy(c, &res);
    check_value(r, ti->colnum, c, &res);
    agent_result_free(&res);
  }
  return SNMP_ERR_NOERROR;
}

/* ---- tsyncSourceTable (INDEX tsyncCheckIndex, tsyncSourceIndex) ------------------- */

static size_t
n_sources(struct agent_check *c)
{
  size_t n;

  pthread_mutex_lock(&c->lock);
  n = c->res.n_sources;
  pthread_mutex_unlock(&c->lock);
  return n;
}

/* Row (check, source) at or after the position; positions pack both as 32-bit halves. */
static netsnmp_variable_list *
source_row(void **loop, void **data, netsnmp_variable_list *idx, size_t ci, size_t si)
{
  for (; ci < the_agent->n_checks; ci++, si = 0) {
    if (si < n_sources(the_agent->checks[ci])) {
      uintptr_t pos = (uintptr_t)ci << 16 | si;

      *loop = *data = (void *)(pos + 1);
      snmp_set_var_typed_integer(idx, ASN_UNSIGNED, (long)the_agent->checks[ci]->index);
      snmp_set_var_typed_integer(idx->next_variable, ASN_UNSIGNED, (long)si + 1);
      return idx;
    }
  }
  return NULL;
}

static netsnmp_variable_list *
source_first(void **loop, void **data, netsnmp_variable_list *idx, netsnmp_iterator_info *info)
{
  (void)info;
  return source_row(loop, data, idx, 0, 0);
}

static netsnmp_variable_list *
source_next(void **loop, void **data, netsnmp_variable_list *idx, netsnmp_iterator_info *info)
{
  uintptr_t pos = (uintptr_t)*loop - 1;

  (void)info;
  return source_row(loop, data, idx, pos >> 16, (pos & 0xffff) + 1);
}

static void
source_value(netsnmp_request_info *r, unsigned col, const struct agent_source *s)
{
  char text[48];

  switch (col) {
  case TSYNC_COL_SOURCE_NAME: agent_set_string(r, s->name); break;
  case TSYNC_COL_SOURCE_ADDRESS: agent_set_string(r, s->address); break;
  case TSYNC_COL_SOURCE_STATE: agent_set_number(r, ASN_INTEGER, s->state + 1); break;
  case TSYNC_COL_SOURCE_STRATUM: agent_set_number(r, ASN_UNSIGNED, s->stratum); break;
  case TSYNC_COL_SOURCE_REACH: agent_set_number(r, ASN_UNSIGNED, s->reach); break;
  case TSYNC_COL_SOURCE_OFFSET: agent_set_number(r, ASN_INTEGER, agent_usec(s->offset)); break;
  case TSYNC_COL_SOURCE_OFFSET_TEXT:
    if (snprintf(text, sizeof(text), "%+.6f s", s->offset) < 0)
      text[0] = '\0';
    agent_set_string(r, text);
    break;
  default: netsnmp_set_request_error(NULL, r, SNMP_NOSUCHOBJECT); break;
  }
}

static int
source_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
               netsnmp_agent_request_info *info, netsnmp_request_info *requests)
{
  netsnmp_request_info *r;

  (void)h;
  (void)reg;
  if (info->mode != MODE_GET)
    return SNMP_ERR_NOERROR;
  for (r = requests; r; r = r->next) {
    uintptr_t pos = (uintptr_t)netsnmp_extract_iterator_context(r);
    netsnmp_table_request_info *ti = netsnmp_extract_table_info(r);
    struct agent_result res;
    size_t ci = (pos - 1) >> 16, si = (pos - 1) & 0xffff;

    if (!pos || !ti || ci >= the_agent->n_checks) {
      netsnmp_set_request_error(info, r, SNMP_NOSUCHINSTANCE);
      continue;
    }
    agent_result_copy(the_agent->checks[ci], &res);
    /* the row may have gone with a newer poll between lookup and answer */
    if (si < res.n_sources)
      source_value(r, ti->colnum, &res.sources[si]);
    else
      netsnmp_set_request_error(info, r, SNMP_NOSUCHINSTANCE);
    agent_result_free(&res);
  }
  return SNMP_ERR_NOERROR;
}

static void
register_table(const char *name, oid *root, size_t len, Netsnmp_Node_Handler *handler,
               Netsnmp_First_Data_Point *first, Netsnmp_Next_Data_Point *next,
               unsigned min_col, unsigned max_col, int n_indexes)
{
  netsnmp_handler_registration *reg =
      netsnmp_create_handler_registration(name, handler, root, len, HANDLER_CAN_RONLY);
  netsnmp_table_registration_info *ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
  netsnmp_iterator_info *it = SNMP_MALLOC_TYPEDEF(netsnmp_iterator_info);

  if (!reg || !ti || !it) {
    snmp_log(LOG_ERR, "%s: out of memory registering %s\n", AGENT_NAME, name);
    return;
  }
  if (n_indexes == 1)
    netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, 0);
  else
    netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, ASN_UNSIGNED, 0);
  ti->min_column = min_col;
  ti->max_column = max_col;
  it->get_first_data_point = first;
  it->get_next_data_point = next;
  it->table_reginfo = ti;
  if (netsnmp_register_table_iterator(reg, it) != MIB_REGISTERED_OK)
    snmp_log(LOG_ERR, "%s: cannot register %s\n", AGENT_NAME, name);
}

static void
register_checks(oid *root, size_t len)
{
  netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
      "tsyncCheckTable", check_handler, root, len, HANDLER_CAN_RONLY);
  netsnmp_table_registration_info *ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);

  check_rows = netsnmp_container_find("tsyncCheckTable:table_container");
  if (!reg || !ti || !check_rows) {
    snmp_log(LOG_ERR, "%s: cannot register tsyncCheckTable\n", AGENT_NAME);
    return;
  }
  netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, 0);
  ti->min_column = TSYNC_COL_CHECK_NAME;
  ti->max_column = TSYNC_COL_CHECK_AGE;
  if (netsnmp_container_table_register(reg, ti, check_rows, TABLE_CONTAINER_KEY_NETSNMP_INDEX) !=
      MIB_REGISTERED_OK)
    snmp_log(LOG_ERR, "%s: cannot register tsyncCheckTable\n", AGENT_NAME);
}

void
agent_tsyncmib_init(struct agent *a)
{
  /* the table OIDs: the table helper adds the entry (.1), column and index */
  static oid checks[] = {TSYNC_MIB_ROOT, TSYNC_OBJECTS, TSYNC_CHECK_TABLE};
  static oid sources[] = {TSYNC_MIB_ROOT, TSYNC_OBJECTS, TSYNC_SOURCE_TABLE};

  the_agent = a;
  register_checks(checks, OID_LENGTH(checks));
  register_table("tsyncSourceTable", sources, OID_LENGTH(sources), source_handler,
                 source_first, source_next, TSYNC_COL_SOURCE_NAME,
                 TSYNC_COL_SOURCE_OFFSET_TEXT, 2);
}

/* ---- tsyncCheckStateChange -------------------------------------------------------- */

static void
add_column(netsnmp_variable_list **vars, unsigned col, unsigned index, u_char type,
           const void *value, size_t len)
{
  oid name[] = {TSYNC_MIB_ROOT, TSYNC_OBJECTS, TSYNC_CHECK_TABLE, 1, col, index};

  snmp_varlist_add_variable(vars, name, OID_LENGTH(name), type, value, len);
}

static void
send_state_trap(struct agent_check *c, enum tsync_state old, const struct agent_result *res)
{
  static oid trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */
  oid notif[] = {TSYNC_MIB_ROOT, TSYNC_NOTIFICATIONS, TSYNC_NOTIF_STATE_CHANGE};
  oid old_oid[] = {TSYNC_MIB_ROOT, TSYNC_OBJECTS, TSYNC_NOTIF_OBJECTS, TSYNC_NOTIF_OLD_STATE,
                   0};
  netsnmp_variable_list *vars = NULL;
  long o = old, n = res->state;

  snmp_varlist_add_variable(&vars, trap_oid, OID_LENGTH(trap_oid), ASN_OBJECT_ID,
                            (u_char *)notif, sizeof(notif));
  add_column(&vars, TSYNC_COL_CHECK_NAME, c->index, ASN_OCTET_STR, c->name, strlen(c->name));
  snmp_varlist_add_variable(&vars, old_oid, OID_LENGTH(old_oid), ASN_INTEGER, &o, sizeof(o));
  add_column(&vars, TSYNC_COL_CHECK_STATE, c->index, ASN_INTEGER, &n, sizeof(n));
  add_column(&vars, TSYNC_COL_CHECK_STATUS_TEXT, c->index, ASN_OCTET_STR, res->status,
             strlen(res->status) > 255 ? 255 : strlen(res->status));
  send_v2trap(vars);
  snmp_free_varbind(vars);
}

void
agent_announce_changes(struct agent *a)
{
  size_t i;

  for (i = 0; i < a->n_checks; i++) {
    struct agent_check *c = a->checks[i];
    struct agent_result res;

    agent_result_copy(c, &res);
    if (res.valid && (!c->announced || res.state != c->last_logged)) {
      /* one log line per change; a trap for every change, and for a first state that
       * is not OK */
      snmp_log(LOG_NOTICE, "check %s: %s%s%s\n", c->name,
               c->announced ? tsync_state_str(c->last_logged) : "",
               c->announced ? " -> " : "", res.status);
      if (c->announced || res.state != TSYNC_STATE_OK)
        send_state_trap(c, c->announced ? c->last_logged : TSYNC_STATE_UNKNOWN, &res);
      c->announced = true;
      c->last_logged = res.state;
    }
    agent_result_free(&res);
  }
}
