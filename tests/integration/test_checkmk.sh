#!/usr/bin/env bash
# test_checkmk.sh -- the Checkmk integration in contrib/checkmk/: timesync-local (the
# local check the agent runs from local/300/) against a real chronyd pair, fake_w32time
# answering and silent, a missing plugin and a hanging one; every line it prints is held
# to the local check grammar of docs.checkmk.com ("Local checks") and of Checkmk's own
# parser (cmk/plugins/collection/agent_based/local.py), and the plugins' own
# --format=checkmk lines to the same grammar and to their Nagios perfdata.
#
# BIN_DIR: the plugins; TOOLS_DIR: fake_w32time.
# SC2154: cli_SOCK and friends come from lib.sh's printf -v. SC2317: tests run via t_run.
# shellcheck disable=SC2154,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
LOCAL=$TOP/contrib/checkmk/timesync-local
EXAMPLE=$TOP/contrib/checkmk/checkmk.conf.example
t_init checkmk

OUT='' ERR='' RC='' CONF=''
# run_local [ENV=VALUE...]: timesync-local on $CONF with the built plugins (ENV=VALUE
# overrides); OUT, ERR, RC.
run_local() {
  OUT=$(env TIMESYNC_CHECKMK_CONF="$CONF" TIMESYNC_PLUGIN_DIR="$BIN_DIR" "$@" \
    sh "$LOCAL" 2>"$T_TMP/local.err")
  RC=$?
  ERR=$(cat "$T_TMP/local.err")
  return 0
}

# conf LINE...: the config file, with comments and blank lines around the checks.
conf() {
  CONF=$T_TMP/checkmk.conf
  { printf '# timesync-local test\n\n'
    printf '%s\n' "$@" | sed 's/^/  /; 2i\   # an indented comment'
    printf '\n'; } >"$CONF"
}

# n_checks: the config's check lines (not blank, not a comment).
n_checks() { grep -cvE '^[[:space:]]*(#|$)' "$CONF"; }

# lines_ok: RC 0, nothing on stderr, one line per check line, each matching CMK_LINE,
# no service name twice. Fills STATES[i] and NAMES[i] (0-based, in config order).
STATES=() NAMES=()
lines_ok() {
  local l n=0 dup
  STATES=() NAMES=()
  assert_exit 0 "$RC" "timesync-local exit status" || return 1
  assert_eq "$ERR" "" "timesync-local stderr" || return 1
  while IFS= read -r l; do
    [[ $l =~ $CMK_LINE ]] || { _t_err "line $((n + 1)) is no local check line: '$l'"; return 1; }
    STATES+=("${BASH_REMATCH[1]}")
    NAMES+=("${BASH_REMATCH[2]}")
    n=$((n + 1))
  done <<<"$OUT"
  assert_eq "$n" "$(n_checks)" "one line per config line: $OUT" || return 1
  dup=$(printf '%s\n' "${NAMES[@]}" | sort | uniq -d)
  [ -z "$dup" ] || _t_err "service name twice: $dup"
}

# line I: the output's line I (1-based).
line() { sed -n "${1}p" <<<"$OUT"; }

# --- timesync-local ---------------------------------------------------------------------

# One of each: chronyd synced (OK with -m 1:, WARNING with the default -m 2: for one
# source), a W32Time that answers (OK), one that never answers (CRITICAL), a plugin that
# is not installed (UNKNOWN from the wrapper itself).
t_local_checks_all_kinds() {
  scn_synced || return 1
  fake_w32time_start w32 synced || return 1
  fake_w32time_start quiet silent || return 1
  conf "check_chrony -s $cli_SOCK -m 1: -n 1:" \
    "check_chrony -s $cli_SOCK --service-name 'Timesync chrony one source'" \
    "check_w32time -H 127.0.0.1 -p $w32_PORT" \
    "check_w32time -H 127.0.0.1 -p $quiet_PORT -n 2 -t 4 --service-name \"Timesync W32Time silent\"" \
    "check_nosuch -H dc09.example.com"
  run_local TIMESYNC_TIMEOUT_GRACE=5
  lines_ok || return 1
  assert_eq "${STATES[*]}" "0 1 0 2 3" "states in config order: $OUT" || return 1
  assert_eq "${NAMES[0]}|${NAMES[1]}|${NAMES[2]}|${NAMES[3]}|${NAMES[4]}" \
    "Timesync chrony|Timesync chrony one source|Timesync W32Time 127.0.0.1|Timesync W32Time silent|Timesync check_nosuch" \
    "service names" || return 1
  # chrony: the perfdata as metrics, one long-output line per source
  assert_match "$(line 1)" '^0 "Timesync chrony" offset=[^ ]*\|.*stratum=2;;;0;16.*\|sources_usable=1;;;0[; ]' \
    "chrony metrics" || return 1
  assert_match "$(line 1)" ' synchronised to 127\.0\.0\.1 .*\\n\^\* 127\.0\.0\.1 .*stratum 1 reach ' \
    "chrony long output" || return 1
  assert_match "$(line 2)" ' usable sources 1 < 2' "chrony WARNING says why" || return 1
  assert_match "$(line 3)" '^0 "Timesync W32Time 127\.0\.0\.1" offset=[^ ]*;1;5;;\|.* synchronized to 10\.1\.2\.3 ' \
    "w32time line" || return 1
  assert_match "$(line 4)" '^2 "Timesync W32Time silent" - no NTP reply from 127\.0\.0\.1' \
    "silent server" || return 1
  assert_eq "$(line 5)" '3 "Timesync check_nosuch" - check_nosuch gave no output (exit 127: not found)' \
    "missing plugin"
}

# A plugin that hangs is killed at its -t plus the grace, and its service says so.
t_local_hanging_plugin_killed() {
  local dir=$T_TMP/plugins t0 t1
  mkdir -p "$dir"
  printf '#!/bin/sh\necho $$ >"%s/hang.pid"\nexec sleep 60\n' "$T_TMP" >"$dir/check_w32time"
  chmod 0755 "$dir/check_w32time"
  conf "check_w32time -H dc01.example.com -t 1"
  t0=$(_chr_now_us)
  run_local TIMESYNC_PLUGIN_DIR="$dir" TIMESYNC_TIMEOUT_GRACE=0
  t1=$(_chr_now_us)
  lines_ok || return 1
  assert_eq "$OUT" \
    '3 "Timesync W32Time dc01.example.com" - check_w32time gave no output (exit 124: killed after 1 s)' \
    "killed plugin" || return 1
  # far below the plugin's 60 s: the backstop, not the plugin, ended it (loose: a loaded
  # machine is slow to start processes)
  [ $(((t1 - t0) / 1000)) -lt 20000 ] || { _t_err "took $(((t1 - t0) / 1000)) ms"; return 1; }
  ! _chr_alive "$(cat "$T_TMP/hang.pid")" || _t_err "the hanging plugin still runs"
}

# Bad lines still give one valid line each: a bad option (the plugin's own UNKNOWN line:
# timesync-local puts --format=checkmk first too), an unmatched quote, a program that
# prints no Checkmk line, a service name with characters Checkmk refuses.
t_local_bad_lines() {
  fake_w32time_start w32 synced || return 1
  conf "check_w32time -H dc01.example.com --no-such-option" \
    "check_w32time -H \"dc01.example.com" \
    "/bin/echo hello" \
    "check_w32time -H 127.0.0.1 -p $w32_PORT -n 1 --service-name \"Bob's clock\\x\"" \
    "check_w32time -H 127.0.0.1 -p $w32_PORT -n 1 --format=json --service-name=json\\'s"
  run_local TIMESYNC_TIMEOUT_GRACE=5
  lines_ok || return 1
  assert_eq "${STATES[*]}" "3 3 3 0 0" "states: $OUT" || return 1
  assert_eq "$(line 1)" '3 "Timesync W32Time dc01.example.com" - unknown option: --no-such-option' \
    "bad option" || return 1
  assert_match "$(line 2)" '^3 "Timesync check_w32time" - config line not understood: ' \
    "unmatched quote" || return 1
  assert_eq "$(line 3)" \
    '3 "Timesync echo" - echo gave no Checkmk line (exit 0): --format=checkmk hello --format=checkmk' \
    "not a plugin" || return 1
  assert_eq "${NAMES[3]}" "Bob_s clock_x" "' and \\ cleaned" || return 1
  assert_eq "${NAMES[4]}" "json_s" "--format in the line overridden"
}

# No config: one UNKNOWN line that says so, still exit 0.
t_local_no_config() {
  CONF=$T_TMP/none.conf
  OUT=$(env TIMESYNC_CHECKMK_CONF="$CONF" sh "$LOCAL" 2>"$T_TMP/local.err")
  RC=$?
  assert_exit 0 "$RC" "exit status" &&
    assert_eq "$(cat "$T_TMP/local.err")" "" "stderr" &&
    assert_eq "$OUT" "3 \"Timesync checkmk.conf\" - cannot read $CONF" "output" || return 1
  [[ $OUT =~ $CMK_LINE ]] || _t_err "not a local check line"
}

# Every option of the shipped example is one its plugin's --help names.
t_example_options_exist() {
  local plugin rest opt help n=0 opts
  local -A helps=()
  while read -r plugin rest; do
    [ -n "${helps[$plugin]:-}" ] || helps[$plugin]=$("$BIN_DIR/$plugin" --help)
    help=${helps[$plugin]}
    [ -n "$help" ] || { _t_err "$plugin: no --help"; return 1; }
    mapfile -t opts < <(grep -oE -- ' --?[A-Za-z][a-z-]*' <<<" $rest")
    for opt in "${opts[@]# }"; do
      grep -qE -- "(^|[ ,])$opt([=, ]|$)" <<<"$help" ||
        { _t_err "example: $plugin has no option $opt"; return 1; }
    done
    n=$((n + 1))
  done < <(sed -nE 's/^#?(check_[a-z0-9_]+ )/\1/p' "$EXAMPLE")
  [ "$n" -ge 8 ] || _t_err "only $n example lines"
}

# --- the plugins' --format=checkmk --------------------------------------------------------

# plugin_line PLUGIN ARGS...: the plugin's checkmk line (OUT) and exit status (RC).
plugin_line() {
  local p=$1
  shift
  OUT=$("$BIN_DIR/$p" "$@" --format=checkmk 2>"$T_TMP/plugin.err")
  RC=$?
  ERR=$(cat "$T_TMP/plugin.err")
}

# is_line STATE: OUT is one local check line in STATE, which is also the exit status.
is_line() {
  [ "$(wc -l <<<"$OUT")" -eq 1 ] || { _t_err "more than one line: $OUT"; return 1; }
  [[ $OUT =~ $CMK_LINE ]] || { _t_err "no local check line: '$OUT'"; return 1; }
  assert_eq "${BASH_REMATCH[1]}" "$1" "state field: $OUT" &&
    assert_exit "$1" "$RC" "exit status = state" &&
    assert_eq "$ERR" "" "stderr"
}

# The plugins' lines in each kind of state, with the exit code matching the state field.
t_plugin_lines_per_state() {
  fake_w32time_start ok synced || return 1
  fake_w32time_start cmos locl || return 1
  fake_w32time_start kod kod-deny || return 1
  plugin_line check_w32time -H 127.0.0.1 -p "$ok_PORT" && is_line 0 || return 1
  plugin_line check_w32time -H 127.0.0.1 -p "$ok_PORT" -n 1 -w 0.000000001 && is_line 1 || return 1
  assert_match "$OUT" ' offset=[^;]*;1e-09;5;;\|' "warn = -w" || return 1
  plugin_line check_w32time -H 127.0.0.1 -p "$cmos_PORT" -n 1 && is_line 2 || return 1
  assert_match "$OUT" 'CMOS clock' "locl" || return 1
  plugin_line check_w32time -H 127.0.0.1 -p "$kod_PORT" && is_line 2 || return 1
  assert_match "$OUT" "Kiss-o'-Death DENY" "KoD" || return 1
  plugin_line check_w32time && is_line 3 || return 1
  plugin_line check_chrony -s "$T_TMP/no/such.sock" && is_line 2 || return 1
  assert_eq "$OUT" "2 \"Timesync chrony\" - cannot connect to chronyd at $T_TMP/no/such.sock: No such file or directory" \
    "no chronyd" || return 1
  plugin_line check_esxi_time -H 127.0.0.1 --authfile "$T_TMP/no.auth" && is_line 3 || return 1
  assert_match "$OUT" '^3 "Timesync ESXi 127\.0\.0\.1" - cannot read authfile ' "ESXi authfile"
}

# The metrics are the Nagios perfdata: the same names in the same order, warn/crit the
# upper ends of the perfdata ranges, the same min/max.
t_plugin_metrics_are_perfdata() {
  local nag cmk p n c nw nc nmin nmax v cw cc cmin cmax
  fake_w32time_start w32 synced || return 1
  nag=$("$BIN_DIR/check_w32time" -H 127.0.0.1 -p "$w32_PORT" -n 2 -w 0.5 -c 2)
  plugin_line check_w32time -H 127.0.0.1 -p "$w32_PORT" -n 2 -w 0.5 -c 2 && is_line 0 || return 1
  [[ $OUT =~ $CMK_LINE ]] && cmk=${BASH_REMATCH[3]}
  nag=${nag%%$'\n'*}
  nag=${nag#*| }
  read -ra p <<<"$nag"
  IFS='|' read -ra c <<<"$cmk"
  assert_eq "${#c[@]}" "${#p[@]}" "as many metrics as perfdata items ($nag / $cmk)" || return 1
  for n in "${!p[@]}"; do
    IFS=';' read -r v nw nc nmin nmax <<<"${p[n]}"
    [ "${v%%=*}" = "${c[n]%%=*}" ] || { _t_err "name ${c[n]%%=*} is not ${v%%=*}"; return 1; }
    IFS=';' read -r v cw cc cmin cmax <<<"${c[n]}"
    assert_eq "$cw" "${nw##*:}" "${v%%=*} warn" && assert_eq "$cc" "${nc##*:}" "${v%%=*} crit" &&
      assert_eq "$cmin" "$nmin" "${v%%=*} min" && assert_eq "$cmax" "$nmax" "${v%%=*} max" ||
      return 1
  done
  assert_match "$cmk" '^offset=[^;]*;0\.5;2;;\|' "offset levels"
}

t_run_all "" # every t_* function, in name order
t_finish
