#!/usr/bin/env bash
# demo.sh -- `make demo`: check_chrony against private chronyd instances (chronyd -x in a
# temp dir on loopback, never the system clock), in each output format, plus failures.
. "$(dirname "$0")/integration/lib.sh"

CHECK=$TOP/build/check_chrony
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

trap - EXIT
_t_cleanup
echo
echo "demo: all private chronyd instances stopped."
