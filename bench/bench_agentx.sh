#!/usr/bin/env bash
# bench_agentx.sh -- timesync-agentx under a private snmpd, against N fake NTP targets,
# side by side with N sequential check_ntp_time runs; everything on loopback, in a private
# temp dir (lib.sh), and everything started here is stopped on exit, also on failure or
# Ctrl-C.
#
#   snmpd   build/tools/snmp/usr/sbin/snmpd (tests/deps.sh), or the machine's; private
#           config, udp:127.0.0.1:FREE-PORT, AgentX socket in the temp dir.
#   fakes   FAKES x `fake_w32time --mode synced` on free ports; check line i points at
#           fake i % FAKES (several check lines per responder), plus one `--mode silent`.
#   agent   a private copy of build/timesync-agentx, run as the invoking user (root here),
#           `-f -x SOCK -c CONF -Lf LOG`.
#
# Sections:
#   1. refresh time and RSS, N = 10, 100, 1000 NTP targets, `interval 3600` (one poll at
#      start), with the default 4 samples 0.3 s apart and with `-n 1`. Time: from just
#      before exec of the agent until row N's tsyncCheckState (.1.1.1.5.N) reads 0, probed
#      with back-to-back snmpget (each ~5 ms: that is the resolution); the batch publishes
#      the rows in index order, so row N is the last; then a walk checks that every row's
#      state is 0 and its reach is 15 (-n 4) / 1 (-n 1). Also: when the row first answered
#      over SNMP (registration), when the "check NAME:" log lines were all there (the
#      agent announces once a second, so that clock is 1 s coarse), VmRSS/VmHWM/threads.
#      Against: N sequential `check_ntp_time -H 127.0.0.1 -p PORT` (SEQ_MAX runs at most,
#      extrapolated linearly above that, and then said so). Targets (the issue): 1,000
#      targets in <= 0.5 s, RSS <= 20 MB.
#   2a. `snmpbulkwalk -v2c -c public -On 127.0.0.1:PORT .1.3.6.1.4.1.8072.9999.123.1.1`
#      (the whole check table, 11 columns) with hyperfine, for each N, on the -n 1 agent;
#      CPU seconds of the agent and of snmpd per walk from /proc/PID/stat.
#   2b. GET latency while a silent target is being polled: agent with `interval 1`, 1,000
#      synced targets and one silent one (-t 5; its batch takes 0.9 s + 2 s reply wait, so
#      a batch is always in progress); GET_RUNS snmpget of the silent row's state, each
#      timed, alternating with snmpd's own sysUpTime.0 as the baseline (-t 1 -r 0: a GET
#      that waited for the poll would show as >= 1 s or a timeout). Also: how long the
#      synced rows take to get their first result when that silent target is in the batch.
#   3. leak check: `interval 1`, 1,000 targets, -n 1, LEAK_SECS seconds (about one poll a
#      second), with bulk walks meanwhile; VmRSS every 2 s.
#   4. file-descriptor limit probe: N = FD_PROBE_N targets under `ulimit -n 1024` (the
#      usual soft limit, e.g. systemd's default): how many rows come out OK. The batch opens
#      one socket per target at once.
#
# Environment: NS (default "10 100 1000"), FAKES (4), SEQ_MAX (1000), WALK_RUNS (5 for
# N >= 1000, 10 below), GET_RUNS (50), LEAK_SECS (20), FD_PROBE_N (1100; 0 skips),
# AGENT, FAKE, CHECK_NTP_TIME, SNMPD (binaries).
# Exit status: 0 once the results are printed (targets met or not, misbehaviour found or
# not); 1 if it could not run.
#
# shellcheck disable=SC2317
# SC2317: the stop_* functions are called from traps.

NS=${NS:-10 100 1000}
FAKES=${FAKES:-4}
SEQ_MAX=${SEQ_MAX:-1000}
GET_RUNS=${GET_RUNS:-50}
LEAK_SECS=${LEAK_SECS:-20}
FD_PROBE_N=${FD_PROBE_N:-1100}
TARGET_S=0.5
TARGET_RSS_KB=20480
CHECK_NTP_TIME=${CHECK_NTP_TIME:-/usr/lib/nagios/plugins/check_ntp_time}
ROOT=.1.3.6.1.4.1.8072.9999.123
TABLE=$ROOT.1.1
COL=$ROOT.1.1.1 # .COLUMN.INDEX: 5 state, 6 status text, 10 reach, 12 age
SYSUPTIME=.1.3.6.1.2.1.1.3.0

# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../tests/integration/lib.sh"
AGENT=${AGENT:-$TOP/build/timesync-agentx}
FAKE=${FAKE:-$TOP/build/tests/fake_w32time}
SNMPD=${SNMPD:-$TOP/build/tools/snmp/usr/sbin/snmpd}
[ -x "$SNMPD" ] || SNMPD=$(command -v snmpd 2>/dev/null || echo "$SNMPD")
MIBS= && export MIBS # the tools print numbers (-On); loading MIB files only costs time

die() { echo "bench_agentx: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Preconditions (nothing started yet)
# ---------------------------------------------------------------------------------------
for v in FAKES SEQ_MAX GET_RUNS LEAK_SECS FD_PROBE_N; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number"
done
if [ "$FAKES" -lt 1 ] || [ "$SEQ_MAX" -lt 1 ] || [ "$GET_RUNS" -lt 2 ]; then
  die "FAKES and SEQ_MAX must be >= 1, GET_RUNS >= 2"
fi
for n in $NS; do
  if ! [[ $n =~ ^[1-9][0-9]*$ ]] || [ "$n" -gt 4000 ]; then die "NS: '$n' is not 1..4000"; fi
done
[ -x "$AGENT" ] || die "$AGENT not built (make all)"
[ -x "$FAKE" ] || die "$FAKE not built (make build/tests/fake_w32time)"
[ -x "$SNMPD" ] || die "no snmpd ($SNMPD); run tests/deps.sh bench"
[ -x "$CHECK_NTP_TIME" ] || die "$CHECK_NTP_TIME missing (monitoring-plugins-basic)"
for c in hyperfine jq snmpget snmpbulkwalk; do
  command -v "$c" >/dev/null || die "$c not installed (tests/deps.sh bench)"
done

# The batch opens one socket per target at once: make room for the largest N (section 4
# probes the usual 1024 on purpose).
max_n=0
for n in $NS; do [ "$n" -gt "$max_n" ] && max_n=$n; done
[ "$(ulimit -S -n)" != unlimited ] && [ "$(ulimit -S -n)" -lt $((max_n + 64)) ] &&
  { ulimit -S -n $((max_n + 1100)) 2>/dev/null || ulimit -S -n "$(ulimit -H -n)"; }

# ---------------------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------------------
BENCH_T0=$(_chr_now_us)
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
virt=$(systemd-detect-virt 2>/dev/null) || virt=${virt:-none}
echo "=== bench_agentx: timesync-agentx refresh, RSS, walk and GET latency"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  nproc=$(nproc), CPU: ${cpu:-unknown}, RAM $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "kernel:   $(uname -srm) (virtualisation: $virt), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "limits:   ulimit -n $(ulimit -S -n) (soft) / $(ulimit -H -n) (hard); user $(id -un)"
echo "agent:    $AGENT, built $(date -u -r "$AGENT" '+%Y-%m-%d %H:%M:%S UTC');" \
  "tree $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')" \
  "$(git -C "$TOP" status --porcelain --untracked-files=no -- common snmp-subagent 2>/dev/null |
    awk '{ f = f " " $2 } END { print (f == "" ? "(clean)" : "+ uncommitted:" f) }')"
echo "versions: $("$AGENT" -V 2>&1 | head -n1); $("$SNMPD" -v 2>&1 | grep -m1 -i version | tr -s ' ');" \
  "$("$CHECK_NTP_TIME" -V 2>&1 | head -n1); $(hyperfine --version)"
echo

# ---------------------------------------------------------------------------------------
# Daemons; traps stop everything this script started
# ---------------------------------------------------------------------------------------
t_init bench-agentx
SNMPD_PID='' AGENT_PID='' HF_PID='' SNMP_PORT=''
FAKE_PIDS=() FPORTS=()

# Parent-death SIGTERM for every background process, as lib.sh does for chronyd.
PDEATH=()
setpriv --help 2>/dev/null | grep -q -- --pdeathsig && PDEATH=(setpriv --pdeathsig TERM --)

# stop_pid PID [GRACE-TENTHS]: TERM, wait, KILL if still there; sets STOP_RC, STOP_MS.
stop_pid() {
  local p=$1 i t0
  STOP_RC=0 STOP_MS=0
  [ -n "$p" ] || return 0
  t0=$(_chr_now_us)
  kill -TERM "$p" 2>/dev/null
  for ((i = 0; i < ${2:-100}; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then
    echo "bench_agentx: pid $p ignored SIGTERM for $((${2:-100} / 10)) s, killing" >&2
    kill -KILL "$p" 2>/dev/null
  fi
  wait "$p" 2>/dev/null
  STOP_RC=$?
  STOP_MS=$(( ($(_chr_now_us) - t0) / 1000 ))
}
stop_agent() { stop_pid "$AGENT_PID" 100; AGENT_PID=; }
stop_ours() {
  local p
  [ -n "$HF_PID" ] && stop_pid "$HF_PID" 30
  HF_PID=
  stop_agent
  stop_pid "$SNMPD_PID" 30
  SNMPD_PID=
  for p in "${FAKE_PIDS[@]}"; do stop_pid "$p" 30; done
  FAKE_PIDS=()
}
trap 'stop_ours; _t_cleanup' EXIT
trap 'stop_ours; _t_on_signal INT 130' INT
trap 'stop_ours; _t_on_signal TERM 143' TERM

# Private copies: a `make` running meanwhile must not change what is measured.
if ! { mkdir -p "$T_TMP/bin" && cp "$AGENT" "$T_TMP/bin/timesync-agentx" &&
  cp "$FAKE" "$T_TMP/bin/fake_w32time"; }; then
  die "cannot copy the binaries"
fi
AGENT=$T_TMP/bin/timesync-agentx
FAKE=$T_TMP/bin/fake_w32time
[[ $T_TMP != *[[:space:]]* ]] || die "temp dir with blanks, hyperfine -N would split it"

snmpd_start() {
  local dir=$T_TMP/snmpd i
  mkdir -p "$dir/persist"
  SNMP_PORT=$(free_port) || die "no free port for snmpd"
  cat >"$dir/snmpd.conf" <<EOC
[snmpd]
rocommunity public 127.0.0.1
agentaddress udp:127.0.0.1:$SNMP_PORT
master agentx
agentXSocket $dir/agentx.sock
agentXPerms 0666 0755
[snmp]
persistentDir $dir/persist
EOC
  "${PDEATH[@]}" "$SNMPD" -f -r -C -c "$dir/snmpd.conf" -Lf "$dir/snmpd.log" \
    -p "$dir/snmpd.pid" </dev/null &
  SNMPD_PID=$!
  for ((i = 0; i < 50; i++)); do [ -S "$dir/agentx.sock" ] && return 0; sleep 0.1; done
  die "snmpd did not start: $(tail -3 "$dir/snmpd.log" 2>/dev/null | tr '\n' ' ')"
}

# fake_start MODE: one responder on a free port; sets FPORT.
fake_start() {
  local ready=$T_TMP/fake.$1.$RANDOM.ready i
  FPORT=$(free_port) || die "no free port for fake_w32time"
  "${PDEATH[@]}" "$FAKE" --udp "127.0.0.1:$FPORT" --mode "$1" --lifetime 900 \
    --ready-file "$ready" >/dev/null 2>>"$T_TMP/fake.log" &
  FAKE_PIDS+=($!)
  for ((i = 0; i < 50; i++)); do [ -s "$ready" ] && return 0; sleep 0.05; done
  die "fake_w32time did not start: $(tr '\n' ' ' <"$T_TMP/fake.log")"
}

# write_conf FILE INTERVAL N EXTRA-OPTIONS: N check lines, round-robin over the fakes.
write_conf() {
  local f=$1 iv=$2 n=$3 extra=$4 i
  {
    echo "interval $iv"
    for ((i = 1; i <= n; i++)); do
      echo "check t$i check_w32time -H 127.0.0.1 -p ${FPORTS[(i - 1) % FAKES]}${extra:+ $extra}"
    done
  } >"$f"
}

# agent_start CONF [NOFILE]: sets AGENT_PID, AGENT_T0 (us, just before the exec), ALOG.
agent_start() {
  ALOG=$T_TMP/agent.$RANDOM.log
  : >"$ALOG"
  AGENT_T0=$(_chr_now_us)
  if [ -n "${2:-}" ]; then
    (ulimit -S -n "$2" && exec "${PDEATH[@]}" "$AGENT" -f -x "$T_TMP/snmpd/agentx.sock" \
      -c "$1" -Lf "$ALOG" </dev/null 2>>"$T_TMP/agent.err") &
  else
    "${PDEATH[@]}" "$AGENT" -f -x "$T_TMP/snmpd/agentx.sock" -c "$1" -Lf "$ALOG" \
      </dev/null 2>>"$T_TMP/agent.err" &
  fi
  AGENT_PID=$!
}

get() { snmpget -v2c -c public -On -Oqv -t 1 -r 0 "127.0.0.1:$SNMP_PORT" "$@" 2>&1; }
# walk_col COLUMN: "INDEX VALUE" lines of one column.
walk_col() {
  snmpbulkwalk -v2c -c public -On -Oq -Cr50 -t 5 -r 0 "127.0.0.1:$SNMP_PORT" "$COL.$1" 2>&1 |
    awk -v p="$COL.$1." 'index($1, p) == 1 { i = substr($1, length(p) + 1); $1 = ""; print i $0 }'
}

# wait_state ROW WANT TIMEOUT-S: back-to-back GETs of ROW's state until it reads WANT.
# Sets T_REG (first integer answer: the agent is registered) and T_DONE, both in ms after
# AGENT_T0; returns 1 on timeout or if the agent died (MISBEHAVIOUR is set).
wait_state() {
  local row=$1 want=$2 end v
  end=$(( $(_chr_now_us) + $3 * 1000000 ))
  T_REG='' T_DONE=''
  while :; do
    v=$(get "$COL.5.$row")
    if [[ $v =~ ^[0-9]+$ ]] && [ -z "$T_REG" ]; then T_REG=$(( ($(_chr_now_us) - AGENT_T0) / 1000 )); fi
    if [ "$v" = "$want" ]; then T_DONE=$(( ($(_chr_now_us) - AGENT_T0) / 1000 )); return 0; fi
    if ! kill -0 "$AGENT_PID" 2>/dev/null; then
      note "the agent died before row $row's state was $want: $(tail -3 "$T_TMP/agent.err" "$ALOG" | tr '\n' '|')"
      return 1
    fi
    [ "$(_chr_now_us)" -lt "$end" ] || { note "row $row's state never read $want in $3 s (last: '$v')"; return 1; }
  done
}

MISBEHAVIOUR=()
note() { MISBEHAVIOUR+=("$*"); echo "  !! $*"; }

proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# log_lines: "check t...:" lines the agent has logged.
log_lines() { grep -c '^check t' "$ALOG" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------
# Responders, snmpd
# ---------------------------------------------------------------------------------------
for ((i = 0; i < FAKES; i++)); do fake_start synced; FPORTS+=("$FPORT"); done
fake_start silent
SILENT_PORT=$FPORT
snmpd_start
echo "setup:    snmpd on 127.0.0.1:$SNMP_PORT; $FAKES x fake_w32time --mode synced on ports" \
  "${FPORTS[*]}; --mode silent on $SILENT_PORT"
out=$("$CHECK_NTP_TIME" -H 127.0.0.1 -p "${FPORTS[0]}" 2>&1) ||
  die "check_ntp_time against the fake failed: $out"
echo "check:    check_ntp_time -H 127.0.0.1 -p ${FPORTS[0]}: $(head -n1 <<<"$out" | cut -c1-90)"

# ---------------------------------------------------------------------------------------
# 1. Refresh time and RSS; 2a. bulk walks (on the -n 1 agent)
# ---------------------------------------------------------------------------------------
declare -A REF=() REG=() LOGT=() RSS=() ANON=() HWM=() THR=() OKR=() SEQ=()
declare -A WMEAN=() WMED=() WMAX=() WACPU=() WSCPU=() WLINES=() WRSS=() WRUNS=()
echo
echo "--- 1. refresh: agent start -> every row's tsyncCheckState = 0 (interval 3600, one poll)"
printf '%6s %-4s %9s %9s %9s %9s %9s %9s %5s %13s %s\n' N "-n" "refresh" "register" "log all" \
  "VmRSS" "RssAnon" "VmHWM" "thr" "rows OK/reach" "stop"
for N in $NS; do
  for S in 4 1; do
    conf=$T_TMP/agent.$N.$S.conf
    write_conf "$conf" 3600 "$N" "$([ "$S" = 1 ] && echo "-n 1")"
    agent_start "$conf"
    key=$N.$S
    if wait_state "$N" 0 30; then
      REF[$key]=$T_DONE REG[$key]=$T_REG
      RSS[$key]=$(proc_kb "$AGENT_PID" VmRSS) HWM[$key]=$(proc_kb "$AGENT_PID" VmHWM)
      ANON[$key]=$(proc_kb "$AGENT_PID" RssAnon)
      THR[$key]=$(proc_kb "$AGENT_PID" Threads)
      want_reach=$([ "$S" = 4 ] && echo 15 || echo 1)
      ok=$(walk_col 5 | awk '$2 == 0' | wc -l)
      rr=$(walk_col 10 | awk -v r="$want_reach" '$2 == r' | wc -l)
      OKR[$key]="$ok/$rr"
      if [ "$ok" -ne "$N" ] || [ "$rr" -ne "$N" ]; then
        note "N=$N -n $S: only $ok rows OK and $rr with reach $want_reach (of $N)"
      fi
      # the log lines: announced by a 1 s alarm on the main thread
      for ((i = 0; i < 40; i++)); do [ "$(log_lines)" -ge "$N" ] && break; sleep 0.05; done
      LOGT[$key]=$(( ($(_chr_now_us) - AGENT_T0) / 1000 ))
      [ "$(log_lines)" -ge "$N" ] || { LOGT[$key]="-"; note "N=$N -n $S: $(log_lines) of $N log lines after 2 s"; }
    fi
    if [ "$S" = 1 ] && [ -n "${REF[$key]:-}" ]; then
      # 2a: the whole table, while this agent is up
      runs=${WALK_RUNS:-$([ "$N" -ge 1000 ] && echo 5 || echo 10)}
      wcmd="snmpbulkwalk -v2c -c public -On 127.0.0.1:$SNMP_PORT $TABLE"
      WLINES[$N]=$($wcmd 2>&1 | grep -c "^$TABLE\.")
      [ "${WLINES[$N]}" -eq $((11 * N)) ] || note "walk of N=$N gave ${WLINES[$N]} lines, not $((11 * N))"
      a0=$(cpu_ticks "$AGENT_PID") s0=$(cpu_ticks "$SNMPD_PID")
      hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$T_TMP/walk.$N.json" \
        --command-name "walk $N" "$wcmd" >/dev/null 2>"$T_TMP/hf.err" &
      HF_PID=$!
      wait "$HF_PID" || note "hyperfine (walk N=$N) failed: $(tail -2 "$T_TMP/hf.err" | tr '\n' ' ')"
      HF_PID=
      WACPU[$N]=$(awk -v d="$(( $(cpu_ticks "$AGENT_PID") - a0 ))" -v r="$((runs + 1))" -v h="$CLK_TCK" 'BEGIN { printf "%.0f", d / h / r * 1000 }')
      WSCPU[$N]=$(awk -v d="$(( $(cpu_ticks "$SNMPD_PID") - s0 ))" -v r="$((runs + 1))" -v h="$CLK_TCK" 'BEGIN { printf "%.0f", d / h / r * 1000 }')
      WRUNS[$N]=$runs
      WRSS[$N]=$(proc_kb "$AGENT_PID" VmRSS)
      if [ -s "$T_TMP/walk.$N.json" ]; then
        read -r "WMEAN[$N]" "WMED[$N]" "WMAX[$N]" < <(jq -r '.results[0] | "\(.mean * 1000) \(.median * 1000) \(.max * 1000)"' "$T_TMP/walk.$N.json")
      fi
    fi
    kill -0 "$AGENT_PID" 2>/dev/null || note "N=$N -n $S: the agent is gone before SIGTERM"
    stop_agent
    [ "$STOP_RC" -eq 0 ] || note "N=$N -n $S: the agent exited $STOP_RC on SIGTERM"
    printf '%6d %-4s %7s ms %6s ms %6s ms %6s MB %6s MB %6s MB %5s %13s %s\n' "$N" "$S" \
      "${REF[$key]:--}" "${REG[$key]:--}" "${LOGT[$key]:--}" "$(mb "${RSS[$key]:-0}")" \
      "$(mb "${ANON[$key]:-0}")" "$(mb "${HWM[$key]:-0}")" \
      "${THR[$key]:--}" "${OKR[$key]:--}" "${STOP_MS} ms rc $STOP_RC"
  done
  # N sequential check_ntp_time runs against the same responders
  runs=$((N < SEQ_MAX ? N : SEQ_MAX)) fails=0
  t0=$(_chr_now_us)
  for ((i = 0; i < runs; i++)); do
    "$CHECK_NTP_TIME" -H 127.0.0.1 -p "${FPORTS[i % FAKES]}" >/dev/null 2>&1 || fails=$((fails + 1))
  done
  el=$(( ($(_chr_now_us) - t0) / 1000 ))
  SEQ[$N]=$(( el * N / runs ))
  printf '%6d %-4s %7s ms   (%d sequential check_ntp_time runs%s; %d failed)\n' "$N" "seq" \
    "${SEQ[$N]}" "$runs" "$(if [ "$runs" -lt "$N" ]; then echo ", x$((N / runs)) extrapolated"; fi)" "$fails"
  [ "$fails" -eq 0 ] || note "check_ntp_time failed $fails of $runs runs at N=$N"
done

echo
echo "--- ratios: N sequential check_ntp_time / agent refresh (how many times faster the agent is)"
for N in $NS; do
  awk -v n="$N" -v s="${SEQ[$N]}" -v a="${REF[$N.4]:-0}" -v b="${REF[$N.1]:-0}" 'BEGIN {
    printf "N=%-5d seq %6d ms   agent -n 4 %5d ms: %6.2fx   agent -n 1 %5d ms: %6.2fx\n", n, s,
      a, (a > 0 ? s / a : 0), b, (b > 0 ? s / b : 0) }'
done

echo
echo "--- targets (the issue): 1,000 targets refreshed in <= ${TARGET_S} s; RSS <= $((TARGET_RSS_KB / 1024)) MB"
for S in 1 4; do
  r=${REF[1000.$S]:-}
  if [ -z "$r" ]; then echo "-n $S: N=1000 not measured"; continue; fi
  awk -v r="$r" -v s="$S" -v t="$TARGET_S" 'BEGIN {
    printf "-n %s: %.3f s -> %s%s\n", s, r / 1000, r / 1000 <= t ? "TARGET MET" : "TARGET MISSED",
      s == 4 ? " (4 samples 0.3 s apart: >= 0.9 s by design)" : "" }'
done
for S in 1 4; do
  k=${RSS[1000.$S]:-}
  [ -n "$k" ] || continue
  awk -v k="$k" -v h="${HWM[1000.$S]}" -v s="$S" -v t="$TARGET_RSS_KB" 'BEGIN {
    printf "RSS, N=1000 -n %s: VmRSS %.1f MB (VmHWM %.1f MB) -> %s\n", s, k / 1024, h / 1024,
      k <= t ? "TARGET MET" : "TARGET MISSED" }'
done
first=${NS%% *} last=${NS##* }
if [ "$first" != "$last" ] && [ -n "${RSS[$first.1]:-}" ] && [ -n "${RSS[$last.1]:-}" ]; then
  awk -v a="${RSS[$first.1]}" -v b="${RSS[$last.1]}" -v na="$first" -v nb="$last" 'BEGIN {
    printf "RSS per check: (%.1f MB - %.1f MB) / (%d - %d) = %.1f kB per NTP check\n",
      b / 1024, a / 1024, nb, na, (b - a) / (nb - na) }'
  awk -v a="${ANON[$first.1]}" -v r="${RSS[$first.1]}" -v n="$first" 'BEGIN {
    printf "at N=%d: %.1f MB of VmRSS is file-backed (shared libraries), %.1f MB anonymous\n", n,
      (r - a) / 1024, a / 1024 }'
fi

echo
echo "--- 2a. snmpbulkwalk -v2c -c public -On 127.0.0.1:PORT $TABLE (whole check table, -n 1 agent)"
printf '%6s %7s %5s %11s %11s %11s %13s %13s %10s\n' rows varbinds runs "mean" "median" "max" \
  "agent CPU/walk" "snmpd CPU/walk" "RSS after"
for N in $NS; do
  [ -n "${WMEAN[$N]:-}" ] || continue
  printf '%6d %7d %5d %8.1f ms %8.1f ms %8.1f ms %10s ms %10s ms %7s MB\n' "$N" "${WLINES[$N]}" \
    "${WRUNS[$N]}" "${WMEAN[$N]}" "${WMED[$N]}" "${WMAX[$N]}" "${WACPU[$N]}" "${WSCPU[$N]}" \
    "$(mb "${WRSS[$N]}")"
done
prev=
for N in $NS; do
  [ -n "${WMED[$N]:-}" ] || continue
  if [ -n "$prev" ]; then
    awk -v a="${WMED[$prev]}" -v b="${WMED[$N]}" -v na="$prev" -v nb="$N" 'BEGIN {
      printf "walk time %d -> %d rows: x%.1f for x%.0f rows (linear would be x%.0f, quadratic x%.0f)\n",
        na, nb, b / a, nb / na, nb / na, (nb / na) ^ 2 }'
  fi
  prev=$N
done

# ---------------------------------------------------------------------------------------
# 2b. GET latency while a silent target is being polled
# ---------------------------------------------------------------------------------------
echo
NG=1000
echo "--- 2b. GET latency: interval 1, $NG synced targets (-n 4) + 1 silent (-t 5), $GET_RUNS GETs each"
conf=$T_TMP/agent.get.conf
write_conf "$conf" 1 "$NG" ""
echo "check silent check_w32time -H 127.0.0.1 -p $SILENT_PORT -t 5" >>"$conf"
agent_start "$conf"
SROW=$((NG + 1))
declare -a LAT_A=() LAT_B=()
if wait_state 1 0 30; then
  HOL=$T_DONE
  echo "first result of the synced rows with the silent target in the batch: $HOL ms after start" \
    "(section 1, same N without it: ${REF[1000.4]:-?} ms)"
  if [ "$HOL" -gt $(( ${REF[1000.4]:-1000} + 500 )) ]; then
    note "one silent target held back the results of $NG answered targets: first result after $HOL ms, not ~${REF[1000.4]:-1000} ms"
  fi
  wait_state "$SROW" 2 10 && echo "silent row CRITICAL after $T_DONE ms: $(get "$COL.6.$SROW" | cut -c1-100)"
  AGENT_T0=$(_chr_now_us)
  bad=0
  for ((i = 0; i < GET_RUNS; i++)); do
    t0=$(_chr_now_us); v=$(get "$COL.5.$SROW"); t1=$(_chr_now_us)
    LAT_A+=($(( t1 - t0 ))); [[ $v =~ ^[0-3]$ ]] || { bad=$((bad + 1)); note "GET $i of the silent row: '$v'"; }
    t0=$(_chr_now_us); v=$(get "$SYSUPTIME"); t1=$(_chr_now_us)
    LAT_B+=($(( t1 - t0 ))); [[ $v =~ ^[0-9:.]+$ ]] || note "GET $i of sysUpTime.0: '$v'"
  done
  span=$(( ($(_chr_now_us) - AGENT_T0) / 1000 ))
  age=$(get "$COL.12.1")
  lat() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "median %6.2f ms  max %7.2f ms  min %6.2f ms", med / 1000, v[NR] / 1000, v[1] / 1000 }'; }
  echo "snmpget silent row's state (AgentX -> agent): $(lat "${LAT_A[@]}"); $bad bad answers"
  echo "snmpget sysUpTime.0 (snmpd itself, baseline): $(lat "${LAT_B[@]}")"
  echo "(the $((2 * GET_RUNS)) GETs took $span ms; each includes starting snmpget; tsyncCheckAge of row 1 afterwards: $age s)"
  echo "agent VmRSS after the GETs: $(mb "$(proc_kb "$AGENT_PID" VmRSS)") MB ($NG + 1 checks, -n 4)"
fi
stop_agent
echo "SIGTERM during a silent poll: the agent exited after $STOP_MS ms, rc $STOP_RC"
[ "$STOP_RC" -eq 0 ] || note "GET-latency agent exited $STOP_RC on SIGTERM"

# ---------------------------------------------------------------------------------------
# 3. Leak check
# ---------------------------------------------------------------------------------------
echo
echo "--- 3. leak check: interval 1, 1000 targets, -n 1, ${LEAK_SECS} s with bulk walks meanwhile"
conf=$T_TMP/agent.leak.conf
write_conf "$conf" 1 1000 "-n 1"
agent_start "$conf"
if wait_state 1000 0 30; then
  sleep 2
  series=() walks=0
  end=$(( $(_chr_now_us) + LEAK_SECS * 1000000 ))
  r0=$(proc_kb "$AGENT_PID" VmRSS)
  series+=("$r0")
  while [ "$(_chr_now_us)" -lt "$end" ]; do
    snmpbulkwalk -v2c -c public -On -t 5 -r 0 "127.0.0.1:$SNMP_PORT" "$TABLE" >/dev/null 2>&1 &&
      walks=$((walks + 1))
    kill -0 "$AGENT_PID" 2>/dev/null || { note "leak check: the agent died"; break; }
    sleep 0.3
    series+=("$(proc_kb "$AGENT_PID" VmRSS)")
  done
  r1=$(proc_kb "$AGENT_PID" VmRSS)
  ok=$(walk_col 5 | awk '$2 == 0' | wc -l)
  echo "VmRSS (kB) over time: ${series[*]}"
  awk -v a="$r0" -v b="$r1" -v s="$LEAK_SECS" -v w="$walks" -v ok="$ok" 'BEGIN {
    printf "growth over %d s (~%d polls of 1000 targets, %d full walks): %+d kB (%+.1f kB per poll); rows OK at the end: %d\n",
      s, s, w, b - a, (b - a) / s, ok }'
  [ $(( ${r1:-0} - ${r0:-0} )) -gt 2048 ] && note "leak check: VmRSS grew $(( r1 - r0 )) kB in $LEAK_SECS s"
fi
stop_agent
[ "$STOP_RC" -eq 0 ] || note "leak-check agent exited $STOP_RC on SIGTERM"

# ---------------------------------------------------------------------------------------
# 4. File-descriptor limit probe
# ---------------------------------------------------------------------------------------
if [ "$FD_PROBE_N" -gt 0 ]; then
  echo
  echo "--- 4. fd limit: $FD_PROBE_N targets (-n 1, interval 3600) under ulimit -n 1024"
  conf=$T_TMP/agent.fd.conf
  write_conf "$conf" 3600 "$FD_PROBE_N" "-n 1"
  agent_start "$conf" 1024
  # the last row is OK or CRITICAL: wait until it has any result (3 is unknown: not yet)
  for ((i = 0; i < 100; i++)); do
    v=$(get "$COL.5.$FD_PROBE_N"); [[ $v =~ ^[012]$ ]] && break; sleep 0.1
  done
  ok=$(walk_col 5 | awk '$2 == 0' | wc -l)
  crit=$(walk_col 6 | grep -c 'Too many open files')
  echo "rows OK: $ok of $FD_PROBE_N; rows CRITICAL with 'Too many open files': $crit"
  [ "$crit" -gt 0 ] && note "with ulimit -n 1024, $crit of $FD_PROBE_N NTP targets fail (EMFILE): $(walk_col 6 | grep -m1 'Too many' | cut -c1-160)"
  stop_agent
fi

# ---------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------
echo
if [ ${#MISBEHAVIOUR[@]} -eq 0 ]; then
  echo "misbehaviour: none seen (no crash, all rows OK, clean exits)"
else
  echo "misbehaviour / findings (${#MISBEHAVIOUR[@]}):"
  printf '  - %s\n' "${MISBEHAVIOUR[@]}"
fi
echo "whole bench: $(( ($(_chr_now_us) - BENCH_T0) / 1000000 )) s"
exit 0
