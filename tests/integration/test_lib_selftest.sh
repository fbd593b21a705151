#!/bin/bash
# test_lib_selftest.sh -- checks lib.sh itself: the framework, the safety guards, and that
# every scenario helper really establishes its state, with chronyc -c as the oracle.
# T_TIMING=1 also prints how long each test took.
# shellcheck disable=SC2317,SC2154
# SC2317: test functions are called through t_run. SC2154: ${NAME}_PORT etc. come from lib.sh.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init lib-selftest

# check CMD...: CMD must succeed; check_fails CMD...: CMD must fail. Output is hidden
# because the negative cases print assertion messages on purpose.
check() { "$@" >/dev/null 2>&1 || _t_err "expected success: $*"; }
check_fails() { ! "$@" >/dev/null 2>&1 || _t_err "expected failure: $*"; }

# tracking_field NAME N: field N of NAME's `chronyc -c tracking`.
tracking_field() { chr_field "$(chr_chronyc "$1" tracking)" "$2"; }

# ---------------------------------------------------------------------------------------
# Framework
# ---------------------------------------------------------------------------------------
t_assertions() {
  mkdir -p "$T_TMP/nf" && touch "$T_TMP/nf/a.txt" "$T_TMP/nf/.hidden.sock"
  check assert_eq a a && check_fails assert_eq a b &&
    check assert_match "x=12" '^x=[0-9]+$' && check_fails assert_match "x=1a" '^x=[0-9]+$' &&
    check assert_exit 0 0 && check_fails assert_exit 1 0 &&
    check assert_float_near 0.5 0.52 0.05 && check assert_float_near -1e-3 0 0.01 &&
    check_fails assert_float_near 0.5 0.6 0.05 && check_fails assert_float_near "" 0 1 &&
    check_fails assert_float_near abc 0 1 &&
    check assert_no_files "$T_TMP/nf" '*.pid' && check_fails assert_no_files "$T_TMP/nf" '*.txt' &&
    check_fails assert_no_files "$T_TMP/nf" '*.sock' && check assert_no_files "$T_TMP/none" '*'
}

t_free_port() {
  local a b
  a=$(free_port) && b=$(free_port) || return 1
  assert_match "$a" '^[0-9]+$' "free_port output" || return 1
  [ "$a" -ge 20000 ] && [ "$a" -le 60000 ] || _t_err "port $a out of range" || return 1
  [ "$a" != "$b" ] || _t_err "free_port handed out $a twice" || return 1
  ! ss -Huan | awk '{ print $4 }' | grep -q ":$a\$" || _t_err "port $a is in use"
}

# Non-loopback addresses in config are refused before anything starts.
t_guards() {
  check_fails chr_server bad 192.168.1.1 && check_fails chr_client bad "server 10.0.0.1 iburst" &&
    check_fails chr_client bad "server localhost iburst" &&
    check_fails chr_client bad "bindcmdaddress 0.0.0.0" &&
    assert_eq "$(chr_pid bad)" "" "nothing started"
}

# Two chronyd on one address:port would both bind (SO_REUSEADDR); the lib must notice,
# while the same port on another 127.0.0.x is fine.
t_port_clash() {
  PORT=$(free_port) chr_server s1 || return 1
  PORT=$s1_PORT check_fails chr_server s2 127.0.0.1 &&
    assert_eq "$(chr_pid s2)" "" "clashing instance stopped" &&
    PORT=$s1_PORT chr_server s3 127.0.0.2 &&
    assert_eq "$(ss -Huan | awk -v a="127.0.0.1:$s1_PORT" '$4 == a' | wc -l)" 1 "sockets on s1's port"
}

# _meta_script NAME: writes stdin as a child test script that sources lib.sh; its own
# temp dir goes under $T_TMP/NAME so it can be checked for removal.
_meta_script() {
  mkdir -p "$T_TMP/$1"
  { echo ". '$T_LIB'"; cat; } >"$T_TMP/$1.sh"
}

# A failing assertion prints FAIL, and t_finish exits 1 and removes its temp dir.
t_meta_fail() {
  local out rc
  _meta_script metafail <<'EOF'
t_init meta-fail
good() { assert_eq 1 1 "one"; }
bad() { assert_eq 1 2 "deliberate"; }
t_run good good
t_run bad bad
t_finish
EOF
  out=$(TMPDIR=$T_TMP/metafail bash "$T_TMP/metafail.sh" 2>&1); rc=$?
  assert_exit 1 "$rc" "t_finish status; output: $out" &&
    assert_match "$out" "FAIL bad: deliberate: expected '2', got '1'" "FAIL line" &&
    assert_match "$out" $'PASS good\n' "PASS line" &&
    assert_match "$out" 'meta-fail: 1 passed, 1 failed$' "summary" &&
    assert_no_files "$T_TMP/metafail" 'tsm-*' "child temp dir left behind"
}

# Child suite that starts two daemons and then blocks; reports pids + temp dir when ready.
_meta_daemons() {
  _meta_script "$1" <<'EOF'
t_init meta-sig
chr_server srv && chr_client cli "server 127.0.0.1 port $srv_PORT iburst minpoll -4 maxpoll -4" || exit 3
echo "$(chr_pid srv) $(chr_pid cli) $T_TMP" >"$READY.tmp" && mv "$READY.tmp" "$READY"
while :; do sleep 0.1; done
EOF
}

# _meta_signal SIG EXPECTED_RC: signal the blocked child; its daemons and temp dir must go.
_meta_signal() {
  local sig=$1 want=$2 name=meta$1 info child rc i p
  _meta_daemons "$name"
  # Async children of a non-interactive bash start with SIGINT ignored, and an ignored
  # signal cannot be trapped; env --default-signal gives the child a normal SIGINT.
  READY=$T_TMP/$name.ready TMPDIR=$T_TMP/$name \
    env --default-signal=INT bash "$T_TMP/$name.sh" >"$T_TMP/$name.out" 2>&1 &
  child=$!
  for ((i = 0; i < 100; i++)); do [ -s "$T_TMP/$name.ready" ] && break; sleep 0.1; done
  read -r -a info <"$T_TMP/$name.ready" 2>/dev/null
  if [ ${#info[@]} -ne 3 ]; then
    kill -KILL "$child"; wait "$child" 2>/dev/null
    _t_err "child not ready: $(cat "$T_TMP/$name.out")"; return 1
  fi
  kill "-$sig" "$child"
  wait "$child" 2>/dev/null; rc=$?  # quiet: bash would report "Killed"
  # After SIGKILL no trap runs: only the parent-death signal can stop the daemons.
  for p in "${info[0]}" "${info[1]}"; do
    for ((i = 0; i < 30; i++)); do _chr_alive "$p" || break; sleep 0.1; done
    _chr_alive "$p" && { kill -KILL "$p"; _t_err "chronyd $p survived SIG$sig of its suite"; return 1; }
  done
  assert_exit "$want" "$rc" "child status after SIG$sig" || return 1
  [ "$sig" = KILL ] || assert_no_files "$T_TMP/$name" 'tsm-*' "child temp dir after SIG$sig"
}

t_sigterm() { _meta_signal TERM 143; }
t_sigint() { _meta_signal INT 130; }
t_sigkill() {
  [ ${#_CHR_PDEATH[@]} -gt 0 ] || { t_skip sigkill "setpriv has no --pdeathsig"; return 0; }
  _meta_signal KILL 137
}

# ---------------------------------------------------------------------------------------
# Scenarios, each checked with chronyc -c
# ---------------------------------------------------------------------------------------
t_synced() {
  local tr
  scn_synced || return 1
  tr=$(chr_chronyc cli tracking)
  assert_eq "$(chr_field "$tr" 3)" 2 "tracking stratum" &&
    assert_eq "$(chr_field "$tr" 1)" 7F000001 "tracking refid" &&
    assert_eq "$(chr_field "$tr" 14)" Normal "leap" &&
    assert_match "$(chr_chronyc cli sources)" '(^|'$'\n'')\^,\*,127\.0\.0\.1,1,' "sources ^*" &&
    assert_eq "$(tracking_field srv 1),$(tracking_field srv 3)" 7F7F0101,1 "server is local stratum 1"
}

t_offset() {
  scn_offset 0.5 || return 1
  assert_float_near "$(tracking_field cli 5)" 0.5 0.05 "System time (tracking field 5)"
}

t_falseticker() {
  local src
  scn_falseticker || return 1
  src=$(chr_chronyc cli sources)
  # .1/.2: one is selected (*); the other is usually + but may be - (not combined) when
  # the machine is loaded, so only "not a falseticker" is required of it.
  assert_match "$src" $'(^|\n)\\^,x,127\\.0\\.0\\.3,' "127.0.0.3 is a falseticker" &&
    assert_match "$src" $'(^|\n)\\^,\\*,127\\.0\\.0\\.[12],' "127.0.0.1 or .2 selected" &&
    assert_match "$src" $'(^|\n)\\^,[*+-],127\\.0\\.0\\.1,' "127.0.0.1 is a truechimer" &&
    assert_match "$src" $'(^|\n)\\^,[*+-],127\\.0\\.0\\.2,' "127.0.0.2 is a truechimer" &&
    assert_float_near "$(tracking_field cli 5)" 0 0.01 "System time follows the majority"
}

t_unsync() {
  local tr
  scn_unsync || return 1
  tr=$(chr_chronyc cli tracking)
  assert_eq "$(chr_field "$tr" 14)" "Not synchronised" "leap" &&
    assert_eq "$(chr_field "$tr" 1),$(chr_field "$tr" 3)" 00000000,0 "refid,stratum" &&
    assert_eq "$(chr_field "$(chr_chronyc cli sources)" 6)" 0 "reach"
}

t_local_fallback() {
  local tr
  scn_local_fallback || return 1
  tr=$(chr_chronyc cli tracking)
  assert_eq "$(chr_field "$tr" 1)" 7F7F0101 "refid" &&
    assert_eq "$(chr_field "$tr" 3)" 10 "stratum" &&
    assert_eq "$(chr_field "$tr" 14)" Normal "leap" &&
    assert_eq "$(chr_field "$(chr_chronyc cli sources)" 6)" 0 "the server stays unreachable"
}

t_clients() {
  local line
  scn_clients || return 1
  line=$(chr_chronyc srv clients | grep '^127\.0\.0\.1,')
  assert_match "$line" '^127\.0\.0\.1,[1-9][0-9]*,' "clients lists 127.0.0.1 with NTP hits"
}

# Whole client unprivileged (recipe 5): queryable over its socket (root and nobody) and UDP.
t_unprivileged() {
  _chr_is_root || { t_skip unprivileged "needs root"; return 0; }
  local tr
  chr_server srv || return 1
  chr_client_as nobody ucli "server 127.0.0.1 port $srv_PORT iburst minpoll -4 maxpoll -4" || return 1
  assert_eq "$(ps -o user= -p "$(chr_pid ucli)" | tr -d ' ')" nobody "daemon user" || return 1
  assert_eq "$(stat -c %U:%a "$ucli_DIR")" nobody:700 "instance dir" || return 1
  chr_wait_sync ucli || return 1
  assert_eq "$(tracking_field ucli 3)" 2 "stratum over the socket, chronyc as root" || return 1
  tr=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
         timeout 8 "$CHRONYC" -n -h "$ucli_SOCK" -c tracking)
  assert_eq "$(chr_field "$tr" 3)" 2 "stratum over the socket, chronyc as nobody" || return 1
  tr=$(timeout 8 "$CHRONYC" -n -h 127.0.0.1 -p "$ucli_CMDPORT" -c tracking)
  assert_eq "$(chr_field "$tr" 3)" 2 "stratum over UDP 127.0.0.1:$ucli_CMDPORT"
}

# Everything started so far is gone: no chronyd using our temp dir, no zombie children.
t_no_leftovers() {
  local procs zombies
  procs=$(pgrep -a -f -- "$T_TMP")
  zombies=$(ps -o pid=,stat=,comm= --ppid $$ | awk '$2 ~ /^Z/')
  assert_eq "$procs" "" "processes using $T_TMP" && assert_eq "$zombies" "" "zombie children"
}

t_run assertions t_assertions
t_run free_port t_free_port
t_run guards t_guards
t_run port_clash t_port_clash
t_run meta_fail t_meta_fail
t_run sigterm t_sigterm
t_run sigint t_sigint
t_run sigkill t_sigkill
t_run synced t_synced
t_run offset t_offset
t_run falseticker t_falseticker
t_run unsync t_unsync
t_run local_fallback t_local_fallback
t_run clients t_clients
t_run unprivileged t_unprivileged
t_run no_leftovers t_no_leftovers
t_finish
