#!/usr/bin/env bash
# test_teardown.sh -- a suite killed mid-run leaves nothing behind. Each real suite is
# started, SIGTERMed as soon as the daemon it is known for is up (chronyd, snmpd and the
# agent, icinga2, nagios4, zabbix_agentd), and then no process may remain that names the
# suite's temp dir on its command line or carries it in its environment (T_TMP), and the
# temp dir must be gone. lib.sh runs every suite under tests/integration/reaper.c, so even
# a daemon that forks away or ignores SIGTERM is stopped.
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
export BIN_DIR TOOLS_DIR
t_init teardown

# survivors DIR: "PID CMDLINE" of every process that names DIR or has T_TMP under it.
# (The patterns come from files, so that grep's own command line does not match.)
survivors() {
  local f p
  for f in $( { grep -lsaF -f <(echo "$1/") /proc/[0-9]*/cmdline
                grep -lsaz -f <(echo "^T_TMP=$1/") /proc/[0-9]*/environ; } 2>/dev/null |
              sort -u); do
    p=${f#/proc/} p=${p%%/*}
    [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
    echo "$p $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-160)"
  done
}

# killed_mid_run SUITE TESTS PATTERN: run the TESTS (a T_ONLY regex) of SUITE until it
# holds (lib.sh's T_HOLD) with a daemon whose command line matches PATTERN (ERE) running
# under its temp dir, SIGTERM the suite, check that nothing is left.
killed_mid_run() {
  local suite=$1 only=$2 pat=$3 dir=$T_TMP/$1 pid i rc left held
  mkdir -p "$dir" && chmod 0755 "$dir"
  TMPDIR=$dir T_ONLY=$only T_HOLD=$pat env -u TSM_REAPED -u T_SHARD \
    bash "$TOP/tests/integration/$suite" >"$dir.out" 2>&1 &
  pid=$!
  t_track "$pid"
  for ((i = 0; i < 900; i++)); do # 90 s
    held=$(cat "$dir"/tsm-*/held 2>/dev/null) && [ -n "$held" ] && break
    _chr_alive "$pid" || break
    sleep 0.1
  done
  [ -n "$held" ] ||
    { _t_err "$suite: never held at /$pat/: $(tail -3 "$dir.out" | tr '\n' '|')"; return 1; }
  _chr_alive "${held%% *}" || { _t_err "$suite: the held daemon is not running: $held"; return 1; }
  kill -TERM "$pid"
  # the suite's own cleanup, then the reaper's sweep: bounded by its -w 15 and -g 5
  for ((i = 0; i < 300; i++)); do _chr_alive "$pid" || break; sleep 0.1; done
  _chr_alive "$pid" && { _t_err "$suite still running 30 s after SIGTERM"; return 1; }
  wait "$pid"
  rc=$?
  assert_exit 143 "$rc" "$suite's exit status after SIGTERM ($(tail -2 "$dir.out" | tr '\n' '|'))" ||
    return 1
  left=$(survivors "$dir")
  [ -z "$left" ] || { _t_err "$suite left: $(tr '\n' '|' <<<"$left")"; return 1; }
  assert_no_files "$dir" 'tsm-*' "$suite's temp dir after SIGTERM" || return 1
  # the suite's own cleanup stopped every daemon it started; a plugin run that a killed
  # scheduler left behind (nagios4's in-flight checks) is the reaper's to stop
  ! grep -E '^LEAK ' "$dir.out" | grep -Eq "$DAEMONS" ||
    _t_err "$suite: its own cleanup missed: $(grep '^LEAK ' "$dir.out" | tr '\n' '|')"
}
DAEMONS='(chronyd|snmpd|snmptrapd|icinga2|nagios4|zabbix_agentd|timesync-agentx|fake_w32time|fake_vsphere|hostile_cmdmon)'


t_chrony_suite() { killed_mid_run test_check_chrony.sh '^synced_' '(^|/)chronyd .*-x'; }
t_agentx_suite() { killed_mid_run test_agentx.sh '^check_tables$' '(^|/)timesync-agentx '; }
# icinga2 runs itself again with --no-stack-rlimit; "-C" runs are only validations
t_icinga2_suite() {
  killed_mid_run test_icinga2.sh '^daemon_' 'icinga2 (--no-stack-rlimit )?daemon -c'
}
t_nagios_suite() { killed_mid_run test_nagios.sh '^daemon_' '(^|/)nagios4 .*nagios\.cfg'; }
# zabbix_agentd only runs for a moment (-t KEY); the suite's chronyd runs longer
t_zabbix_suite() {
  killed_mid_run test_zabbix.sh '^chrony_' '(^|/)(zabbix_agentd|chronyd) '
}

# The reaper itself: a daemon that forks away (setsid, parent exits) and ignores SIGTERM
# is still found and killed, and a normal end reports it as a LEAK.
t_reaper_catches_a_runaway() {
  local out rc
  out=$("$TOP/build/tests/reaper" -g 1 -- bash -c \
    'setsid bash -c "trap \"\" TERM; exec -a tsm-runaway sleep 300" </dev/null >/dev/null 2>&1 &
     exit 7' 2>&1)
  rc=$?
  assert_exit 7 "$rc" "the command's status" || return 1
  # (the sweep may find it before or after its exec)
  assert_match "$out" "LEAK [0-9]+ .*tsm-runaway" "reported" || return 1
  ! pgrep -f '^tsm-runaway 300' >/dev/null || _t_err "the runaway survived the reaper"
}

t_run_all
t_finish
