/* tsync_oids.h -- where the agent's objects live: TIMESYNC-MONITOR-MIB's root (defined
 * once here and once in mibs/TIMESYNC-MONITOR-MIB.txt) and NTPv4-MIB's (RFC 5907).
 *
 * TIMESYNC-MONITOR-MIB sits under net-snmp's netSnmpExperimental (1.3.6.1.4.1.8072.9999)
 * until an IANA enterprise number is assigned; 123 is NTP's port.
 */
#ifndef TSYNC_OIDS_H
#define TSYNC_OIDS_H

#define TSYNC_MIB_ROOT 1, 3, 6, 1, 4, 1, 8072, 9999, 123
#define TSYNC_MIB_ROOT_LEN 9

/* TIMESYNC-MONITOR-MIB, below the root */
#define TSYNC_NOTIFICATIONS 0        /* .0 */
#define TSYNC_NOTIF_STATE_CHANGE 1   /* .0.1 tsyncCheckStateChange */
#define TSYNC_OBJECTS 1              /* .1 */
#define TSYNC_CHECK_TABLE 1          /* .1.1, entry .1.1.1 */
#define TSYNC_SOURCE_TABLE 2         /* .1.2, entry .1.2.1 */
#define TSYNC_NOTIF_OBJECTS 3        /* .1.3 */
#define TSYNC_NOTIF_OLD_STATE 1      /* .1.3.1 tsyncNotifOldState */

/* tsyncCheckEntry columns */
enum {
  TSYNC_COL_CHECK_INDEX = 1,
  TSYNC_COL_CHECK_NAME = 2,
  TSYNC_COL_CHECK_KIND = 3,
  TSYNC_COL_CHECK_TARGET = 4,
  TSYNC_COL_CHECK_STATE = 5,
  TSYNC_COL_CHECK_STATUS_TEXT = 6,
  TSYNC_COL_CHECK_OFFSET = 7,
  TSYNC_COL_CHECK_OFFSET_TEXT = 8,
  TSYNC_COL_CHECK_STRATUM = 9,
  TSYNC_COL_CHECK_REACH = 10,
  TSYNC_COL_CHECK_USABLE = 11,
  TSYNC_COL_CHECK_AGE = 12,
};

/* tsyncSourceEntry columns (INDEX tsyncCheckIndex, tsyncSourceIndex) */
enum {
  TSYNC_COL_SOURCE_INDEX = 1,
  TSYNC_COL_SOURCE_NAME = 2,
  TSYNC_COL_SOURCE_ADDRESS = 3,
  TSYNC_COL_SOURCE_STATE = 4,
  TSYNC_COL_SOURCE_STRATUM = 5,
  TSYNC_COL_SOURCE_REACH = 6,
  TSYNC_COL_SOURCE_OFFSET = 7,
  TSYNC_COL_SOURCE_OFFSET_TEXT = 8,
};

/* tsyncCheckKind values */
enum { TSYNC_KIND_CHRONY = 1, TSYNC_KIND_W32TIME = 2, TSYNC_KIND_ESXI = 3 };

/* tsyncSourceState values: enum tsync_src_state + 1 (selected(1) ... unknown(7)) */

/* NTPv4-MIB (RFC 5907): ntpSnmpMIB = mib-2 197 */
#define NTP_MIB_ROOT 1, 3, 6, 1, 2, 1, 197
#define NTP_MIB_ROOT_LEN 7

#endif
