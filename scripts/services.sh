#!/usr/bin/env bash
# A private PostgreSQL 15 and Redis 7 for EdgeSync, on loopback, on free ports,
# in a data folder of the project's (default .edgesync/, ignored by git).
#
#   scripts/services.sh start [--fast]   start both (idempotent); --fast turns off
#                                        fsync for tests (never for real data)
#   scripts/services.sh stop             stop what this script started (by PID)
#   scripts/services.sh status           say what runs where; exit 1 if not running
#   scripts/services.sh env              print `export DATABASE_URL=... REDIS_URL=...`
#
# EDGESYNC_HOME overrides the data folder. Postgres runs as the `postgres` user
# (initdb refuses root); when that user cannot reach the data folder (e.g. a
# checkout under a 0700 directory) its cluster lives in /var/tmp and
# .edgesync/pg links to it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
home=${EDGESYNC_HOME:-$root/.edgesync}
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
envfile=$home/services.env
db_name=${EDGESYNC_DB_NAME:-edgesync}

die() { echo "services: error: $*" >&2; exit 1; }
log() { echo "services: $*" >&2; }

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {  # pick_port PREFERRED
  local p=${1:-0}
  if [ "$p" -gt 0 ] && port_free "$p"; then echo "$p"; return; fi
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p"; then echo "$p"; return; fi
  done
  die "no free port found on 127.0.0.1"
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; return; fi
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); return; fi
  "$@"   # an ordinary user runs its own cluster as itself
}

pg_user() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }

load_env() {
  PG_PORT=0; REDIS_PORT=0
  # shellcheck disable=SC1090
  [ -f "$envfile" ] && . "$envfile"
  return 0
}

save_env() {
  mkdir -p "$home"
  cat > "$envfile" <<EOT
PG_PORT=$PG_PORT
REDIS_PORT=$REDIS_PORT
DATABASE_URL=postgresql://$(pg_user)@127.0.0.1:$PG_PORT/$db_name
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
EOT
}

# The cluster folder, through the link when it lives in /var/tmp (postgres
# must never have to traverse the project folder).
pg_dir() {
  if [ -L "$home/pg" ]; then readlink -f "$home/pg"; else echo "$home/pg"; fi
}

pg_running() {
  [ -f "$(pg_dir)/data/postmaster.pid" ] &&
    as_postgres "$pg_bin/pg_ctl" -D "$(pg_dir)/data" status >/dev/null 2>&1
}

redis_pid() { cat "$home/redis/redis.pid" 2>/dev/null || true; }
redis_running() {
  local pid; pid=$(redis_pid)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null
}

prepare_pg_dir() {
  local dir=$home/pg
  [ -e "$dir" ] && return 0
  mkdir -p "$home"
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$dir"
    chown postgres:postgres "$dir"; chmod 0700 "$dir"
    if ! runuser -u postgres -- test -w "$dir" 2>/dev/null; then
      # postgres cannot traverse to the project folder: keep the cluster where it can.
      rmdir "$dir"
      local alt
      alt=/var/tmp/edgesync-pg-$(printf '%s' "$home" | md5sum | cut -c1-12)
      mkdir -p "$alt"; chown postgres:postgres "$alt"; chmod 0700 "$alt"
      ln -s "$alt" "$dir"
      log "postgres cannot reach $home; its cluster lives in $alt (linked from $dir)"
    fi
  else
    mkdir -p "$dir"; chmod 0700 "$dir"
  fi
}

start_pg() {
  local fast=$1 dir
  if pg_running; then return 0; fi
  prepare_pg_dir
  dir=$(pg_dir)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_postgres "$pg_bin/initdb" -D "$dir/data" -U "$(pg_user)" -A trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"$home/initdb.log" 2>&1 ||
      { cat "$home/initdb.log" >&2; die "initdb failed"; }
  fi
  PG_PORT=$(pick_port "$PG_PORT")
  local opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir -c max_connections=200"
  if [ "$fast" = 1 ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  as_postgres "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 -o "$opts" start \
    >/dev/null || { tail -n 20 "$dir/postgres.log" >&2; die "postgres did not start"; }
  if ! as_postgres "$pg_bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$(pg_user)" -d postgres -tAq \
       -c "SELECT 1 FROM pg_database WHERE datname = '$db_name'" | grep -q 1; then
    as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$(pg_user)" "$db_name"
  fi
}

start_redis() {
  local fast=$1
  if redis_running; then return 0; fi
  mkdir -p "$home/redis"
  REDIS_PORT=$(pick_port "$REDIS_PORT")
  local persist=(--save '' --appendonly no)
  [ "$fast" = 1 ] || persist=(--save 60 1 --appendonly no)
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" "${persist[@]}" --dir "$home/redis" \
    --daemonize yes --pidfile "$home/redis/redis.pid" --logfile "$home/redis/redis.log" \
    --protected-mode yes >/dev/null
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then return 0; fi
    sleep 0.05
  done
  tail -n 20 "$home/redis/redis.log" >&2 || true
  die "redis did not start"
}

print_env() {
  load_env
  . "$envfile"
  echo "export DATABASE_URL=$DATABASE_URL"
  echo "export REDIS_URL=$REDIS_URL"
}

cmd=${1:-}
shift || true
case "$cmd" in
  start)
    fast=0
    [ "${1:-}" = --fast ] && fast=1
    load_env
    start_pg "$fast"
    start_redis "$fast"
    save_env
    log "postgres on 127.0.0.1:$PG_PORT, redis on 127.0.0.1:$REDIS_PORT (data in $home)"
    print_env
    ;;
  stop)
    load_env
    if pg_running; then
      as_postgres "$pg_bin/pg_ctl" -D "$(pg_dir)/data" -m fast -w stop >/dev/null && log "postgres stopped"
    fi
    if redis_running; then
      pid=$(redis_pid); kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      log "redis stopped"
    fi
    ;;
  status)
    load_env
    rc=0
    if pg_running; then echo "postgres: running on 127.0.0.1:$PG_PORT"; else echo "postgres: stopped"; rc=1; fi
    if redis_running; then echo "redis: running on 127.0.0.1:$REDIS_PORT"; else echo "redis: stopped"; rc=1; fi
    exit $rc
    ;;
  env)
    [ -f "$envfile" ] || die "services were never started here (run: $0 start)"
    print_env
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || [ "$cmd" = -h ] || [ "$cmd" = --help ] || exit 2
    ;;
esac
