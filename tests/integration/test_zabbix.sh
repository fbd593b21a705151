#!/usr/bin/env bash
# test_zabbix.sh -- the Zabbix integration in contrib/zabbix/: the user parameters run by a
# real zabbix_agentd (-t: one key, no daemon, no server) against a real chronyd pair,
# fake_w32time and fake_vsphere.py; the template exports checked by
# zabbix_template_check.py for structure, and their items evaluated against the plugins'
# real JSON, each master item run the way Zabbix runs it.
#
# BIN_DIR: the plugins; TOOLS_DIR: fake_w32time. ZABBIX_AGENTD comes from lib.sh.
# SC2016: a {$MACRO} in single quotes is Zabbix's. SC2154: cli_SOCK and friends come from
# lib.sh's printf -v. SC2317: the tests run through t_run.
# shellcheck disable=SC2016,SC2154,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
ZBX=$TOP/contrib/zabbix
CHECKER=$TOP/tests/integration/zabbix_template_check.py
T_CHRONY='Timesync chrony by Zabbix agent'
T_W32TIME='Timesync Windows W32Time by external check'
T_ESXI='Timesync ESXi by external check'
t_init zabbix

# the first python3 that has yaml (python3-yaml comes from tests/deps.sh)
PY=''
for p in "$PYTHON3" python3; do
  "$p" -c 'import yaml' 2>/dev/null && { PY=$p; break; }
done

# The agent's config: only the plugin directory of the shipped file is rewritten, and
# UnsafeUserParameters stays at its default 0.
AG=$T_TMP/agent
mkdir -p "$AG"
sed "s|/usr/local/lib/nagios/plugins|$BIN_DIR|g" "$ZBX/userparameter_timesync.conf" \
  >"$AG/userparameter_timesync.conf"
printf '%s\n' "LogType=console" "PidFile=$AG/zabbix_agentd.pid" \
  "Include=$AG/userparameter_timesync.conf" >"$AG/zabbix_agentd.conf"

fake_vsphere_creds || { echo "cannot make a CA"; exit 1; }
CA_PEM=$FAKE_VS_CACERT AUTH=$FAKE_VS_AUTH

OUT='' VAL='' RC=''
# agent KEY: zabbix_agentd -t KEY; VAL is the text value inside "[t|...]".
agent() {
  OUT=$("$ZABBIX_AGENTD" -c "$AG/zabbix_agentd.conf" -t "$1" 2>&1)
  VAL=
  [[ $OUT == *"[t|"* ]] || { _t_err "$1: no text value: $OUT"; return 1; }
  VAL=${OUT#*\[t|}
  VAL=${VAL%]}
}
jqv() { jq -r "$1" <<<"$VAL"; }

# is_plugin_json: VAL is one plugin JSON object whose state and exit code agree.
is_plugin_json() {
  local st ec
  if ! st=$(jqv .state 2>/dev/null) || ! ec=$(jqv .exit_code); then
    _t_err "not JSON: $VAL"
    return 1
  fi
  case $st:$ec in
    OK:0 | WARNING:1 | CRITICAL:2 | UNKNOWN:3) ;;
    *) _t_err "state '$st' with exit code '$ec': $VAL"; return 1 ;;
  esac
  [ -n "$(jqv .summary)" ] || _t_err "no summary: $VAL"
}

# checker ARGS...: the template checker; OUT and RC.
checker() {
  OUT=$("$PY" "$CHECKER" "$@" 2>&1)
  RC=$?
  return 0
}
checker_ok() {
  checker "$@"
  [ "$RC" -eq 0 ] && grep -qE '^zabbix_template_check: [0-9]+ checks, 0 failures$' <<<"$OUT" &&
    return 0
  _t_err "checker exit $RC: $(grep -E '^FAIL|^zabbix_template_check' <<<"$OUT" | tr '\n' '|')"
}
# out_has REGEX MSG: a line of the checker's output matches (grep -E).
out_has() { grep -qE -- "$1" <<<"$OUT" || _t_err "$2: no line /$1/ in the checker's output"; }

FPORT='' VPORT='' VSTATE=''
# w32time MODE: fake_w32time on 127.0.0.1:$FPORT.
w32time() { fake_w32time_start w32 "$1" && FPORT=$w32_PORT; }
# vsphere PROFILE [fake flags...]: fake_vsphere.py on 127.0.0.1:$VPORT (TCP).
vsphere() { fake_vsphere_start vs "$@" && VPORT=$vs_PORT VSTATE=$vs_STATE; }
vstate() { jq -r ".$1" "$VSTATE"; }

# --- the user parameters --------------------------------------------------------------

t_conf_copy_differs_only_in_plugin_dir() {
  local back n t
  back=$(sed "s|$BIN_DIR|/usr/local/lib/nagios/plugins|g" "$AG/userparameter_timesync.conf")
  assert_eq "$back" "$(cat "$ZBX/userparameter_timesync.conf")" "copy = shipped file" || return 1
  ! grep -q '^ *UnsafeUserParameters' "$ZBX/userparameter_timesync.conf" "$AG/zabbix_agentd.conf" ||
    { _t_err "UnsafeUserParameters is set"; return 1; }
  n=$(grep -c '^UserParameter=timesync\.[a-z0-9.]*\[\*\],' "$ZBX/userparameter_timesync.conf")
  assert_eq "$n" 4 "flexible user parameters" || return 1
  # each plugin stops before the agent's default Timeout=3 kills it
  while read -r t; do
    [ "$t" -lt 3 ] || { _t_err "plugin -t $t not below the agent's Timeout 3"; return 1; }
  done < <(sed -n 's/^UserParameter=.* -t \([0-9]*\) .*/\1/p' "$ZBX/userparameter_timesync.conf")
  n=$(grep -c '^UserParameter=.* -t [0-9]' "$ZBX/userparameter_timesync.conf")
  assert_eq "$n" 4 "every key has -t"
}

t_chrony_socket_and_udp() {
  scn_synced || return 1
  agent "timesync.chrony[$cli_SOCK,]" && is_plugin_json || return 1
  assert_eq "$(jqv .transport)" "unix:$cli_SOCK" "socket path as the key parameter" &&
    assert_eq "$(jqv .metrics.stratum)" 2 "stratum" &&
    assert_eq "$(jqv .reference)" 127.0.0.1 "reference" &&
    assert_eq "$(jqv '.sources[0].name')" 127.0.0.1 "source" || return 1
  agent "timesync.chrony[127.0.0.1,$cli_CMDPORT]" && is_plugin_json || return 1
  assert_eq "$(jqv .transport)" "udp:127.0.0.1:$cli_CMDPORT" "UDP host and port" &&
    assert_eq "$(jqv .metrics.stratum)" 2 "stratum over UDP" || return 1
  agent "timesync.chrony[$cli_SOCK,,0.000000001,0.25]" && is_plugin_json || return 1
  assert_eq "$(jqv .state)" WARNING "-w from the key: $(jqv .summary)" || return 1
  agent "timesync.chrony.discovery[$cli_SOCK,]" || return 1
  assert_eq "$(jqv 'type')" array "LLD is a plain array" &&
    assert_eq "$(jqv '[.[]."{#NAME}"] | join(",")')" 127.0.0.1 "discovered sources" || return 1
  agent "timesync.chrony.discovery[127.0.0.1,$cli_CMDPORT]" || return 1
  assert_eq "$(jqv '[.[]."{#NAME}"] | join(",")')" 127.0.0.1 "discovered over UDP"
}

# Empty parameters are the plugin defaults, not a bad option (UNKNOWN); whatever runs
# (or not) on this machine's 127.0.0.1:323 is only read.
t_chrony_empty_params() {
  local k
  for k in 'timesync.chrony[,]' 'timesync.chrony'; do
    agent "$k" && is_plugin_json || return 1
    [ "$(jqv .exit_code)" != 3 ] || { _t_err "$k: UNKNOWN: $(jqv .summary)"; return 1; }
  done
}

# UnsafeUserParameters=0: the agent refuses these before any shell sees them.
t_forbidden_characters_refused() {
  local c out
  for c in ';' '|' '&' '`' '$' '>' '(' "\\" "'"; do
    out=$("$ZABBIX_AGENTD" -c "$AG/zabbix_agentd.conf" \
      -t "timesync.chrony[x${c}touch $T_TMP/pwned,]" 2>&1)
    assert_match "$out" "\[m\|ZBX_NOTSUPPORTED\] \[Special characters .* are not allowed" \
      "parameter with '$c'" || return 1
  done
  [ ! -e "$T_TMP/pwned" ] || _t_err "a refused key ran a command"
}

t_w32time_user_param() {
  w32time synced || return 1
  agent "timesync.w32time[127.0.0.1,$FPORT]" && is_plugin_json || return 1
  assert_eq "$(jqv .state)" OK "synced" &&
    assert_eq "$(jqv .reference)" 10.1.2.3 "refid" &&
    assert_eq "$(jqv .metrics.stratum)" 3 "stratum" || return 1
  # thresholds in the key reach the plugin: its verdict follows the template's macros
  agent "timesync.w32time[127.0.0.1,$FPORT,0.000000001,5]" && is_plugin_json || return 1
  assert_eq "$(jqv .state)" WARNING "-w from the key: $(jqv .summary)" || return 1
  agent "timesync.w32time[127.0.0.1,$FPORT,,0.000000001]" && is_plugin_json || return 1
  assert_eq "$(jqv .state)" CRITICAL "-c from the key, -w empty: $(jqv .summary)" || return 1
  t_stop_tracked
  w32time locl || return 1
  agent "timesync.w32time[127.0.0.1,$FPORT]" && is_plugin_json || return 1
  assert_eq "$(jqv .state)" CRITICAL "CMOS clock" &&
    assert_eq "$(jqv .reference_local)" true "reference_local"
}

# No reply: the plugin's -t 2 ends the run before the agent's Timeout (3 s) would, so
# the item gets the reason instead of ZBX_NOTSUPPORTED.
# zabbix_agentd -t enforces its Timeout (3 s here) as the running agent does: a plugin
# still waiting then would give "Timeout while executing a shell script", not our JSON.
t_w32time_silent_within_agent_timeout() {
  w32time silent || return 1
  agent "timesync.w32time[127.0.0.1,$FPORT]" && is_plugin_json || return 1
  assert_match "$(jqv .summary)" "^no NTP reply from 127\.0\.0\.1" "silent server"
}

t_esxi_user_param() {
  vsphere esxi8 || return 1
  agent "timesync.esxi[127.0.0.1,$AUTH,,$VPORT,$CA_PEM,]" && is_plugin_json || return 1
  assert_eq "$(jqv .state)" OK "ESXi direct: $(jqv .summary)" &&
    assert_eq "$(jqv '.hosts[0].name')" esxi01.example.com "host" &&
    assert_eq "$(vstate open_sessions)" 0 "logged out" || return 1
  # with a session file the second run logs in no more
  agent "timesync.esxi[127.0.0.1,$AUTH,,$VPORT,$CA_PEM,$T_TMP/esxi.session]" || return 1
  agent "timesync.esxi[127.0.0.1,$AUTH,,$VPORT,$CA_PEM,$T_TMP/esxi.session]" && is_plugin_json ||
    return 1
  assert_eq "$(vstate logins)" 2 "session file reused" || return 1
  t_stop_tracked
  vsphere vcenter8 || return 1
  agent "timesync.esxi[127.0.0.1,$AUTH,esx02.example.com,$VPORT,$CA_PEM,]" && is_plugin_json ||
    return 1
  assert_eq "$(jqv '.hosts[0].name')" esx02.example.com "host behind vCenter" || return 1
  agent "timesync.esxi[127.0.0.1,$AUTH,,$VPORT,$CA_PEM,]" && is_plugin_json || return 1
  assert_match "$(jqv .summary)" "is a vCenter: name a host" "vCenter without a host name"
}

# --- the templates ----------------------------------------------------------------------

t_template_structure() {
  [ -n "$PY" ] || { _t_err "no python3 with yaml (tests/deps.sh installs python3-yaml)"; return 1; }
  checker_ok "$ZBX"/template_*.yaml
}

# mutant NAME FILE SED-EXPR REGEX [checker args...]: a broken copy must fail, saying REGEX.
mutant() {
  local name=$1 file=$2 expr=$3 re=$4 copy=$T_TMP/mutant.yaml
  shift 4
  sed "$expr" "$file" >"$copy"
  cmp -s "$copy" "$file" && { _t_err "$name: the mutation changed nothing"; return 1; }
  checker "$copy" "$@"
  assert_exit 1 "$RC" "$name" && out_has "$re" "$name"
}

t_template_negative_controls() {
  local c=$ZBX/template_timesync_chrony.yaml w=$ZBX/template_timesync_ntp.yaml u1 u2
  u1=$(grep -oE 'uuid: [0-9a-f]{32}' "$c" | sed -n '2s/uuid: //p')
  u2=$(grep -oE 'uuid: [0-9a-f]{32}' "$c" | sed -n '3s/uuid: //p')
  mutant "duplicate uuid" "$c" "s/$u2/$u1/" "uuid $u1 is used twice" &&
    mutant "uppercase uuid" "$c" "s/$u2/${u2^^}/" "is not 32 lowercase hex digits" &&
    mutant "version" "$c" "s/version: '6.0'/version: '5.4'/" "export version '5.4', not '6.0'" &&
    mutant "undefined macro" "$c" 's/>{\$CHRONY\.OFFSET\.WARN}/>{$CHRONY.OFFSET.WARNX}/' \
      'macro \{\$CHRONY\.OFFSET\.WARNX\} is used but not defined' &&
    mutant "missing master" "$w" "s/^\( \{12\}key: 'check_w32time\)\[/\1X[/" \
      "master item 'check_w32timeX\[.*is not an item of this template" &&
    mutant "trigger on a missing item" "$w" 's/^\( *key: timesync\.w32time\.offset\)$/\1X/' \
      "references 'timesync\.w32time\.offset', which is not an item" &&
    mutant "dependency on a missing trigger" "$c" \
      "s/^\( \{18\}name: 'chrony: Clock offset\) exceeds/\1 beyond/" \
      "depends on a trigger that does not exist" &&
    mutant "ITEM macro beyond the expression" "$c" 's/\(answer: {ITEM\.LASTVALUE\)3}/\14}/' \
      '\{ITEM\.\*4\} but the expression has 3 item' &&
    mutant "path outside the subset" "$c" 's/- \$\.metrics\.offset$/- $..offset/' \
      "'\\\$\.\.offset' is outside the supported subset" &&
    mutant "filter without first()" "$c" "s/\.state\.first()'/.state'/" \
      'a filter must end in \.first\(\)'
}

t_template_chrony_values() {
  local v="value $T_CHRONY: timesync\.chrony"
  local args=(--run --template "$T_CHRONY" --agentd "$ZABBIX_AGENTD"
              --agent-conf "$AG/zabbix_agentd.conf")
  scn_falseticker || return 1
  checker_ok "$ZBX/template_timesync_chrony.yaml" "${args[@]}" \
    --macro "{\$CHRONY.TARGET}=$cli_SOCK" || return 1
  out_has "run  zabbix_agentd -t timesync\.chrony\[$cli_SOCK,,0\.05,0\.25\]" "agent key" &&
    out_has "$v\.source\.state\[127\.0\.0\.3\] = falseticker" "falseticker prototype" &&
    out_has "$v\.source\.reach\[127\.0\.0\.1\] = [1-9][0-9]*$" "reach" &&
    out_has "$v\.sources_usable = 2" "usable" &&
    out_has "$v\.reference_local = 0" "bool to decimal" &&
    out_has "$v\.sources_reported = 3" "length()" || return 1
  # the same template over UDP
  checker_ok "$ZBX/template_timesync_chrony.yaml" "${args[@]}" \
    --macro "{\$CHRONY.TARGET}=127.0.0.1" --macro "{\$CHRONY.PORT}=$cli_CMDPORT" || return 1
  out_has "run  zabbix_agentd -t timesync\.chrony\.discovery\[127\.0\.0\.1,$cli_CMDPORT\]" \
    "discovery over UDP"
}

t_template_w32time_values() {
  local w=$ZBX/template_timesync_ntp.yaml v="value $T_W32TIME: timesync\.w32time" args
  w32time synced || return 1
  args=(--run --template "$T_W32TIME" --bin-dir "$BIN_DIR" --macro "{\$W32TIME.PORT}=$FPORT")
  checker_ok "$w" "${args[@]}" || return 1
  # exactly the arguments Zabbix would pass to the external script
  out_has "run  $BIN_DIR/check_w32time -H 127\.0\.0\.1 -p $FPORT -t 2 -w 1 -c 5 --format=json$" \
    "external check arguments" &&
    out_has "$v\.reference = 10\.1\.2\.3" "reference" &&
    out_has "$v\.stratum = 3" "stratum" || return 1
  # negative controls that need the real JSON
  mutant "path that matches nothing" "$w" 's/- \$\.metrics\.offset$/- $.metrics.no_such_key/' \
    'timesync\.w32time\.offset: \$\.metrics\.no_such_key: no data matches the path' "${args[@]}" &&
    mutant "text into a FLOAT item" "$w" 's/- \$\.metrics\.delay$/- $.summary/' \
      "timesync\.w32time\.delay: FLOAT item got .synchronized to .*, not a number" "${args[@]}" ||
    return 1
  # a mistyped --macro must not go unnoticed either
  checker "$w" "${args[@]}" --macro '{$W32TIME.NOPE}=1'
  assert_exit 1 "$RC" "unknown macro" &&
    out_has '\{\$W32TIME\.NOPE\} is not a macro of the selected templates' "unknown macro"
}

t_template_esxi_values() {
  local v="value $T_ESXI: timesync\.esxi"
  local args=(--run --template "$T_ESXI" --bin-dir "$BIN_DIR" --macro "{\$ESXI.AUTHFILE}=$AUTH"
              --macro "{\$ESXI.CACERT}=$CA_PEM")
  vsphere esxi8 || return 1
  checker_ok "$ZBX/template_timesync_esxi.yaml" "${args[@]}" --macro "{\$ESXI.PORT}=$VPORT" ||
    return 1
  out_has "$v\.ntp_servers = \[\"10\.0\.0\.11\",\"10\.0\.0\.12\"\]$" "array as JSON text" &&
    out_has "$v\.ntpd_running = 1" "bool to decimal" &&
    assert_eq "$(vstate open_sessions)" 0 "logged out" || return 1
  t_stop_tracked
  vsphere vcenter8 || return 1
  checker_ok "$ZBX/template_timesync_esxi.yaml" "${args[@]}" --macro "{\$ESXI.PORT}=$VPORT" \
    --macro '{$ESXI.NAME}=esx02.example.com' || return 1
  out_has "$v\.host = esx02\.example\.com" "host behind vCenter"
}

[ -x "$ZABBIX_AGENTD" ] || { echo "zabbix: no zabbix_agentd at $ZABBIX_AGENTD (tests/deps.sh)"; }
t_run conf_copy_differs_only_in_plugin_dir t_conf_copy_differs_only_in_plugin_dir
t_run chrony_socket_and_udp t_chrony_socket_and_udp
t_run chrony_empty_params t_chrony_empty_params
t_run forbidden_characters_refused t_forbidden_characters_refused
t_run w32time_user_param t_w32time_user_param
t_run w32time_silent_within_agent_timeout t_w32time_silent_within_agent_timeout
t_run esxi_user_param t_esxi_user_param
t_run template_structure t_template_structure
t_run template_negative_controls t_template_negative_controls
t_run template_chrony_values t_template_chrony_values
t_run template_w32time_values t_template_w32time_values
t_run template_esxi_values t_template_esxi_values
t_finish
