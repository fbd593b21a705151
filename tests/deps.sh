#!/bin/sh
# deps.sh -- the one dependency step, run by `make demo` and `make check` before anything
# compiles. Installs the Debian packages that are missing (apt-get; sudo when not root),
# says what it installs, and does nothing when all are present.
#
# It never installs the `chrony` package: that would remove ntpsec or systemd-timesyncd
# and start a daemon that controls the real clock. When chronyd is not already installed,
# the tests use chronyd/chronyc unpacked from the Debian package into build/tools/chrony
# (apt-get download + dpkg -x); nothing from it is ever started as the system service.
#
# Usage: tests/deps.sh [build|check|bench]   (default: check)
set -eu

what=${1:-check}
top=$(cd "$(dirname "$0")/.." && pwd)
tools=$top/build/tools

build_pkgs="gcc make pkg-config libc6-dev libjansson-dev libcurl4-openssl-dev libxml2-dev"
check_pkgs="$build_pkgs libcmocka-dev clang libclang-rt-dev util-linux procps iproute2 jq cppcheck python3 openssl shellcheck"
# MIB tests: smilint (smitools), snmptranslate (snmp; it pulls libsnmp-base, which has
# NET-SNMP-MIB) and the agent's headers. Never snmpd/snmptrapd: those packages start
# system services (the agent tests unpack them privately, like chronyd). The standard
# SMIv2 base modules are not in Debian's main archive: tests/integration/test_mib.sh
# takes them from the npm package net-snmp, so npm is needed when it is not there yet.
check_pkgs="$check_pkgs smitools snmp libsnmp-dev"
# the Zabbix template test reads YAML
check_pkgs="$check_pkgs python3-yaml"
command -v npm >/dev/null 2>&1 || check_pkgs="$check_pkgs npm"
bench_pkgs="$check_pkgs monitoring-plugins-basic hyperfine"

case $what in
  build) pkgs=$build_pkgs ;;
  check) pkgs=$check_pkgs ;;
  bench) pkgs=$bench_pkgs ;;
  *) echo "usage: $0 [build|check|bench]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi

missing=
for p in $pkgs; do
  # dpkg-query prints "install ok installed" only for a fully installed package
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "deps: installing missing Debian packages:$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi

[ "$what" = build ] && exit 0

# Daemons for the tests that must not run as system services: the machine's own when
# installed, else unpacked from their Debian packages into build/tools/NAME. Their
# libraries are installed normally (libraries start nothing).
# unpack NAME BINARY "PACKAGES" "LIBRARIES"
unpack() {
  local name=$1 binary=$2 pkgs=$3 libs=$4 p missing= tmp
  [ -x "$tools/$name/$binary" ] && return 0
  echo "deps: unpacking $pkgs into build/tools/$name (not installed: no system service is started)"
  for p in $libs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    echo "deps: installing runtime libraries:$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download $pkgs >/dev/null 2>&1) || {
    $sudo apt-get update -qq
    (cd "$tmp" && apt-get download $pkgs >/dev/null)
  }
  mkdir -p "$tools/$name"
  for p in "$tmp"/*.deb; do dpkg -x "$p" "$tools/$name"; done
  rm -rf "$tmp"
  chmod 755 "$tools" "$tools/$name"
}

# chronyd: installing the chrony package would replace the system's time service
if ! command -v chronyd >/dev/null 2>&1 && [ ! -x /usr/sbin/chronyd ]; then
  unpack chrony usr/sbin/chronyd chrony "libedit2 libgnutls30 libnettle8 libseccomp2 libcap2"
  "$tools/chrony/usr/sbin/chronyd" --version
fi
# snmpd and snmptrapd for the agent's tests (libsnmp40 comes with libsnmp-dev)
if ! command -v snmpd >/dev/null 2>&1 && [ ! -x /usr/sbin/snmpd ]; then
  unpack snmp usr/sbin/snmpd "snmpd snmptrapd" "libsnmp40"
fi
# The monitoring systems the contrib/ integrations are tested with (their packages
# would start icinga2, nagios4 and zabbix-agent as system services)
if ! command -v icinga2 >/dev/null 2>&1 && [ ! -x /usr/sbin/icinga2 ]; then
  unpack icinga2 usr/sbin/icinga2 "icinga2-bin icinga2-common" \
    "libboost-coroutine1.74.0 libboost-filesystem1.74.0 libboost-iostreams1.74.0
     libboost-program-options1.74.0 libboost-regex1.74.0-icu72 libboost-thread1.74.0
     libedit2 libssl3 libsystemd0"
fi
if ! command -v nagios4 >/dev/null 2>&1 && [ ! -x /usr/sbin/nagios4 ]; then
  unpack nagios4 usr/sbin/nagios4 "nagios4-core nagios4-common" ""
fi
if ! command -v zabbix_agentd >/dev/null 2>&1 && [ ! -x /usr/sbin/zabbix_agentd ]; then
  unpack zabbix usr/sbin/zabbix_agentd zabbix-agent \
    "libcurl3-gnutls libgnutls30 libldap-2.5-0 libmodbus5 libpcre2-8-0 zlib1g"
fi
# Prometheus: promtool checks the exposition and the alert rules, node_exporter serves a
# textfile directory (both packages would start system services)
if ! command -v promtool >/dev/null 2>&1; then
  unpack prometheus usr/bin/promtool prometheus ""
fi
if ! command -v prometheus-node-exporter >/dev/null 2>&1; then
  unpack node_exporter usr/bin/prometheus-node-exporter prometheus-node-exporter ""
fi
# snmp_exporter and its generator (links libnetsnmp40, from libsnmp-dev): the generator.yml
# of contrib/prometheus is turned into a config and scraped through the agent
if ! command -v prometheus-snmp-exporter >/dev/null 2>&1; then
  unpack snmp_exporter usr/bin/prometheus-snmp-generator prometheus-snmp-exporter "libsnmp40"
fi
exit 0
