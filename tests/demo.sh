#!/usr/bin/env bash
# demo.sh -- `make demo`: check_chrony against private chronyd instances (chronyd -x in a
# temp dir on loopback, never the system clock), in each output format (Nagios, JSON,
# OpenMetrics, Checkmk), plus failures;
# check_w32time against a chronyd serving NTP and a W32Time-like responder;
# check_esxi_time against a fake vSphere endpoint; timesync-agentx under a private snmpd.
. "$(dirname "$0")/integration/lib.sh"

CHECK=$TOP/build/check_chrony
W32=$TOP/build/check_w32time
TOOLS_DIR=$TOP/build/tests
t_init demo

show() { # title command...
  local rc
  printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"
  "${@:2}"
  rc=$?
  printf '(exit %d)\n' "$rc"
}

echo "Starting three private NTP servers on 127.0.0.1-3 (the third 1 s off) and a"
echo "chronyd client (-x) of all three ..."
scn_falseticker >/dev/null || { echo "demo: could not start chronyd"; exit 1; }

show "Default mode, Nagios format (the socket: all data)" \
  "$CHECK" -s "$cli_SOCK"
show "The same over UDP, as an unprivileged monitoring user would (-v says how)" \
  "$CHECK" -H 127.0.0.1 -p "$cli_CMDPORT" -v
show "JSON for a Zabbix master item" "$CHECK" -s "$cli_SOCK" --format=json
show "Zabbix low-level discovery of the sources" "$CHECK" -s "$cli_SOCK" --discover
show "OpenMetrics for node_exporter's textfile collector (contrib/prometheus)" \
  "$CHECK" -s "$cli_SOCK" --format=openmetrics
show "Clients mode on a server: is 127.0.0.1 still asking for time?" \
  "$CHECK" -s "$srv1_SOCK" --mode=clients --expect-client 127.0.0.1,127.0.0.9
chr_stop_all

echo
echo "Failure scenarios ..."
scn_offset 0.5 >/dev/null || exit 1
show "A clock 0.5 s behind (server ... offset 0.5): CRITICAL at 0.25 s" \
  "$CHECK" -s "$cli_SOCK" -m 1:
chr_stop_all
scn_local_fallback >/dev/null || exit 1
show "Upstream unreachable, 'local stratum 10' fallback" "$CHECK" -s "$cli_SOCK"
sock=$cli_SOCK
chr_stop_all
show "chronyd stopped" "$CHECK" -s "$sock" -t 2

echo
echo "check_w32time: a chronyd serving NTP, then a W32Time-like responder in its states ..."
ntp=$(free_port)
chr_server srv >/dev/null || exit 1
chr_client cli "server 127.0.0.1 port $srv_PORT iburst minpoll -4 maxpoll -4" \
  "port $ntp" "allow 127.0.0.0/8" >/dev/null || exit 1
chr_wait_sync cli >/dev/null
show "Any NTP server (here chronyd), expecting it to follow 127.0.0.1" \
  "$W32" -H 127.0.0.1 -p "$ntp" --expect-source 127.0.0.1
chr_stop_all

w32() { # title mode [fake args...] -- check args...
  local title=$1 mode=$2 port pid
  shift 2
  local -a fargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do fargs+=("$1"); shift; done
  shift
  fake_w32time_start w32 "$mode" "${fargs[@]}" || exit 1
  show "$title" "$W32" -H 127.0.0.1 -p "$w32_PORT" "$@"
  t_stop_tracked
}
w32 "W32Time synced to 10.1.2.3, 1.5 s ahead of this host" synced --offset 1.5 --
w32 "W32Time following another source than expected (in real life: time.windows.com)" synced \
  --refid 127.0.0.1 -- --expect-source 127.0.0.2
w32 "W32Time free-running on its CMOS clock" locl --
w32 "The same as a Checkmk local check (contrib/checkmk)" locl -- --format=checkmk \
  --service-name "NTP dc01"
w32 "W32Time not synchronized" unsync --
w32 "NtpServer provider disabled (no reply)" silent -- -t 4

echo
echo "check_esxi_time: a fake vSphere endpoint (HTTPS, CA made for this demo) ..."
esxi() { # title profile [fake --set ...] -- check args...
  local title=$1 profile=$2
  shift 2
  local -a fargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do fargs+=("$1"); shift; done
  shift
  fake_vsphere_start vs "$profile" "${fargs[@]}" || exit 1
  show "$title" "$TOP/build/check_esxi_time" -H 127.0.0.1 -p "$vs_PORT" --authfile "$vs_AUTH" \
    --cacert "$vs_CACERT" "$@"
  t_stop_tracked
}
esxi "A standalone ESXi 8 host (SOAP)" esxi8 --
esxi "A vCenter 8 (VI/JSON), every host; esx02's ntpd is stopped" vcenter8 \
  --set esx02.example.com:ntpd_running=false -- --all-hosts
esxi "An ESXi 6.7 host: no sync health fields on that API" esxi67 -- --format=json

echo
echo "timesync-agentx: a private snmpd (AgentX socket in the temp dir), a chronyd pair and"
echo "two W32Time-like responders; the agent runs as nobody, polling every second ..."
ROOT=.1.3.6.1.4.1.8072.9999.123 NTP=.1.3.6.1.2.1.197
chr_server srv >/dev/null && chr_client_as nobody cli \
  "server 127.0.0.1 port $srv_PORT iburst minpoll -4 maxpoll -4" >/dev/null &&
  chr_wait_sync cli >/dev/null || { echo "demo: could not start chronyd"; exit 1; }
fake_w32time_start dc01 synced --offset 0.2 && fake_w32time_start cmos locl || exit 1
snmpd_start || exit 1
mkdir -p "$T_TMP/bin" && cp "$TOP/build/timesync-agentx" "$T_TMP/bin/" && chmod -R a+rX "$T_TMP/bin"
printf '%s\n' "interval 1" "chronySocket $cli_SOCK" "check local check_chrony -s $cli_SOCK -m 1:" \
  "check dc01 check_w32time -H 127.0.0.1 -p $dc01_PORT" \
  "check cmos01 check_w32time -H 127.0.0.1 -p $cmos_PORT" >"$T_TMP/agent.conf"
chmod 0644 "$T_TMP/agent.conf"
setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
  "$T_TMP/bin/timesync-agentx" -f -x "$SNMPD_DIR/agentx.sock" -c "$T_TMP/agent.conf" \
  -Lf /dev/null </dev/null &
t_track $!
snmp() { MIBS= "$1" -v2c -c public -On -Oq -t 1 -r 0 "127.0.0.1:$SNMP_PORT" "${@:2}"; }
for _ in $(seq 1 50); do # until all three rows have a polled state (unknown(3) before)
  [ "$(snmp snmpbulkwalk "$ROOT.1.1.1.5" 2>/dev/null | grep -c ' [012]$')" -eq 3 ] && break
  sleep 0.2
done
show "tsyncCheckTable: the status text of each check (tsyncCheckStatusText)" \
  snmp snmpbulkwalk "$ROOT.1.1.1.6"
show "tsyncCheckState (0 ok, 1 warning, 2 critical, 3 unknown)" snmp snmpbulkwalk "$ROOT.1.1.1.5"
show "tsyncCheckOffsetText (seconds, signed)" snmp snmpbulkwalk "$ROOT.1.1.1.8"
show "NTPv4-MIB of the local chronyd: ntpEntStatusCurrentMode (6: syncToRemoteServer), stratum, active source" \
  snmp snmpget "$NTP.1.2.1.0" "$NTP.1.2.2.0" "$NTP.1.2.4.0"

trap - EXIT
_t_cleanup
echo
echo "demo: all private chronyd instances, fakes, snmpd and the agent stopped."
