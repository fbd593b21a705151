#!/usr/bin/env bash
# test_agentx.sh -- timesync-agentx under a real snmpd (private config, loopback UDP on a
# free port, AgentX socket in the temp dir), read with the net-snmp tools: NTPv4-MIB
# against chronyc, the check tables, traps at a real snmptrapd, restarts of snmpd and
# chronyd. The agent runs unprivileged (as nobody), as in production.
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
t_init agentx

mkdir -p "$T_TMP/bin" && cp "$BIN_DIR/timesync-agentx" "$T_TMP/bin/" && chmod -R a+rX "$T_TMP/bin"
AGENT=$T_TMP/bin/timesync-agentx
ROOT=.1.3.6.1.4.1.8072.9999.123
NTP=.1.3.6.1.2.1.197

SNMPD_PID= TRAPD_PID= AGENT_PID= FAKE_PIDS=() SNMP_PORT= TRAP_PORT=
MIBS= && export MIBS # the tools print numbers; no MIB files needed


trapd_start() {
  local dir=$T_TMP/trapd i
  mkdir -p "$dir"
  printf 'disableAuthorization yes\n' >"$dir/snmptrapd.conf"
  "$SNMP_SBIN/snmptrapd" -f -C -c "$dir/snmptrapd.conf" -On -Lf "$dir/traps.log" \
    -p "$dir/trapd.pid" "udp:127.0.0.1:$TRAP_PORT" </dev/null &
  TRAPD_PID=$!
  t_track "$TRAPD_PID"
  for i in $(seq 1 50); do grep -q "NET-SNMP version" "$dir/traps.log" 2>/dev/null && return 0
    sleep 0.1; done
}

# agent_start CONFIG-LINES...: the agent as nobody, interval 1 s.
agent_start() {
  local conf=$T_TMP/agent.conf
  printf '%s\n' "interval 1" "$@" >"$conf"
  chmod 0644 "$conf"
  : >"$T_TMP/agent.log" && chmod 0666 "$T_TMP/agent.log" # nobody writes it
  : >"$T_TMP/agent.err" && chmod 0666 "$T_TMP/agent.err"
  setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
    "$AGENT" -f -x "$SNMPD_DIR/agentx.sock" -c "$conf" -Lf "$T_TMP/agent.log" \
    </dev/null 2>"$T_TMP/agent.err" &
  AGENT_PID=$!
  t_track "$AGENT_PID" # stopped by agent_stop; tracked for a suite killed meanwhile
}

stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; return 0; }

# Stops the agent with SIGTERM: it must exit 0, and under ASan report no leak or error.
agent_stop() {
  local rc=0
  [ -n "$AGENT_PID" ] || return 0
  kill "$AGENT_PID" 2>/dev/null
  wait "$AGENT_PID" || rc=$?
  AGENT_PID=
  if grep -q "Sanitizer" "$T_TMP/agent.err" 2>/dev/null; then
    sed -n '1,40p' "$T_TMP/agent.err"
    _t_err "the agent's sanitizer report is above"
    return 1
  fi
  [ "$rc" -eq 0 ] || _t_err "the agent exited $rc on SIGTERM"
}

stop_all() {
  local p
  stop_pid "$AGENT_PID"; stop_pid "$SNMPD_PID"; stop_pid "$TRAPD_PID"
  for p in "${FAKE_PIDS[@]}"; do stop_pid "$p"; done
  AGENT_PID= SNMPD_PID= TRAPD_PID= FAKE_PIDS=() SNMP_PORT= TRAP_PORT= SNMPD_DIR=
  rm -f "$T_TMP/agent.log"
}

get() { snmpget -v2c -c public -On -Oqv -t 1 -r 0 "127.0.0.1:$SNMP_PORT" "$@" 2>&1; }
walk() { snmpbulkwalk -v2c -c public -On -Oq -t 2 -r 0 "127.0.0.1:$SNMP_PORT" "$@" 2>&1; }

# wait_get OID REGEX [SECONDS]: polls until the value matches (the agent polls every 1 s).
wait_get() {
  local i v
  for i in $(seq 1 $((${3:-10} * 5))); do
    v=$(get "$1")
    [[ $v =~ $2 ]] && return 0
    sleep 0.2
  done
  _t_err "$1 = '$v', never matched /$2/; agent log: $(tail -3 "$T_TMP/agent.log" | tr '\n' '|')"
}

# wait_log REGEX [SECONDS]: until the agent's log has a matching line.
wait_log() {
  local i
  for ((i = 0; i < ${2:-10} * 10; i++)); do
    grep -Eq "$1" "$T_TMP/agent.log" 2>/dev/null && return 0
    sleep 0.1
  done
  _t_err "no agent log line matching /$1/: $(tail -3 "$T_TMP/agent.log" | tr '\n' '|')"
}

fake_w32() { # MODE -> sets FPORT
  FPORT=$(free_port) || return 1
  "$TOOLS_DIR/fake_w32time" --udp "127.0.0.1:$FPORT" --mode "$1" --lifetime 120 &
  FAKE_PIDS+=($!)
  t_track $!
}

# chrony's client runs as nobody too, so the unprivileged agent can use its socket.
nobody_pair() {
  chr_server srv || return 1
  chr_client_as nobody cli "server 127.0.0.1 port $srv_PORT iburst minpoll -4 maxpoll -4" ||
    return 1
  chr_wait_sync cli
}

# mib_of WALK OID: the value of OID in a walk's output (-On -Oq), quotes removed.
mib_of() { awk -v o="$2" '$1 == o { $1 = ""; sub(/^ /, ""); gsub(/"/, ""); print; exit }' <<<"$1"; }

# NTPv4-MIB says what chronyc says. The server is frozen (SIGSTOP), and both sides are
# read in that window only after the agent has polled the frozen state: its TX counter
# (ntpAssocStatOutPkts) is past the client's TX count at the moment the state settled.
t_ntpv4_mib_equals_chronyc() {
  nobody_pair && snmpd_start || return 1
  agent_start "chronySocket $cli_SOCK"
  wait_get "$NTP.1.2.1.0" '^6$' || return 1 # syncToRemoteServer
  kill -STOP "$(chr_pid srv)" # lib.sh's stop sends SIGCONT after SIGTERM: no early CONT
  chr_wait_settled cli || return 1
  local i out=0
  for ((i = 0; i < 100; i++)); do
    out=$(get "$NTP.1.3.2.1.2.1")
    [[ $out =~ ^[0-9]+$ ]] && [ "$out" -ge $((CHR_SETTLED_TX + 3)) ] && break
    sleep 0.1
  done
  [ "$out" -ge $((CHR_SETTLED_TX + 3)) ] 2>/dev/null ||
    { _t_err "no agent poll after the freeze: OutPkts $out, client TX $CHR_SETTLED_TX"; return 1; }
  local tr so nd m
  m=$(walk "$NTP.1")
  tr=$(chr_chronyc cli tracking) so=$(chr_chronyc cli sources) nd=$(chr_chronyc cli ntpdata)
  kill -CONT "$(chr_pid srv)"
  assert_eq "$(mib_of "$m" "$NTP.1.1.1.0")" chrony "ntpEntSoftwareName" || return 1
  assert_eq "$(mib_of "$m" "$NTP.1.2.2.0")" "$(chr_field "$tr" 3)" "ntpEntStatusStratum" || return 1
  assert_eq "$(mib_of "$m" "$NTP.1.2.4.0")" "$(chr_field "$tr" 2)" "active source name" || return 1
  assert_eq "$(mib_of "$m" "$NTP.1.2.6.0")" "$(echo "$so" | grep -c .)" "number of sources" || return 1
  local off disp
  off=$(mib_of "$m" "$NTP.1.2.5.0" | awk '{print $1}')
  disp=$(mib_of "$m" "$NTP.1.2.7.0" | awk '{print $1}')
  # System time keeps slewing (virtually, -x) by microseconds a second, and the agent's
  # reading is up to 1 s older than chronyc's
  assert_float_near "$off" "$(awk -v v="$(chr_field "$tr" 5)" 'BEGIN { print v * 1000 }')" 0.012 \
    "ntpEntStatusActiveOffset (ms) = System time" || return 1
  # root dispersion grows by microseconds a second: the agent's reading is up to 1 s old
  assert_float_near "$disp" "$(awk -v v="$(chr_field "$tr" 12)" 'BEGIN { print v * 1000 }')" 0.03 \
    "ntpEntStatusDispersion (ms) = root dispersion" || return 1
  assert_eq "$(mib_of "$m" "$NTP.1.3.1.1.2.1")" "$(chr_field "$so" 3)" "ntpAssocName" || return 1
  assert_eq "$(mib_of "$m" "$NTP.1.3.1.1.7.1")" "$(chr_field "$so" 4)" "ntpAssocStratum" || return 1
  assert_match "$(mib_of "$m" "$NTP.1.3.1.1.5.1")" "7F 00 00 01" "ntpAssocAddress" || return 1
  # ntpAssociationStatisticsTable = chronyc ntpdata's Total TX / RX / valid RX. RX and
  # the delay are frozen with the server; TX is not (the client keeps polling 16 times a
  # second), so the agent's TX may trail by a poll's worth.
  local tx rx valid
  read -r tx rx valid < <(chr_ntpdata_counters "$nd")
  assert_eq "$(mib_of "$m" "$NTP.1.3.2.1.1.1")" "$rx" "ntpAssocStatInPkts = Total RX" || return 1
  assert_float_near "$(mib_of "$m" "$NTP.1.3.2.1.2.1")" "$tx" 40 "ntpAssocStatOutPkts ~ Total TX" ||
    return 1
  assert_eq "$(mib_of "$m" "$NTP.1.3.2.1.3.1")" "$((rx - valid))" \
    "ntpAssocStatProtocolError = RX - valid RX" || return 1
  # the MIB shows milliseconds to 3 decimals (1 us): half a unit of rounding
  assert_float_near "$(mib_of "$m" "$NTP.1.3.1.1.9.1" | awk '{print $1}')" \
    "$(awk -v v="$(chr_field "$nd" 20)" 'BEGIN { print v * 1000 }')" 0.0005 \
    "ntpAssocStatusDelay (ms) = peer delay"
}

# Three checks: chrony, a W32Time fake, a silent host; both tables walk.
t_check_tables() {
  nobody_pair && snmpd_start || return 1
  fake_w32 synced; local ok=$FPORT
  fake_w32 silent; local dead=$FPORT
  agent_start "check c1 check_chrony -s $cli_SOCK -m 1:" \
    "check w1 check_w32time -H 127.0.0.1 -p $ok" \
    "check w2 check_w32time -H 127.0.0.1 -p $dead -t 2"
  wait_get "$ROOT.1.1.1.5.3" '^2$' || return 1
  wait_get "$ROOT.1.1.1.5.1" '^0$' && wait_get "$ROOT.1.1.1.5.2" '^0$' || return 1
  local t
  t=$(walk "$ROOT.1.1")
  assert_match "$t" "$ROOT\.1\.1\.1\.2\.1 \"c1\"" "names" || return 1
  assert_match "$t" "$ROOT\.1\.1\.1\.3\.2 2" "kind w32time" || return 1
  assert_match "$t" "$ROOT\.1\.1\.1\.6\.3 \"W32TIME CRITICAL: no NTP reply from 127\.0\.0\.1" \
    "status text" || return 1
  assert_match "$t" "$ROOT\.1\.1\.1\.9\.1 2" "chrony stratum" || return 1
  assert_match "$t" "$ROOT\.1\.1\.1\.10\.2 15" "w32time reach: 4 answered samples" || return 1
  t=$(walk "$ROOT.1.2")
  assert_match "$t" "$ROOT\.1\.2\.1\.2\.1\.1 \"127\.0\.0\.1\"" "chrony source row" || return 1
  assert_match "$t" "$ROOT\.1\.2\.1\.4\.1\.1 1" "selected" || return 1
  assert_match "$t" "$ROOT\.1\.2\.1\.2\.2\.1 \"127\.0\.0\.1\"" "w32time source row"
}

# A GET never waits for a poll: a silent target polls for seconds, answers stay prompt.
t_get_while_target_hangs() {
  snmpd_start || return 1
  fake_w32 silent
  agent_start "check w1 check_w32time -H 127.0.0.1 -p $FPORT -t 5"
  wait_get "$ROOT.1.1.1.2.1" '"w1"' || return 1
  local i v
  for i in $(seq 1 20); do
    v=$(get "$ROOT.1.1.1.5.1") # 1 s timeout, no retry
    [[ $v =~ ^[0-3]$ ]] || { _t_err "GET $i: '$v'"; return 1; }
    sleep 0.1
  done
}

t_state_change_trap() {
  snmpd_start && trapd_start || return 1
  fake_w32 silent
  agent_start "check w9 check_w32time -H 127.0.0.1 -p $FPORT -t 2"
  local i
  for i in $(seq 1 100); do
    grep -q "$ROOT\.0\.1" "$T_TMP/trapd/traps.log" 2>/dev/null && break
    sleep 0.1
  done
  assert_match "$(cat "$T_TMP/trapd/traps.log")" "$ROOT\.0\.1" "tsyncCheckStateChange" || return 1
  assert_match "$(cat "$T_TMP/trapd/traps.log")" "\"w9\"" "names the check" || return 1
  assert_match "$(cat "$T_TMP/agent.log")" "check w9: W32TIME CRITICAL" "one log line"
}

t_snmpd_restart() {
  snmpd_start || return 1
  fake_w32 synced
  agent_start "check w1 check_w32time -H 127.0.0.1 -p $FPORT"
  wait_get "$ROOT.1.1.1.2.1" '"w1"' || return 1
  stop_pid "$SNMPD_PID"
  rm -f "$SNMPD_DIR/agentx.sock"
  snmpd_start || return 1
  # the agent pings every 5 s and registers again
  wait_get "$ROOT.1.1.1.2.1" '"w1"' 20
}

t_chronyd_restart() {
  nobody_pair && snmpd_start || return 1
  agent_start "chronySocket $cli_SOCK" "check c1 check_chrony -s $cli_SOCK -m 1:"
  wait_get "$NTP.1.2.1.0" '^6$' && wait_get "$ROOT.1.1.1.5.1" '^0$' || return 1
  chr_stop cli
  wait_get "$NTP.1.2.1.0" '^1$' && wait_get "$ROOT.1.1.1.5.1" '^2$' || return 1 # notRunning
  chr_client_as nobody cli "server 127.0.0.1 port $srv_PORT iburst minpoll -4 maxpoll -4" &&
    chr_wait_sync cli || return 1
  wait_get "$NTP.1.2.1.0" '^6$' && wait_get "$ROOT.1.1.1.5.1" '^0$'
}

# RFC 5907 notifications, as ntpEntNotifBits enables them: a mode change when chronyd
# stops, and heartbeats at ntpEntHeartbeatInterval.
t_ntpv4_notifications() {
  nobody_pair && snmpd_start && trapd_start || return 1
  agent_start "chronySocket $cli_SOCK"
  wait_get "$NTP.1.2.1.0" '^6$' || return 1
  # entNotifModeChange(1) and entNotifHeartbeat(8): octets 0x40 0x80
  snmpset -v2c -c private -t 2 -r 0 "127.0.0.1:$SNMP_PORT" "$NTP.1.4.2.0" x "4080" \
    "$NTP.1.4.1.0" u 1 >/dev/null || { _t_err "snmpset refused"; return 1; }
  assert_eq "$(get "$NTP.1.4.1.0")" 1 "ntpEntHeartbeatInterval" || return 1
  assert_match "$(get "$NTP.1.4.2.0")" '"?40 80' "ntpEntNotifBits" || return 1
  wait_log "chronyd: mode 6" || return 1 # the once-a-second check has seen mode 6
  chr_stop cli
  wait_get "$NTP.1.2.1.0" '^1$' || return 1
  local i
  for i in $(seq 1 50); do
    grep -q "$NTP\.0\.1" "$T_TMP/trapd/traps.log" 2>/dev/null && break
    sleep 0.1
  done
  assert_match "$(cat "$T_TMP/trapd/traps.log")" "$NTP\.0\.1[^0-9]" "ntpEntNotifModeChange" ||
    { echo "  # agent log: $(tr '\n' '|' <"$T_TMP/agent.log")"; return 1; }
  assert_match "$(cat "$T_TMP/trapd/traps.log")" "$NTP\.0\.8[^0-9]" "ntpEntNotifHeartbeat" || return 1
  assert_match "$(get "$NTP.1.2.16.0")" "^[1-9][0-9]*$" "ntpEntStatusEntityNotifications"
}

# wait_trap REGEX: until the test snmptrapd has logged a matching notification (10 s).
wait_trap() {
  local i
  for i in $(seq 1 100); do
    [[ $(cat "$T_TMP/trapd/traps.log" 2>/dev/null) =~ $1 ]] && return 0
    sleep 0.1
  done
  _t_err "no notification matching /$1/; agent log: $(tail -3 "$T_TMP/agent.log" | tr '\n' '|')"
  return 1
}

# A source added to and deleted from chronyd: ntpEntNotifAddAssociation /
# RemoveAssociation, each naming the association (ntpAssocName.ID).
t_ntpv4_association_notifications() {
  nobody_pair && snmpd_start && trapd_start || return 1
  agent_start "chronySocket $cli_SOCK"
  wait_get "$NTP.1.2.6.0" '^1$' || return 1
  # entNotifAddAssociation(4) and entNotifRemoveAssociation(5): octet 0x0C
  snmpset -v2c -c private -t 2 -r 0 "127.0.0.1:$SNMP_PORT" "$NTP.1.4.2.0" x "0C" \
    >/dev/null || { _t_err "snmpset refused"; return 1; }
  # the once-a-second check has seen the one source: it logs the mode of its first answer
  wait_log "chronyd: mode 6" || return 1
  local port
  port=$(free_port) || return 1 # nobody answers there: the source just sits unreachable
  chr_chronyc cli add server 127.0.0.2 port "$port" minpoll -4 >/dev/null ||
    { _t_err "chronyc add server failed"; return 1; }
  wait_get "$NTP.1.2.6.0" '^2$' || return 1
  # the once-a-second check must see the two sources before one goes away again
  wait_trap "$NTP\.0\.4[^0-9]" || return 1
  chr_chronyc cli delete 127.0.0.2 >/dev/null || { _t_err "chronyc delete failed"; return 1; }
  wait_get "$NTP.1.2.6.0" '^1$' || return 1
  wait_trap "$NTP\.0\.5[^0-9]" || return 1
  local log
  log=$(cat "$T_TMP/trapd/traps.log")
  assert_match "$log" "$NTP\.0\.4[^0-9]" "ntpEntNotifAddAssociation" || return 1
  assert_match "$log" "$NTP\.0\.5[^0-9]" "ntpEntNotifRemoveAssociation" || return 1
  assert_match "$log" "$NTP\.1\.3\.1\.1\.2\.2[^0-9]+\"?127\.0\.0\.2" \
    "the association's name" || return 1
  assert_eq "$(grep -c "$NTP\.1\.3\.1\.1\.2\.1[^0-9]" <<<"$log")" 0 \
    "no notification for the unchanged source"
}

t_bad_config_line() {
  snmpd_start || return 1
  fake_w32 synced
  agent_start "check w1 check_w32time -H 127.0.0.1 -p $FPORT" "check bad check_w32time --bogus" \
    "check worse check_nothing -H x" "interval soon"
  wait_get "$ROOT.1.1.1.5.1" '^0$' || return 1
  assert_match "$(cat "$T_TMP/agent.log")" "agent\.conf: line 3: Error: unknown option: --bogus" \
    "line number" || return 1
  assert_match "$(cat "$T_TMP/agent.log")" "line 4: Error: unknown plugin 'check_nothing'" || return 1
  assert_match "$(get "$ROOT.1.1.1.2.2")" "No Such Instance" "only good lines make rows"
}

# every test also needs a clean exit of the agent on SIGTERM (no leak under ASan)
with_clean_exit() { "$1" && agent_stop; }
t_run_all stop_all with_clean_exit
t_finish
