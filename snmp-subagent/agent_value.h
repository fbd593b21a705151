/* agent_value.h -- setting a request's value, shared by both MIB modules. Include after
 * the net-snmp headers. */
#ifndef TSYNC_AGENT_VALUE_H
#define TSYNC_AGENT_VALUE_H

/* An OCTET STRING from text, cut at 255 bytes (DisplayString and Utf8String SIZE). */
void agent_set_string(netsnmp_request_info *r, const char *s);

/* A number of the given type: ASN_INTEGER, ASN_UNSIGNED, ASN_COUNTER, ASN_TIMETICKS. */
void agent_set_number(netsnmp_request_info *r, u_char type, long v);

#endif
