/* agent_value.c -- setting a request's value, shared by both MIB modules. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <string.h>

#include "agent_value.h"

void
agent_set_string(netsnmp_request_info *r, const char *s)
{
  size_t n = strlen(s);

  snmp_set_var_typed_value(r->requestvb, ASN_OCTET_STR, s, n > 255 ? 255 : n);
}

void
agent_set_number(netsnmp_request_info *r, u_char type, long v)
{
  snmp_set_var_typed_value(r->requestvb, type, &v, sizeof(v));
}
