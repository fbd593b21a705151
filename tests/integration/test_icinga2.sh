#!/usr/bin/env bash
# test_icinga2.sh -- contrib/icinga2 under the real Icinga 2: the CheckCommands and the
# example apply rules validate (a broken copy does not), their arguments cover every
# plugin option, and a private icinga2 daemon runs all three commands through the example
# rules against a real chronyd pair, fake_w32time and fake_vsphere.py.
#
# BIN_DIR: the plugins (the daemon's PluginDir); TOOLS_DIR: fake_w32time. ICINGA2 and
# ICINGA2_ITL come from lib.sh.
# SC2154: cli_SOCK and friends come from lib.sh's printf -v. SC2317: the tests run
# through t_run.
# shellcheck disable=SC2154,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
COMMANDS=$TOP/contrib/icinga2/timesync-commands.conf
SERVICES=$TOP/contrib/icinga2/timesync-services.conf
t_init icinga2
T_SHARDABLE= # the *_results tests read what daemon_runs_checks recorded

if [ ! -x "$ICINGA2" ]; then
  t_fail icinga2 "no icinga2 at $ICINGA2 (tests/deps.sh unpacks it)"
  t_finish
fi
# the daemon runs as this user (it would switch to nagios or icinga otherwise)
ICINGA2_USER=$(id -un) ICINGA2_GROUP=$(id -gn)
export ICINGA2_USER ICINGA2_GROUP

OUT='' RC='' I2OPTS=()
# i2dir DIR: a fresh DIR for one icinga2 instance; I2OPTS keeps every file it writes there.
i2dir() {
  rm -rf "$1" && mkdir -p "$1"/{cache,data,log,spool,run} && i2opts "$1"
}
i2opts() {
  I2OPTS=(-I "$ICINGA2_ITL" -DCacheDir="$1/cache" -DDataDir="$1/data" -DLogDir="$1/log"
          -DSpoolDir="$1/spool" -DInitRunDir="$1/run")
}

# conf_head: what every config here starts with. The templates stand in for the default
# conf.d/templates.conf, which the example rules and hosts import.
conf_head() {
  cat <<EOF
const PluginDir = "$BIN_DIR"
include <itl>
include <plugins>
object IcingaApplication "app" { }
template Host "generic-host" {
  check_command = "dummy"
  check_interval = 1h
}
template Service "generic-service" {
  max_check_attempts = 1
  check_interval = 1s
  retry_interval = 1s
}
EOF
}

# validate DIR: icinga2 daemon -C on DIR/main.conf = conf_head + stdin; the log in OUT.
validate() {
  i2dir "$1" || return 1
  { conf_head; cat; } >"$1/main.conf"
  OUT=$("$ICINGA2" daemon -C -c "$1/main.conf" "${I2OPTS[@]}" 2>&1)
  RC=$?
  return 0
}

# objects DIR ARGS...: `icinga2 object list ARGS` on what the last validate of DIR compiled.
objects() {
  local dir=$1
  shift
  i2opts "$dir"
  "$ICINGA2" object list "$@" "${I2OPTS[@]}" 2>&1
}

# count_of TYPES: N of the "Instantiated N TYPES." line of the icinga2 log on stdin.
count_of() { sed -n "s/.*information\/ConfigItem: Instantiated \([0-9]*\) $1\.\$/\1/p"; }

# service_names DIR: the compiled services, "host!service", sorted, space-separated.
service_names() {
  objects "$1" --type Service | sed -n "s/^Object '\(.*\)' of type 'Service':$/\1/p" | sort |
    tr '\n' ' '
}

# One host per way the example rules match, one that opts out, one that gets all three.
HOSTS_ALL_RULES='
object Host "linux" { import "generic-host"; address = "127.0.0.1"; vars.timesync_chrony = true }
object Host "windows" { import "generic-host"; address = "127.0.0.1"; vars.os = "Windows" }
object Host "ntp" { import "generic-host"; address = "127.0.0.1"; vars.timesync_w32time = true }
object Host "windows-optout" {
  import "generic-host"
  address = "127.0.0.1"
  vars.os = "Windows"
  vars.timesync_w32time = false
}
object Host "esx" { import "generic-host"; address = "127.0.0.1"; vars.esxi_authfile = "/nonexistent" }
object Host "vc-esx" {
  import "generic-host"
  address = "127.0.0.1"
  vars.esxi_authfile = "/nonexistent"
  vars.esxi_address = "127.0.0.2"
  vars.esxi_host = name
}
object Host "all" {
  import "generic-host"
  address = "127.0.0.1"
  vars.timesync_chrony = true
  vars.os = "Windows"
  vars.esxi_authfile = "/nonexistent"
}'
WANT_SERVICES='all!chrony all!esxi-time all!w32time esx!esxi-time linux!chrony ntp!w32time vc-esx!esxi-time windows!w32time '

# --- validation ---------------------------------------------------------------------------

t_validate() {
  local dir=$T_TMP/validate base
  # the ITL's own count of CheckCommands, to see exactly ours added
  validate "$T_TMP/baseline" <<<'object Host "h" { import "generic-host" }'
  assert_exit 0 "$RC" "baseline config: $OUT" || return 1
  base=$(count_of CheckCommands <<<"$OUT")
  [ -n "$base" ] || _t_err "no CheckCommand count in: $OUT" || return 1
  validate "$dir" <<EOF
include "$COMMANDS"
include "$SERVICES"
$HOSTS_ALL_RULES
EOF
  assert_exit 0 "$RC" "contrib config: $OUT" || return 1
  assert_eq "$(count_of CheckCommands <<<"$OUT")" $((base + 3)) "CheckCommands: the ITL's + 3" ||
    return 1
  assert_eq "$(count_of Services <<<"$OUT")" 8 "services instantiated" || return 1
  [[ $OUT != *"does not match anywhere"* ]] || _t_err "an apply rule matched nothing: $OUT" ||
    return 1
  assert_eq "$(objects "$dir" --type CheckCommand --name 'timesync_*' |
    sed -n "s/^Object '\(.*\)' of type 'CheckCommand':$/\1/p" | sort | tr '\n' ' ')" \
    "timesync_chrony timesync_esxi_time timesync_w32time " "CheckCommands" || return 1
  assert_eq "$(service_names "$dir")" "$WANT_SERVICES" "services from the example rules"
}

# The negative controls: validation does catch mistakes in these files.
t_validate_rejects_mistakes() {
  local dir=$T_TMP/broken
  mkdir -p "$dir"
  sed 's|^  command = \[ PluginDir + "/check_w32time" \]|&\n  no_such_attribute = 1|' \
    "$COMMANDS" >"$dir/commands.conf"
  cmp -s "$COMMANDS" "$dir/commands.conf" && { _t_err "could not break the copy"; return 1; }
  validate "$dir/a" <<EOF
include "$dir/commands.conf"
include "$SERVICES"
$HOSTS_ALL_RULES
EOF
  assert_exit 1 "$RC" "an unknown attribute must fail" || return 1
  assert_match "$OUT" "Attribute 'no_such_attribute' does not exist" "the error" || return 1
  # the rules alone: their commands are missing
  validate "$dir/b" <<EOF
include "$SERVICES"
$HOSTS_ALL_RULES
EOF
  assert_exit 1 "$RC" "rules without the commands must fail" || return 1
  assert_match "$OUT" "Object 'timesync_chrony' of type 'CheckCommand' does not exist" "the error"
}

# The rules and the commented example hosts in a distributed setup: a master zone with the
# hosts (as zones.d/master/ would hold them) and an agent zone for the Linux host, whose
# chrony check must go to that agent.
t_validate_with_agent_zones() {
  local dir=$T_TMP/zones
  mkdir -p "$dir/zones.d/master"
  sed -n '/^\/\* Example hosts:/,/^ \*\//p' "$SERVICES" | sed -e '1d;$d' -e 's/^ \*\( \|$\)//' \
    >"$dir/zones.d/master/hosts.conf"
  grep -q '^object Host' "$dir/zones.d/master/hosts.conf" ||
    _t_err "no example hosts found in $SERVICES" || return 1
  validate "$dir/i2" <<EOF
const NodeName = "master1"
const ZoneName = "master"
object Endpoint "master1" { }
object Zone "master" { endpoints = [ "master1" ] }
object Endpoint "linux01.example.com" { }
object Zone "linux01.example.com" { endpoints = [ "linux01.example.com" ]; parent = "master" }
include "$COMMANDS"
include "$SERVICES"
include_zones "test", "$dir/zones.d"
EOF
  assert_exit 0 "$RC" "example hosts in zones: $OUT" || return 1
  assert_eq "$(service_names "$dir/i2")" \
    "dc01.example.com!w32time esx01.example.com!esxi-time linux01.example.com!chrony " \
    "services of the example hosts" || return 1
  assert_eq "$(endpoint_of "$dir/i2" 'linux01.example.com!chrony')" linux01.example.com \
    "chrony runs on the agent" || return 1
  assert_eq "$(endpoint_of "$dir/i2" 'dc01.example.com!w32time')" "" "w32time runs here"
}
endpoint_of() { # DIR SERVICE
  objects "$1" --type Service --name "$2" | sed -n 's/^  \* command_endpoint = "\(.*\)"$/\1/p'
}

# Every option of each plugin's --help (but -h, -V and the output options for Zabbix,
# Prometheus and Checkmk) is an argument,
# under its short or long name, with a description; every argument is a real option.
t_arguments_cover_options() {
  local dir=$T_TMP/cover cmd plugin help args opt alt key
  validate "$dir" <<<"include \"$COMMANDS\""
  assert_exit 0 "$RC" "commands alone: $OUT" || return 1
  ! grep -qiE -- '--format|--discover|zabbix' "$COMMANDS" ||
    _t_err "the commands file mentions the Zabbix-only options" || return 1
  for cmd in chrony:check_chrony w32time:check_w32time esxi_time:check_esxi_time; do
    plugin=${cmd#*:}
    help=$("$BIN_DIR/$plugin" --help)
    # "KEY 1" per argument, 1 when it has a description
    args=$(objects "$dir" --type CheckCommand --name "timesync_${cmd%%:*}" | awk '
      /^  \* arguments/ { a = 1; next }
      a && /^  \* / { a = 0 }
      a && /^    \* / { k = substr($0, 7); d[k] = 0; o[++n] = k }
      a && /^      \* description = "./ { d[k] = 1 }
      END { for (i = 1; i <= n; i++) print o[i], d[o[i]] }')
    [ -n "$args" ] || _t_err "timesync_${cmd%%:*}: no arguments" || return 1
    # the options: what the usage lines (up to the first blank line) name
    while read -r opt; do
      case $opt in -h | -V | --format | --service-name | --discover) continue ;; esac
      # its other name: "-s, --socket" in the option list
      if [[ $opt == --* ]]; then
        alt=$(grep -oE -- "-[A-Za-z0-9], $opt([=, ]|$)" <<<"$help" | head -1 | cut -c1-2)
      else
        alt=$(grep -oE -- "$opt, --[a-z-]+" <<<"$help" | head -1 | sed 's/^.*, //')
      fi
      grep -qxE -- "($opt|${alt:-$opt}) 1" <<<"$args" ||
        _t_err "$plugin: no argument with a description for $opt${alt:+/$alt}" || return 1
    done < <(sed -n '/^Usage:/,/^$/p' <<<"$help" |
      grep -oE -- '(^|[][ |])--?[A-Za-z0-9][a-z-]*' | sed 's/^[][ |]//' | sort -u)
    while read -r key _; do
      grep -qE -- "(^|[][ |,])$key([] =|,]|$)" <<<"$help" ||
        _t_err "timesync_${cmd%%:*}: argument $key is no option of $plugin" || return 1
    done <<<"$args"
  done
}

# --- a running daemon ---------------------------------------------------------------------

RESULTS=$T_TMP/results
RUN_SERVICES=9

# last_results FILES...: the last record per service of the PerfdataWriter's files, one line
# each (host, service, state, perfdata, output; the output's lines joined by \n).
last_results() {
  cat "$@" 2>/dev/null | awk -F'\t' '
    NF >= 5 { if (k != "") last[k] = r; k = $1 "!" $2; r = $0; next }
    k != "" { r = r "\\n" $0 }
    END { if (k != "") last[k] = r; for (k in last) print last[k] }' | sort
}

# Starts the sources and icinga2 with the example rules and a host per case, waits until
# every service has a check result, stops icinga2 and keeps the results in $RESULTS.
t_daemon_runs_checks() {
  local dir=$T_TMP/run i2pid n=0 end
  rm -f "$RESULTS"
  # the sources: chronyd client synced to a server that has seen it, W32Time synced and
  # not, a standalone ESXi and a vCenter
  scn_clients || return 1
  fake_w32time_start wsync synced || return 1
  fake_w32time_start wunsync unsync || return 1
  fake_vsphere_start esx esxi8 || return 1
  fake_vsphere_start vc vcenter8 || return 1
  i2dir "$dir/i2" || return 1
  { conf_head
    cat <<EOF
object CheckerComponent "checker" { }
object PerfdataWriter "perfdata" {
  service_temp_path = "$dir/service-perfdata.tmp"
  service_perfdata_path = "$dir/service-perfdata"
  host_temp_path = "$dir/host-perfdata.tmp"
  host_perfdata_path = "$dir/host-perfdata"
  service_format_template = "\$host.name\$\t\$service.name\$\t\$service.state\$\t\$service.perfdata\$\t\$service.output\$"
  /* The writer flushes only when it rotates (std::ofstream, no flush per line): rotate
   * every second to see results while the daemon runs. The rotation at shutdown may
   * reuse the last file's name (seconds) and replace it, so results are read before. */
  rotation_interval = 1s
}
include "$COMMANDS"
include "$SERVICES"

object Host "chrony-socket" {
  import "generic-host"
  address = "127.0.0.1"
  vars.timesync_chrony = true
  vars.chrony_socket = "$cli_SOCK"
  vars.chrony_wsources = "1:"
  vars.chrony_warning = 0.5
}
object Host "chrony-path" {
  import "generic-host"
  address = "127.0.0.1"
  vars.timesync_chrony = true
  vars.chrony_address = "$cli_SOCK"
  vars.chrony_wsources = "1:"
}
object Host "chrony-udp" {
  import "generic-host"
  address = "127.0.0.1"
  vars.timesync_chrony = true
  vars.chrony_address = "127.0.0.1"
  vars.chrony_port = $cli_CMDPORT
  vars.chrony_ipv4 = true
  vars.chrony_wsources = "1:"
  vars.chrony_verbose = true
}
object Host "chrony-clients" {
  import "generic-host"
  address = "127.0.0.1"
  vars.timesync_chrony = true
  vars.chrony_socket = "$srv_SOCK"
  vars.chrony_mode = "clients"
  vars.chrony_expect_client = [ "127.0.0.1", "127.0.0.9" ]
}
object Host "win-synced" {
  import "generic-host"
  address = "127.0.0.1"
  vars.os = "Windows"
  vars.w32time_port = $wsync_PORT
  vars.w32time_samples = 2
}
object Host "win-source" {
  import "generic-host"
  address = "127.0.0.1"
  vars.os = "Windows"
  vars.w32time_port = $wsync_PORT
  vars.w32time_expect_source = "127.0.0.2"
  vars.w32time_no_reverse_dns = true
}
object Host "win-unsync" {
  import "generic-host"
  address = "127.0.0.1"
  vars.timesync_w32time = true
  vars.w32time_port = $wunsync_PORT
  vars.w32time_timeout = 5
}
object Host "win-optout" {
  import "generic-host"
  address = "127.0.0.1"
  vars.os = "Windows"
  vars.timesync_w32time = false
}
object Host "esx01" {
  import "generic-host"
  address = "127.0.0.1"
  vars.esxi_port = $esx_PORT
  vars.esxi_authfile = "$esx_AUTH"
  vars.esxi_cacert = "$esx_CACERT"
}
object Host "esx02.example.com" {
  import "generic-host"
  address = "127.0.0.2"
  vars.esxi_address = "127.0.0.1"
  vars.esxi_port = $vc_PORT
  vars.esxi_authfile = "$vc_AUTH"
  vars.esxi_cacert = "$vc_CACERT"
  vars.esxi_host = name
  vars.esxi_api = "soap"
  vars.esxi_expect_ntp_server = [ "10.0.0.11", "10.0.0.12" ]
  vars.esxi_session_file = "$dir/vc.session"
}
EOF
  } >"$dir/i2/main.conf"
  # foreground; a parent-death SIGTERM in case this shell is killed
  setpriv "${_CHR_PDEATH[@]}" -- "$ICINGA2" daemon -c "$dir/i2/main.conf" "${I2OPTS[@]}" \
    </dev/null >"$dir/icinga2.log" 2>&1 &
  i2pid=$!
  t_track "$i2pid"
  end=$(($(_chr_now_us) + 30000000))
  # the example rules made a service of each case (and none for win-optout)
  while [ "$(_chr_now_us)" -lt "$end" ] && _chr_alive "$i2pid" &&
    ! grep -q 'Activated all objects' "$dir/icinga2.log"; do sleep 0.1; done
  assert_eq "$(count_of Services <"$dir/icinga2.log")" "$RUN_SERVICES" \
    "services instantiated; $(grep -m3 critical/ "$dir/icinga2.log")" ||
    return 1
  while [ "$(_chr_now_us)" -lt "$end" ] && _chr_alive "$i2pid"; do
    # rotated files only: they are complete (renamed after close)
    last_results "$dir"/service-perfdata.[0-9]* >"$RESULTS"
    n=$(wc -l <"$RESULTS")
    [ "$n" -ge "$RUN_SERVICES" ] && break
    sleep 0.2
  done
  # TERM: the umbrella process forwards it, the worker rotates the files and exits
  kill -TERM "$i2pid" 2>/dev/null
  for _ in $(seq 1 50); do _chr_alive "$i2pid" || break; sleep 0.1; done
  _chr_alive "$i2pid" && { _t_err "icinga2 did not stop within 5 s of SIGTERM"; return 1; }
  wait "$i2pid"
  assert_match "$(cat "$dir/icinga2.log")" "Icinga has shut down" "a clean shutdown" || return 1
  [ "$n" -eq "$RUN_SERVICES" ] ||
    _t_err "$n of $RUN_SERVICES services have a result: $(cut -f1,2 "$RESULTS" | tr '\n\t' ' !')| log: $(tail -5 "$dir/icinga2.log" | tr '\n' '|')"
}

# expect HOST!SERVICE STATE OUTPUT-REGEX [PERFDATA-REGEX]: its last result in $RESULTS.
expect() {
  local rec out
  rec=$(awk -F'\t' -v k="$1" '$1 "!" $2 == k' "$RESULTS" 2>/dev/null)
  [ -n "$rec" ] || { _t_err "$1: no check result from icinga2"; return 1; }
  out=$(cut -f5- <<<"$rec")
  assert_eq "$(cut -f3 <<<"$rec")" "$2" "$1 state ($out)" || return 1
  assert_match "$out" "$3" "$1 output" || return 1
  [ -z "${4:-}" ] || assert_match "$(cut -f4 <<<"$rec")" "$4" "$1 perfdata"
}

OFFSET='(^| )offset=[-+]?[0-9.e-]+s;'

t_daemon_chrony_results() {
  # chrony_wsources "1:" is in the perfdata and makes one source OK; -w 0.5 likewise
  expect chrony-socket!chrony OK '^CHRONY OK: synchronised to 127\.0\.0\.1 \(stratum 2\)' \
    "${OFFSET}-0\.5:0\.5;-0\.25:0\.25 .*sources_usable=1;1:;1:;" &&
    expect chrony-path!chrony OK '^CHRONY OK: synchronised to 127\.0\.0\.1' \
      "${OFFSET}.*sources_usable=1;1:;" &&
    expect chrony-udp!chrony OK "^CHRONY OK: .*queried via udp:127\.0\.0\.1:$cli_CMDPORT" \
      "${OFFSET}.*sources_usable=1;1:;" &&
    expect chrony-clients!chrony CRITICAL \
      '^CHRONY CRITICAL: 127\.0\.0\.9 never seen.*client 127\.0\.0\.1: [0-9]+ NTP requests' \
      '^clients=1;'
}

t_daemon_w32time_results() {
  expect win-synced!w32time OK '^W32TIME OK: synchronized to 10\.1\.2\.3 \(stratum 3\)' \
    "${OFFSET}.* samples=2;;;0;2" &&
    expect win-source!w32time WARNING '^W32TIME WARNING: syncing from 10\.1\.2\.3, not from 127\.0\.0\.2' \
      "$OFFSET" &&
    expect win-unsync!w32time CRITICAL '^W32TIME CRITICAL: not synchronized \(leap indicator 3, stratum 0\)'
}

t_daemon_esxi_results() {
  expect esx01!esxi-time OK '^ESXI OK: esxi01\.example\.com: offset [-+][0-9]' "$OFFSET" &&
    expect esx02.example.com!esxi-time OK '^ESXI OK: esx02\.example\.com: offset [-+][0-9]' \
      "$OFFSET" || return 1
  # the session file option reached the plugin
  [ -s "$T_TMP/run/vc.session" ] || _t_err "esxi_session_file: no session file was written"
}

t_run validate t_validate
t_run validate_rejects_mistakes t_validate_rejects_mistakes
t_run validate_with_agent_zones t_validate_with_agent_zones
t_run arguments_cover_options t_arguments_cover_options
t_run daemon_runs_checks t_daemon_runs_checks
t_run daemon_chrony_results t_daemon_chrony_results
t_run daemon_w32time_results t_daemon_w32time_results
t_run daemon_esxi_results t_daemon_esxi_results
t_finish
