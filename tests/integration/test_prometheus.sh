#!/usr/bin/env bash
# test_prometheus.sh -- the Prometheus integration in contrib/prometheus/:
#  (a) the alerting rules: promtool check rules, promtool test rules, and a changed
#      threshold that the rule tests must catch;
#  (b) timesync-textfile against a real chronyd pair, fake_w32time, fake_vsphere.py, a
#      check that fails, a missing plugin, a hanging one, a crashing one: every .prom
#      file passes promtool check metrics and ends in # EOF, a real node_exporter
#      (textfile collector) serves every series of every file and logs no error, the
#      fallback exposition has the plugins' HELP texts, files are renamed into place
#      (no reader sees a partial one); the systemd units verify;
#  (c) the snmp_exporter generator.yml parses, every object it names resolves in its MIB
#      (snmptranslate on mibs/; NTPv4-MIB, not shipped, against RFC 5907's numbers), and,
#      when Debian's prometheus-snmp-exporter can be had, its generator turns it into a
#      config with which its exporter scrapes timesync-agentx under a real snmpd.
#
# BIN_DIR: the plugins; TOOLS_DIR: fake_w32time. promtool (PROMTOOL, lib.sh) and
# prometheus-node-exporter: the machine's, else the copies tests/deps.sh unpacks into
# build/tools/.
# SC2154: cli_SOCK and friends come from lib.sh's printf -v. SC2317: tests run via t_run.
# shellcheck disable=SC2154,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
TOOLS_DIR=${TOOLS_DIR:-$BIN_DIR/tests}
PROM=$TOP/contrib/prometheus
TEXTFILE=$PROM/timesync-textfile
NODE_EXPORTER=${NODE_EXPORTER:-$(command -v prometheus-node-exporter 2>/dev/null ||
  echo "$TOP/build/tools/node_exporter/usr/bin/prometheus-node-exporter")}
t_init prometheus

# the first python3 that has yaml (python3-yaml comes from tests/deps.sh)
PY=''
for p in "$PYTHON3" python3; do
  "$p" -c 'import yaml' 2>/dev/null && { PY=$p; break; }
done

need_exe() { [ -x "$1" ] || _t_err "no $2 at $1 (tests/deps.sh unpacks it)"; }

# ---------------------------------------------------------------------------------------
# helpers: the wrapper, fake plugins, expositions
# ---------------------------------------------------------------------------------------
OUT='' ERR='' RC='' DIR=''
# fresh_dir: DIR, the textfile directory, new and empty.
fresh_dir() {
  DIR=$T_TMP/textfile
  rm -rf "$DIR" && mkdir -p "$DIR"
}

# textfile CONF-LINES...: writes them (with a comment and a blank line) to $T_TMP/tf.conf
# and runs timesync-textfile with -p $BIN_DIR into DIR; OUT, ERR, RC. TF_ARGS: more
# options.
TF_ARGS=()
textfile() {
  { printf '# timesync-textfile test\n\n'; printf '%s\n' "$@"; } >"$T_TMP/tf.conf"
  OUT=$(sh "$TEXTFILE" -c "$T_TMP/tf.conf" -d "$DIR" -p "$BIN_DIR" "${TF_ARGS[@]}" \
    2>"$T_TMP/tf.err")
  RC=$?
  ERR=$(cat "$T_TMP/tf.err")
  return 0
}

# fake_plugin NAME BODY: an executable sh script $T_TMP/plugins/NAME.
fake_plugin() {
  mkdir -p "$T_TMP/plugins"
  printf '#!/bin/sh\n%s\n' "$2" >"$T_TMP/plugins/$1"
  chmod 0755 "$T_TMP/plugins/$1"
}

# fake_printer NAME TARGET STATE [EXIT] [BEFORE]: a fake plugin that runs BEFORE, prints
# fake_exposition TARGET STATE and exits EXIT (default 0).
fake_printer() {
  mkdir -p "$T_TMP/plugins"
  fake_exposition "$2" "$3" >"$T_TMP/plugins/$1.out"
  fake_plugin "$1" "${5:-:}; cat '$T_TMP/plugins/$1.out'; exit ${4:-0}"
}

# A complete exposition a fake plugin prints (one family, the plugins' HELP).
fake_exposition() {
  printf '%s\n' \
    '# HELP timesync_check_state State of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.' \
    '# TYPE timesync_check_state gauge' \
    "timesync_check_state{check=\"fake\",target=\"$1\"} $2" '# EOF'
}

# only_files DIR NAME...: DIR holds exactly these files (dot files included): no temp
# file is left behind, nothing else was written.
only_files() {
  local dir=$1 got want
  shift
  got=$(cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')
  want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  assert_eq "$got" "$want" "files in $dir"
}

# file_ok FILE: ends in # EOF and promtool check metrics says nothing.
file_ok() { assert_openmetrics "$(cat "$1")" "${1##*/}"; }

# has_line TEXT LINE [WHAT]: LINE is a line of TEXT, exactly.
has_line() {
  grep -qxF -- "$2" <<<"$1" || _t_err "${3:-line} missing: '$2'"
}

# The fallback's families and their HELP/TYPE/UNIT lines, from a real plugin's failed
# run: the wrapper's must be the same text, or node_exporter drops one of the two.
plugin_meta() { grep '^# \(HELP\|TYPE\|UNIT\) timesync_check_' <<<"$1"; }

# ---------------------------------------------------------------------------------------
# (a) alerting rules
# ---------------------------------------------------------------------------------------
t_a_rules_check() {
  need_exe "$PROMTOOL" promtool || return 1
  OUT=$("$PROMTOOL" check rules "$PROM/timesync-alerts.yml" 2>&1)
  assert_exit 0 $? "promtool check rules: $OUT" &&
    assert_match "$OUT" "SUCCESS: 9 rules found" "rule count"
}

t_a_rules_unit_tests() {
  need_exe "$PROMTOOL" promtool || return 1
  OUT=$(cd "$PROM" && "$PROMTOOL" test rules timesync-alerts.test.yml 2>&1)
  assert_exit 0 $? "promtool test rules: $OUT" && assert_match "$OUT" "SUCCESS" "test rules"
}

# mutant SED-EXPR REGEX: the rules changed by SED-EXPR fail the unit tests, saying REGEX.
mutant() {
  local d=$T_TMP/mutant
  rm -rf "$d" && mkdir -p "$d"
  sed "$1" "$PROM/timesync-alerts.yml" >"$d/timesync-alerts.yml"
  cp "$PROM/timesync-alerts.test.yml" "$d/"
  cmp -s "$d/timesync-alerts.yml" "$PROM/timesync-alerts.yml" &&
    { _t_err "the mutation '$1' changed nothing"; return 1; }
  OUT=$(cd "$d" && "$PROMTOOL" test rules timesync-alerts.test.yml 2>&1)
  RC=$?
  assert_exit 1 "$RC" "rules with '$1' pass the tests" && assert_match "$OUT" "$2" "$1"
}

t_a_rules_tests_catch_changes() {
  need_exe "$PROMTOOL" promtool || return 1
  mutant 's/> 0\.05$/> 0.06/' 'alertname: TimesyncOffsetWarning' &&
    mutant 's/abs(timesync_offset_seconds) > 0\.25/timesync_offset_seconds > 0.25/' \
      'alertname: TimesyncOffsetCritical' &&
    mutant '0,/for: 5m/s//for: 4m/' 'alertname: TimesyncOffsetWarning, time: 4m' &&
    mutant 's/timesync_reach == 0/timesync_reach < 2/' 'alertname: TimesyncSourceUnreachable' &&
    mutant 's/> 300$/> 360/' 'alertname: TimesyncTextfileStale'
}

# ---------------------------------------------------------------------------------------
# (b) timesync-textfile and node_exporter
# ---------------------------------------------------------------------------------------

# publish_all: a synchronised chronyd pair, fake W32Time, fake ESXi, a chronyd socket
# that does not exist and a plugin that does not exist, published into DIR.
publish_all() {
  fresh_dir
  scn_synced || return 1
  fake_w32time_start w32 synced || return 1
  fake_vsphere_start vs esxi8 || return 1
  textfile "chrony check_chrony -s $cli_SOCK -m 1: -t 5" \
    "clients check_chrony -s $srv_SOCK --mode=clients -t 5" \
    "w32 check_w32time -H 127.0.0.1 -p $w32_PORT -t 5" \
    "esxi check_esxi_time -H 127.0.0.1 -p $vs_PORT --authfile $vs_AUTH --cacert $vs_CACERT -t 5" \
    "missing check_chrony -s $T_TMP/missing.sock -t 2" \
    "gone check_gone -H gone.example.com -t 2"
  assert_exit 0 "$RC" "timesync-textfile: $ERR" &&
    assert_eq "$OUT" "" "timesync-textfile stdout" &&
    assert_match "$ERR" "gone: $BIN_DIR/check_gone is not an executable plugin; publishing timesync_check_success 0" \
      "the missing plugin is named" || return 1
  # the failed check is a result, not an error: nothing else on stderr
  assert_eq "$(grep -c . <<<"$ERR")" 1 "stderr lines: $ERR"
}

t_b_textfile_publishes_every_check() {
  local f c
  publish_all || return 1
  only_files "$DIR" timesync_chrony.prom timesync_clients.prom timesync_w32.prom \
    timesync_esxi.prom timesync_missing.prom timesync_gone.prom || return 1
  for f in "$DIR"/*.prom; do
    file_ok "$f" || return 1
    assert_eq "$(stat -c %a "$f")" 644 "${f##*/} mode" || return 1
  done
  c=$(cat "$DIR/timesync_chrony.prom")
  has_line "$c" "timesync_check_success{check=\"chrony\",target=\"$cli_SOCK\"} 1" &&
    has_line "$c" "timesync_check_state{check=\"chrony\",target=\"$cli_SOCK\"} 0" &&
    has_line "$c" "timesync_synchronized{check=\"chrony\",target=\"$cli_SOCK\"} 1" &&
    has_line "$c" "timesync_source_state{check=\"chrony\",target=\"$cli_SOCK\",source=\"127.0.0.1\",state=\"selected\"} 1" ||
    return 1
  # a CRITICAL run (exit 2) is published as the plugin printed it
  c=$(cat "$DIR/timesync_missing.prom")
  has_line "$c" "timesync_check_success{check=\"chrony\",target=\"$T_TMP/missing.sock\"} 0" &&
    has_line "$c" "timesync_check_state{check=\"chrony\",target=\"$T_TMP/missing.sock\"} 2" ||
    return 1
  # the missing plugin: the wrapper's own exposition, UNKNOWN
  c=$(cat "$DIR/timesync_gone.prom")
  has_line "$c" 'timesync_check_success{check="gone",target="gone.example.com"} 0' &&
    has_line "$c" 'timesync_check_state{check="gone",target="gone.example.com"} 3' || return 1
  c=$(cat "$DIR/timesync_clients.prom")
  assert_match "$c" $'\n# TYPE timesync_ntp_requests_total counter\n' "counter family" &&
    has_line "$c" "timesync_client_last_request_age_seconds{check=\"chrony_clients\",target=\"$srv_SOCK\",client=\"127.0.0.1\"} 0" \
      "the client" || return 1
  assert_match "$(cat "$DIR/timesync_esxi.prom")" \
    $'\ntimesync_offset_seconds\\{check="esxi",target="127\\.0\\.0\\.1:'"$vs_PORT"$'",host="esxi01\\.example\\.com"\\} ' \
    "ESXi host offset" &&
    assert_eq "$(jq -r .open_sessions "$vs_STATE")" 0 "logged out of the fake vSphere"
}

# om_compare FILES... < METRICS: every sample of the files is on node_exporter's page
# with the same labels (in any order) and value; prints what is not.
OM_COMPARE='
import re, sys
LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
PAIR = re.compile(r"\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\]|\\.)*)\"\s*,?")
def parse(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            print("unparsable: " + line); continue
        labels = frozenset(PAIR.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out
page = parse(sys.stdin.read())
bad = 0
for f in sys.argv[1:]:
    for key, v in parse(open(f).read()).items():
        if key not in page:
            print("%s: not served: %s %s" % (f, key[0], sorted(key[1]))); bad += 1
        elif page[key] != v and not (v != v and page[key] != page[key]):
            print("%s: %s served as %r, file has %r" % (f, key[0], page[key], v)); bad += 1
sys.exit(1 if bad else 0)
'

NE_PORT='' NE_LOG='' NE_PID=''
# node_exporter_start DIR: node_exporter with only the textfile collector on DIR, on
# 127.0.0.1:NE_PORT; waits until /metrics answers (10 s). Another port if it was taken.
node_exporter_start() {
  local end
  NE_LOG=$T_TMP/node_exporter.log
  for _ in 1 2 3; do
    NE_PORT=$(tcp_free_port) || return 1
    "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$NE_PORT" --collector.disable-defaults \
      --collector.textfile --collector.textfile.directory="$1" >"$NE_LOG" 2>&1 </dev/null &
    NE_PID=$!
    t_track "$NE_PID"
    end=$(($(_chr_now_us) + 10000000))
    while [ "$(_chr_now_us)" -lt "$end" ]; do
      curl -sf -o /dev/null "http://127.0.0.1:$NE_PORT/metrics" && return 0
      _chr_alive "$NE_PID" || break
      sleep 0.05
    done
    grep -q 'address already in use' "$NE_LOG" && continue
    break
  done
  _t_err "node_exporter did not answer on 127.0.0.1:$NE_PORT: $(tail -n 3 "$NE_LOG" | tr '\n' '|')"
}

t_b_node_exporter_serves_every_series() {
  local m f line
  need_exe "$NODE_EXPORTER" prometheus-node-exporter && need_exe "$PROMTOOL" promtool ||
    return 1
  publish_all || return 1
  node_exporter_start "$DIR" || return 1
  m=$(curl -sf "http://127.0.0.1:$NE_PORT/metrics") || { _t_err "no /metrics"; return 1; }
  # node_exporter sorts the labels by name
  for line in \
    "timesync_check_success{check=\"chrony\",target=\"$cli_SOCK\"} 1" \
    "timesync_check_success{check=\"chrony\",target=\"$T_TMP/missing.sock\"} 0" \
    'timesync_check_success{check="gone",target="gone.example.com"} 0' \
    "timesync_check_success{check=\"w32time\",target=\"127.0.0.1:$w32_PORT\"} 1" \
    "timesync_check_success{check=\"esxi\",target=\"127.0.0.1:$vs_PORT\"} 1" \
    "timesync_host_success{check=\"esxi\",host=\"esxi01.example.com\",target=\"127.0.0.1:$vs_PORT\"} 1" \
    "timesync_synchronized{check=\"w32time\",target=\"127.0.0.1:$w32_PORT\"} 1" \
    "timesync_source_state{check=\"chrony\",source=\"127.0.0.1\",state=\"selected\",target=\"$cli_SOCK\"} 1" \
    'node_textfile_scrape_error 0' \
    'node_scrape_collector_success{collector="textfile"} 1' \
    '# TYPE timesync_ntp_requests_total counter' \
    '# TYPE timesync_offset_seconds gauge'; do
    has_line "$m" "$line" "on /metrics" || return 1
  done
  assert_match "$m" $'\ntimesync_offset_seconds\\{check="w32time",target="127\\.0\\.0\\.1:'"$w32_PORT"$'"\\} [-+0-9.e]+\n' \
    "W32Time offset" &&
    assert_match "$m" $'\ntimesync_reach\\{check="w32time",source="127\\.0\\.0\\.1",target="127\\.0\\.0\\.1:'"$w32_PORT"$'"\\} [0-9]+\n' \
      "W32Time reach with its source" &&
    assert_match "$m" "$(printf '\ntimesync_reach\\{check="chrony",source="127\\.0\\.0\\.1",target="%s"\\} [1-9][0-9]*\n' \
      "${cli_SOCK//./\\.}")" "chrony reach with its source" || return 1
  for f in "$DIR"/*.prom; do
    assert_match "$m" "node_textfile_mtime_seconds\\{file=\"([^\"]*/)?${f##*/}\"\\} " \
      "mtime of ${f##*/}" || return 1
  done
  # every sample of every file, unchanged: a family whose HELP differs between two
  # files, or a series in two files, is dropped with only a log line (node_exporter
  # 1.5 keeps node_textfile_scrape_error at 0 for both)
  OUT=$("$PY" -c "$OM_COMPARE" "$DIR"/*.prom <<<"$m" 2>&1)
  assert_exit 0 $? "files vs /metrics: $OUT" || return 1
  assert_eq "$(grep -c 'level=error' "$NE_LOG")" 0 \
    "node_exporter errors: $(grep 'level=error' "$NE_LOG" | cut -c1-400)"
}

# The control for the check above: a file whose HELP differs is what node_exporter drops
# silently (scrape_error stays 0), so the comparison must see it.
t_b_node_exporter_drops_inconsistent_help() {
  local m
  need_exe "$NODE_EXPORTER" prometheus-node-exporter || return 1
  fresh_dir
  fake_exposition a 0 >"$DIR/timesync_a.prom"
  fake_exposition b 1 | sed 's/^# HELP timesync_check_state .*/# HELP timesync_check_state Other./' \
    >"$DIR/timesync_b.prom"
  node_exporter_start "$DIR" || return 1
  m=$(curl -sf "http://127.0.0.1:$NE_PORT/metrics") || { _t_err "no /metrics"; return 1; }
  has_line "$m" 'timesync_check_state{check="fake",target="a"} 0' "the first file" || return 1
  OUT=$("$PY" -c "$OM_COMPARE" "$DIR"/timesync_b.prom <<<"$m" 2>&1)
  assert_exit 1 $? "the comparison sees the dropped series" &&
    assert_match "$OUT" "not served: timesync_check_state" "dropped series" &&
    assert_match "$(cat "$NE_LOG")" 'has help \\"Other.\\" but should have' "node_exporter's log"
}

t_b_fallback_has_the_plugins_help() {
  local plugin wrapper
  fresh_dir
  plugin=$("$BIN_DIR/check_chrony" -s "$T_TMP/missing.sock" -t 2 --format=openmetrics)
  textfile "gone check_gone -H gone.example.com -t 2"
  wrapper=$(cat "$DIR/timesync_gone.prom")
  file_ok "$DIR/timesync_gone.prom" || return 1
  assert_eq "$(plugin_meta "$wrapper")" "$(plugin_meta "$plugin")" "HELP/TYPE/UNIT lines" &&
    assert_eq "$(grep -c '^timesync_' <<<"$wrapper")" 3 "three series" &&
    assert_match "$wrapper" $'\ntimesync_check_duration_seconds\\{check="gone",target="gone\\.example\\.com"\\} [0-9]+\n# EOF$' \
      "duration, then # EOF"
}

# A plugin that ignores its -t: the backstop (-T 1) stops it, also when it ignores
# SIGTERM (timeout -k 2 then kills it), and the check is published as failed.
t_b_fallback_on_backstop_timeout() {
  local t0 ms
  fresh_dir
  fake_plugin check_hang 'sleep 60'
  fake_plugin check_stubborn "trap '' TERM; while :; do sleep 0.1; done"
  TF_ARGS=(-T 1)
  t0=$(_chr_now_us)
  textfile "hang $T_TMP/plugins/check_hang -H hang.example.com -t 1" \
    "stubborn $T_TMP/plugins/check_stubborn -H stubborn.example.com"
  ms=$((($(_chr_now_us) - t0) / 1000))
  TF_ARGS=()
  assert_exit 0 "$RC" "exit status" || return 1
  [ "$ms" -lt 6000 ] || { _t_err "took $ms ms: the backstop did not stop the plugins"; return 1; }
  assert_match "$ERR" "hang: .*check_hang stopped by the 1 s backstop timeout" "reason" &&
    assert_match "$ERR" "stubborn: .*check_stubborn stopped by the 1 s backstop timeout" "reason" &&
    has_line "$(cat "$DIR/timesync_hang.prom")" \
      'timesync_check_success{check="hang",target="hang.example.com"} 0' &&
    has_line "$(cat "$DIR/timesync_stubborn.prom")" \
      'timesync_check_state{check="stubborn",target="stubborn.example.com"} 3' &&
    file_ok "$DIR/timesync_hang.prom" && file_ok "$DIR/timesync_stubborn.prom" &&
    only_files "$DIR" timesync_hang.prom timesync_stubborn.prom
}

# The default backstop is the plugin's -t plus 5 s: a plugin that finishes within it is
# not stopped.
t_b_backstop_follows_plugin_timeout() {
  fresh_dir
  fake_printer check_slow slow 0 0 'sleep 1.5'
  textfile "slow $T_TMP/plugins/check_slow -t 1"
  assert_eq "$ERR" "" "stderr" &&
    has_line "$(cat "$DIR/timesync_slow.prom")" 'timesync_check_state{check="fake",target="slow"} 0'
}

t_b_fallback_on_crash_or_bad_output() {
  local n
  fresh_dir
  ulimit -c 0 # timeout(1) re-raises the plugin's SIGSEGV on itself
  fake_plugin check_crash "echo '# HELP timesync_check_state State'; kill -SEGV \$\$"
  fake_plugin check_nagios "echo 'CHRONY UNKNOWN: unknown option: --bogus'; exit 3"
  fake_plugin check_empty 'exit 0'
  fake_printer check_exit5 x 0 5
  fake_plugin check_noexec 'exit 0' && chmod 0644 "$T_TMP/plugins/check_noexec"
  textfile "crash $T_TMP/plugins/check_crash -H c.example.com" \
    "nagios $T_TMP/plugins/check_nagios -s /run/x.sock" \
    "empty $T_TMP/plugins/check_empty" \
    "exit5 $T_TMP/plugins/check_exit5" \
    "noexec $T_TMP/plugins/check_noexec"
  assert_exit 0 "$RC" "exit status" &&
    assert_match "$ERR" "crash: .*check_crash was killed by signal 11" "crash" &&
    assert_match "$ERR" "nagios: .*check_nagios exited 3 without a complete exposition" "no # EOF" &&
    assert_match "$ERR" "empty: .*check_empty exited 0 without a complete exposition" "empty" &&
    assert_match "$ERR" "exit5: .*check_exit5 failed with exit status 5" "exit 5" &&
    assert_match "$ERR" "noexec: .*check_noexec is not an executable plugin" "not executable" ||
    return 1
  for n in crash nagios empty exit5 noexec; do
    file_ok "$DIR/timesync_$n.prom" &&
      assert_match "$(cat "$DIR/timesync_$n.prom")" $'\ntimesync_check_success\\{check="'"$n"$'",target="[^"]*"\\} 0\n' \
        "$n: success 0" || return 1
  done
  # labels as the plugins set them: -H, or chrony's -s
  has_line "$(cat "$DIR/timesync_crash.prom")" \
    'timesync_check_state{check="crash",target="c.example.com"} 3' &&
    has_line "$(cat "$DIR/timesync_nagios.prom")" \
      'timesync_check_state{check="nagios",target=""} 3'
}

# Exit codes 0-3 with a complete exposition are results: published as printed.
t_b_states_0_to_3_published() {
  local i lines=()
  fresh_dir
  for i in 0 1 2 3; do
    fake_printer "check_exit$i" "t$i" "$i" "$i"
    lines+=("e$i $T_TMP/plugins/check_exit$i")
  done
  textfile "${lines[@]}"
  assert_eq "$ERR" "" "stderr" || return 1
  for i in 0 1 2 3; do
    assert_eq "$(cat "$DIR/timesync_e$i.prom")" "$(fake_exposition "t$i" "$i")" "exit $i" ||
      return 1
  done
}

# The new file is written beside the old one under a dot name (which the collector's
# *.prom never matches) and renamed over it: while the plugin is half-way through its
# output the old file is still whole, and afterwards the file IS the temp file (same
# inode), not a copy of it.
t_b_rename_is_atomic() {
  local pid end tmp inode f
  fresh_dir
  mkdir -p "$T_TMP/plugins"
  cat >"$T_TMP/plugins/check_gate" <<'EOF'
#!/bin/sh
# the first two lines, then nothing until $GATE exists
echo '# HELP timesync_check_state State of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.'
echo '# TYPE timesync_check_state gauge'
while [ ! -e "$GATE" ]; do sleep 0.05; done
echo "timesync_check_state{check=\"gate\",target=\"$1\"} 0"
echo '# EOF'
EOF
  chmod 0755 "$T_TMP/plugins/check_gate"
  export GATE=$T_TMP/gate
  : >"$T_TMP/gate"
  textfile "gate $T_TMP/plugins/check_gate old"
  has_line "$(cat "$DIR/timesync_gate.prom")" 'timesync_check_state{check="gate",target="old"} 0' ||
    return 1
  rm -f "$T_TMP/gate"
  printf '%s\n' "gate $T_TMP/plugins/check_gate new" >"$T_TMP/tf.conf"
  sh "$TEXTFILE" -c "$T_TMP/tf.conf" -d "$DIR" -p "$BIN_DIR" 2>"$T_TMP/tf.err" &
  pid=$!
  t_track "$pid"
  end=$(($(_chr_now_us) + 5000000))
  tmp=''
  while [ "$(_chr_now_us)" -lt "$end" ]; do
    for f in "$DIR"/.timesync_gate.prom.*; do
      [ -f "$f" ] && grep -q '^# TYPE' "$f" && tmp=$f
    done
    [ -n "$tmp" ] && break
    sleep 0.05
  done
  [ -n "$tmp" ] || { _t_err "no .timesync_gate.prom.* temp file with the first lines"; return 1; }
  inode=$(stat -c %i "$tmp")
  # the half-written output is only in the temp file; what the collector reads is whole
  has_line "$(cat "$DIR/timesync_gate.prom")" 'timesync_check_state{check="gate",target="old"} 0' &&
    file_ok "$DIR/timesync_gate.prom" || return 1
  for f in "$DIR"/*.prom; do
    [ "$(tail -n 1 "$f")" = "# EOF" ] || { _t_err "${f##*/} has no # EOF"; return 1; }
  done
  : >"$T_TMP/gate"
  end=$(($(_chr_now_us) + 5000000))
  while _chr_alive "$pid" && [ "$(_chr_now_us)" -lt "$end" ]; do sleep 0.05; done
  _chr_alive "$pid" && { _t_err "timesync-textfile did not finish"; return 1; }
  wait "$pid"
  assert_exit 0 $? "exit status" &&
    has_line "$(cat "$DIR/timesync_gate.prom")" 'timesync_check_state{check="gate",target="new"} 0' &&
    assert_eq "$(stat -c %i "$DIR/timesync_gate.prom")" "$inode" "renamed, not copied" &&
    only_files "$DIR" timesync_gate.prom
}

t_b_config_handling() {
  local conf=$T_TMP/tf.conf
  fresh_dir
  # files it does not own survive: another collector's file, a name no longer configured
  echo '# EOF' >"$DIR/other.prom" && echo '# EOF' >"$DIR/timesync_old.prom"
  fake_printer check_ok ok 0
  textfile "   # an indented comment" "" \
    "ok-1_A $T_TMP/plugins/check_ok" \
    "bad.name $T_TMP/plugins/check_ok" \
    "noplugin" \
    "rel plugins/check_ok" \
    "ok-1_A $T_TMP/plugins/check_ok again"
  assert_exit 0 "$RC" "exit status" &&
    assert_match "$ERR" "tf.conf:6: name 'bad.name' is not \[A-Za-z0-9_-\]\+; skipped" "bad name" &&
    assert_match "$ERR" "tf.conf:7: 'noplugin' has no plugin; skipped" "no plugin" &&
    assert_match "$ERR" "tf.conf:8: plugin 'plugins/check_ok' is neither a name nor an absolute path; skipped" \
      "relative path" &&
    assert_match "$ERR" "tf.conf:9: name 'ok-1_A' is used twice; skipped" "duplicate" &&
    only_files "$DIR" other.prom timesync_old.prom timesync_ok-1_A.prom || return 1
  # unreadable configuration, missing directory, usage
  OUT=$(sh "$TEXTFILE" -c "$T_TMP/nonexistent.conf" -d "$DIR" 2>&1)
  assert_exit 1 $? "missing config: $OUT" &&
    assert_match "$OUT" "cannot read the configuration $T_TMP/nonexistent.conf" "missing config" ||
    return 1
  OUT=$(sh "$TEXTFILE" -c "$conf" -d "$T_TMP/nodir" 2>&1)
  assert_exit 1 $? "missing dir: $OUT" && assert_match "$OUT" "is not a directory" "missing dir" ||
    return 1
  OUT=$(sh "$TEXTFILE" -h 2>&1)
  assert_exit 0 $? "-h" && assert_match "$OUT" "^Usage: timesync-textfile " "-h" || return 1
  OUT=$(sh "$TEXTFILE" -x 2>&1)
  assert_exit 2 $? "-x: $OUT" || return 1
  OUT=$(sh "$TEXTFILE" -T 1.5 -c "$conf" 2>&1)
  assert_exit 2 $? "-T 1.5: $OUT" || return 1
  OUT=$(sh "$TEXTFILE" -T 0 -c "$conf" 2>&1) # timeout 0 would mean no backstop at all
  assert_exit 2 $? "-T 0: $OUT"
}

t_b_textfile_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 || { t_skip b_textfile_shellcheck "no shellcheck"; return 0; }
  OUT=$(shellcheck -s sh "$TEXTFILE" 2>&1)
  assert_exit 0 $? "shellcheck: $OUT"
}

# systemd-analyze verify (offline): the units as shipped, with ExecStart pointing at the
# script in the tree (verify insists that it exists).
t_b_systemd_units_verify() {
  local d=$T_TMP/units u=$PROM/timesync-textfile.service
  command -v systemd-analyze >/dev/null 2>&1 ||
    { t_skip b_systemd_units_verify "no systemd-analyze"; return 0; }
  mkdir -p "$d"
  sed "s|^ExecStart=/usr/local/bin/timesync-textfile|ExecStart=$TEXTFILE|" "$u" >"$d/${u##*/}"
  cp "$PROM/timesync-textfile.timer" "$d/"
  OUT=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$d/timesync-textfile.service" \
    "$d/timesync-textfile.timer" 2>&1)
  assert_exit 0 $? "systemd-analyze verify: $OUT" && assert_eq "$OUT" "" "verify output" ||
    return 1
  local line
  for line in Type=oneshot User=prometheus NoNewPrivileges=yes ProtectSystem=strict \
    ReadWritePaths=/var/lib/prometheus/node-exporter PrivateTmp=yes; do
    grep -qxF "$line" "$u" || { _t_err "no $line in ${u##*/}"; return 1; }
  done
  grep -q -- '-d /var/lib/prometheus/node-exporter' "$u" ||
    { _t_err "ExecStart does not write to the textfile directory"; return 1; }
  grep -qx 'OnUnitActiveSec=60s' "$PROM/timesync-textfile.timer" ||
    _t_err "the timer does not run every 60 s"
}

# ---------------------------------------------------------------------------------------
# (c) snmp_exporter generator.yml
# ---------------------------------------------------------------------------------------
GEN=$PROM/snmp-exporter-generator.yml
BASE_DIR='' BASE_ERR=''

# need_base: $BASE_DIR holds the modules TIMESYNC-MONITOR-MIB imports (SNMPv2-SMI/TC/CONF
# from lib.sh's mib_base_fetch, and NET-SNMP-MIB) and our MIB.
need_base() {
  local m net
  [ -n "$BASE_DIR" ] && return 0
  [ -z "$BASE_ERR" ] || { _t_err "$BASE_ERR"; return 1; }
  mib_base_fetch || { BASE_ERR=$MIB_FETCH_ERR; _t_err "$BASE_ERR"; return 1; }
  net=$MIB_CACHE/NET-SNMP-MIB.mib
  [ -s "$net" ] || net=/usr/share/snmp/mibs/NET-SNMP-MIB.txt
  [ -s "$net" ] || { BASE_ERR="no NET-SNMP-MIB (libsnmp-base)"; _t_err "$BASE_ERR"; return 1; }
  mkdir -p "$T_TMP/mibs" "$T_TMP/snmp/conf" "$T_TMP/snmp/persist"
  for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF; do cp "$MIB_CACHE/$m.mib" "$T_TMP/mibs/$m.mib"; done
  cp "$net" "$T_TMP/mibs/NET-SNMP-MIB.txt"
  cp "$TOP/mibs/TIMESYNC-MONITOR-MIB.txt" "$T_TMP/mibs/"
  BASE_DIR=$T_TMP/mibs
}

# gen_names MODULE: "KIND NAME" for every object MODULE walks (walk), looks up (lookup,
# source_index) or overrides (override).
GEN_NAMES='
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
m = cfg["modules"][sys.argv[2]]
for n in m.get("walk", []): print("walk", n)
for l in m.get("lookups", []) or []:
    print("lookup", l["lookup"])
    for s in l["source_indexes"]: print("source_index", s)
for n in (m.get("overrides") or {}): print("override", n)
'

t_c_generator_yml_structure() {
  [ -n "$PY" ] || { _t_err "no python3 with yaml (tests/deps.sh installs python3-yaml)"; return 1; }
  OUT=$("$PY" - "$GEN" <<'EOF' 2>&1
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
errs = []
if set(cfg) != {"auths", "modules"}:
    errs.append("top-level keys %s, want auths and modules" % sorted(cfg))
if set(cfg["modules"]) != {"timesync_monitor", "ntpv4"}:
    errs.append("modules %s" % sorted(cfg["modules"]))
for name, a in cfg["auths"].items():
    if a.get("version") not in (1, 2, 3): errs.append("auth %s: version %r" % (name, a.get("version")))
MOD_KEYS = {"walk", "lookups", "overrides", "filters", "max_repetitions", "retries", "timeout"}
TYPES = {"gauge", "counter", "OctetString", "DateAndTime", "DisplayString", "PhysAddress48",
         "Float", "Double", "InetAddressIPv4", "InetAddressIPv6", "InetAddress",
         "InetAddressMissingSize", "EnumAsInfo", "EnumAsStateSet", "Bits"}
for name, m in cfg["modules"].items():
    for k in set(m) - MOD_KEYS: errs.append("%s: unknown key %s" % (name, k))
    if not m.get("walk"): errs.append("%s: nothing to walk" % name)
    for l in m.get("lookups") or []:
        for k in set(l) - {"source_indexes", "lookup", "drop_source_indexes"}:
            errs.append("%s: lookup key %s" % (name, k))
        if not isinstance(l.get("source_indexes"), list) or not l.get("lookup"):
            errs.append("%s: lookup %r" % (name, l))
    for obj, o in (m.get("overrides") or {}).items():
        for k in set(o) - {"ignore", "regex_extracts", "type", "help"}:
            errs.append("%s: override %s: key %s" % (name, obj, k))
        if "type" in o and o["type"] not in TYPES:
            errs.append("%s: override %s: type %s" % (name, obj, o["type"]))
        for suffix, rules in (o.get("regex_extracts") or {}).items():
            for r in rules:
                if set(r) - {"regex", "value"} or "regex" not in r:
                    errs.append("%s: %s%s: %r" % (name, obj, suffix, r))
print("\n".join(errs))
sys.exit(1 if errs else 0)
EOF
)
  assert_exit 0 $? "generator.yml: $OUT"
}

# The regex extracts turn the agent's text values into seconds, as snmp_exporter does it:
# Go's regexp (RE2) anchored at both ends and ExpandString, then ParseFloat.
t_c_generator_regex_extracts() {
  [ -n "$PY" ] || { _t_err "no python3 with yaml"; return 1; }
  OUT=$("$PY" - "$GEN" <<'EOF' 2>&1
import re, sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
def extract(rules, text):
    for r in rules:
        m = re.fullmatch(r["regex"], text)   # snmp_exporter anchors the regex: ^(?:...)$
        if m:
            v = re.sub(r"\$\{(\d+)\}|\$(\d+)", lambda g: m.group(int(g.group(1) or g.group(2))) or "", r["value"])
            return float(v)
    return None
cases = [("timesync_monitor", "tsyncCheckOffsetText", "+0.000123 s", 0.000123),
         ("timesync_monitor", "tsyncSourceOffsetText", "-0.000001221 s", -0.000001221),
         ("timesync_monitor", "tsyncCheckOffsetText", "", None),
         ("ntpv4", "ntpEntStatusActiveOffset", "+0.123 ms", 0.000123),
         ("ntpv4", "ntpEntStatusActiveOffset", "-12.500 ms", -0.0125),
         ("ntpv4", "ntpEntStatusDispersion", "0.031 ms", 0.000031),
         ("ntpv4", "ntpAssocStatusDelay", "", None)]
bad = 0
for mod, obj, text, want in cases:
    got = extract(cfg["modules"][mod]["overrides"][obj]["regex_extracts"]["Seconds"], text)
    if (got is None) != (want is None) or (want is not None and abs(got - want) > 1e-15):
        print("%s %r: got %r, want %r" % (obj, text, got, want)); bad += 1
sys.exit(bad)
EOF
)
  assert_exit 0 $? "regex extracts: $OUT"
}

OID=''
# snmp_oid NAME: OID of TIMESYNC-MONITOR-MIB::NAME (snmptranslate, our MIB and its imports
# only, no snmp.conf); fails saying why.
snmp_oid() {
  local err
  OID=$(SNMPCONFPATH=$T_TMP/snmp/conf SNMP_PERSISTENT_DIR=$T_TMP/snmp/persist \
    snmptranslate -M "$BASE_DIR" -m "${2:-TIMESYNC-MONITOR-MIB}" -On "${2:-TIMESYNC-MONITOR-MIB}::$1" \
    2>"$T_TMP/snmpt.err")
  err=$(grep -v '^Created directory' "$T_TMP/snmpt.err")
  if ! [[ $OID =~ ^(\.[0-9]+)+$ ]] || [ -n "$err" ]; then
    _t_err "snmptranslate ${2:-TIMESYNC-MONITOR-MIB}::$1: '$OID' $err"
    return 1
  fi
}

t_c_timesync_names_resolve() {
  local kind name root=.1.3.6.1.4.1.8072.9999.123 n=0
  [ -n "$PY" ] || { _t_err "no python3 with yaml"; return 1; }
  command -v snmptranslate >/dev/null 2>&1 || { _t_err "no snmptranslate (package snmp)"; return 1; }
  need_base || return 1
  while read -r kind name; do
    snmp_oid "$name" || return 1
    assert_match "$OID" "^${root//./\\.}\\.1\\." "$kind $name is a TIMESYNC-MONITOR-MIB object" ||
      return 1
    n=$((n + 1))
  done < <("$PY" -c "$GEN_NAMES" "$GEN" timesync_monitor)
  [ "$n" -ge 10 ] || { _t_err "only $n names in timesync_monitor"; return 1; }
  # the tables walked are the agent's (tsync_oids.h) and their columns
  snmp_oid tsyncCheckTable && assert_eq "$OID" "$root.1.1" "tsyncCheckTable" &&
    snmp_oid tsyncSourceTable && assert_eq "$OID" "$root.1.2" "tsyncSourceTable" &&
    snmp_oid tsyncSourceAddress && assert_eq "$OID" "$root.1.2.1.3" "tsyncSourceAddress"
}

# RFC 5907's numbering below ntpSnmpMIB (mib-2 197) for the names the ntpv4 module uses.
# NTPv4-MIB is not shipped in mibs/ (DESIGN.md: implemented, not shipped): when a copy
# is given (NTPV4_MIB=FILE) snmptranslate must agree with this table.
declare -A RFC5907=(
  [ntpEntInfo]=1.1 [ntpEntSoftwareName]=1.1.1 [ntpEntTimeDistance]=1.1.7
  [ntpEntStatus]=1.2 [ntpEntStatusCurrentMode]=1.2.1 [ntpEntStatusActiveOffset]=1.2.5
  [ntpEntStatusDispersion]=1.2.7 [ntpEntStatusDateTime]=1.2.9 [ntpEntStatusLeapSecond]=1.2.10
  [ntpAssociationTable]=1.3.1 [ntpAssocId]=1.3.1.1.1 [ntpAssocName]=1.3.1.1.2
  [ntpAssocAddressType]=1.3.1.1.4 [ntpAssocAddress]=1.3.1.1.5 [ntpAssocOffset]=1.3.1.1.6
  [ntpAssocStatusJitter]=1.3.1.1.8 [ntpAssocStatusDelay]=1.3.1.1.9
  [ntpAssocStatusDispersion]=1.3.1.1.10 [ntpAssociationStatisticsTable]=1.3.2
)

t_c_ntpv4_names_resolve() {
  local kind name root n=0
  [ -n "$PY" ] || { _t_err "no python3 with yaml"; return 1; }
  # the agent's root of NTPv4-MIB
  root=$(sed -n 's/^#define NTP_MIB_ROOT \([0-9, ]*\)$/\1/p' "$TOP/snmp-subagent/tsync_oids.h" | tr -d ' ' | tr ',' '.')
  assert_eq "$root" 1.3.6.1.2.1.197 "NTP_MIB_ROOT in tsync_oids.h" || return 1
  if [ -n "${NTPV4_MIB:-}" ]; then
    need_base || return 1
    cp "$NTPV4_MIB" "$BASE_DIR/NTPv4-MIB.txt"
  fi
  while read -r kind name; do
    [ -n "${RFC5907[$name]:-}" ] || { _t_err "$kind $name is not an NTPv4-MIB object of RFC 5907"; return 1; }
    if [ -n "${NTPV4_MIB:-}" ]; then
      snmp_oid "$name" NTPv4-MIB && assert_eq "$OID" ".$root.${RFC5907[$name]}" "NTPv4-MIB::$name" ||
        return 1
    fi
    n=$((n + 1))
  done < <("$PY" -c "$GEN_NAMES" "$GEN" ntpv4)
  [ "$n" -ge 10 ] || _t_err "only $n names in ntpv4"
}

# snmp_exporter's generator and exporter: the machine's, or Debian's
# prometheus-snmp-exporter that tests/deps.sh unpacked into build/tools/snmp_exporter
# (never installed: its package would start a service).
SE_GENERATOR='' SE_EXPORTER=''
need_snmp_exporter() {
  local d=$TOP/build/tools/snmp_exporter
  if command -v prometheus-snmp-generator >/dev/null 2>&1 &&
    command -v prometheus-snmp-exporter >/dev/null 2>&1; then
    SE_GENERATOR=$(command -v prometheus-snmp-generator)
    SE_EXPORTER=$(command -v prometheus-snmp-exporter)
    return 0
  fi
  SE_GENERATOR=$d/usr/bin/prometheus-snmp-generator SE_EXPORTER=$d/usr/bin/prometheus-snmp-exporter
  [ -x "$SE_GENERATOR" ] && [ -x "$SE_EXPORTER" ] ||
    _t_err "no snmp_exporter: tests/deps.sh unpacks prometheus-snmp-exporter into $d"
}

# generate: snmp.yml in $T_TMP/generator from the shipped generator.yml, for the MIBs
# at hand (ntpv4 only with NTPV4_MIB). A generator from before snmp_exporter 0.23
# (Debian 12 has 0.21) knows no auths: it gets the same modules with the auth inside
# each. SE_FORMAT says which it took.
SE_FORMAT=''
generate() {
  local g=$T_TMP/generator fmt
  need_base || return 1
  rm -rf "$g" && mkdir -p "$g"
  for fmt in auths inline; do
    "$PY" - "$GEN" "$g/generator.yml" "$fmt" "${NTPV4_MIB:+ntpv4}" <<'EOF' ||
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
if sys.argv[4] != "ntpv4":
    del cfg["modules"]["ntpv4"]
if sys.argv[3] == "inline":
    auth = cfg.pop("auths")["public_v2"]
    for m in cfg["modules"].values():
        m.update(version=auth["version"], auth={"community": auth["community"]})
yaml.safe_dump(cfg, open(sys.argv[2], "w"))
EOF
      { _t_err "cannot write $g/generator.yml"; return 1; }
    OUT=$(cd "$g" && MIBDIRS=$BASE_DIR "$SE_GENERATOR" --fail-on-parse-errors generate 2>&1) &&
      { SE_FORMAT=$fmt; return 0; }
  done
  _t_err "generator: $(tail -n 3 <<<"$OUT")"
}

t_c_snmp_exporter_generator_runs() {
  need_snmp_exporter || return 1
  [ -n "$PY" ] || { _t_err "no python3 with yaml"; return 1; }
  generate || return 1
  OUT=$("$PY" - "$T_TMP/generator/snmp.yml" <<'EOF' 2>&1
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
cfg = cfg.get("modules", cfg)  # 0.23 and later: modules apart from auths
m = {x["name"]: x for x in cfg["timesync_monitor"]["metrics"]}
def labels(name):
    return sorted(l["labelname"] for l in m[name].get("lookups", []) if l.get("oid"))
errs = []
want = {"tsyncCheckState": "gauge", "tsyncCheckKind": "EnumAsInfo",
        "tsyncSourceState": "EnumAsStateSet", "tsyncCheckOffset": "gauge",
        "tsyncSourceReach": "gauge"}
for name, t in want.items():
    if m.get(name, {}).get("type") != t:
        errs.append("%s: type %r, want %s" % (name, m.get(name, {}).get("type"), t))
if "tsyncCheckStatusText" in m: errs.append("tsyncCheckStatusText not ignored")
if labels("tsyncCheckState") != ["tsyncCheckName", "tsyncCheckTarget"]:
    errs.append("tsyncCheckState lookups %s" % labels("tsyncCheckState"))
if labels("tsyncSourceReach") != ["tsyncCheckName", "tsyncCheckTarget", "tsyncSourceAddress"]:
    errs.append("tsyncSourceReach lookups %s" % labels("tsyncSourceReach"))
if "Seconds" not in (m["tsyncCheckOffsetText"].get("regex_extracts") or {}):
    errs.append("no tsyncCheckOffsetTextSeconds")
print("\n".join(errs))
sys.exit(1 if errs else 0)
EOF
)
  assert_exit 0 $? "snmp.yml: $OUT"
}

# The generated config in use: timesync-agentx under a real snmpd (lib.sh's snmpd_start)
# with one W32Time check against fake_w32time, scraped by snmp_exporter on a loopback
# port: the lookups label the series by check name, target and source address, the
# state is a number, the regex extract gives the offset in seconds.
t_c_snmp_exporter_scrapes_the_agent() {
  local v i p end m off us
  need_snmp_exporter || return 1
  need_exe "$BIN_DIR/timesync-agentx" timesync-agentx || return 1
  [ -n "$PY" ] || { _t_err "no python3 with yaml"; return 1; }
  generate || return 1
  fake_w32time_start w32 synced || return 1
  SNMPD_DIR='' SNMP_PORT='' TRAP_PORT='' # a new snmpd, its own directory and ports
  snmpd_start || return 1
  printf '%s\n' "interval 1" "check dc01 check_w32time -H 127.0.0.1 -p $w32_PORT -t 2" \
    >"$T_TMP/agent.conf"
  "$BIN_DIR/timesync-agentx" -f -x "$SNMPD_DIR/agentx.sock" -c "$T_TMP/agent.conf" \
    -Lf "$T_TMP/agent.log" </dev/null 2>"$T_TMP/agent.err" &
  t_track $!
  # until the check's first poll is served: tsyncCheckState.1 = ok(0)
  for ((i = 0; i < 50; i++)); do
    v=$(MIBS='' snmpget -v2c -c public -On -Oqv -t 1 -r 0 "127.0.0.1:$SNMP_PORT" \
      .1.3.6.1.4.1.8072.9999.123.1.1.1.5.1 2>&1)
    [ "$v" = 0 ] && break
    sleep 0.2
  done
  assert_eq "$v" 0 "tsyncCheckState.1 via snmpd; agent log: $(tail -n 3 "$T_TMP/agent.log" | tr '\n' '|')" ||
    return 1
  for _ in 1 2 3; do
    p=$(tcp_free_port) || return 1
    "$SE_EXPORTER" --config.file="$T_TMP/generator/snmp.yml" \
      --web.listen-address="127.0.0.1:$p" >"$T_TMP/snmp_exporter.log" 2>&1 </dev/null &
    t_track $!
    end=$(($(_chr_now_us) + 10000000))
    while [ "$(_chr_now_us)" -lt "$end" ]; do
      curl -sf -o /dev/null "http://127.0.0.1:$p/metrics" && break 2
      grep -q 'address already in use' "$T_TMP/snmp_exporter.log" && continue 2
      sleep 0.05
    done
    break
  done
  m=$(curl -sf "http://127.0.0.1:$p/snmp?module=timesync_monitor&target=127.0.0.1:$SNMP_PORT") ||
    { _t_err "snmp_exporter: no answer: $(tail -n 3 "$T_TMP/snmp_exporter.log")"; return 1; }
  local c='tsyncCheckName="dc01",tsyncCheckTarget="127.0.0.1"'
  has_line "$m" "tsyncCheckState{$c} 0" "state" &&
    has_line "$m" "tsyncCheckKind_info{tsyncCheckKind=\"w32time\",$c} 1" "kind" &&
    has_line "$m" "tsyncSourceState{$c,tsyncSourceAddress=\"127.0.0.1\",tsyncSourceState=\"selected\"} 1" \
      "source state" &&
    assert_match "$m" $'\ntsyncSourceReach\\{'"$c"$',tsyncSourceAddress="127\\.0\\.0\\.1"\\} [1-9][0-9]*\n' \
      "source reach" || return 1
  [[ $m != *tsyncCheckStatusText* && $m != *'tsyncCheckIndex="'* ]] ||
    { _t_err "the status text or the index label is served: $m"; return 1; }
  # the exact offset in seconds agrees with the rounded microseconds
  off=$(sed -n "s/^tsyncCheckOffsetTextSeconds{$c} //p" <<<"$m")
  us=$(sed -n "s/^tsyncCheckOffset{$c} //p" <<<"$m")
  assert_float_near "$off" "$(awk -v u="$us" 'BEGIN { print u / 1e6 }')" 0.000001 \
    "tsyncCheckOffsetTextSeconds vs tsyncCheckOffset ($SE_FORMAT format)"
}

t_run_all "" # every t_* function, in name order
t_finish
