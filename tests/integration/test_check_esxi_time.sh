#!/usr/bin/env bash
# test_check_esxi_time.sh -- check_esxi_time against a fake vSphere endpoint (HTTPS with
# a CA made for this run): a standalone ESXi 8 (SOAP only), an ESXi 6.7 without the
# health fields, a vCenter 8 with two hosts (SOAP and VI/JSON). The fake counts sessions
# and views: every run must leave none open.
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
CHECK=$BIN_DIR/check_esxi_time
t_init check_esxi_time

fake_vsphere_creds || { echo "cannot make a CA"; exit 1; }
CA_PEM=$FAKE_VS_CACERT AUTH=$FAKE_VS_AUTH
OUT= RC= PORT_= STATE=

# fake PROFILE [--untrusted] [fake flags...]: starts the endpoint; $PORT_ and $STATE
# describe it.
fake() { fake_vsphere_start vs "$@" && PORT_=$vs_PORT STATE=$vs_STATE; }
fake_stop() { t_stop_tracked; }

check() {
  OUT=$("$CHECK" -H 127.0.0.1 -p "$PORT_" --authfile "$AUTH" --cacert "$CA_PEM" "$@" 2>&1)
  RC=$?
  return 0
}
jqr() { jq -r "$1" <<<"$OUT"; }
state() { jq -r ".$1" "$STATE"; }

# no session and no view left behind by the runs so far
clean() {
  assert_eq "$(state open_sessions)" 0 "sessions left open" &&
    assert_eq "$(state views_open)" 0 "views left open"
}

# case PROFILE EXIT REGEX [fake flags] -- [check args]
case_() {
  local profile=$1 want=$2 re=$3
  shift 3
  local -a fargs=() cargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do fargs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  cargs=("$@")
  fake "$profile" "${fargs[@]}" || return 1
  check "${cargs[@]}"
  assert_exit "$want" "$RC" "$profile ${fargs[*]} / ${cargs[*]}: $OUT" || return 1
  assert_match "$OUT" "$re" "$profile" || return 1
  clean
}

# --- what each endpoint speaks ------------------------------------------------------------

t_esxi8_soap() {
  case_ esxi8 0 "^ESXI OK: esxi01\.example\.com: offset [-+][0-9]+[num]?s, ntpd running, 2 NTP servers \| offset=" \
    -- -v || return 1
  assert_match "$OUT" "queried via https://127\.0\.0\.1 \(SOAP 8\.0\.3\.0 \(HostAgent\)\)" &&
    assert_match "$OUT" $'\nesxi01\\.example\\.com: offset .* last synchronised [0-9]+ s ago from 10\\.0\\.0\\.11'
}
t_esxi8_refuses_json() {
  case_ esxi8 3 "^ESXI UNKNOWN: 127\.0\.0\.1 does not serve VI/JSON .*use --api=soap" -- --api=json
}
t_esxi67_without_health() {
  case_ esxi67 0 "sync health not available on API 6\.7\.3" -- --format=json || return 1
  assert_eq "$(jqr '.hosts[0].service_sync')" null "serviceSync is unknown, not true" &&
    assert_eq "$(jqr '.hosts[0].health_available')" false "health flag"
}
t_vcenter_json_all_hosts() {
  case_ vcenter8 0 '"api":"VI/JSON 8\.0\.3\.0 \(VirtualCenter\)"' -- --all-hosts --format=json ||
    return 1
  assert_eq "$(jqr '.hosts | length')" 2 "two hosts" &&
    assert_eq "$(jqr '.hosts[1].name')" esx02.example.com "second host" &&
    assert_match "$(jqr '.metrics | keys | join(",")')" "esx01\.example\.com_offset" "per-host labels"
}
t_vcenter_soap_one_host() {
  case_ vcenter8 0 "^ESXI OK: esx02\.example\.com: " -- --api=soap --esxi esx02.example.com -v ||
    return 1
  assert_match "$OUT" "SOAP 8\.0\.3\.0 \(VirtualCenter\)"
}
t_vcenter_needs_a_host() {
  case_ vcenter8 3 "is a vCenter: name a host with --esxi NAME, or use --all-hosts" &&
    case_ vcenter8 3 "host esx09\.example\.com not found" -- --esxi esx09.example.com
}
t_discovery() {
  case_ vcenter8 0 '"\{#HOST\}":"esx01\.example\.com"' -- --all-hosts --discover
}

# --- the rules ------------------------------------------------------------------------------

t_ntpd_stopped() {
  case_ esxi8 2 "^ESXI CRITICAL: ntpd is not running \(policy on\)" --set ntpd_running=false &&
    case_ esxi8 2 "ntpd is not running \(policy automatic\)" --set ntpd_running=false \
      --set ntpd_policy=automatic &&
    case_ esxi8 1 "^ESXI WARNING: ntpd is off \(policy off\)" --set ntpd_running=false \
      --set ntpd_policy=off
}
t_no_ntp_server() { case_ esxi8 1 "^ESXI WARNING: no NTP server configured" --set ntp_servers=; }
t_expect_ntp_server() {
  case_ esxi8 0 "^ESXI OK" -- --expect-ntp-server 10.0.0.12,10.0.0.11 &&
    case_ esxi8 1 "^ESXI WARNING: NTP servers 10\.0\.0\.11, 10\.0\.0\.12, expected ntp1\.example\.com" \
      -- --expect-ntp-server ntp1.example.com
}
t_service_sync_false() {
  case_ esxi8 2 "^ESXI CRITICAL: not synchronised \(serviceSync false\)" --set service_sync=false
}
t_last_sync_age() {
  case_ esxi8 1 "^ESXI WARNING: last synchronised 7[0-9]{3} s ago > 3600 s" --set last_sync_age=7200 &&
    case_ esxi8 0 "^ESXI OK" --set last_sync_age=7200 -- --max-sync-age 10000 &&
    case_ esxi8 1 "^ESXI WARNING: never synchronised \(no lastSyncTime\)" --set last_sync_age=none
}
t_fallback() { case_ esxi8 1 "^ESXI WARNING: in fallback state" --set in_fallback=true; }
t_offsets() {
  case_ esxi8 1 '"summary":"offset \+2\.[45][0-9]* s > 1 s"' --set clock_offset=2.5 -- \
    --format=json || return 1
  assert_float_near "$(jqr .metrics.offset)" 2.5 "$(jqr '.metrics.rtt / 2 + 0.01')" \
    "offset within +/- rtt/2 of the injected 2.5 s" || return 1
  case_ esxi8 2 "^ESXI CRITICAL: offset -(6\.9|7\.0)[0-9]* s > 5 s" --set clock_offset=-7 &&
    case_ esxi8 2 "exceeds Kerberos 5-minute tolerance" --set clock_offset=400
}
t_worst_host_wins() {
  case_ vcenter8 2 "^ESXI CRITICAL: esx02\.example\.com: ntpd is not running" \
    --set esx02.example.com:ntpd_running=false --set esx01.example.com:in_fallback=true \
    -- --all-hosts || return 1
  assert_match "$OUT" "esx01\.example\.com: in fallback state" "the warning is listed too"
}

# --- Prometheus and Checkmk ----------------------------------------------------------------

# formats_in PROFILE STATE SUCCESS [FAKE-ARGS...] -- [CHECK-ARGS...]: both formats, and the
# session is logged out after each run
formats_in() {
  local profile=$1 want=$2 ok=$3
  shift 3
  local -a fargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do fargs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  fake "$profile" "${fargs[@]}" || return 1
  assert_formats "$want" "$ok" check "$@" && clean || return 1
  fake_stop
}
t_openmetrics_and_checkmk() {
  formats_in esxi8 0 1 && formats_in esxi8 1 1 --set in_fallback=true &&
    formats_in esxi8 2 1 --set ntpd_running=false && formats_in esxi8 3 0 --bad-password &&
    formats_in esxi8 3 0 --http-500 && formats_in esxi8 2 0 --slow 30 -- -t 1 &&
    formats_in vcenter8 2 1 --set esx02.example.com:ntpd_running=false -- --all-hosts ||
    return 1
  fake vcenter8 --set esx02.example.com:ntpd_running=false || return 1
  check --all-hosts --format=openmetrics
  assert_match "$OUT" $'\ntimesync_ntpd_running\\{check="esxi",target="127\\.0\\.0\\.1:'"$PORT_"$'",host="esx02\\.example\\.com"\\} 0\n' \
    "per-host series" &&
    assert_match "$OUT" $'\ntimesync_offset_seconds\\{[^}]*,host="esx01\\.example\\.com"\\} ' \
      "per-host offset" || return 1
  check --all-hosts --format=checkmk
  assert_match "$OUT" '^2 "Timesync ESXi 127\.0\.0\.1" esx01\.example\.com_offset=[0-9.e-]+;1;5;;\|' \
    "per-host metrics" && assert_match "$OUT" '\\nesx02\.example\.com: [^\]*ntpd stopped' \
    "long output per host" && clean
}

# --- credentials, sessions, TLS -----------------------------------------------------------

t_bad_password() {
  case_ esxi8 3 "^ESXI UNKNOWN: login failed: Cannot complete login due to an incorrect user name or password\." \
    --bad-password && assert_eq "$(state logins)" 0 "no session"
}
t_authfile_rules() {
  local loose=$T_TMP/loose
  cp "$AUTH" "$loose" && chmod 644 "$loose"
  OUT=$("$CHECK" -H 127.0.0.1 --authfile "$loose" 2>&1); RC=$?
  assert_exit 3 "$RC" "0644 authfile: $OUT" || return 1
  assert_match "$OUT" "may be read by group or others: chmod 600" || return 1
  OUT=$("$CHECK" -H 127.0.0.1 2>&1); RC=$?
  assert_exit 3 "$RC" "no authfile" || return 1
  assert_match "$OUT" "passwords never go on the command line"
}
t_session_file() {
  local sf=$T_TMP/session
  fake esxi8 || return 1
  check --session-file "$sf"
  assert_exit 0 "$RC" "first run: $OUT" || return 1
  assert_eq "$(stat -c %a "$sf")" 600 "session file mode" || return 1
  assert_eq "$(state open_sessions)" 1 "the session is kept for the next run" || return 1
  check --session-file "$sf"
  assert_exit 0 "$RC" "second run: $OUT" || return 1
  assert_eq "$(state logins)" 1 "the second run reused the session" || return 1
  # the endpoint restarts: the saved session has expired, one new login follows
  fake_stop
  local port=$PORT_
  fake esxi8 || return 1
  sed -i "s/:$port/:$PORT_/" "$sf"
  check --session-file "$sf" -v
  assert_exit 0 "$RC" "expired session: $OUT" || return 1
  assert_match "$OUT" "the saved session has expired; logging in again" || return 1
  assert_eq "$(state logins)" 1 "one re-login" || return 1
  chmod 644 "$sf"
  check --session-file "$sf"
  assert_exit 3 "$RC" "a session file others can read: $OUT"
}
t_untrusted_certificate() {
  case_ esxi8 3 "^ESXI UNKNOWN: TLS verification failed for 127\.0\.0\.1" --untrusted &&
    case_ esxi8 0 "^ESXI OK" --untrusted -- --insecure &&
    assert_match "$OUT" $'\nnote: TLS verification disabled \\(--insecure\\)'
}

# --- broken endpoints: a clear state, within -t, nothing left open ----------------------

t_slow_endpoint() {
  local t0 t1
  # far slower than -t, so a plugin that waits for the answer cannot pass; the bound is
  # twice -t because process start-up on a loaded machine (ASan) is not the plugin's wait
  fake esxi8 --slow 30 || return 1
  t0=$(date +%s.%N)
  check -t 2
  t1=$(date +%s.%N)
  assert_exit 2 "$RC" "slow endpoint: $OUT" || return 1
  assert_match "$OUT" "^ESXI CRITICAL: no answer from 127\.0\.0\.1 in time" || return 1
  awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 4) }' ||
    _t_err "took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s with -t 2"
}
# -4/-6 reach libcurl: the fake listens on 127.0.0.1 only
t_address_family() {
  case_ esxi8 0 "^ESXI OK" -- -4 &&
    case_ esxi8 2 "^ESXI CRITICAL: cannot talk to 127\.0\.0\.1" -- -6
}

# A failed run has the JSON shape of a good one, so Zabbix items keep their paths.
t_json_failure_shape() {
  case_ esxi8 3 '"summary":"127\.0\.0\.1 does not answer' --http-500 -- --format=json ||
    return 1
  assert_eq "$(jqr '.hosts | type'):$(jqr '.hosts | length')" array:0 "an empty hosts list" &&
    assert_eq "$(jqr 'has("sources")')" false "no sources list"
}

t_http_500() { case_ esxi8 3 "^ESXI UNKNOWN: 127\.0\.0\.1 does not answer as a vSphere endpoint" --http-500; }
t_malformed() {
  case_ esxi8 3 "^ESXI UNKNOWN: .*malformed XML" --malformed &&
    case_ vcenter8 3 "^ESXI UNKNOWN: .*malformed" --malformed -- --api=json --all-hosts
}
t_oversized() {
  case_ esxi8 3 "^ESXI UNKNOWN: response from 127\.0\.0\.1 larger than 4194304 bytes" --oversized &&
    case_ vcenter8 3 "^ESXI UNKNOWN: response from 127\.0\.0\.1 larger than 4194304 bytes" \
      --oversized -- --api=json --all-hosts
}

t_bad_options() {
  OUT=$("$CHECK" --authfile "$AUTH" 2>&1); RC=$?
  assert_exit 3 "$RC" "no -H" || return 1
  OUT=$("$CHECK" -H x --authfile "$AUTH" --api=rest 2>&1); RC=$?
  assert_match "$OUT" "--api: 'rest' is not auto, soap or json" || return 1
  OUT=$("$CHECK" -H x --authfile "$AUTH" --esxi a --all-hosts 2>&1); RC=$?
  assert_exit 3 "$RC" "--esxi with --all-hosts"
}

t_run_all fake_stop
t_finish
