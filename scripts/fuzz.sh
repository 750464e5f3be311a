#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang 16 (in build-fuzz, only
# the fuzz targets and the libraries they link) and runs each for a short time
# on its committed seed corpus (tests/fuzz/corpus/<target>/).
#
#   ./scripts/fuzz.sh                      every target, FUZZ_SECONDS each (30)
#   ./scripts/fuzz.sh fuzz_ignore          one target
#   FUZZ_SECONDS=600 ./scripts/fuzz.sh fuzz_payload
#
# New inputs found go to <build>/fuzz-corpus/<target>/ (the committed corpus is
# only read); a crash, leak or timeout stops the run, leaves the input in
# <build>/fuzz-artifacts/ and fails the script. Turn such an input into a unit
# test (docs/testing.md) and, if it is small, add it to the seed corpus.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/bootstrap.sh" --fuzz

build_dir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
all=(fuzz_http_request fuzz_live_message fuzz_sse_parser fuzz_payload fuzz_ignore
     fuzz_migration_name)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-16 -DEDGESYNC_FUZZ=ON \
  -DEDGESYNC_BUILD_TESTS=OFF -DEDGESYNC_BUILD_BENCH=OFF >/dev/null
echo "fuzz: building in $build_dir"
cmake --build "$build_dir" --target "${targets[@]}"

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
for t in "${targets[@]}"; do
  corpus=$build_dir/fuzz-corpus/$t
  artifacts=$build_dir/fuzz-artifacts/$t/
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: $t for ${FUZZ_SECONDS:-30}s"
  if "$build_dir/tests/fuzz/$t" "$corpus" "$root/tests/fuzz/corpus/$t" \
       -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts" \
       >"$build_dir/fuzz-$t.log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^Done" "$build_dir/fuzz-$t.log" | tr '\n' ' '
    echo
  else
    echo "fuzz: $t FAILED; input(s) in $artifacts:" >&2
    ls "$artifacts" >&2
    tail -60 "$build_dir/fuzz-$t.log" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s) ran clean"
