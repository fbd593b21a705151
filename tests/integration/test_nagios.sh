#!/usr/bin/env bash
# test_nagios.sh -- contrib/nagios/ read by the real Nagios 4: `nagios4 -v` accepts the
# command definitions and example services as shipped, and a private nagios4 instance
# runs every command against a real chronyd, the W32Time fake and the vSphere fake; the
# results are read back from its service perfdata file.
#
# BIN_DIR: the plugins ($USER1$); TOOLS_DIR: fake_w32time.
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
CONTRIB=$TOP/contrib/nagios
t_init nagios

N=$T_TMP/nagios
OUT= RC=

# conf HOSTS-FILE [OBJECT-FILES...]: a private nagios.cfg under $N, run as this user, every
# interval in seconds (interval_length=1), service results appended to $N/perfdata.
conf() {
  local hosts=$1 f
  shift
  rm -rf "$N" && mkdir -p "$N/var" "$N/spool"
  printf '$USER1$=%s\n' "$BIN_DIR" >"$N/resource.cfg"
  cat >"$N/base.cfg" <<'EOF'
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday          00:00-24:00
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
}
define command {
    command_name    notify-none
    command_line    /bin/true
}
define contact {
    contact_name                    admin
    host_notification_period        24x7
    service_notification_period     24x7
    host_notification_options       n
    service_notification_options    n
    host_notification_commands      notify-none
    service_notification_commands   notify-none
}
; the two templates of Nagios' sample configuration the examples use
define host {
    name                    generic-host
    check_period            24x7
    max_check_attempts      1
    contacts                admin
    active_checks_enabled   0
    register                0
}
define service {
    name                    generic-service
    check_period            24x7
    notification_period     24x7
    max_check_attempts      1
    check_interval          1
    retry_interval          1
    contacts                admin
    register                0
}
EOF
  {
    printf '%s\n' "log_file=$N/var/nagios.log" "cfg_file=$N/base.cfg" \
      "resource_file=$N/resource.cfg" "object_cache_file=$N/var/objects.cache" \
      "precached_object_file=$N/var/objects.precache" "status_file=$N/var/status.dat" \
      "lock_file=$N/var/nagios.pid" "temp_file=$N/var/nagios.tmp" "temp_path=$N/var" \
      "check_result_path=$N/spool" "state_retention_file=$N/var/retention.dat" \
      "query_socket=$N/var/nagios.qh" "retain_state_information=0" \
      "nagios_user=$(id -un)" "nagios_group=$(id -gn)" "check_external_commands=0" \
      "use_syslog=0" "enable_notifications=0" "check_for_updates=0" "interval_length=1" \
      "check_result_reaper_frequency=1" "max_service_check_spread=1" \
      "max_host_check_spread=1" "process_performance_data=1" \
      "illegal_macro_output_chars=\`~\$&|'\"<>" "service_perfdata_file=$N/perfdata" \
      "service_perfdata_file_mode=a" \
      "service_perfdata_file_template=\$HOSTNAME\$|\$SERVICEDESC\$|\$SERVICESTATE\$|\$SERVICEOUTPUT\$|\$SERVICEPERFDATA\$" \
      "cfg_file=$CONTRIB/timesync-commands.cfg"
    for f in "$@"; do echo "cfg_file=$f"; done
    echo "cfg_file=$hosts"
  } >"$N/nagios.cfg"
}

verify() {
  OUT=$("$NAGIOS4" -v "$N/nagios.cfg" 2>&1)
  RC=$?
}

# host NAME [GROUP]: a host on 127.0.0.1, in GROUP (one of the example hostgroups).
host() {
  printf 'define host {\n use generic-host\n host_name %s\n address 127.0.0.1\n' "$1"
  [ -z "${2:-}" ] || printf ' hostgroups %s\n' "$2"
  printf '}\n'
}

t_verify_shipped() {
  { host chrony1 timesync-chrony; host win1 timesync-windows; host esx1 timesync-esxi; } \
    >"$T_TMP/hosts.cfg"
  conf "$T_TMP/hosts.cfg" "$CONTRIB/timesync-services.cfg"
  verify
  assert_exit 0 "$RC" "nagios4 -v: $(grep -E 'Error|Warning' <<<"$OUT")" || return 1
  assert_match "$OUT" "Total Errors: +0" || return 1
  assert_match "$OUT" "Total Warnings: +0" "no warnings either" || return 1
  # 4 timesync commands + notify-none; one example service per hostgroup
  assert_match "$OUT" "Checked 5 commands" || return 1
  assert_match "$OUT" "Checked 3 services" || return 1
}

# The same check must be able to fail: a command_line naming an undefined command.
t_verify_rejects_mistake() {
  sed 's/check_timesync_w32time!/check_timesync_w32tim!/' "$CONTRIB/timesync-services.cfg" \
    >"$T_TMP/broken.cfg"
  host win1 timesync-windows >"$T_TMP/hosts.cfg"
  conf "$T_TMP/hosts.cfg" "$T_TMP/broken.cfg"
  verify
  assert_exit 1 "$RC" "nagios4 -v accepted an undefined command" || return 1
  assert_match "$OUT" "check_timesync_w32tim" "names the bad command"
}

# Services calling each command the way the examples do, against the test daemons.
run_services() {
  local s
  for s in \
    "chrony1|chrony socket|check_timesync_chrony!0.05!0.25!-s $cli_SOCK -m 1:" \
    "chrony1|chrony udp|check_timesync_chrony_remote!0.05!0.25!-p $cli_CMDPORT -m 1:" \
    "win1|w32time|check_timesync_w32time!1!5!-p $w32_PORT" \
    "win1|w32time tight|check_timesync_w32time!0.000000001!5!-p $w32_PORT" \
    "cmos1|w32time cmos|check_timesync_w32time!1!5!-p $cmos_PORT" \
    "esx1|esxi|check_timesync_esxi_time!$vs_AUTH!1!5!-p $vs_PORT --cacert $vs_CACERT"; do
    IFS='|' read -r h d c <<<"$s"
    printf 'define service {\n use generic-service\n host_name %s\n service_description %s\n check_command %s\n}\n' \
      "$h" "$d" "$c"
  done
}

# perf HOST SERVICE: the newest "STATE|OUTPUT|PERFDATA" nagios wrote for the service.
perf() { awk -F'|' -v h="$1" -v s="$2" '$1 == h && $2 == s { l = $3 "|" $4 "|" $5 } END { print l }' "$N/perfdata" 2>/dev/null; }

t_daemon_runs_commands() {
  local i want=6 got line
  scn_synced || return 1
  fake_w32time_start w32 synced || return 1
  fake_w32time_start cmos locl || return 1
  fake_vsphere_start vs esxi8 || return 1
  { host chrony1; host win1; host cmos1; host esx1; run_services; } >"$T_TMP/hosts.cfg"
  conf "$T_TMP/hosts.cfg"
  verify
  assert_exit 0 "$RC" "nagios4 -v: $(grep -E 'Error' <<<"$OUT")" || return 1
  "$NAGIOS4" "$N/nagios.cfg" >"$N/stdout" 2>&1 &
  t_track $!
  for i in $(seq 1 100); do
    got=$(cut -d'|' -f1,2 "$N/perfdata" 2>/dev/null | sort -u | wc -l)
    [ "$got" -ge "$want" ] && break
    sleep 0.2
  done
  [ "$got" -ge "$want" ] ||
    { _t_err "$got of $want services have a result: $(tail -5 "$N/var/nagios.log")"; return 1; }
  line=$(perf chrony1 "chrony socket")
  assert_match "$line" "^OK\|CHRONY OK: synchronised.*\|.*offset=" "socket: $line" || return 1
  line=$(perf chrony1 "chrony udp")
  assert_match "$line" "^OK\|CHRONY OK: .*\|.*offset=" "udp: $line" || return 1
  line=$(perf win1 "w32time")
  assert_match "$line" "^OK\|W32TIME OK: synchronized to 10\.1\.2\.3.*\|offset=" "$line" || return 1
  line=$(perf win1 "w32time tight")
  assert_match "$line" "^WARNING\|W32TIME WARNING: .*\|offset=" "-w reaches the plugin: $line" ||
    return 1
  line=$(perf cmos1 "w32time cmos")
  assert_match "$line" "^CRITICAL\|W32TIME CRITICAL: .*local CMOS clock" "$line" || return 1
  line=$(perf esx1 "esxi")
  assert_match "$line" "^OK\|ESXI OK: esxi01\.example\.com: .*\|offset=" "$line" || return 1
  # nagios4 keeps running the checks: a session is open while one is in flight, so wait
  # for a moment with none open (a leaked session never closes)
  local open
  for ((i = 0; i < 100; i++)); do
    open=$(jq -r .open_sessions "$vs_STATE")
    [ "$open" = 0 ] && break
    sleep 0.1
  done
  assert_eq "$open" 0 "vSphere sessions left open" || return 1
  assert_match "$(jq -r .logins "$vs_STATE")" '^[1-9][0-9]*$' "vSphere logins" || return 1
  [ -z "${T_VERBOSE:-}" ] || cat "$N/perfdata"
}

t_run verify_shipped t_verify_shipped
t_run verify_rejects_mistake t_verify_rejects_mistake
t_run daemon_runs_commands t_daemon_runs_commands
t_finish
