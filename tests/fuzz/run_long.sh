#!/usr/bin/env bash
# run_long.sh RUNS -- every libFuzzer target in build/fuzz/ for RUNS executions (make fuzz;
# default 10^7), one target per CPU at a time, each on a copy of its seed corpus. A crash
# leaves its input in build/fuzz/artifacts/. Ends with "N passed, N failed" (one per target).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
runs=${1:-10000000}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 RUNS" >&2; exit 2; }
art=build/fuzz/artifacts
mkdir -p "$art"
work=$(mktemp -d "${TMPDIR:-/tmp}/tsm-fuzz.XXXXXX") || exit 2
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$work"' EXIT

one() { # target
  local bin=$1 name corpus t0=$SECONDS
  name=$(basename "$bin")
  corpus=$work/$name
  mkdir -p "$corpus"
  [ "$name" = fuzz_chrony_wire ] && cp tests/unit/golden/*.bin "$corpus"/
  [ -d "tests/fuzz/corpus/$name" ] && cp "tests/fuzz/corpus/$name"/* "$corpus"/
  if "$bin" -runs="$runs" -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$art/$name-" \
      "$corpus" >"$work/$name.log" 2>&1; then
    echo "PASS $name: $(awk '/^stat::number_of_executed_units/ { print $2 }' "$work/$name.log") runs in $((SECONDS - t0)) s, no crash"
  else
    tail -30 "$work/$name.log"
    echo "FAIL $name: crash or leak after $((SECONDS - t0)) s (input in $art/)"
  fi
}

for bin in build/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
  one "$bin" >"$work/$(basename "$bin").result" &
done
wait
cat "$work"/*.result
p=$(cat "$work"/*.result | grep -c '^PASS ')
f=$(cat "$work"/*.result | grep -c '^FAIL ')
echo "fuzz: $p passed, $f failed"
[ "$f" -eq 0 ]
