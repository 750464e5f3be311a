#!/usr/bin/env bash
# The sanitizer stages of CI, each a scripts/test.sh run in its own build
# directory that builds only what the stage runs:
#
#   ./scripts/sanitize.sh asan   unit + integration suites, ASan+UBSan (build-asan)
#   ./scripts/sanitize.sh tsan   server and agent e2e tests, TSan (build-tsan):
#                                the test binary and the edgesync-server,
#                                edgesync-agent and edgesync it starts
#
# Extra arguments go to ctest and replace the stage's default filter.
# Every instrumented process (the test binaries and the servers/agents they
# start) writes its reports to <build dir>/sanitizer-logs/; the stage fails if
# any report was written, even by a child process whose exit status no test
# looks at, and prints them. Suppressions: tests/sanitizers/*.supp.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stage=${1:-}
[ $# -gt 0 ] && shift

case "$stage" in
  asan)
    export EDGESYNC_SANITIZE=address,undefined
    export BUILD_DIR=${BUILD_DIR:-$root/build-asan}
    export BUILD_TARGETS="edgesync_unit_tests edgesync_integration_tests"
    default_filter=(-L "^(unit|integration)$")
    ;;
  tsan)
    export EDGESYNC_SANITIZE=thread
    export BUILD_DIR=${BUILD_DIR:-$root/build-tsan}
    export BUILD_TARGETS="edgesync_e2e_tests"  # depends on edgesync, -server, -agent
    default_filter=(-R "^e2e\\.(Server|Agent)")
    ;;
  *)
    echo "usage: $0 asan|tsan [ctest arguments]" >&2
    exit 2
    ;;
esac
# Sanitizer builds are big; the benchmarks are never run under them.
export CMAKE_EXTRA_ARGS="-DEDGESYNC_BUILD_BENCH=OFF ${CMAKE_EXTRA_ARGS:-}"

logs=$BUILD_DIR/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
supp=$root/tests/sanitizers
common="log_path=$logs/report:print_summary=1"
export ASAN_OPTIONS="$common:detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="$common:print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
# halt_on_error=0: a race is reported and the process carries on (exit status
# 66 at exit); the report file fails the stage.
export TSAN_OPTIONS="$common:second_deadlock_stack=1:halt_on_error=0:suppressions=$supp/tsan.supp"

args=("$@")
[ ${#args[@]} -eq 0 ] && args=("${default_filter[@]}")

# TSan's runtime (g++ 12) dies with "unexpected memory mapping" on kernels whose
# vm.mmap_rnd_bits is above 28; running without ASLR (inherited by every child
# the tests start) avoids that.
launcher=()
[ "$stage" = tsan ] && launcher=(setarch "$(uname -m)" -R)

set +e
CTEST_PARALLEL=${CTEST_PARALLEL:-2} "${launcher[@]}" "$root/scripts/test.sh" "${args[@]}"
status=$?
set -e

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo "sanitize($stage): $(echo "$reports" | wc -l) sanitizer report(s):" >&2
  for r in $reports; do
    echo "----- $r" >&2
    cat "$r" >&2
  done
  [ $status -eq 0 ] && status=1
fi
exit $status
