#!/usr/bin/env bash
# test_check_w32time.sh -- check_w32time end to end: a real chronyd serving NTP, and a
# W32Time-like responder in each of W32Time's states and with hostile replies.
#
# BIN_DIR: where check_w32time was built; TOOLS_DIR: fake_w32time and sntp_many.
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
CHECK=$BIN_DIR/check_w32time
t_init check_w32time

OUT= RC= FPORT=
check() {
  OUT=$("$CHECK" "$@" 2>&1)
  RC=$?
  return 0
}
jqr() { jq -r "$1" <<<"$OUT"; }

# fake MODE [ARGS...]: starts the responder on 127.0.0.1:$FPORT.
fake() { fake_w32time_start w32 "$@" && FPORT=$w32_PORT; }
fake_stop() { t_stop_tracked; }

# case MODE EXIT REGEX [CHECK-ARGS...] -- [FAKE-ARGS...]: the state and the words, within
# -t 4 (bounded), against the responder in MODE.
case_() {
  local mode=$1 want=$2 re=$3 t0 t1
  shift 3
  local -a cargs=() fargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  fargs=("$@")
  fake "$mode" "${fargs[@]}" || return 1
  t0=$(date +%s.%N)
  check -H 127.0.0.1 -p "$FPORT" -t 4 "${cargs[@]}"
  t1=$(date +%s.%N)
  fake_stop
  assert_exit "$want" "$RC" "$mode: $OUT" || return 1
  assert_match "$OUT" "$re" "$mode" || return 1
  awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 8) }' ||
    _t_err "$mode took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
}

# --- a real NTP server: chronyd -------------------------------------------------------

t_chronyd_server() {
  local ntp
  ntp=$(free_port) || return 1
  chr_server srv || return 1
  chr_client cli "server 127.0.0.1 port $srv_PORT iburst minpoll -4 maxpoll -4" \
    "port $ntp" "allow 127.0.0.0/8" || return 1
  chr_wait_sync cli || return 1
  check -H 127.0.0.1 -p "$ntp" --expect-source 127.0.0.1 --format=json
  assert_exit 0 "$RC" "chronyd serving NTP: $OUT" || return 1
  assert_eq "$(jqr .metrics.stratum)" 2 "stratum" || return 1
  assert_eq "$(jqr .reference)" 127.0.0.1 "reference" || return 1
  assert_float_near "$(jqr .metrics.offset)" 0 0.001 "offset against a chronyd on this clock" ||
    return 1
  assert_eq "$(jqr .metrics.samples)" 4 "samples"
}

# --- W32Time's states -----------------------------------------------------------------

t_synced() {
  case_ synced 0 "^W32TIME OK: synchronized to 10\.1\.2\.3 \(stratum 3\), offset [-+][0-9]+[num]?s, 4 of 4 samples" &&
    case_ synced 0 "root_dispersion=7\.77[0-9]*s" &&
    case_ synced 1 "^W32TIME WARNING: root distance 7\.7[0-9]* s > 5 s" --max-root-distance 5
}
t_free_running_cmos() {
  case_ locl 2 "^W32TIME CRITICAL: free-running on its local CMOS clock \(stratum 1, refid LOCL\)"
}
t_not_synchronized() {
  case_ unsync 2 "^W32TIME CRITICAL: not synchronized \(leap indicator 3, stratum 0\)" &&
    case_ unsync-stale 2 "^W32TIME CRITICAL: not synchronized \(leap indicator 3, stratum 3\) \|"
}
t_hyperv_guest() { case_ hyperv 0 "^W32TIME OK: synchronized to refid 00000000 \(stratum 1\)"; }
t_kiss_of_death() {
  case_ kod-rate 2 "^W32TIME CRITICAL: Kiss-o'-Death RATE from 127\.0\.0\.1: the server rate-limits" -vvv &&
    { [ "$(grep -c '^debug: request ' <<<"$OUT")" -eq 1 ] || _t_err "queried on after a KoD: $OUT"; } &&
    case_ kod-deny 2 "Kiss-o'-Death DENY from 127\.0\.0\.1: the server refuses" &&
    case_ kod-rstr 2 "Kiss-o'-Death RSTR" &&
    case_ rate-limit 2 "Kiss-o'-Death RATE.* samples=1;;;0;2" -n 2
}
t_no_reply() {
  case_ silent 2 "^W32TIME CRITICAL: no NTP reply from 127\.0\.0\.1 to 4 requests \(is the W32Time NtpServer provider enabled and UDP 123 open\?\)"
}

# --- Prometheus and Checkmk ----------------------------------------------------------------

w32() { check -H 127.0.0.1 -p "$FPORT" -t 4 "$@"; }
# formats_in MODE STATE SUCCESS [CHECK-ARGS...]: both formats against the responder in MODE
formats_in() {
  local mode=$1
  shift
  fake "$mode" || return 1
  assert_formats "$1" "$2" w32 "${@:3}" || return 1
  fake_stop
}
t_openmetrics_and_checkmk() {
  formats_in synced 0 1 && formats_in synced 1 1 --max-root-distance 5 &&
    formats_in unsync 2 1 && formats_in locl 2 1 && formats_in silent 2 0 &&
    formats_in kod-deny 2 0 && formats_in garbage 2 0 || return 1
  fake synced || return 1
  w32 --format=openmetrics
  assert_match "$OUT" $'\ntimesync_reach\\{check="w32time",target="127\\.0\\.0\\.1:'"$FPORT"$'",source="127\\.0\\.0\\.1"\\} 15\n' \
    "reach of 4 samples" &&
    assert_match "$OUT" $'\ntimesync_root_dispersion_seconds\\{[^}]*\\} 7\\.77[0-9]*\n' "seconds, not ms" ||
    return 1
  w32 --format=checkmk --service-name 'NTP dc01 "primary"'
  assert_match "$OUT" '^0 "NTP dc01 _primary_" offset=-?[0-9.e-]+;1;5;;\|' "service name and levels"
}

# --- hostile replies --------------------------------------------------------------------

t_wrong_origin_first() { case_ wrong-origin-first 0 "samples=4;;;0;4"; }
t_duplicates() { case_ duplicate 0 "samples=4;;;0;4"; }
t_short() { case_ short 2 "no valid NTP reply .*short reply \(47 bytes\)"; }
t_oversized() { case_ oversized 2 "no valid NTP reply .*oversized reply \(1000 bytes\)"; }
t_garbage() { case_ garbage 2 "no valid NTP reply"; }
t_zero_transmit() { case_ zero-xmt 2 "no valid NTP reply .*no transmit timestamp"; }
t_mode_3_reply() { case_ mode-3-reply 2 "no valid NTP reply .*mode 3"; }

# --- offsets ----------------------------------------------------------------------------

offset_case() { # injected expected-exit regex
  case_ synced "$2" "$3" --format=json -- --offset "$1" || return 1
  assert_float_near "$(jqr .metrics.offset)" "$1" 0.001 "measured vs injected $1 s"
}
t_offset_ahead() { offset_case 2.5 1 '"summary":"offset \+2\.[45][0-9]* s > 1 s"'; }
t_offset_behind() { offset_case -6.25 2 '"summary":"offset -6\.2[45][0-9]* s > 5 s"'; }
t_offset_kerberos() { offset_case 400 2 'exceeds Kerberos 5-minute tolerance'; }
t_asymmetric_delay() {
  # the return path is 40 ms longer: NTP cannot tell, and reads half of it as offset
  case_ synced 0 '"state":"OK"' --format=json -- --delay-ms 40 || return 1
  assert_float_near "$(jqr .metrics.offset)" -0.020 0.001 "offset with asymmetry" || return 1
  assert_float_near "$(jqr .metrics.delay)" 0.040 0.003 "delay"
}

# --- sources and the local clock --------------------------------------------------------

t_expect_source() {
  case_ synced 0 "W32TIME OK" --expect-source 127.0.0.1 -- --refid 127.0.0.1 &&
    case_ synced 1 "^W32TIME WARNING: syncing from 127\.0\.0\.1 \(localhost\), not from 127\.0\.0\.2" \
      --expect-source 127.0.0.2 -- --refid 127.0.0.1 &&
    case_ synced 1 "^W32TIME WARNING: syncing from 10\.1\.2\.3, not from 127\.0\.0\.2, 127\.0\.0\.3 \|" \
      --expect-source 127.0.0.2,127.0.0.3 --no-reverse-dns
}

# The kernel's view decides: said in the output, and UNKNOWN on request.
t_local_clock() {
  fake synced || return 1
  check -H 127.0.0.1 -p "$FPORT" --require-local-sync
  fake_stop
  if grep -q "this host's clock is not synchronised" <<<"$OUT"; then
    assert_exit 3 "$RC" "unsynchronised local clock with --require-local-sync"
  else
    assert_exit 0 "$RC" "synchronised local clock"
  fi
}

# --- many targets at once, IPv6, options -------------------------------------------------

t_200_targets() {
  local out
  fake synced || return 1
  # sequentially this would take 200 x 1 s; the deadline proves they ran at once
  out=$("$TOOLS_DIR/sntp_many" 127.0.0.1 "$FPORT" 200 4 5)
  local rc=$?
  fake_stop
  echo "  $out"
  assert_exit 0 "$rc" "200 targets: $out" || return 1
  assert_match "$out" "^sntp_many: 200 of 200 targets answered all 4 samples"
}

t_ipv6() {
  if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
    t_skip ipv6 "no IPv6 on loopback"
    return 0
  fi
  FAKE_LISTEN='[::1]' fake synced || return 1
  check -H ::1 -p "$FPORT" -6
  fake_stop
  assert_exit 0 "$RC" "IPv6: $OUT"
}

t_bad_options() {
  check
  assert_exit 3 "$RC" "no -H" || return 1
  assert_match "$OUT" "^W32TIME UNKNOWN: -H/--hostname is required" || return 1
  check -H 127.0.0.1 -n 0
  assert_exit 3 "$RC" "-n 0" || return 1
  check --format=json -H 127.0.0.1 --max-root-distance x
  assert_eq "$(jqr .state)" UNKNOWN "JSON error" || return 1
  check -h
  assert_match "$OUT" "Sign convention" "help"
}

t_run_all fake_stop
t_finish
