#!/usr/bin/env bash
# run.sh -- runs every test of `make check`, several suites at a time, and ends with
# "N passed, N failed".
#
#   unit         cmocka tests in build/tests/test_*
#   integration  tests/integration/test_*.sh against real daemons and fakes
#   asan         the unit tests and the suites that run our binaries again, on the
#                ASan + UBSan build (build-san/)
#   fuzz         each libFuzzer target briefly on its seed corpus (make fuzz runs long)
#   cppcheck     static analysis of common/, plugins/, snmp-subagent/ and the test tools
#
# The suites share nothing: each has its own temp dir, its own slice of the port range
# (TSM_PORT_SLOT), and runs under tests/integration/reaper.c, so nothing it starts
# outlives it. Up to TEST_JOBS jobs (default: 4 per CPU; most of a suite's time is spent
# waiting for daemons and timeouts) run at once, the longest first. Each job's output is printed as
# one block when it ends, with its time; a job over JOB_TIMEOUT seconds (default 300) is
# stopped and counted as failed. A "LEAK" line (a process a suite left running) is a
# failure too.
#
# Environment: TEST_JOBS, JOB_TIMEOUT, FUZZ_SECONDS (default 3 per target), ONLY=REGEX
# (run the jobs whose name matches).
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2

SAN_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
         UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)

# Each job prints its own lines and, last, "@@count PASSED FAILED".
job_unit() { # build-dir label
  local bin out p f tp=0 tf=0
  for bin in "$1"/tests/test_*; do
    [ -x "$bin" ] || continue
    out=$(env "${@:3}" "$bin" 2>&1)
    echo "$out" | grep -E '^\[ *(FAILED|PASSED|ERROR) *\]|^\[=+\]' | sed "s|^|$2 $(basename "$bin"): |"
    p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -1)
    f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | tail -1)
    if [ -z "$p" ] && [ -z "$f" ]; then
      echo "$out" | tail -20
      f=1 # crashed before cmocka could summarise
    fi
    tp=$((tp + ${p:-0})) tf=$((tf + ${f:-0}))
  done
  echo "@@count $tp $tf"
}

job_suite() { # build-dir label suite [env...]
  local out line p f leaks
  out=$(env "${@:4}" BIN_DIR="$top/$1" TOOLS_DIR="$top/$1/tests" bash "tests/integration/$3" 2>&1)
  echo "$out" | grep -E '^(PASS|FAIL|SKIP|LEAK) |^  # ' | sed "s|^|$2 |"
  line=$(echo "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed' | tail -1)
  p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
  f=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
  if [ -z "$line" ]; then
    echo "$out" | tail -20
    p=0 f=1
  fi
  leaks=$(echo "$out" | grep -c '^LEAK ')
  echo "@@count $p $((f + leaks))"
}

job_fuzz() {
  local bin name corpus seconds=${FUZZ_SECONDS:-3} log p=0 f=0
  for bin in build/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus=$(mktemp -d)
    log=$(mktemp)
    # seeds: the golden chronyd replies for the cmdmon decoder, a corpus dir for the rest
    [ "$name" = fuzz_chrony_wire ] && cp tests/unit/golden/*.bin "$corpus"/
    [ -d "tests/fuzz/corpus/$name" ] && cp "tests/fuzz/corpus/$name"/* "$corpus"/
    if "$bin" -max_total_time="$seconds" -rss_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="$corpus/" "$corpus" >"$log" 2>&1; then
      echo "fuzz $name: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs, no crash"
      p=$((p + 1))
      rm -rf "$corpus"
    else
      tail -30 "$log"
      echo "fuzz $name: FAILED (artifacts in $corpus)"
      f=$((f + 1))
    fi
    rm -f "$log"
  done
  echo "@@count $p $f"
}

job_cppcheck() {
  local out
  if out=$(make -s cppcheck 2>&1); then
    echo "cppcheck: clean"
    echo "@@count 1 0"
  else
    echo "$out"
    echo "@@count 0 1"
  fi
}

# Sourced by a job's shell: only the job functions above are wanted.
[ "${BASH_SOURCE[0]}" != "$0" ] && return 0

# The jobs, longest first (measured on 2 CPUs): "name|function args...". The long suites
# whose tests are independent run as shards (T_SHARD=I/N, lib.sh), side by side.
JOBS_LIST=()
suite() { # label build suite shards [env...]
  local i name
  for ((i = 0; i < $4; i++)); do
    name="$1 $3"
    [ "$4" -gt 1 ] && name="$name [$((i + 1))/$4]"
    JOBS_LIST+=("$name|job_suite $2 $1 $3 T_SHARD=$i/$4 ${*:5}")
  done
}
suite asan build-san test_check_chrony.sh 3 "${SAN_ENV[@]}"
suite asan build-san test_agentx.sh 2 "${SAN_ENV[@]}"
suite integration build test_check_chrony.sh 2
suite integration build test_agentx.sh 2
suite asan build-san test_check_w32time.sh 2 "${SAN_ENV[@]}"
suite integration build test_check_w32time.sh 2
suite asan build-san test_check_esxi_time.sh 2 "${SAN_ENV[@]}"
suite integration build test_check_esxi_time.sh 2
suite integration build test_zabbix.sh 2
suite integration build test_teardown.sh 1
suite integration build test_icinga2.sh 1
suite integration build test_prometheus.sh 1
suite integration build test_lib_selftest.sh 1
JOBS_LIST+=("fuzz|job_fuzz")
suite integration build test_nagios.sh 1
suite integration build test_checkmk.sh 1
JOBS_LIST+=("cppcheck|job_cppcheck" "asan unit|job_unit build-san asan ${SAN_ENV[*]}")
suite integration build test_mib.sh 1
suite integration build test_install.sh 1
JOBS_LIST+=("unit|job_unit build unit")

# A suite added to tests/integration/ runs even before it has its place in the list.
for t in tests/integration/test_*.sh; do
  t=${t##*/}
  [[ " ${JOBS_LIST[*]} " == *"integration $t"* ]] || suite integration build "$t" 1
done

max=${TEST_JOBS:-$(($(nproc) * 4))}
[[ $max =~ ^[1-9][0-9]*$ ]] || max=6
job_timeout=${JOB_TIMEOUT:-300}
outdir=$(mktemp -d "${TMPDIR:-/tmp}/tsm-run.XXXXXX") || exit 2
declare -A running=() started=()
passed=0 failed=0 failures=()

cleanup() {
  local p
  for p in "${!running[@]}"; do kill -TERM "$p" 2>/dev/null; done
  wait
  rm -rf "$outdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start INDEX: the job in the background, output to $outdir/INDEX, bounded in time.
start() {
  local i=$1 fn
  fn=${JOBS_LIST[$i]#*|}
  # shellcheck disable=SC2086 # the job's words
  TSM_PORT_SLOT=$i TSM_PORT_SLOTS=${#JOBS_LIST[@]} \
    timeout -k 30 "$job_timeout" bash -c '. "$1"; shift; "$@"; echo @@cpu; times' \
    run "$top/tests/run.sh" $fn \
    >"$outdir/$i" 2>&1 &
  running[$!]=$i
  started[$i]=$SECONDS
}

# finish PID STATUS: print the job's block and add its counts.
finish() {
  local i=${running[$1]} name count p f cpu
  unset 'running[$1]'
  name=${JOBS_LIST[$i]%%|*}
  count=$(grep '^@@count ' "$outdir/$i" | tail -1)
  read -r _ p f <<<"${count:-@@count 0 1}"
  # CPU time of the job's processes (bash's `times`: user and system of its children)
  cpu=$(awk 'c && ++n == 2 { for (k = 1; k <= 2; k++) { split($k, a, /[ms]/); t += a[1] * 60 + a[2] }
                               printf ", cpu %.0f s", t }
             /^@@cpu$/ { c = 1 }' "$outdir/$i")
  [ "$2" -eq 124 ] && { echo "$name: stopped after ${job_timeout}s"; f=$((f + 1)); }
  echo "== $name ($((SECONDS - started[$i])) s$cpu)"
  sed '/^@@cpu$/,$d; /^@@count /d' "$outdir/$i"
  echo "$name: $p passed, $f failed"
  passed=$((passed + p)) failed=$((failed + f))
  [ "$f" -gt 0 ] && failures+=("$name")
  return 0
}

next=0 t0=$SECONDS
while :; do
  while [ ${#running[@]} -lt "$max" ] && [ "$next" -lt ${#JOBS_LIST[@]} ]; do
    if [[ ${JOBS_LIST[$next]%%|*} =~ ${ONLY:-.} ]]; then start "$next"; fi
    next=$((next + 1))
  done
  [ ${#running[@]} -eq 0 ] && break
  wait -n -p done_pid "${!running[@]}"
  rc=$?
  [ -n "${done_pid:-}" ] && [ -n "${running[$done_pid]:-}" ] && finish "$done_pid" "$rc"
done

echo
echo "all jobs done in $((SECONDS - t0)) s ($max at a time, $(nproc) CPUs)"
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
