#!/usr/bin/env bash
# EdgeSync in one command: installs what is missing, builds, starts a private
# Postgres and Redis (durable settings) under .edgesync/, migrates the schema
# and says what is running.
#
#   ./scripts/quickstart.sh         set up and start (safe to run again)
#   ./scripts/quickstart.sh stop    stop the services it started
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export EDGESYNC_HOME=${EDGESYNC_HOME:-$root/.edgesync}

if [ "${1:-}" = stop ]; then
  exec "$root/scripts/services.sh" stop
fi

"$root/scripts/bootstrap.sh"
build_dir=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "quickstart: building (first time takes a few minutes on 2 cores)"
cmake --build "$build_dir"

service_env=$("$root/scripts/services.sh" start)
eval "$service_env"
echo "quickstart: migrating the schema"
"$build_dir/cli/edgesync" --database-url "$DATABASE_URL" migrate up \
  --path "$root/migrations"

cat <<MSG

EdgeSync is set up.
  Postgres: $DATABASE_URL
  Redis:    $REDIS_URL
  data:     $EDGESYNC_HOME

Try:
  eval "\$(scripts/services.sh env)"
  $build_dir/cli/edgesync migrate status
  $build_dir/cli/edgesync --help
Stop everything: ./scripts/quickstart.sh stop
MSG
