#!/usr/bin/env bash
# test_mib.sh -- TIMESYNC-MONITOR-MIB: lint-clean SMIv2 (smilint), loadable by net-snmp
# (snmptranslate), and numbered exactly as snmp-subagent/tsync_oids.h, which the agent
# is built from (root, arcs, columns, enumerations).
#
# The SMIv2 base modules (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF) are not in Debian's main
# archive (libsmi's package ships no MIBs, the IETF ones are non-free there), so the
# first run takes them from the npm package net-snmp (lib/mibs) into build/tools/mibs
# and later runs reuse that copy; NET-SNMP-MIB comes from Debian's libsnmp-base (or the
# npm package, should it ever ship one). Nothing fetched is committed (build/ is ignored).
# Both tools run hermetically: smilint with -c /dev/null (no smi.conf "hide" or "level"
# lines) and SMIPATH, snmptranslate with -M/-m, no snmp.conf and a private persistent dir.
#
# TSYNC_MIB: the module file to test (default mibs/TIMESYNC-MONITOR-MIB.txt), e.g. a
# deliberately broken copy; TSYNC_OIDS_H: the header to compare with.
. "$(dirname "$0")/lib.sh"

TSYNC_MIB=${TSYNC_MIB:-$TOP/mibs/TIMESYNC-MONITOR-MIB.txt}
TSYNC_OIDS_H=${TSYNC_OIDS_H:-$TOP/snmp-subagent/tsync_oids.h}
MIB_NAME=TIMESYNC-MONITOR-MIB
t_init mib

BASE_DIR='' MIB_DIR='' BASE_ERR=''

# need_base: $BASE_DIR holds exactly the four modules ours imports (links), $MIB_DIR a
# copy of $TSYNC_MIB. Set up once; a failure fails every test that needs it, with why.
need_base() {
  local m net
  [ -n "$BASE_DIR" ] && return 0
  if [ -z "$BASE_ERR" ] && { mib_base_fetch || { BASE_ERR=$MIB_FETCH_ERR; false; }; }; then
    net=$MIB_CACHE/NET-SNMP-MIB.mib
    [ -s "$net" ] || net=/usr/share/snmp/mibs/NET-SNMP-MIB.txt
    if [ ! -s "$net" ]; then
      BASE_ERR="no NET-SNMP-MIB: neither the npm package nor libsnmp-base has it (tests/deps.sh)"
    elif [ ! -s "$TSYNC_MIB" ]; then
      BASE_ERR="no MIB file $TSYNC_MIB"
    else
      mkdir -p "$T_TMP/base" "$T_TMP/mib" "$T_TMP/snmp/conf" "$T_TMP/snmp/persist"
      for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF; do
        ln -sf "$MIB_CACHE/$m.mib" "$T_TMP/base/$m.mib"
      done
      ln -sf "$net" "$T_TMP/base/NET-SNMP-MIB.txt"
      cp "$TSYNC_MIB" "$T_TMP/mib/$MIB_NAME.txt"
      BASE_DIR=$T_TMP/base MIB_DIR=$T_TMP/mib
      return 0
    fi
  fi
  _t_err "$BASE_ERR"
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || _t_err "$1 not found (package $2; tests/deps.sh installs it)"
}

# snmpt ARGS...: snmptranslate with only our module and its imports; stdout to $OUT,
# stderr (less the "Created directory" notes of the persistent dir) to $ERR, status $RC.
OUT='' ERR='' RC=''
snmpt() {
  OUT=$(SNMPCONFPATH=$T_TMP/snmp/conf SNMP_PERSISTENT_DIR=$T_TMP/snmp/persist \
        snmptranslate -M "$MIB_DIR:$BASE_DIR" -m "$MIB_NAME" "$@" 2>"$T_TMP/snmpt.err")
  RC=$?
  ERR=$(grep -v '^Created directory: ' "$T_TMP/snmpt.err")
  return 0
}

# errhead: the first lines of $ERR on one line (net-snmp repeats itself at length).
errhead() {
  local n
  n=$(grep -c . <<<"$ERR")
  head -n 3 <<<"$ERR" | tr '\n' ' '
  [ "$n" -le 3 ] || printf '(%d more lines)' $((n - 3))
}

# snmpt_ok WHAT: the last snmpt exited 0 and printed no diagnostics, or fails saying so.
snmpt_ok() {
  if [ "$RC" -ne 0 ] || [ -n "$ERR" ]; then
    _t_err "snmptranslate $1: exit $RC: $(errhead)"
  fi
}

# oid NAME: sets OID to the numeric OID of one of our objects (leading dot), or fails
# saying why. Not for $(...): the reason would stay in the subshell.
OID=
oid() {
  OID=
  snmpt -On "$MIB_NAME::$1"
  snmpt_ok "-On $1" || return 1
  [[ $OUT =~ ^(\.[0-9]+)+$ ]] || { _t_err "snmptranslate -On $1: '$OUT' is no OID"; return 1; }
  OID=$OUT
}

# hdr_def NAME: the value of `#define NAME VALUE' in the header (its comment stripped).
hdr_def() {
  sed -n "s|^#define[[:space:]]\{1,\}$1[[:space:]]\{1,\}\([^/]*\).*|\1|p" "$TSYNC_OIDS_H" |
    sed 's/[[:space:]]*$//'
}

# hdr_enum PREFIX [FILE]: "NAME VALUE" for every `NAME = VALUE' enumerator starting with
# PREFIX, one-line and multi-line enums alike.
hdr_enum() {
  grep -o "\b$1[A-Z0-9_]*[[:space:]]*=[[:space:]]*[0-9]\{1,\}" "${2:-$TSYNC_OIDS_H}" |
    sed 's/[[:space:]]*=[[:space:]]*/ /'
}

# camel WORDS_IN_CAPS: NOT_COMBINED -> notCombined.
camel() {
  local w out='' first=1
  for w in ${1//_/ }; do
    w=${w,,}
    if [ "$first" ]; then out=$w first=; else out+=${w^}; fi
  done
  echo "$out"
}

# mib_enum OBJECT: sets ENUM to "label value" lines of the object's enumeration (-Td).
ENUM=
mib_enum() {
  ENUM=
  snmpt -Td "$MIB_NAME::$1"
  snmpt_ok "-Td $1" || return 1
  ENUM=$(sed -n 's/^[[:space:]]*SYNTAX[[:space:]].*{\(.*\)}.*/\1/p' <<<"$OUT" | tr ',' '\n' |
    sed -n 's/^[[:space:]]*\([A-Za-z0-9-]*\)(\(-\{0,1\}[0-9]*\)).*/\1 \2/p')
}

# ---------------------------------------------------------------------------------------
# (a) smilint at level 6 says nothing at all
# ---------------------------------------------------------------------------------------
t_smilint_clean() {
  local out rc line
  need_cmd smilint smitools || return 1
  need_base || return 1
  out=$(SMIPATH=$BASE_DIR smilint -c /dev/null -l 6 -s "$TSYNC_MIB" 2>&1)
  rc=$?
  if [ -n "$out" ]; then
    while IFS= read -r line; do echo "  # smilint: $line"; done <<<"$out"
    _t_err "smilint -l 6 -s printed $(wc -l <<<"$out") line(s), expected none"
    return 1
  fi
  assert_exit 0 "$rc" "smilint -l 6 -s"
}

# ---------------------------------------------------------------------------------------
# (b) net-snmp loads it: names resolve, -Td shows the UNITS
# ---------------------------------------------------------------------------------------
t_snmptranslate_resolves() {
  need_cmd snmptranslate snmp || return 1
  need_base || return 1
  oid tsyncCheckState || return 1
  assert_eq "$OID" ".1.3.6.1.4.1.8072.9999.123.1.1.1.5" "tsyncCheckState" || return 1
  # and back: the numeric OID names our object
  snmpt -OS .1.3.6.1.4.1.8072.9999.123.1.1.1.5
  snmpt_ok "-OS .1.3.6.1.4.1.8072.9999.123.1.1.1.5" || return 1
  assert_eq "$OUT" "$MIB_NAME::tsyncCheckState" "numeric to name" || return 1
}

t_snmptranslate_units() {
  local obj units
  need_cmd snmptranslate snmp || return 1
  need_base || return 1
  for obj in tsyncCheckOffset:microseconds tsyncSourceOffset:microseconds tsyncCheckAge:seconds; do
    snmpt -Td "$MIB_NAME::${obj%%:*}"
    snmpt_ok "-Td ${obj%%:*}" || return 1
    assert_match "$OUT" "-- FROM[[:space:]]+$MIB_NAME" "${obj%%:*} -Td module" || return 1
    units=$(sed -n 's/^[[:space:]]*UNITS[[:space:]]*"\(.*\)"[[:space:]]*$/\1/p' <<<"$OUT")
    assert_eq "$units" "${obj#*:}" "${obj%%:*} UNITS" || return 1
  done
}

# ---------------------------------------------------------------------------------------
# (c) the root and the arcs below it are the header's
# ---------------------------------------------------------------------------------------
t_root_matches_header() {
  local root len want
  need_cmd snmptranslate snmp || return 1
  need_base || return 1
  [ -r "$TSYNC_OIDS_H" ] || { _t_err "cannot read $TSYNC_OIDS_H"; return 1; }
  root=$(hdr_def TSYNC_MIB_ROOT)
  len=$(hdr_def TSYNC_MIB_ROOT_LEN)
  [[ $root =~ ^[0-9]+([[:space:]]*,[[:space:]]*[0-9]+)+$ ]] ||
    { _t_err "TSYNC_MIB_ROOT in $TSYNC_OIDS_H not understood: '$root'"; return 1; }
  want=.${root//[[:space:]]/}
  want=${want//,/.}
  oid timesyncMonitorMIB || return 1
  assert_eq "$OID" "$want" "timesyncMonitorMIB vs TSYNC_MIB_ROOT" || return 1
  assert_eq "$len" "$(tr -cd . <<<"$want" | wc -c)" "TSYNC_MIB_ROOT_LEN" || return 1
}

t_arcs_match_header() {
  local root n o t s v obj want
  need_cmd snmptranslate snmp || return 1
  need_base || return 1
  oid timesyncMonitorMIB || return 1
  root=$OID
  n=$(hdr_def TSYNC_NOTIFICATIONS) o=$(hdr_def TSYNC_OBJECTS)
  for v in TSYNC_NOTIFICATIONS TSYNC_NOTIF_STATE_CHANGE TSYNC_OBJECTS TSYNC_CHECK_TABLE \
           TSYNC_SOURCE_TABLE TSYNC_NOTIF_OBJECTS TSYNC_NOTIF_OLD_STATE; do
    [[ $(hdr_def $v) =~ ^[0-9]+$ ]] || { _t_err "$v missing or not a number in $TSYNC_OIDS_H"; return 1; }
  done
  t=$(hdr_def TSYNC_CHECK_TABLE) s=$(hdr_def TSYNC_SOURCE_TABLE)
  for obj in "tsyncNotifications $n" \
             "tsyncCheckStateChange $n.$(hdr_def TSYNC_NOTIF_STATE_CHANGE)" \
             "tsyncObjects $o" \
             "tsyncCheckTable $o.$t" "tsyncCheckEntry $o.$t.1" \
             "tsyncSourceTable $o.$s" "tsyncSourceEntry $o.$s.1" \
             "tsyncNotifObjects $o.$(hdr_def TSYNC_NOTIF_OBJECTS)" \
             "tsyncNotifOldState $o.$(hdr_def TSYNC_NOTIF_OBJECTS).$(hdr_def TSYNC_NOTIF_OLD_STATE)"; do
    want=$root.${obj#* }
    oid "${obj%% *}" || return 1
    assert_eq "$OID" "$want" "${obj%% *}" || return 1
  done
}

# ---------------------------------------------------------------------------------------
# (d) every column of tsync_oids.h's enums is the MIB's, and the MIB has no other
# ---------------------------------------------------------------------------------------
# Header names are the MIB's in capitals (TSYNC_COL_CHECK_OFFSET_TEXT -> tsyncCheckOffsetText),
# except these:
declare -A COL_ALIAS=([TSYNC_COL_CHECK_USABLE]=tsyncCheckUsableSources)

t_columns_match_header() {
  local name val obj entry root ntab=0 n line
  local -A seen=()
  need_cmd snmptranslate snmp || return 1
  need_base || return 1
  oid timesyncMonitorMIB || return 1
  root=$OID
  while read -r name val; do
    obj=${COL_ALIAS[$name]:-$(camel "TSYNC_${name#TSYNC_COL_}")}
    case $name in
      TSYNC_COL_CHECK_*) oid tsyncCheckEntry || return 1 ;;
      TSYNC_COL_SOURCE_*) oid tsyncSourceEntry || return 1 ;;
      *) _t_err "$name: neither a check nor a source column"; return 1 ;;
    esac
    entry=$OID
    oid "$obj" || return 1
    assert_eq "$OID" "$entry.$val" "$name = $val vs $obj" || return 1
    seen[$obj]=1
    ntab=$((ntab + 1))
  done < <(hdr_enum TSYNC_COL_)
  [ "$ntab" -gt 0 ] || { _t_err "no TSYNC_COL_ enumerators found in $TSYNC_OIDS_H"; return 1; }
  # the other way round: every column the MIB defines has its enumerator
  snmpt -Tz
  snmpt_ok -Tz || return 1
  n=0
  while read -r line; do
    [[ $line =~ ^\"([^\"]+)\"[[:space:]]+\"([0-9.]+)\"$ ]] || continue
    name=${BASH_REMATCH[1]} val=.${BASH_REMATCH[2]}
    [[ $val == "$root".1.[12].1.* ]] || continue
    n=$((n + 1))
    [ -n "${seen[$name]:-}" ] ||
      { _t_err "MIB column $name ($val) has no TSYNC_COL_ enumerator in $TSYNC_OIDS_H"; return 1; }
  done <<<"$OUT"
  assert_eq "$n" "$ntab" "columns in the MIB vs TSYNC_COL_ enumerators" || return 1
}

# ---------------------------------------------------------------------------------------
# Enumerations: tsyncCheckKind is the header's TSYNC_KIND_*, tsyncSourceState the core's
# enum tsync_src_state + 1, TsyncState the core's enum tsync_state (the plugin exit codes).
# ---------------------------------------------------------------------------------------
# enum_matches OBJECT PREFIX FILE OFFSET: the object's labels and values are exactly the
# enumerators PREFIX* of FILE (camel-cased, value + OFFSET).
enum_matches() {
  local obj=$1 prefix=$2 file=$3 off=$4 want got name val
  [ -r "$file" ] || { _t_err "cannot read $file"; return 1; }
  want=$(hdr_enum "$prefix" "$file" | while read -r name val; do
           echo "$(camel "${name#"$prefix"}") $((val + off))"
         done | sort)
  [ -n "$want" ] || { _t_err "no $prefix enumerators in $file"; return 1; }
  mib_enum "$obj" || return 1
  got=$(sort <<<"$ENUM")
  assert_eq "${got//$'\n'/, }" "${want//$'\n'/, }" "$obj vs ${prefix}* in ${file#"$TOP"/}"
}

t_enums_match_core() {
  need_cmd snmptranslate snmp || return 1
  need_base || return 1
  enum_matches tsyncCheckKind TSYNC_KIND_ "$TSYNC_OIDS_H" 0 || return 1
  enum_matches tsyncSourceState TSYNC_SRC_ "$TOP/common/report.h" 1 || return 1
  enum_matches tsyncCheckState TSYNC_STATE_ "$TOP/common/eval.h" 0 || return 1
  enum_matches tsyncNotifOldState TSYNC_STATE_ "$TOP/common/eval.h" 0 || return 1
}

t_run smilint_level6_silent t_smilint_clean
t_run snmptranslate_resolves t_snmptranslate_resolves
t_run snmptranslate_units t_snmptranslate_units
t_run root_matches_header t_root_matches_header
t_run arcs_match_header t_arcs_match_header
t_run columns_match_header t_columns_match_header
t_run enums_match_core t_enums_match_core
t_finish
