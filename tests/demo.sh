#!/usr/bin/env bash
# demo.sh -- `make demo`: check_chrony against private chronyd instances (chronyd -x in a
# temp dir on loopback, never the system clock), in each output format, plus failures;
# check_w32time against a chronyd serving NTP and a W32Time-like responder;
# check_esxi_time against a fake vSphere endpoint.
. "$(dirname "$0")/integration/lib.sh"

CHECK=$TOP/build/check_chrony
W32=$TOP/build/check_w32time
FAKE=$TOP/build/tests/fake_w32time
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
  port=$(free_port)
  "$FAKE" --udp "127.0.0.1:$port" --mode "$mode" --lifetime 30 \
    --ready-file "$T_TMP/w32.ready" "${fargs[@]}" &
  pid=$!
  for _ in $(seq 1 50); do [ -s "$T_TMP/w32.ready" ] && break; sleep 0.05; done
  show "$title" "$W32" -H 127.0.0.1 -p "$port" "$@"
  kill "$pid"; wait "$pid" 2>/dev/null; rm -f "$T_TMP/w32.ready"
}
w32 "W32Time synced to 10.1.2.3, 1.5 s ahead of this host" synced --offset 1.5 --
w32 "W32Time following another source than expected (in real life: time.windows.com)" synced \
  --refid 127.0.0.1 -- --expect-source 127.0.0.2
w32 "W32Time free-running on its CMOS clock" locl --
w32 "W32Time not synchronized" unsync --
w32 "NtpServer provider disabled (no reply)" silent -- -t 4

echo
echo "check_esxi_time: a fake vSphere endpoint (HTTPS, CA made for this demo) ..."
TOOLS_DIR=$TOP/build/tests
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

trap - EXIT
_t_cleanup
echo
echo "demo: all private chronyd instances stopped."
