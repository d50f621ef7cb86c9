#!/usr/bin/env bash
# Runs the fuzz targets of a fuzzing build, each for its share of SECONDS (default 60),
# starting from its seed corpus tests/fuzz/corpus/NAME/:
#   tests/fuzz/run.sh [SECONDS] [NAME...]        e.g. tests/fuzz/run.sh 1800 http_request
# It builds nothing; build the targets first (docs/development.md, "Testing"):
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DEVENTSTREAM_FUZZ=ON
#   cmake --build build-fuzz --parallel 2
# New inputs go to a temporary directory, so the seed corpus grows only by files added on
# purpose. Exits 1 when a target crashes, leaks or hangs, and prints the input that
# reproduces it (kept in BUILD/fuzz-crashes/). FUZZ_BUILD picks another build directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
total=${1:-60}
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for corpus in "$root"/tests/fuzz/corpus/*/; do names+=("$(basename "$corpus")"); done
fi
for name in "${names[@]}"; do
  if [ ! -x "$build/tests/fuzz/fuzz_$name" ]; then
    echo "no fuzz target $build/tests/fuzz/fuzz_$name; build it first (see the top of $0)" >&2
    exit 2
  fi
done

share=$((total / ${#names[@]}))
[ "$share" -ge 1 ] || share=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Third-party memory that only looks leaked at exit; each entry says why.
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
crashes=$build/fuzz-crashes
mkdir -p "$crashes"

failed=0
for name in "${names[@]}"; do
  mkdir "$work/$name"
  log=$work/$name.log
  if "$build/tests/fuzz/fuzz_$name" -max_total_time="$share" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$crashes/$name-" "$work/$name" "$root/tests/fuzz/corpus/$name" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz $name: ${share}s, $runs inputs, no crash"
  else
    failed=1
    tail -n 40 "$log"
    reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "fuzz $name: FAILED; reproduce with: $build/tests/fuzz/fuzz_$name ${reproducer:-(no input was written; see the log above)}" >&2
  fi
done
exit "$failed"
