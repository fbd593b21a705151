#!/usr/bin/env bash
# bench_chrony.sh -- check_chrony against its peers, side by side in one hyperfine run, all
# against the same private chronyd set (lib.sh: -x, private temp dir, loopback only,
# everything stopped on exit, also on failure or Ctrl-C).
#
#   client `cli`  synchronised to three servers srv1..srv3 on 127.0.0.1/.2/.3, one NTP port
#
# Commands (one hyperfine invocation, so they share the daemons, the load and the time):
#   check_chrony -s SOCK            the subject: full default mode, 2 + 4 x 3 requests
#   chronyc -c -h SOCK tracking     the baseline (1 request); target: subject <= 1.5 x this
#   sh -c 'chronyc tracking; chronyc sources; chronyc sourcestats'  what a text-parsing
#                                   plugin runs (with -n, see below)
#   check_ntp_time -H 127.0.0.1 -p SRV1_NTP_PORT   monitoring-plugins' peer (4 NTP samples)
#   check_chrony -H 127.0.0.1 -p CMDPORT           the subject over UDP (extra row)
#
# chronyc's text reports resolve source addresses unless -n is given; 127.0.0.2/.3 are not
# in /etc/hosts, so without -n every run would send reverse-DNS queries to the machine's
# resolver (off loopback, and its latency would dominate). The three-call row therefore
# uses `chronyc -n`. The CSV baseline (`-c tracking`) makes no DNS query as given.
#
# Then, for context: a second hyperfine run timing the bare process start of each binary
# (-V/-v, no request) and, when the machine allows it, instructions per command (perf stat
# -e instructions, else valgrind --tool=callgrind, user space only) and packets sent per
# command (strace).
#
# Environment: RUNS (default 1000; about 15 s of hyperfine), WARMUP (default 5),
# BENCH_JSON=FILE (keep hyperfine's JSON there), CHECK, CHECK_NTP_TIME (binaries).
# Exit status: 0 once the results are printed; 1 if the benchmark could not run.
#
# shellcheck disable=SC2154,SC2317
# SC2154: ${NAME}_SOCK and friends are exported by lib.sh with printf -v.
# SC2317: stop_hyperfine is called from traps.

RUNS=${RUNS:-1000}
WARMUP=${WARMUP:-5}
TARGET=1.5
# chronyd -t safety net: longer than this whole script (lib.sh's default is 120 s).
CHR_LIFETIME=${CHR_LIFETIME:-300}
CHECK_NTP_TIME=${CHECK_NTP_TIME:-/usr/lib/nagios/plugins/check_ntp_time}

# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../tests/integration/lib.sh"
CHECK=${CHECK:-$TOP/build/check_chrony}

die() { echo "bench_chrony: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Preconditions (nothing started yet)
# ---------------------------------------------------------------------------------------
if ! [[ $RUNS =~ ^[0-9]+$ ]] || [ "$RUNS" -lt 2 ]; then die "RUNS must be a number >= 2"; fi
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a number"
[ -x "$CHECK" ] || die "$CHECK not built (run make all)"
command -v hyperfine >/dev/null || die "hyperfine not installed (tests/deps.sh bench)"
command -v jq >/dev/null || die "jq not installed (tests/deps.sh bench)"
[ -x "$CHECK_NTP_TIME" ] || die "$CHECK_NTP_TIME missing (monitoring-plugins-basic)"
chr_available || die "no chronyd/chronyc ($CHRONYD, $CHRONYC); run tests/deps.sh bench"

# ---------------------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
virt=$(systemd-detect-virt 2>/dev/null) || virt=${virt:-none}
echo "=== bench_chrony: check_chrony vs chronyc vs check_ntp_time"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  nproc=$(nproc), CPU: ${cpu:-unknown}"
echo "kernel:   $(uname -srm) (virtualisation: $virt), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "versions: $("$CHRONYC" -v 2>&1 | head -n1); $(hyperfine --version);" \
  "$("$CHECK_NTP_TIME" -V 2>&1 | head -n1);" \
  "$("$CHECK" -V 2>&1 | head -n1)"
echo "chronyc:  $CHRONYC"
echo

# ---------------------------------------------------------------------------------------
# Daemons: three servers on one port, a client with all three as sources
# ---------------------------------------------------------------------------------------
t_init bench-chrony
HF_PID=
stop_hyperfine() {
  if [ -n "$HF_PID" ]; then kill -TERM "$HF_PID" 2>/dev/null; wait "$HF_PID" 2>/dev/null; fi
  HF_PID=
}
# lib.sh's traps, with hyperfine stopped first (it would go on running against dead daemons).
trap 'stop_hyperfine; _t_cleanup' EXIT
trap 'stop_hyperfine; _t_on_signal INT 130' INT
trap 'stop_hyperfine; _t_on_signal TERM 143' TERM
# A private copy: a `make` running meanwhile (relinking build/check_chrony) must not make
# one of the runs fail or measure a different binary.
if ! { mkdir -p "$T_TMP/bin" && cp "$CHECK" "$T_TMP/bin/check_chrony"; }; then
  die "cannot copy $CHECK"
fi
CHECK=$T_TMP/bin/check_chrony
t0=$(_chr_now_us)
poll="iburst minpoll -4 maxpoll -4"
chr_server srv1 127.0.0.1 || die "could not start srv1"
PORT=$srv1_PORT chr_server srv2 127.0.0.2 || die "could not start srv2"
PORT=$srv1_PORT chr_server srv3 127.0.0.3 || die "could not start srv3"
chr_client cli "server 127.0.0.1 port $srv1_PORT $poll" "server 127.0.0.2 port $srv1_PORT $poll" \
  "server 127.0.0.3 port $srv1_PORT $poll" || die "could not start the client"
chr_wait_sync cli 15 || die "client did not synchronise"

# All three sources selected or combined, with a full reach register (so SOURCESTATS has
# samples and the per-source replies are what a long-running daemon returns).
all_three_p() {
  _CHR_OUT=$(chr_chronyc cli sources 2>&1)
  [ "$(grep -Ec '^\^,[*+],127\.0\.0\.[123],[0-9]+,-?[0-9]+,377,' <<<"$_CHR_OUT")" -eq 3 ]
}
_chr_poll cli 15 all_three_p ||
  die "not all three sources usable: $(tr '\n' '|' <<<"$_CHR_OUT")"
echo "daemons:  srv1..3 127.0.0.1-3:$srv1_PORT, cli socket $cli_SOCK, UDP cmdport $cli_CMDPORT" \
  "(ready after $(( ($(_chr_now_us) - t0) / 1000 )) ms)"
"$CHRONYC" -n -h "$cli_SOCK" sources | sed 's/^/  | /'
echo

# ---------------------------------------------------------------------------------------
# The commands, checked once each (a command that fails fast would look fast)
# ---------------------------------------------------------------------------------------
C=$CHRONYC
names=(
  "check_chrony -s SOCK"
  "chronyc -c tracking"
  "chronyc -n tracking+sources+sourcestats"
  "check_ntp_time -H 127.0.0.1 -p NTPPORT"
  "check_chrony -H 127.0.0.1 (UDP)"
)
cmds=(
  "$CHECK -s $cli_SOCK"
  "$C -c -h $cli_SOCK tracking"
  "sh -c '$C -n -h $cli_SOCK tracking; $C -n -h $cli_SOCK sources; $C -n -h $cli_SOCK sourcestats'"
  "$CHECK_NTP_TIME -H 127.0.0.1 -p $srv1_PORT"
  "$CHECK -H 127.0.0.1 -p $cli_CMDPORT"
)
BASE=1  # index of the baseline
# hyperfine -N splits command lines at blanks (shell words), so no path may contain one.
for p in "$T_TMP" "$CHECK" "$C" "$CHECK_NTP_TIME"; do
  [[ $p != *[[:space:]]* ]] || die "path with blanks, hyperfine -N would split it: '$p'"
done
for ((i = 0; i < ${#cmds[@]}; i++)); do
  out=$(eval "${cmds[i]}" 2>&1) rc=$?
  printf '%-40s exit %d: %s\n' "${names[i]}" "$rc" "$(head -n1 <<<"$out" | cut -c1-100)"
  [ "$rc" -eq 0 ] || die "'${cmds[i]}' failed ($rc): $out"
done
echo

# ---------------------------------------------------------------------------------------
# hyperfine: all five in one invocation. -N: no intermediate shell, so nothing is
# subtracted; the three-call row pays for its own sh, as a plugin run by popen() would.
# ---------------------------------------------------------------------------------------
json=$T_TMP/hyperfine.json
hf=(hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$json")
for ((i = 0; i < ${#cmds[@]}; i++)); do hf+=(--command-name "${names[i]}" "${cmds[i]}"); done
echo "--- hyperfine --warmup $WARMUP --runs $RUNS (${#cmds[@]} commands)"
# In the background, so that a TERM/INT sent to this script alone (CI cancel, timeout)
# is handled at once: the trap stops hyperfine, then lib.sh stops the daemons.
"${hf[@]}" &
HF_PID=$!
if wait "$HF_PID"; then HF_PID=; else HF_PID=; die "hyperfine failed"; fi
[ -n "${BENCH_JSON:-}" ] && cp "$json" "$BENCH_JSON"

# Still the same state afterwards? (a source lost mid-run would change the request mix)
all_three_p || echo "NOTE: the sources changed during the run: $(tr '\n' '|' <<<"$_CHR_OUT")"

# ---------------------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------------------
echo
echo "--- results (ms; ratio = mean / mean of 'chronyc -c tracking'; $RUNS runs each)"
jq -r --argjson b "$BASE" '
  .results[$b].mean as $bm | .results[$b].median as $bmed |
  .results[] | [.command, .mean * 1000, .stddev * 1000, .median * 1000, .min * 1000,
                .mean / $bm, .median / $bmed] | @tsv' "$json" |
  awk -F'\t' '
    BEGIN { printf "%-40s %16s %8s %7s %7s %9s\n", "command", "mean +- sd", "median", "min",
              "ratio", "ratio(med)"
            printf "%-40s %16s %8s %7s %7s %9s\n", "-------", "----------", "------", "---",
              "-----", "---------" }
    { printf "%-40s %7.2f +- %5.2f %8.2f %7.2f %6.2fx %8.2fx\n", $1, $2, $3, $4, $5, $6, $7 }'

ratio=$(jq -r --argjson b "$BASE" '.results[0].mean / .results[$b].mean' "$json")
ratio_med=$(jq -r --argjson b "$BASE" '.results[0].median / .results[$b].median' "$json")
echo
if awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r <= t) }'; then
  printf 'TARGET MET: check_chrony (socket, full mode) = %.2fx chronyc -c tracking (mean; %.2fx median), target <= %sx\n' \
    "$ratio" "$ratio_med" "$TARGET"
else
  printf 'TARGET MISSED: check_chrony (socket, full mode) = %.2fx chronyc -c tracking (mean; %.2fx median), target <= %sx\n' \
    "$ratio" "$ratio_med" "$TARGET"
fi

# ---------------------------------------------------------------------------------------
# Context: what starting the processes alone costs (no request sent). A second, smaller
# hyperfine run with -i, because check_chrony -V exits 3 (UNKNOWN) by convention.
# ---------------------------------------------------------------------------------------
echo
fjson=$T_TMP/floor.json
fnames=("true (exec only)" "check_chrony -V" "chronyc -v" "check_ntp_time -V")
fcmds=(true "$CHECK -V" "$C -v" "$CHECK_NTP_TIME -V")
hf=(hyperfine -N -i --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$fjson")
for ((i = 0; i < ${#fcmds[@]}; i++)); do hf+=(--command-name "${fnames[i]}" "${fcmds[i]}"); done
"${hf[@]}" >"$T_TMP/floor.log" 2>&1 &
HF_PID=$!
if wait "$HF_PID"; then
  HF_PID=
  echo "--- process start only, no request (ms, $RUNS runs each; same machine, same minute)"
  jq -r '.results[] | [.command, .mean * 1000, .stddev * 1000, .median * 1000] | @tsv' "$fjson" |
    awk -F'\t' '{ printf "%-40s %7.2f +- %5.2f %8.2f\n", $1, $2, $3, $4 }'
  # Medians: what the requests themselves add on top of starting the process.
  med() { jq -r ".results[$2].median * 1000" "$1"; }
  awk -v cs="$(med "$json" 0)" -v cu="$(med "$json" 4)" -v cb="$(med "$json" 1)" \
      -v fc="$(med "$fjson" 1)" -v fb="$(med "$fjson" 2)" 'BEGIN {
    printf "medians minus start-up: check_chrony -s %.2f ms for socket setup + 14 requests (%.0f us per request),", cs - fc, (cs - fc) * 1000 / 14
    printf " over UDP %.2f ms; chronyc -c tracking %.2f ms for socket setup + 1 request\n", cu - fc, cb - fb }'
else
  HF_PID=
  echo "--- process start-only run failed; skipped: $(tail -n 3 "$T_TMP/floor.log" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------------------
# Instructions per command (optional): perf if the PMU is visible, else callgrind.
# ---------------------------------------------------------------------------------------
echo
icount_tool=
if perf stat -x, -e instructions true 2>&1 >/dev/null | grep -q '^[0-9]\+,'; then
  icount_tool=perf
elif command -v valgrind >/dev/null; then
  icount_tool=callgrind
fi
# icount CMD...: instructions retired by one run of CMD (a single process).
icount() {
  case $icount_tool in
    perf)
      perf stat -x, -e instructions -- "$@" 2>&1 >/dev/null | awk -F, '/instructions/ { print $1 }' ;;
    callgrind)
      valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        awk '/Collected :/ { print $NF }' ;;
  esac
}
if [ -n "$icount_tool" ]; then
  echo "--- instructions per run ($icount_tool$([ "$icount_tool" = callgrind ] &&
    echo ': user space only, dynamic loader included'))"
  ic_sub=$(icount "$CHECK" -s "$cli_SOCK")
  ic_udp=$(icount "$CHECK" -H 127.0.0.1 -p "$cli_CMDPORT")
  ic_base=$(icount "$C" -c -h "$cli_SOCK" tracking)
  ic_trio=0
  for r in tracking sources sourcestats; do
    n=$(icount "$C" -n -h "$cli_SOCK" "$r")
    ic_trio=$((ic_trio + ${n:-0}))
  done
  ic_ntp=$(icount "$CHECK_NTP_TIME" -H 127.0.0.1 -p "$srv1_PORT")
  for row in "check_chrony -s SOCK:$ic_sub" "chronyc -c tracking:$ic_base" \
      "chronyc -n x3 (sum, without sh):$ic_trio" "check_ntp_time:$ic_ntp" \
      "check_chrony -H 127.0.0.1 (UDP):$ic_udp"; do
    awk -v n="${row##*:}" -v l="${row%:*}" -v b="$ic_base" 'BEGIN {
      if (n + 0 > 0) printf "%-40s %12d  %5.2fx\n", l, n, n / b; else printf "%-40s %12s\n", l, "n/a" }'
  done
else
  echo "--- instructions: neither perf (PMU) nor valgrind available here; skipped"
fi

# ---------------------------------------------------------------------------------------
# Requests per run (optional, strace): packets each command sends
# ---------------------------------------------------------------------------------------
if command -v strace >/dev/null; then
  echo
  echo "--- packets sent per run (strace: sendto/sendmsg/send, plus write() on fds >= 3)"
  for ((i = 0; i < ${#cmds[@]}; i++)); do
    n=$(eval "strace -f -qq -e trace=sendto,sendmsg,send,write ${cmds[i]}" 2>&1 >/dev/null |
      grep -Ec '(sendto|sendmsg|send)\(|write\(([3-9]|[1-9][0-9]+),')
    printf '%-40s %3d\n' "${names[i]}" "$n"
  done
fi

echo
t_finish >/dev/null
