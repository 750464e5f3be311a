#!/usr/bin/env bash
# EdgeSync in one command: installs what is missing, builds, starts a private
# Postgres and Redis (durable settings) under .edgesync/, migrates the schema,
# starts edgesync-server, creates a demo account, enrolls two agents syncing
# demo/laptop and demo/desktop, writes a file in one and shows it arriving in
# the other, lists the devices, and leaves everything running.
#
#   ./scripts/quickstart.sh         set up and start (safe to run again)
#   ./scripts/quickstart.sh stop    stop the agents, the server and the services
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export EDGESYNC_HOME=${EDGESYNC_HOME:-$root/.edgesync}
build_dir=${BUILD_DIR:-$root/build}
demo_home=$EDGESYNC_HOME/demo            # server + agent state, logs, pid files
demo_dirs=${EDGESYNC_DEMO_DIR:-$root/demo} # the two synced folders
demo_email=demo@edgesync.local

say() { printf 'quickstart: %s\n' "$*"; }

# Sends SIGTERM to the process in pid file $1 and waits for it to go.
stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if [ "${1:-}" = stop ]; then
  for name in laptop desktop; do stop_pidfile "$demo_home/agent-$name.pid"; done
  stop_pidfile "$demo_home/server.pid"
  exec "$root/scripts/services.sh" stop
fi

"$root/scripts/bootstrap.sh"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
say "building (the first time takes a few minutes on 2 cores)"
cmake --build "$build_dir"
cli=$build_dir/cli/edgesync
server_bin=$build_dir/server/edgesync-server
agent_bin=$build_dir/agent/edgesync-agent

service_env=$("$root/scripts/services.sh" start)
eval "$service_env"
say "migrating the schema"
"$cli" --database-url "$DATABASE_URL" migrate up --path "$root/migrations"

mkdir -p "$demo_home" && chmod 700 "$demo_home"
# Secrets made once and kept (0600), so a re-run finds the same account and tokens.
make_secret() { [ -s "$1" ] || (umask 077 && head -c "$2" /dev/urandom | base64 -w0 > "$1"); }
make_secret "$demo_home/jwt_secret" 48
make_secret "$demo_home/password" 18
make_secret "$demo_home/recovery_passphrase" 24

# --- the server ---------------------------------------------------------------
if running "$demo_home/server.pid"; then
  say "edgesync-server is already running ($(cat "$demo_home/server.url"))"
else
  # The agents are enrolled against the server's URL: after a stop, come back
  # on the same port (the kernel picks one the first time).
  port=${EDGESYNC_PORT:-0}
  if [ "$port" = 0 ] && [ -s "$demo_home/server.url" ]; then
    port=$(sed 's/.*://' "$demo_home/server.url")
  fi
  say "starting edgesync-server"
  : > "$demo_home/server.out"
  # Every local client shares 127.0.0.1, so the per-address login limit is
  # raised for the demo (the per-email limit stays at its default).
  JWT_SECRET=$(cat "$demo_home/jwt_secret") \
    LOGIN_RATE_LIMIT_PER_IP=${LOGIN_RATE_LIMIT_PER_IP:-10000} setsid "$server_bin" \
    --database-url "$DATABASE_URL" --redis-url "$REDIS_URL" \
    --listen "127.0.0.1:$port" \
    > "$demo_home/server.out" 2> "$demo_home/server.log" < /dev/null &
  echo $! > "$demo_home/server.pid"
  for _ in $(seq 1 100); do
    grep -q 'listening on' "$demo_home/server.out" && break
    running "$demo_home/server.pid" || break
    sleep 0.1
  done
  if ! grep -q 'listening on' "$demo_home/server.out"; then
    say "edgesync-server did not start; its log ($demo_home/server.log):"
    tail -20 "$demo_home/server.log" >&2
    exit 1
  fi
  echo "http://$(sed -n 's/^edgesync-server: listening on //p' "$demo_home/server.out")" \
    > "$demo_home/server.url"
fi
server_url=$(cat "$demo_home/server.url")

# --- the demo account and two agents -----------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$server_url/v1/auth/register" \
  -H 'Content-Type: application/json' \
  --data-binary @- <<JSON
{"email":"$demo_email","password":"$(cat "$demo_home/password")"}
JSON
)
case $code in
  201) say "created the demo account $demo_email" ;;
  409) say "the demo account $demo_email exists" ;;
  *) say "registering the demo account failed (HTTP $code)"; exit 1 ;;
esac

for name in laptop desktop; do
  mkdir -p "$demo_dirs/$name"
  "$agent_bin" --state-dir "$demo_home/agent-$name" enroll --server "$server_url" \
    --email "$demo_email" --password-file "$demo_home/password" \
    --recovery-passphrase-file "$demo_home/recovery_passphrase" \
    --dir "$demo_dirs/$name" --name "$name" > "$demo_home/enroll-$name.out" 2>&1 || {
    sed "s/^/  [$name] /" "$demo_home/enroll-$name.out"
    say "enrolling the $name agent failed (above)"
    exit 1
  }
  sed "s/^/  [$name] /" "$demo_home/enroll-$name.out"
  if running "$demo_home/agent-$name.pid"; then
    say "the $name agent is already running"
  else
    setsid "$agent_bin" --state-dir "$demo_home/agent-$name" run \
      > "$demo_home/agent-$name.log" 2>&1 < /dev/null &
    echo $! > "$demo_home/agent-$name.pid"
    say "started the $name agent (log: $demo_home/agent-$name.log)"
  fi
done

# The desktop unlocked the account key with the recovery passphrase; approving
# it from the laptop also gives it the server-side sealed copy (so it can
# approve devices in turn). Safe to repeat.
"$agent_bin" --state-dir "$demo_home/agent-laptop" approve desktop --yes \
  > "$demo_home/approve.out" 2>&1 && say "the laptop approved the desktop" ||
  { cat "$demo_home/approve.out" >&2; say "approving the desktop failed (above)"; }

# --- show a file travelling ---------------------------------------------------
for name in laptop desktop; do
  for _ in $(seq 1 200); do
    "$agent_bin" --state-dir "$demo_home/agent-$name" status --json 2>/dev/null \
      | grep -q '"state": *"idle"' && break
    sleep 0.1
  done
done
file="hello-$(date +%H%M%S).txt"
echo "Hello from the laptop, $(date -u +%FT%TZ)" > "$demo_dirs/laptop/$file"
start=$(date +%s%N)
for _ in $(seq 1 400); do
  cmp -s "$demo_dirs/laptop/$file" "$demo_dirs/desktop/$file" 2>/dev/null && break
  sleep 0.05
done
if cmp -s "$demo_dirs/laptop/$file" "$demo_dirs/desktop/$file" 2>/dev/null; then
  say "wrote demo/laptop/$file; it arrived in demo/desktop after $(( ($(date +%s%N) - start) / 1000000 )) ms"
else
  say "demo/laptop/$file has not reached demo/desktop yet; see $demo_home/agent-*.log"
fi

echo
"$cli" --database-url "$DATABASE_URL" --redis-url "$REDIS_URL" device list --account "$demo_email"
echo
"$cli" --database-url "$DATABASE_URL" --redis-url "$REDIS_URL" presence list --account "$demo_email" || true

cat <<MSG

EdgeSync is running.
  server:   $server_url   (log: $demo_home/server.log)
  agents:   demo/laptop and demo/desktop (state and logs in $demo_home)
  Postgres: $DATABASE_URL
  Redis:    $REDIS_URL

Try:
  echo hi > demo/desktop/note.txt && sleep 1 && cat demo/laptop/note.txt
  $agent_bin --state-dir $demo_home/agent-laptop status
  eval "\$(scripts/services.sh env)"
  $cli events tail --account $demo_email --follow
  $cli state list --account $demo_email     # ciphertext only: names are hashes
  curl -s $server_url/metrics | grep edgesync_live
Stop everything: ./scripts/quickstart.sh stop
MSG
