#!/usr/bin/env bash
# bench_w32time.sh -- check_w32time against monitoring-plugins' check_ntp_time, side by side
# in one run, against the same responders (lib.sh: chronyd -x in a private temp dir on
# loopback high ports; everything stopped on exit, also on failure or Ctrl-C).
#
#   srv    a real chronyd, `local stratum 1`, `allow 127.0.0.0/8`, on 127.0.0.1:$srv_PORT.
#          It reads this machine's clock, so the true offset is 0 and every measured
#          offset is error.
#   fake   build/tests/fake_w32time --mode synced --offset 0.25: a W32Time-like responder
#          whose clock is CLOCK_REALTIME + 0.25 s, so the error is |measured - 0.25|.
#   fakelag, fakelagload   the same with --tx-stamp-log: the fake measures its own send lag
#          per reply (kernel TX timestamp - the T3 it wrote), idle and under CPU load.
#
# Every server here (chronyd in basic mode, W32Time, the fake) reads T3 in user space
# before sendto(), so its reply leaves some us after T3: the return path looks longer and a
# client whose own T1/T4 are exact reads offset - lag/2. Where the lag is measured (the
# fakelag conditions) the report also shows each plugin's error with it removed PER RUN:
# + lag/2, where lag is the smallest lag of the run's replies for check_w32time (it keeps
# its lowest-delay sample, which was the lowest-lag reply in 30 of 30 checked runs) and the
# mean lag of the run's replies for check_ntp_time (it averages its samples). What is left
# is the client's own error: the bound it reaches. chronyd's lag is not measured, so its
# rows are raw only; nothing is ever compensated by a constant.
#
# Sections:
#   1. accuracy against srv, idle: ACC_RUNS runs of each plugin, alternately (the order
#      flips every round); |offset| median, mean, max; ratio check_w32time/check_ntp_time
#      of the medians. Target (the issue): ratio <= 0.5.
#   1b. the same with background CPU load: one `sha256sum /dev/zero` per CPU, each bounded
#      by `timeout` and stopped afterwards. Scheduling delay between the datagram's
#      arrival and the plugin's read is where kernel receive timestamps matter.
#   2. accuracy against fake (offset 0.25 s), ACC_RUNS runs each, alternately.
#   2b. the same against fakelag (idle) and fakelagload (load as in 1b): raw, the server's
#      send lag, and each plugin's error with the run's measured lag/2 removed.
#   3. wall time, one hyperfine invocation: check_w32time (default: 4 samples 0.3 s
#      apart), check_ntp_time (4 samples back to back), check_w32time -n 1.
#
# check_w32time: --format=json, .metrics.offset. check_ntp_time: "Offset X secs".
# Nothing touches the system clock (chronyd -x; the fake only adds its offset to what it
# sends); everything is on 127.0.0.1.
#
# Environment: ACC_RUNS (default 20), RUNS (hyperfine, default 30), WARMUP (default 2),
# BENCH_JSON=FILE (keep hyperfine's JSON there), CHECK, FAKE, CHECK_NTP_TIME (binaries).
# Exit status: 0 once the results are printed (target met or not); 1 if it could not run.
#
# shellcheck disable=SC2154,SC2317
# SC2154: ${NAME}_PORT is exported by lib.sh with printf -v.
# SC2317: the stop_* functions are called from traps.

ACC_RUNS=${ACC_RUNS:-20}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-2}
TARGET=0.5
FAKE_OFFSET=0.25
# chronyd -t safety net: longer than this whole script (lib.sh's default is 120 s).
CHR_LIFETIME=${CHR_LIFETIME:-300}
CHECK_NTP_TIME=${CHECK_NTP_TIME:-/usr/lib/nagios/plugins/check_ntp_time}

# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../tests/integration/lib.sh"
CHECK=${CHECK:-$TOP/build/check_w32time}
FAKE=${FAKE:-$TOP/build/tests/fake_w32time}

die() { echo "bench_w32time: $*" >&2; exit 1; }

# (sourcing lib.sh ran this script again under tests/integration/reaper when that is
# built: nothing above the source line may print or start anything)
t_init bench-w32time

# ---------------------------------------------------------------------------------------
# Preconditions (nothing started yet; die leaves through lib.sh's cleanup)
# ---------------------------------------------------------------------------------------
if ! [[ $ACC_RUNS =~ ^[0-9]+$ ]] || [ "$ACC_RUNS" -lt 2 ]; then die "ACC_RUNS must be a number >= 2"; fi
if ! [[ $RUNS =~ ^[0-9]+$ ]] || [ "$RUNS" -lt 2 ]; then die "RUNS must be a number >= 2"; fi
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a number"
[ -x "$CHECK" ] || die "$CHECK not built (run make all)"
[ -x "$FAKE" ] || die "$FAKE not built (run make tests)"
command -v hyperfine >/dev/null || die "hyperfine not installed (tests/deps.sh bench)"
command -v jq >/dev/null || die "jq not installed (tests/deps.sh bench)"
command -v sha256sum >/dev/null || die "sha256sum not installed (coreutils)"
[ -x "$CHECK_NTP_TIME" ] || die "$CHECK_NTP_TIME missing (monitoring-plugins-basic)"
chr_available || die "no chronyd/chronyc ($CHRONYD, $CHRONYC); run tests/deps.sh bench"

# ---------------------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------------------
ncpu=$(nproc)
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
virt=$(systemd-detect-virt 2>/dev/null) || virt=${virt:-none}
echo "=== bench_w32time: check_w32time vs check_ntp_time"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  nproc=$ncpu, CPU: ${cpu:-unknown}"
echo "kernel:   $(uname -srm) (virtualisation: $virt), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "clock:    $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo '?')" \
  "clocksource"
echo "versions: $("$CHRONYD" -v 2>&1 | head -n1); $(hyperfine --version);" \
  "$("$CHECK_NTP_TIME" -V 2>&1 | head -n1);" \
  "$("$CHECK" -V 2>&1 | head -n1)"
echo

# ---------------------------------------------------------------------------------------
# Daemons and helpers; traps stop everything this script started
# ---------------------------------------------------------------------------------------
HF_PID='' FAKE_PID='' FPORT=''
LOAD_PIDS=()
stop_hyperfine() {
  if [ -n "$HF_PID" ]; then kill -TERM "$HF_PID" 2>/dev/null; wait "$HF_PID" 2>/dev/null; fi
  HF_PID=
}
stop_load() {
  local p
  for p in "${LOAD_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${LOAD_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  LOAD_PIDS=()
}
stop_fake() {
  if [ -n "$FAKE_PID" ]; then kill -TERM "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; fi
  FAKE_PID=
}
stop_ours() { stop_hyperfine; stop_load; stop_fake; }
# lib.sh's traps, with our own processes stopped first.
trap 'stop_ours; _t_cleanup' EXIT
trap 'stop_ours; _t_on_signal INT 130' INT
trap 'stop_ours; _t_on_signal TERM 143' TERM

# Parent-death SIGTERM for the background helpers, as lib.sh does for chronyd: if this
# shell is SIGKILLed they go at once (timeout forwards the TERM to its child).
PDEATH=()
setpriv --help 2>/dev/null | grep -q -- --pdeathsig && PDEATH=(setpriv --pdeathsig TERM --)

# Private copies: a `make` running meanwhile must not change what is measured.
if ! { mkdir -p "$T_TMP/bin" && cp "$CHECK" "$T_TMP/bin/check_w32time" &&
  cp "$FAKE" "$T_TMP/bin/fake_w32time"; }; then
  die "cannot copy the binaries"
fi
CHECK=$T_TMP/bin/check_w32time
FAKE=$T_TMP/bin/fake_w32time
# hyperfine -N splits command lines at blanks (shell words), so no path may contain one.
for p in "$T_TMP" "$CHECK_NTP_TIME"; do
  [[ $p != *[[:space:]]* ]] || die "path with blanks, hyperfine -N would split it: '$p'"
done

t0=$(_chr_now_us)
chr_server srv 127.0.0.1 || die "could not start chronyd (srv)"
echo "srv:      chronyd on 127.0.0.1:$srv_PORT (local stratum 1, -x)" \
  "(ready after $(( ($(_chr_now_us) - t0) / 1000 )) ms)"

# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------
# w32_offset PORT / ntp_offset PORT: one run, the offset in seconds on stdout (status 1
# and the output on stderr when there is none).
w32_offset() {
  local out v
  out=$("$CHECK" -H 127.0.0.1 -p "$1" --format=json 2>&1)
  v=$(jq -r '.metrics.offset // empty' <<<"$out" 2>/dev/null)
  [ -n "$v" ] && { echo "$v"; return 0; }
  echo "check_w32time: $out" >&2
  return 1
}
ntp_offset() {
  local out
  out=$("$CHECK_NTP_TIME" -H 127.0.0.1 -p "$1" 2>&1)
  if [[ $out =~ Offset\ ([-+0-9.eE]+)\ secs ]]; then echo "${BASH_REMATCH[1]}"; return 0; fi
  echo "check_ntp_time: $out" >&2
  return 1
}

# cpu_busy_begin / cpu_busy_end: share of CPU time not idle in between (/proc/stat).
_cpu_sample() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat; }
cpu_busy_begin() { read -r _CPU_T0 _CPU_I0 < <(_cpu_sample); }
cpu_busy_end() {
  local t1 i1
  read -r t1 i1 < <(_cpu_sample)
  awk -v t="$((t1 - _CPU_T0))" -v i="$((i1 - _CPU_I0))" 'BEGIN { printf "%.0f", (t > 0 ? 100 * (t - i) / t : 0) }'
}

# lag_count LOG: reply lines in a --tx-stamp-log so far (its comment line not counted).
lag_count() { grep -vc '^#' "$1" || true; }

# one_run PL PORT LABEL [LOG]: one run of w32 or ntp; its offset goes to $T_TMP/LABEL.PL.
# With LOG (the fake's --tx-stamp-log), the replies the fake logged during the run (the
# fake writes each line right after its sendto, before the plugin can exit) give the line
# "LAG_NS REPLIES" in $T_TMP/LABEL.PL.lag: the smallest lag for w32, the mean for ntp.
one_run() {
  local pl=$1 port=$2 label=$3 log=${4:-} v n0=0
  [ -n "$log" ] && n0=$(lag_count "$log")
  v=$("${pl}_offset" "$port") || return 1
  echo "$v" >>"$T_TMP/$label.$pl"
  [ -n "$log" ] || return 0
  awk -v a="$n0" -v pl="$pl" '
    !/^#/ { i++; if (i > a) { k++; s += $1; if (k == 1 || $1 < m) m = $1 } }
    END { if (k == 0) print "nan 0"; else printf "%.0f %d\n", (pl == "w32" ? m : s / k), k }' \
    "$log" >>"$T_TMP/$label.$pl.lag"
}

# accuracy LABEL PORT [LOG]: ACC_RUNS runs of each plugin, alternately; the offsets go to
# $T_TMP/LABEL.w32 and $T_TMP/LABEL.ntp (and the lags, see one_run), failures are counted.
accuracy() {
  local label=$1 port=$2 log=${3:-} i fw=0 fn=0 t1
  : >"$T_TMP/$label.w32"
  : >"$T_TMP/$label.ntp"
  : >"$T_TMP/$label.w32.lag"
  : >"$T_TMP/$label.ntp.lag"
  t1=$(_chr_now_us)
  cpu_busy_begin
  for ((i = 0; i < ACC_RUNS; i++)); do
    # ABAB... would always give one plugin the slot after the other; flip each round.
    if ((i % 2 == 0)); then
      one_run w32 "$port" "$label" "$log" || fw=$((fw + 1))
      one_run ntp "$port" "$label" "$log" || fn=$((fn + 1))
    else
      one_run ntp "$port" "$label" "$log" || fn=$((fn + 1))
      one_run w32 "$port" "$label" "$log" || fw=$((fw + 1))
    fi
  done
  printf -v "BUSY_$label" '%s' "$(cpu_busy_end)"
  printf -v "FAIL_$label" '%s' "$fw/$fn"
  echo "  $label: $ACC_RUNS + $ACC_RUNS runs in $(( ($(_chr_now_us) - t1) / 1000 )) ms," \
    "CPU busy $(eval echo "\$BUSY_$label") %, failed runs w32/ntp: $fw/$fn"
}

# corrected LABEL PL: the run's offset + its server lag/2 (one_run), one per line.
corrected() {
  paste -d' ' "$T_TMP/$1.$2" "$T_TMP/$1.$2.lag" |
    awk 'NF == 3 && $2 != "nan" { printf "%.10f\n", $1 + $2 / 2e9 }'
}

# lag_summary FILE: "n median p10 p90 max" of the first column (ns) in us; "#" lines and
# "nan" skipped.
lag_summary() {
  awk '!/^#/ && $1 != "nan" { print $1 }' "$1" | sort -g | awk '
    { v[NR] = $1 }
    END {
      if (NR == 0) { print "0 nan nan nan nan"; exit }
      med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%d %.2f %.2f %.2f %.2f\n", NR, med / 1e3, v[int((NR - 1) * 0.1) + 1] / 1e3,
        v[int((NR - 1) * 0.9) + 1] / 1e3, v[NR] / 1e3 }'
}

# stats FILE TRUE: "n median mean max signed-mean" of |x - TRUE| (signed: x - TRUE), in us.
stats() {
  local sm
  sm=$(awk -v t="$2" '{ s += $1 - t } END { printf "%.9g", NR ? s / NR : 0 }' "$1")
  awk -v t="$2" '{ e = $1 - t; print (e < 0 ? -e : e) }' "$1" | sort -g | awk -v sm="$sm" '
    { v[NR] = $1; sum += $1 }
    END {
      if (NR == 0) { print "0 nan nan nan nan"; exit }
      med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%d %.3f %.3f %.3f %.3f\n", NR, med * 1e6, sum / NR * 1e6, v[NR] * 1e6, sm * 1e6 }'
}

# ---------------------------------------------------------------------------------------
# The commands, checked once each (a command that fails fast would look fast/accurate)
# ---------------------------------------------------------------------------------------
names=("check_w32time (4 samples, 0.3 s apart)" "check_ntp_time" "check_w32time -n 1")
cmds=("$CHECK -H 127.0.0.1 -p $srv_PORT" "$CHECK_NTP_TIME -H 127.0.0.1 -p $srv_PORT"
      "$CHECK -n 1 -H 127.0.0.1 -p $srv_PORT")
echo
for ((i = 0; i < ${#cmds[@]}; i++)); do
  out=$(${cmds[i]} 2>&1) rc=$?
  printf '%-40s exit %d: %s\n' "${names[i]}" "$rc" "$(head -n1 <<<"$out" | cut -c1-100)"
  [ "$rc" -eq 0 ] || die "'${cmds[i]}' failed ($rc): $out"
done

# ---------------------------------------------------------------------------------------
# 1. Accuracy against chronyd, idle and loaded
# ---------------------------------------------------------------------------------------
echo
echo "--- 1. accuracy against chronyd (true offset 0), $ACC_RUNS runs each, alternately"
accuracy idle "$srv_PORT"

# start_load: one sha256sum per CPU, each bounded by timeout; stop_load ends them.
start_load() {
  local i p
  for ((i = 0; i < ncpu; i++)); do
    "${PDEATH[@]}" timeout 120 sha256sum /dev/zero >/dev/null 2>&1 &
    LOAD_PIDS+=($!)
  done
  sleep 0.5  # let the load reach the run queues
  for p in "${LOAD_PIDS[@]}"; do _chr_alive "$p" || die "a load process did not start"; done
}

start_load
accuracy loaded "$srv_PORT"
stop_load

# ---------------------------------------------------------------------------------------
# 2. Accuracy against the W32Time-like responder with a known offset
# ---------------------------------------------------------------------------------------
# start_fake LABEL [FAKE-ARGS...]: the W32Time-like responder on 127.0.0.1:$FPORT, its
# stderr in $T_TMP/LABEL.log (the --tx-stamp-log summary is written there at exit).
start_fake() {
  local label=$1 i
  shift
  FPORT=$(free_port) || die "no free port for fake_w32time"
  "${PDEATH[@]}" "$FAKE" --udp "127.0.0.1:$FPORT" --mode synced --offset "$FAKE_OFFSET" \
    --lifetime 120 --ready-file "$T_TMP/$label.ready" "$@" 2>"$T_TMP/$label.log" &
  FAKE_PID=$!
  for ((i = 0; i < 50; i++)); do [ -s "$T_TMP/$label.ready" ] && break; sleep 0.05; done
  [ -s "$T_TMP/$label.ready" ] ||
    die "fake_w32time did not start: $(tr '\n' ' ' <"$T_TMP/$label.log")"
}

echo
echo "--- 2. accuracy against fake_w32time --mode synced --offset $FAKE_OFFSET"
start_fake fake
accuracy fake "$FPORT"
stop_fake

echo
echo "--- 2b. the same with --tx-stamp-log (the fake measures its send lag), idle and loaded"
start_fake fakelag --tx-stamp-log "$T_TMP/fakelag.lag.log"
accuracy fakelag "$FPORT" "$T_TMP/fakelag.lag.log"
stop_fake
start_load
start_fake fakelagload --tx-stamp-log "$T_TMP/fakelagload.lag.log"
accuracy fakelagload "$FPORT" "$T_TMP/fakelagload.lag.log"
stop_fake
stop_load
for label in fakelag fakelagload; do
  [ -s "$T_TMP/$label.log" ] && sed "s/^/  $label: /" "$T_TMP/$label.log"
done

# ---------------------------------------------------------------------------------------
# Accuracy table
# ---------------------------------------------------------------------------------------
LABELS=(idle loaded fake fakelag fakelagload)
declare -A DESC=([idle]="chronyd, idle" [loaded]="chronyd, ${ncpu} x sha256sum load"
  [fake]="fake_w32time, offset $FAKE_OFFSET s" [fakelag]="fake --tx-stamp-log, idle"
  [fakelagload]="fake --tx-stamp-log, ${ncpu} x sha256sum")
declare -A PNAME=([w32]=check_w32time [ntp]=check_ntp_time)
for label in fakelag fakelagload; do
  for pl in w32 ntp; do corrected "$label" "$pl" >"$T_TMP/$label-lag.$pl"; done
done

echo
echo "--- server send lag: fake_w32time --tx-stamp-log, kernel TX timestamp - T3, in us"
echo "    (per run, as removed below: check_w32time the smallest of its run's replies,"
echo "    check_ntp_time the mean of its run's replies)"
printf '%-40s %7s %7s %7s %7s %7s %9s %9s %6s\n' "condition" "replies" "median" "p10" "p90" \
  "max" "w32 runs" "ntp runs" "odd"
for label in fakelag fakelagload; do
  read -r n med p10 p90 max < <(lag_summary "$T_TMP/$label.lag.log")
  read -r _ wmed _ < <(lag_summary "$T_TMP/$label.w32.lag")
  read -r _ nmed _ < <(lag_summary "$T_TMP/$label.ntp.lag")
  # runs with other than 4 replies logged (both plugins send 4 requests)
  odd=$(cat "$T_TMP/$label.w32.lag" "$T_TMP/$label.ntp.lag" | awk '$2 != 4 { k++ } END { print k + 0 }')
  printf '%-40s %7d %7.2f %7.2f %7.2f %7.2f %9.2f %9.2f %6d\n' "${DESC[$label]}" "$n" "$med" \
    "$p10" "$p90" "$max" "$wmed" "$nmed" "$odd"
done

echo
echo "--- accuracy: error = |measured - true| in microseconds (signed mean: measured - true);"
echo "    '- lag/2': the run's measured server send lag removed (measured + lag/2), i.e. the"
echo "    plugin's own error"
printf '%-58s %4s %9s %9s %9s %11s\n' "condition / plugin" "n" "median" "mean" "max" "signed mean"
printf '%-58s %4s %9s %9s %9s %11s\n' "------------------" "-" "------" "----" "---" "-----------"
declare -A MED=() MEAN=()
# row KEY FILE TRUE DESC: one table line; the median and mean kept under KEY.
row() {
  local n med mean max sm
  read -r n med mean max sm < <(stats "$2" "$3")
  MED[$1]=$med MEAN[$1]=$mean
  printf '%-58s %4d %9.3f %9.3f %9.3f %+11.3f\n' "$4" "$n" "$med" "$mean" "$max" "$sm"
}
for label in "${LABELS[@]}"; do
  tv=0
  [[ $label == fake* ]] && tv=$FAKE_OFFSET
  for pl in w32 ntp; do row "$label.$pl" "$T_TMP/$label.$pl" "$tv" "${DESC[$label]}: ${PNAME[$pl]}"; done
  [[ $label == fakelag* ]] || continue
  for pl in w32 ntp; do
    row "$label-lag.$pl" "$T_TMP/$label-lag.$pl" "$tv" "${DESC[$label]}: ${PNAME[$pl]} - lag/2"
  done
done

echo
echo "--- accuracy ratios: check_w32time / check_ntp_time (target: median ratio <= $TARGET;"
echo "    the '-lag/2' lines compare the plugins' own errors, the server's lag removed)"
for label in "${LABELS[@]}" fakelag-lag fakelagload-lag; do
  awk -v l="$label" -v a="${MED[$label.w32]}" -v b="${MED[$label.ntp]}" \
      -v ma="${MEAN[$label.w32]}" -v mb="${MEAN[$label.ntp]}" -v t="$TARGET" 'BEGIN {
    r = b > 0 ? a / b : -1; rm = mb > 0 ? ma / mb : -1
    v = l ~ /-lag$/ ? "(own error)" : (r >= 0 && r <= t) ? "TARGET MET" : "TARGET MISSED"
    printf "%-16s median %.3f / %.3f us = %5.2fx   mean %.3f / %.3f us = %5.2fx   %s\n", l, a, b,
      r, ma, mb, rm, v }'
done

# ---------------------------------------------------------------------------------------
# 3. Wall time, one hyperfine invocation
# ---------------------------------------------------------------------------------------
echo
json=$T_TMP/hyperfine.json
hf=(hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$json")
for ((i = 0; i < ${#cmds[@]}; i++)); do hf+=(--command-name "${names[i]}" "${cmds[i]}"); done
echo "--- 3. wall time: hyperfine -N --warmup $WARMUP --runs $RUNS (${#cmds[@]} commands)"
"${hf[@]}" &
HF_PID=$!
if wait "$HF_PID"; then HF_PID=; else HF_PID=; die "hyperfine failed"; fi
[ -n "${BENCH_JSON:-}" ] && cp "$json" "$BENCH_JSON"

echo
echo "--- wall time (ms; ratio = mean / mean of check_ntp_time; $RUNS runs each)"
jq -r '.results[1].mean as $bm | .results[1].median as $bmed |
  .results[] | [.command, .mean * 1000, .stddev * 1000, .median * 1000, .min * 1000,
                .max * 1000, .mean / $bm, .median / $bmed] | @tsv' "$json" |
  awk -F'\t' '
    BEGIN { printf "%-40s %18s %8s %8s %8s %8s %9s\n", "command", "mean +- sd", "median", "min",
              "max", "ratio", "ratio(med)" }
    { printf "%-40s %8.2f +- %6.2f %8.2f %8.2f %8.2f %7.1fx %8.1fx\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
jq -r '(.results[0].median - .results[2].median) * 1000' "$json" |
  awk '{ printf "check_w32time default minus -n 1 (medians): %.1f ms; 3 spacings of 0.3 s = 900 ms\n", $1 }'

echo
echo "done in $(( ($(_chr_now_us) - t0) / 1000000 )) s after the daemon started"
t_finish >/dev/null
