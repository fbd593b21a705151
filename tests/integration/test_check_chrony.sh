#!/usr/bin/env bash
# test_check_chrony.sh -- check_chrony end to end: real chronyd instances (private dirs,
# loopback, -x), chronyc -c as the oracle, and a hostile cmdmon responder.
#
# BIN_DIR: where check_chrony was built (build/ or build-san/); TOOLS_DIR: hostile_cmdmon.
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
t_init check_chrony

# A copy every user can run: the build tree may sit under a 0700 home directory.
mkdir -p "$T_TMP/bin" && cp "$BIN_DIR/check_chrony" "$T_TMP/bin/" && chmod -R a+rX "$T_TMP/bin"
CHECK=$T_TMP/bin/check_chrony

OUT= RC=
# check ARGS...: runs check_chrony, keeps stdout in OUT and the exit status in RC.
check() {
  OUT=$("$CHECK" "$@" 2>&1)
  RC=$?
  return 0
}

# check_as USER ARGS...: the same as an unprivileged user.
check_as() {
  local user=$1
  shift
  OUT=$(setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups \
    "$CHECK" "$@" 2>&1)
  RC=$?
  return 0
}

jqr() { jq -r "$1" <<<"$OUT"; }

# between X A B: X within [min(A,B), max(A,B)] widened by Float/print precision.
between() {
  awk -v x="$1" -v a="$2" -v b="$3" 'BEGIN { if (a > b) { t = a; a = b; b = t }
    m = (b < 0 ? -b : b) * 1.2e-7 + 1.5e-9; exit !(x >= a - m && x <= b + m) }' ||
    _t_err "$4: $1 not between $2 and $3"
}

# near3 A B: for the ppm fields chronyc prints with 3 decimals.
near3() { assert_float_near "$1" "$2" 0.0005001 "$3"; }

# near A B: equal within chrony's Float precision (2^-24 relative) plus chronyc's 9
# printed decimals.
near() {
  assert_float_near "$1" "$2" "$(awk -v a="$2" 'BEGIN { if (a < 0) a = -a; print a * 1.2e-7 + 1.5e-9 }')" "$3"
}

# --- real chronyd -------------------------------------------------------------------

# check_chrony's numbers equal chronyc's, field by field. The server is paused (and no
# reply still in flight) so the client's state cannot move between the two readings.
# reach_between A B C: register B is A shifted by unanswered polls, and C is B shifted
# (the server is frozen: the reach register only loses its high bits).
reach_between() {
  local k ok=0
  for ((k = 0; k <= 8; k++)); do [ $((($1 << k) & 255)) -eq "$2" ] && ok=$((ok | 1)); done
  for ((k = 0; k <= 8; k++)); do [ $((($2 << k) & 255)) -eq "$3" ] && ok=$((ok | 2)); done
  [ "$ok" -eq 3 ]
}

# The client polls 4 times a second (not scn_synced's 16): its source stays selectable
# for 2 s of unanswered polls, time enough for both readings on a loaded machine.
t_synced_matches_chronyc() {
  chr_server srv || return 1
  chr_client cli "server 127.0.0.1 port $srv_PORT iburst minpoll -2 maxpoll -2" || return 1
  chr_wait_sync cli && chr_wait_sources cli '^\^,\*,127\.0\.0\.1,' || return 1
  kill -STOP "$(chr_pid srv)"
  chr_wait_settled cli || return 1
  local tr so st before tr0
  local t0 t1
  before=$(chr_chronyc cli sources) tr0=$(chr_chronyc cli tracking)
  t0=$(_chr_now_us)
  check -s "$cli_SOCK" -m 1: --reach-lost 0 --format=json
  tr=$(chr_chronyc cli tracking) so=$(chr_chronyc cli sources) st=$(chr_chronyc cli sourcestats)
  t1=$(_chr_now_us)
  kill -CONT "$(chr_pid srv)"
  # the paused server now loses polls, so reach may move on between the readings
  # (chronyc -c prints the octal register without leading zeros)
  local reach=$((8#$(jqr '.sources[0].reach_octal')))
  reach_between "$((8#$(chr_field "$before" 6)))" "$reach" "$((8#$(chr_field "$so" 6)))" ||
    _t_err "reach: ours $reach is not between chronyc's $(chr_field "$before" 6) and $(chr_field "$so" 6) (octal)" ||
    return 1
  [ "$reach" = "$((8#$(chr_field "$before" 6)))" ] && so=$before
  assert_match "$RC" "^[01]$" "synced pair: $OUT" || return 1
  assert_eq "$(jqr .reference)" "$(chr_field "$tr" 2)" "reference" || return 1
  assert_eq "$(jqr .metrics.stratum)" "$(chr_field "$tr" 3)" "stratum" || return 1
  # System time keeps slewing virtually under -x: ours lies between the two readings
  between "$(jqr .metrics.offset)" "$(chr_field "$tr0" 5)" "$(chr_field "$tr" 5)" \
    "offset = System time" || return 1
  near "$(jqr .metrics.rms_offset)" "$(chr_field "$tr" 7)" "rms offset" || return 1
  near3 "$(jqr .metrics.frequency)" "$(chr_field "$tr" 8)" "frequency" || return 1
  near3 "$(jqr .metrics.skew)" "$(chr_field "$tr" 10)" "skew" || return 1
  near "$(jqr .metrics.root_delay)" "$(chr_field "$tr" 11)" "root delay" || return 1
  # root dispersion grows with the time since the last update, by (skew + |residual
  # frequency| + 1 ppm max clock error) a second (chrony's reference.c): chronyc read it
  # at most t1 - t0 later
  awk -v a="$(jqr .metrics.root_dispersion)" -v b="$(chr_field "$tr" 12)" \
    -v dt="$(( t1 - t0 ))" -v sk="$(chr_field "$tr" 10)" -v rf="$(chr_field "$tr" 9)" \
    'BEGIN { if (rf < 0) rf = -rf; max = dt * 1e-6 * (sk + rf + 1) * 1e-6 * 1.5 + 1e-8
             exit !(b - a >= -1.5e-9 && b - a < max) }' ||
    _t_err "root dispersion: ours $(jqr .metrics.root_dispersion), chronyc $(chr_field "$tr" 12)" ||
    return 1
  assert_eq "$(jqr .leap_status)" "$(chr_field "$tr" 14)" "leap" || return 1
  assert_eq "$(jqr '.sources[0].address')" "$(chr_field "$so" 3)" "source address" || return 1
  # like reach, the state may move on while the server is paused (on a loaded machine the
  # source can turn unselectable): ours is what chronyc printed before or after
  local sel
  sel=$(jqr '.sources[0].select')
  [ "$sel" = "$(chr_field "$before" 2)" ] || [ "$sel" = "$(chr_field "$so" 2)" ] ||
    _t_err "source state: ours '$sel', chronyc's '$(chr_field "$before" 2)' then '$(chr_field "$so" 2)'" ||
    return 1
  [ "$sel" != "*" ] || assert_eq "$(jqr '.sources[0].state')" selected "source state" || return 1
  assert_eq "$(jqr '.sources[0].stratum')" "$(chr_field "$so" 4)" "source stratum" || return 1
  assert_eq "$(jqr '.sources[0].poll')" "$(chr_field "$so" 5)" "source poll" || return 1
  # our sign is source - local, chronyc's sources column the opposite
  near "$(jqr '-.sources[0].offset')" "$(chr_field "$so" 8)" "source offset" || return 1
  near "$(jqr '.sources[0].error')" "$(chr_field "$so" 10)" "source error" || return 1
  assert_eq "$(jqr '.sources[0].samples')" "$(chr_field "$st" 2)" "samples" || return 1
  near "$(jqr '.sources[0].std_dev')" "$(chr_field "$st" 8)" "std dev" || return 1
  assert_match "$sel" '^[*+x~?-]$' "selectdata over the socket" || return 1
}

t_synced_nagios_output() {
  scn_synced || return 1
  check -s "$cli_SOCK"
  # one source: usable 1 < 2 by default, and the text says why 3 matter
  assert_exit 1 "$RC" "default -m 2: with one source" || return 1
  assert_match "$OUT" "^CHRONY WARNING: usable sources 1 < 2 \(falseticker detection needs 3\) \| offset=" || return 1
  assert_match "$OUT" "stratum=2;;;0;16" "stratum perfdata" || return 1
  assert_match "$OUT" "offset=[-0-9.]+s;-0.05:0.05;-0.25:0.25" "offset perfdata ranges" || return 1
  assert_match "$OUT" $'\n\\^\\* 127\\.0\\.0\\.1 stratum 1 reach [0-7]+ offset' "long output" || return 1
  check -s "$cli_SOCK" -m 1:
  assert_exit 0 "$RC" "-m 1:" || return 1
  assert_match "$OUT" "^CHRONY OK: synchronised to 127\.0\.0\.1 \(stratum 2\)" || return 1
  assert_formats 0 1 check -s "$cli_SOCK" -m 1: && assert_formats 1 1 check -s "$cli_SOCK" ||
    return 1
  check -s "$cli_SOCK" -m 1: --discover
  assert_exit 0 "$RC" "discover" || return 1
  assert_eq "$(jqr '.[0]["{#ADDRESS}"]')" 127.0.0.1 "LLD macro" || return 1
  assert_no_files "$(dirname "$cli_SOCK")" "check_chrony.*" "client socket removed"
}

t_offset_warning() {
  scn_offset 0.1 || return 1
  check -s "$cli_SOCK" -m 1:
  assert_exit 1 "$RC" "0.1 s offset: $OUT" || return 1
  assert_match "$OUT" "^CHRONY WARNING: offset \+0\.(09|1)[0-9]* s > 0\.050 s" || return 1
}

t_offset_critical() {
  scn_offset 0.5 || return 1
  check -s "$cli_SOCK" -m 1:
  assert_exit 2 "$RC" "0.5 s offset: $OUT" || return 1
  assert_match "$OUT" "^CHRONY CRITICAL: offset \+0\.(49|5)[0-9]* s > 0\.250 s" || return 1
  check -s "$cli_SOCK" -m 1: -w 1 -c 2
  assert_exit 0 "$RC" "wider thresholds: $OUT"
}

t_falseticker() {
  scn_falseticker || return 1
  check -s "$cli_SOCK"
  assert_exit 1 "$RC" "falseticker: $OUT" || return 1
  assert_match "$OUT" "falseticker 127\.0\.0\.3" || return 1
  assert_match "$OUT" $'\n\\^x 127\\.0\\.0\\.3 ' "long output marks it" || return 1
  assert_match "$OUT" "sources_usable=2;" "two usable"
}

t_unsynchronised() {
  scn_unsync || return 1
  check -s "$cli_SOCK"
  assert_exit 2 "$RC" "unsynchronised: $OUT" || return 1
  assert_match "$OUT" "^CHRONY CRITICAL: not synchronised: no source reachable" || return 1
  assert_match "$OUT" "127\.0\.0\.1 unreachable \(reach 0\)" "names the source" &&
    assert_formats 2 1 check -s "$cli_SOCK"
}

t_local_fallback() {
  scn_local_fallback || return 1
  check -s "$cli_SOCK"
  assert_exit 1 "$RC" "local fallback is a warning, even with no usable source: $OUT" ||
    return 1
  assert_match "$OUT" "serving from local clock \(stratum 10 fallback\): no upstream source reachable" &&
    assert_formats 1 1 check -s "$cli_SOCK" || return 1
  check -s "$cli_SOCK" --format=openmetrics
  assert_match "$OUT" $'\ntimesync_local_reference\\{[^}]*\\} 1\n' "local reference series"
}

t_udp_transport() {
  scn_synced || return 1
  check -H 127.0.0.1 -p "$cli_CMDPORT" -m 1: -v
  assert_exit 0 "$RC" "UDP: $OUT" || return 1
  assert_match "$OUT" "note: selectdata not available over udp:127\.0\.0\.1:$cli_CMDPORT" || return 1
  assert_match "$OUT" "queried via udp:127\.0\.0\.1:$cli_CMDPORT" || return 1
  check -H 127.0.0.1 -p "$cli_CMDPORT" -m 1: --format=json
  assert_eq "$(jqr .transport)" "udp:127.0.0.1:$cli_CMDPORT" "transport in JSON" &&
    assert_formats 0 1 check -H 127.0.0.1 -p "$cli_CMDPORT" -m 1:
}

# As nobody against root's chronyd: the socket is out of reach (UNKNOWN with the reason),
# UDP works, and clients mode says it needs the socket.
t_unprivileged_user() {
  scn_synced || return 1
  check_as nobody -s "$cli_SOCK"
  assert_exit 3 "$RC" "socket as nobody: $OUT" || return 1
  assert_match "$OUT" "needs root or the chrony user" &&
    assert_formats 3 0 check_as nobody -s "$cli_SOCK" || return 1
  check_as nobody -H 127.0.0.1 -p "$cli_CMDPORT" -m 1:
  assert_exit 0 "$RC" "UDP as nobody: $OUT" || return 1
  check_as nobody -H 127.0.0.1 -p "$cli_CMDPORT" --mode=clients
  assert_exit 3 "$RC" "clients over UDP: $OUT" || return 1
  assert_match "$OUT" "clients mode needs chronyd's Unix socket"
}

# chronyd itself unprivileged: it must be able to answer our 0666 client socket.
t_unprivileged_daemon() {
  chr_server srv || return 1
  chr_client_as nobody cli "server 127.0.0.1 port $srv_PORT iburst minpoll -4 maxpoll -4" || return 1
  chr_wait_sync cli || return 1
  check -s "$cli_SOCK" -m 1:
  assert_exit 0 "$RC" "chronyd as nobody: $OUT"
}

t_clients_mode() {
  scn_clients || return 1
  check -s "$srv_SOCK" --mode=clients --expect-client 127.0.0.1
  assert_exit 0 "$RC" "seen: $OUT" || return 1
  assert_match "$OUT" "^CHRONY OK: 1 expected client seen within 4096 s" || return 1
  assert_match "$OUT" "ntp_requests=[1-9][0-9]*c" || return 1
  assert_match "$OUT" $'\nclient 127\\.0\\.0\\.1: [1-9][0-9]* NTP requests' || return 1
  # a name goes through the bounded resolver (localhost: /etc/hosts, no DNS traffic)
  check -s "$srv_SOCK" --mode=clients --expect-client localhost
  assert_exit 0 "$RC" "seen by name: $OUT" || return 1
  check -s "$srv_SOCK" --mode=clients --expect-client 127.0.0.1,127.0.0.9
  assert_exit 2 "$RC" "never seen: $OUT" || return 1
  assert_match "$OUT" "127\.0\.0\.9 never seen" &&
    assert_formats 0 1 check -s "$srv_SOCK" --mode=clients --expect-client 127.0.0.1 &&
    assert_formats 2 1 check -s "$srv_SOCK" --mode=clients --expect-client 127.0.0.9 || return 1
  check -s "$srv_SOCK" --mode=clients --format=openmetrics
  assert_match "$OUT" $'\ntimesync_client_last_request_age_seconds\\{[^}]*,client="127\\.0\\.0\\.1"\\} [0-9]+\n' \
    "client series" &&
    assert_match "$OUT" $'\n# TYPE timesync_ntp_requests_total counter\ntimesync_ntp_requests_total\\{[^}]*\\} [1-9][0-9]*\n' \
      "requests counter" || return 1
  check -s "$srv_SOCK" --mode=clients --discover
  assert_eq "$(jqr '.[0]["{#CLIENT}"]')" 127.0.0.1 "clients LLD" || return 1
  # the client goes away: its last request ages past 1 s, then 2 s
  chr_stop cli
  local end=$(($(_chr_now_us) + 10000000))
  while check -s "$srv_SOCK" --mode=clients --expect-client 127.0.0.1 -w 1 -c 100 &&
    [[ ! $OUT =~ "last NTP request "[2-9]" s ago" ]] && [ "$(_chr_now_us)" -lt "$end" ]; do
    sleep 0.1
  done
  assert_exit 1 "$RC" "stale (warning): $OUT" || return 1
  assert_match "$OUT" "127\.0\.0\.1 last NTP request [2-9] s ago > 1 s" || return 1
  check -s "$srv_SOCK" --mode=clients --expect-client 127.0.0.1 -w 1 -c 1
  assert_exit 2 "$RC" "stale (critical): $OUT"
}

t_daemon_stopped() {
  scn_synced || return 1
  local dir
  dir=$(dirname "$cli_SOCK")
  chr_stop cli
  check -s "$cli_SOCK" -t 3
  assert_exit 2 "$RC" "stopped daemon: $OUT" || return 1
  assert_match "$OUT" "^CHRONY CRITICAL: cannot connect to chronyd at $cli_SOCK: " || return 1
  assert_no_files "$dir" "check_chrony.*" "no client socket left" || return 1
  # JSON keeps the shape a good run has, so Zabbix items keep their paths
  check -s "$cli_SOCK" -t 3 --format=json
  assert_eq "$(jqr '.state'):$(jqr '.sources | type')" CRITICAL:array "sync mode JSON" || return 1
  check -s "$cli_SOCK" -t 3 --mode=clients --format=json
  assert_eq "$(jqr '.clients | type'):$(jqr 'has("sources")')" array:false "clients mode JSON" &&
    assert_formats 2 0 check -s "$cli_SOCK" -t 3 &&
    assert_formats 2 0 check -s "$cli_SOCK" -t 3 --mode=clients || return 1
  # the series keep the labels of a good run
  check -s "$cli_SOCK" -t 3 --format=openmetrics
  assert_match "$OUT" $'\ntimesync_check_success\\{check="chrony",target="'"$cli_SOCK"$'"\\} 0\n' \
    "target label of a failed run"
}

# Without -s/-H: the default socket, then UDP 127.0.0.1:323, then [::1]:323, and the
# message names each. Only where no system chronyd answers there.
t_default_chain() {
  if [ -e /run/chrony/chronyd.sock ] || ss -Hulnp 2>/dev/null | grep -q ':323 '; then
    t_skip default_chain "a system chronyd is running here"
    return 0
  fi
  check -t 3
  assert_exit 2 "$RC" "nothing answers: $OUT" || return 1
  assert_match "$OUT" "^CHRONY CRITICAL: cannot connect to chronyd at /run/chrony/chronyd\.sock: No such file or directory; no chronyd at udp:127\.0\.0\.1:323: Connection refused; .*\[::1\]:323" || return 1
  check -t 3 -4
  assert_match "$OUT" "udp:127\.0\.0\.1:323: Connection refused\$" "-4 skips ::1"
}

t_bad_options() {
  check -w abc
  assert_exit 3 "$RC" "bad range" || return 1
  assert_match "$OUT" "^CHRONY UNKNOWN: -w: invalid threshold range 'abc'" || return 1
  assert_match "$OUT" $'\nUsage: check_chrony' || return 1
  check -s /x -H 127.0.0.1
  assert_exit 3 "$RC" "-s with -H" || return 1
  check --bogus
  assert_exit 3 "$RC" "unknown option" || return 1
  check -t 0
  assert_exit 3 "$RC" "timeout 0" || return 1
  check --expect-client a
  assert_exit 3 "$RC" "--expect-client without clients mode" || return 1
  check --format=json -w abc
  assert_exit 3 "$RC" "bad range, JSON" || return 1
  assert_eq "$(jqr .state)" UNKNOWN "JSON error object" || return 1
  # a scrape or the Checkmk agent gets a failed check, not the usage text, also when the
  # bad option comes before --format
  assert_formats 3 0 check -w abc && assert_formats 3 0 check --bogus || return 1
  # a service name too long for Checkmk's line is cut at a whole UTF-8 character
  local e63
  printf -v e63 'é%.0s' {1..63}
  check -w abc --format=checkmk --service-name "$(printf 'é%.0s' {1..100})"
  assert_eq "$(cut -d'"' -f2 <<<"$OUT")" "$e63" "cut service name" &&
    iconv -f UTF-8 -t UTF-8 <<<"$OUT" >/dev/null || _t_err "not UTF-8: $OUT" || return 1
  check -V
  assert_eq "$OUT" "check_chrony v1.0.0 (timesync-monitor 1.0.0)" "version" || return 1
  check -h
  assert_match "$OUT" "Sign convention" "help explains the sign"
}

# --- hostile responder ----------------------------------------------------------------

# hostile MODE unix|udp|udp6: starts the responder; its socket is $HSOCK, or $HPORT on
# 127.0.0.1 (udp) or ::1 (udp6).
hostile() {
  local mode=$1 kind=$2 dir=$T_TMP/hostile
  local -a listen=()
  rm -rf "$dir" && mkdir -p "$dir" && chmod 0750 "$dir"
  HSOCK=$dir/chronyd.sock
  case $kind in
    unix) listen=(--unix "$HSOCK") ;;
    udp) HPORT=$(free_port) && listen=(--udp "127.0.0.1:$HPORT") || return 1 ;;
    udp6) HPORT=$(free_port) && listen=(--udp "[::1]:$HPORT") || return 1 ;;
  esac
  "$TOOLS_DIR/hostile_cmdmon" "${listen[@]}" --mode "$mode" --lifetime 60 \
    --ready-file "$dir/ready" &
  t_track $!
  wait_ready "$dir/ready" || { _t_err "hostile_cmdmon ($mode) did not start"; return 1; }
}

hostile_stop() { t_stop_tracked; }

# hostile_case MODE KIND EXIT REGEX [ARGS...]: the state, the words, bounded time (-t 3
# unless ARGS say otherwise), no crash and no client socket left behind.
hostile_case() {
  local mode=$1 kind=$2 want=$3 re=$4 t0 t1 rc=0
  shift 4
  hostile "$mode" "$kind" || return 1
  t0=$(date +%s.%N)
  if [ "$kind" = unix ]; then check -s "$HSOCK" -t 3 -m 1: "$@"; else
    check -H 127.0.0.1 -p "$HPORT" -t 3 -m 1: "$@"; fi
  t1=$(date +%s.%N)
  hostile_stop
  assert_exit "$want" "$RC" "$mode over $kind: $OUT" || rc=1
  [ $rc -eq 0 ] && { assert_match "$OUT" "$re" "$mode over $kind" || rc=1; }
  [ $rc -eq 0 ] && { awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 6) }' ||
    _t_err "$mode over $kind took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"; } || rc=1
  [ $rc -eq 0 ] && { assert_no_files "$T_TMP/hostile" "check_chrony.*" "$mode: client socket" || rc=1; }
  return $rc
}

t_hostile_ok() {
  hostile_case ok unix 0 "^CHRONY OK: synchronised to 127\.0\.0\.1" &&
    hostile_case ok unix 0 $'\n\\^\\* ntp-fake\\.example \\(127\\.0\\.0\\.1\\)' &&
    hostile_case ok udp 0 "^CHRONY OK: "
}
t_hostile_ipv6() {
  if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
    t_skip hostile_ipv6 "no IPv6 on loopback"
    return 0
  fi
  hostile ok udp6 || return 1
  check -H ::1 -p "$HPORT" -6 -m 1: -v
  hostile_stop
  assert_exit 0 "$RC" "UDP over IPv6: $OUT" || return 1
  assert_match "$OUT" "queried via udp:\[::1\]:$HPORT"
}
t_hostile_silent() {
  hostile_case silent unix 2 "^CHRONY CRITICAL: no reply from chronyd at unix:.* after 3\.0 s" &&
    hostile_case silent udp 2 "^CHRONY CRITICAL: no reply from chronyd at udp:127\.0\.0\.1"
}
t_hostile_truncated() {
  hostile_case truncated unix 2 "no valid reply .*truncated reply" &&
    hostile_case short-header udp 2 "no valid reply .*shorter than a header"
}
t_hostile_oversized() { hostile_case oversized unix 2 "no valid reply .*oversized reply \(4000 bytes\)"; }
t_hostile_wrong_version() { hostile_case wrong-version udp 2 "no valid reply .*protocol version 5"; }
t_hostile_wrong_type() { hostile_case wrong-type unix 2 "no valid reply .*packet type 1"; }
t_hostile_spoofed() {
  hostile_case wrong-sequence udp 2 "no valid reply .*foreign command or sequence" &&
    hostile_case wrong-command unix 2 "no valid reply .*foreign command or sequence"
}
t_hostile_reply_code() { hostile_case wrong-reply-code unix 2 "unexpected reply code 9"; }
t_hostile_unauth() { hostile_case unauth udp 3 "^CHRONY UNKNOWN: chronyd: Not authorised"; }
t_hostile_badpktlength() { hostile_case badpktlength unix 3 "Packet length mismatch"; }
t_hostile_badpktversion() { hostile_case badpktversion unix 3 "Protocol version mismatch"; }
t_hostile_invalid() { hostile_case invalid udp 3 "Invalid command"; }
t_hostile_garbage() { hostile_case garbage unix 2 "no valid reply"; }
t_hostile_extreme_floats() { hostile_case nan-floats unix 2 "^CHRONY CRITICAL: offset "; }
t_hostile_flood() { hostile_case flood unix 0 "^CHRONY OK: "; }
t_hostile_slow() { hostile_case slow udp 2 "no reply from chronyd at udp:.* after 2\.0 s" -t 2; }
t_hostile_unauth_extras() {
  hostile_case unauth-extras unix 0 "note: selectdata not available over unix:.*Not authorised" &&
    hostile_case unauth-extras unix 3 "clients mode needs chronyd's Unix socket" --mode=clients
}

# SIGTERM in the middle of a wait: UNKNOWN, and the client socket file is gone.
t_sigterm_cleans_up() {
  hostile silent unix || return 1
  "$CHECK" -s "$HSOCK" -t 10 >"$T_TMP/sig.out" 2>&1 &
  local pid=$! rc i
  for ((i = 0; i < 100; i++)); do # until it waits: its client socket file exists
    ls "$T_TMP/hostile" | grep -q '^check_chrony\.' && break
    sleep 0.05
  done
  ls "$T_TMP/hostile" | grep -q '^check_chrony\.' || _t_err "no client socket while waiting" || {
    kill "$pid"; wait "$pid"; hostile_stop; return 1; }
  kill -TERM "$pid"
  wait "$pid"
  rc=$?
  hostile_stop
  assert_exit 3 "$rc" "signalled run" || return 1
  assert_match "$(cat "$T_TMP/sig.out")" "^CHRONY UNKNOWN: interrupted" || return 1
  assert_no_files "$T_TMP/hostile" "check_chrony.*" "client socket after SIGTERM"
}

t_run_all hostile_stop
t_finish
