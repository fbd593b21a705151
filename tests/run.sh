#!/usr/bin/env bash
# run.sh -- runs every test suite of `make check` and ends with "N passed, N failed".
#
#   unit         cmocka tests in build/tests/test_*
#   integration  tests/integration/test_*.sh against real chronyd instances and fakes
#   sanitizer    the unit and integration tests again on the ASan + UBSan build (build-san/)
#   fuzz         each libFuzzer target briefly on its seed corpus
#   cppcheck     static analysis of common/, plugins/ and the test tools
#
# Environment: FUZZ_SECONDS (default 10) per fuzz target.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

passed=0
failed=0
failures=()

count() { # suite-name passed failed
  passed=$((passed + $2))
  failed=$((failed + $3))
  [ "$3" -gt 0 ] && failures+=("$1")
  return 0
}

run_unit() { # build-dir label
  local bin out p f
  for bin in "$1"/tests/test_*; do
    [ -x "$bin" ] || continue
    out=$("$bin" 2>&1)
    echo "$out" | grep -E '^\[ *(FAILED|PASSED|ERROR) *\]|^\[=+\]' | sed "s|^|$2 $(basename "$bin"): |"
    p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -1)
    f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | tail -1)
    if [ -z "$p" ] && [ -z "$f" ]; then
      echo "$out" | tail -20
      f=1 # crashed before cmocka could summarise
    fi
    count "$2 $(basename "$bin")" "${p:-0}" "${f:-0}"
  done
}

run_integration() { # build-dir label [glob]
  local t out line p f
  for t in tests/integration/${3:-test_*.sh}; do
    out=$(BIN_DIR="$top/$1" TOOLS_DIR="$top/$1/tests" bash "$t" 2>&1)
    echo "$out" | grep -E '^(PASS|FAIL|SKIP) ' | sed "s|^|$2 |"
    echo "$out" | grep -E '^  # ' | sed "s|^|$2 |"
    line=$(echo "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed' | tail -1)
    p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
    f=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
    if [ -z "$line" ]; then
      echo "$out" | tail -20
      p=0 f=1
    fi
    echo "$2 $(basename "$t"): $p passed, $f failed"
    count "$2 $(basename "$t")" "$p" "$f"
  done
}

run_fuzz() {
  local bin name corpus seconds=${FUZZ_SECONDS:-10} log
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
      count "fuzz $name" 1 0
    else
      tail -30 "$log"
      echo "fuzz $name: FAILED (artifacts in $corpus)"
      count "fuzz $name" 0 1
      corpus=
    fi
    [ -n "$corpus" ] && rm -rf "$corpus"
    rm -f "$log"
  done
}

run_cppcheck() {
  if make -s cppcheck >/tmp/cppcheck.$$ 2>&1; then
    echo "cppcheck: clean"
    count cppcheck 1 0
  else
    cat /tmp/cppcheck.$$
    count cppcheck 0 1
  fi
  rm -f /tmp/cppcheck.$$
}

echo "== unit"
run_unit build unit
echo "== integration"
run_integration build integration
echo "== sanitizer (ASan + UBSan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run_unit build-san asan
# the suites that run our binaries; the library self-test, MIB lint and install check
# need no rerun
run_integration build-san asan 'test_check_*.sh'
run_integration build-san asan 'test_agentx.sh'
unset ASAN_OPTIONS UBSAN_OPTIONS
echo "== fuzz"
run_fuzz
echo "== cppcheck"
run_cppcheck

echo
[ ${#failures[@]} -gt 0 ] && printf 'failed suite: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
