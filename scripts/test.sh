#!/usr/bin/env bash
# Installs what is missing, builds, starts a private Postgres and Redis (test
# settings, in .edgesync/test/), runs every test with ctest, stops the services
# it started (even on failure) and exits with ctest's status.
#
#   ./scripts/test.sh                 everything
#   ./scripts/test.sh -L unit         extra arguments go to ctest (-L/-R/-E ...)
#
# Environment: BUILD_DIR (default build), BUILD_TYPE (RelWithDebInfo),
# EDGESYNC_SANITIZE (e.g. address,undefined; default none), CTEST_PARALLEL (2),
# BUILD_TARGETS (space-separated targets to build; default all),
# CMAKE_EXTRA_ARGS (more -D options). scripts/sanitize.sh uses these for the
# sanitizer stages of CI.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/bootstrap.sh"

build_dir=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DEDGESYNC_SANITIZE="${EDGESYNC_SANITIZE:-}" ${CMAKE_EXTRA_ARGS:-} >/dev/null
echo "test: building in $build_dir${BUILD_TARGETS:+ (targets: $BUILD_TARGETS)}"
target_args=()
# shellcheck disable=SC2206  # BUILD_TARGETS is a space-separated list
[ -n "${BUILD_TARGETS:-}" ] && target_args=(--target ${BUILD_TARGETS})
cmake --build "$build_dir" "${target_args[@]}"

export EDGESYNC_HOME=${EDGESYNC_TEST_HOME:-$root/.edgesync/test}
started=0
if ! "$root/scripts/services.sh" status >/dev/null 2>&1; then
  started=1
fi
cleanup() {
  if [ "$started" = 1 ]; then "$root/scripts/services.sh" stop || true; fi
}
trap cleanup EXIT
service_env=$("$root/scripts/services.sh" start --fast)
eval "$service_env"

set +e
ctest --test-dir "$build_dir" --output-on-failure -j "${CTEST_PARALLEL:-2}" "$@"
status=$?
set -e
exit $status
