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
# BENCH_CLIENTS (default 32), BENCH_ROUNDS (default 3) and BENCH_SECONDS for server_puts, which runs
# against an edgesync-server started here (its log: .edgesync/bench/server.log).
# sse_fanout (BENCH_SUBSCRIBERS default 1000, BENCH_FANOUT_EVENTS default 300,
# BENCH_FANOUT_RATE default 20 PUTs/s; run alone, it is followed by live_fanout at the
# same sinks and rate: the hub-level figure beside it) and idle_connections
# (BENCH_CONNECTIONS default 10000 per phase, BENCH_PHASES default sse,ws) also run
# against a server started here, with SERVER_MAX_CONNECTIONS=25000 and the fd limit
# raised (ulimit -n 65536, or the hard limit).
# agent: two edgesync-agent daemons (bench/bench_agent) beside two Syncthing
# instances (bench/syncthing_bench.sh, vendored from ../shared/bench; Debian's
# syncthing package, installed here when missing) in the same run: Syncthing
# watch mode (phases a b d e), then the agent (a b d e, and idle RSS over
# BENCH_IDLE_FILES, default 100000; 0 skips it), then Syncthing with
# CASE_SENSITIVE_FS=true (phase b); then the ratios. BENCH_AGENT_PHASES and
# BENCH_ST_PHASES override the phase lists. Outputs in .edgesync/bench/agent/.
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
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" || true; fi
  server_pid=
}
# Streams need thousands of descriptors (server and bench clients).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# Starts the Release server on a free port; sets server_url and server_pid.
# Extra settings as arguments: start_server VAR=value ...
start_server() {
  local out=$EDGESYNC_HOME/server.out
  : >"$out"
  env JWT_SECRET="$(head -c 48 /dev/urandom | base64 -w0)" LOGIN_RATE_LIMIT=1000000 \
    LOGIN_RATE_LIMIT_PER_IP=1000000 SERVER_MAX_CONNECTIONS=25000 "$@" \
    "$build_dir/server/edgesync-server" --listen 127.0.0.1:0 \
    >"$out" 2>"$EDGESYNC_HOME/server.log" &
  server_pid=$!
  for _ in $(seq 300); do grep -q "listening on" "$out" && break; sleep 0.1; done
  server_url="http://$(sed -n 's/^edgesync-server: listening on //p' "$out")"
  [ "$server_url" != "http://" ] || { echo "edgesync-server did not start" >&2; exit 1; }
}
# bench_agent beside bench/syncthing_bench.sh, same run (see the header).
run_agent_bench() {
  if ! command -v syncthing >/dev/null || ! command -v jq >/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "agent bench: apt-get install -y syncthing jq (as root)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq syncthing jq >/dev/null
  fi
  local out=$EDGESYNC_HOME/agent st_phases=${BENCH_ST_PHASES:-a b d e}
  local phases=${BENCH_AGENT_PHASES:-a,b,d,e}
  [ "${BENCH_IDLE_FILES:-100000}" = 0 ] || phases="$phases,idle"
  mkdir -p "$out"
  echo "-- Syncthing, watch mode (phases $st_phases); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  MODES=watch PHASES="$st_phases" "$root/bench/syncthing_bench.sh" >"$out/syncthing_watch.txt" \
    2>"$out/syncthing_watch.log" || { tail -n 30 "$out/syncthing_watch.log" >&2; exit 1; }
  grep -v '^{' "$out/syncthing_watch.txt"
  echo "-- edgesync-agent (phases $phases); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  start_server
  "$build_dir/bench/bench_agent" --url "$server_url" --agent "$build_dir/agent/edgesync-agent" \
    --phases "$phases" --n-idle "${BENCH_IDLE_FILES:-100000}" --json-out "$out/agent.json" >/dev/null
  stop_server
  if [[ " $st_phases " == *" b "* ]]; then
    echo "-- Syncthing, watch mode, CASE_SENSITIVE_FS=true (phase b); load: $(cut -d' ' -f1-3 /proc/loadavg)"
    CASE_SENSITIVE_FS=true MODES=watch PHASES=b "$root/bench/syncthing_bench.sh" \
      >"$out/syncthing_watch_cs.txt" 2>"$out/syncthing_watch_cs.log" ||
      { tail -n 30 "$out/syncthing_watch_cs.log" >&2; exit 1; }
    grep -v '^{' "$out/syncthing_watch_cs.txt"
  fi
  echo "-- load: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$build_dir/bench/bench_agent" --report-from "$out/agent.json" \
    --syncthing-json "$out/syncthing_watch.txt" --syncthing-cs-json "$out/syncthing_watch_cs.txt"
}
cleanup() {
  stop_server
  if [ "$started" = 1 ]; then "$root/scripts/services.sh" stop || true; fi
}
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
    server_puts) start_server
      args=(--url "$server_url" --server-pid "$server_pid" --clients "${BENCH_CLIENTS:-32}" --seconds "${BENCH_SECONDS:-10}"
            --rounds "${BENCH_ROUNDS:-3}") ;;
    sse_fanout) start_server
      args=(--url "$server_url" --server-pid "$server_pid" --subscribers "${BENCH_SUBSCRIBERS:-1000}"
            --events "${BENCH_FANOUT_EVENTS:-300}" --rate "${BENCH_FANOUT_RATE:-20}") ;;
    # Silent raw WebSocket clients answer no ping: a long heartbeat keeps
    # them from being dropped while the phase is open.
    idle_connections) start_server SERVER_STREAM_HEARTBEAT=10m
      args=(--url "$server_url" --server-pid "$server_pid"
            --connections "${BENCH_CONNECTIONS:-10000}" --phases "${BENCH_PHASES:-sse,ws}") ;;
    agent) run_agent_bench; continue ;;
  esac
  "$b" "${args[@]}"
  stop_server
  if [ "$name" = sse_fanout ] && [ -n "$only" ]; then
    echo "== live_fanout (the hub alone, same sinks and rate)"
    "$build_dir/bench/bench_live_fanout" --sinks "${BENCH_SUBSCRIBERS:-1000}" \
      --events "${BENCH_FANOUT_EVENTS:-300}" --rate "${BENCH_FANOUT_RATE:-20}"
  fi
done
