#!/usr/bin/env bash
# The hardening stage of `bash scripts/setup.sh test`, run after the Release build has
# passed every test (setup.sh has installed clang and the sanitizer runtimes):
#   build-asan  the test suite under AddressSanitizer and UBSan,
#   build-tsan  the test suite under ThreadSanitizer,
#   build-fuzz  every fuzz target, 60 s in all (clang, libFuzzer).
# The browser tests are left out of the sanitizer runs: they check the page's JavaScript,
# and the binary they start is covered by the integration tests. A sanitizer report stops
# the process that makes it, so the test fails. Each stage says how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
export UBSAN_OPTIONS=print_stacktrace=1 TSAN_OPTIONS=halt_on_error=1

timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  echo "hardening: $name took $((SECONDS - start)) s"
}

build() { # DIR, then cmake options
  local dir=$1
  shift
  # -O1 -g1: reports name lines, and it builds in two thirds of -O2 -g's time.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO='-O1 -g1 -DNDEBUG' \
    -DEVENTSTREAM_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" --parallel "$jobs"
}

sanitized() { # DIR, SANITIZERS
  build "$1" -DEVENTSTREAM_SANITIZE="$2"
  (cd "$1" && ctest --output-on-failure --parallel "$jobs" --timeout 300 -E '^Browser\.' -LE Soak)
}

fuzz() {
  CC=clang CXX=clang++ build build-fuzz -DEVENTSTREAM_FUZZ=ON
  tests/fuzz/run.sh 60
}

timed "AddressSanitizer+UBSan" sanitized build-asan address,undefined
timed "ThreadSanitizer" sanitized build-tsan thread
timed "fuzzing" fuzz
