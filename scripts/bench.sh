#!/usr/bin/env bash
# Runs EdgeSync's benchmarks against private services (in .edgesync/bench/,
# test settings: fsync off, so the figures measure EdgeSync, not the disk) and
# prints figures and ratios. Figures are recorded by hand in bench/README.md.
#
#   ./scripts/bench.sh                 every benchmark
#   ./scripts/bench.sh state_writes    just one (bench/bench_<name>)
# Environment: BENCH_SECONDS (default 10), BENCH_THREADS (default 8) for
# state_writes; BENCH_SESSIONS (default 10000), BENCH_REPS (default 7) for cli;
# BENCH_SINKS (default 1000), BENCH_EVENTS (default 2000), BENCH_RATE (default
# 500 events/s) for live_fanout.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/bootstrap.sh"
build_dir=${BUILD_DIR:-$root/build-release}
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEDGESYNC_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir"

export EDGESYNC_HOME=$root/.edgesync/bench
started=0
"$root/scripts/services.sh" status >/dev/null 2>&1 || started=1
cleanup() { if [ "$started" = 1 ]; then "$root/scripts/services.sh" stop || true; fi; }
trap cleanup EXIT
service_env=$("$root/scripts/services.sh" start --fast)
eval "$service_env"
"$build_dir/cli/edgesync" migrate up --path "$root/migrations" >/dev/null

only=${1:-}
for b in "$build_dir"/bench/bench_*; do
  name=$(basename "$b"); name=${name#bench_}
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  echo "== $name"
  args=()
  case "$name" in
    state_writes) args=(--seconds "${BENCH_SECONDS:-10}" --threads "${BENCH_THREADS:-8}") ;;
    cli) args=(--cli "$build_dir/cli/edgesync" --migrations "$root/migrations"
               --sessions "${BENCH_SESSIONS:-10000}" --reps "${BENCH_REPS:-7}") ;;
    live_fanout) args=(--sinks "${BENCH_SINKS:-1000}" --events "${BENCH_EVENTS:-2000}"
                       --rate "${BENCH_RATE:-500}") ;;
  esac
  "$b" "${args[@]}"
done
