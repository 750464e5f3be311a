#!/usr/bin/env bash
# Vendored unchanged (apart from this note) from ../shared/bench/syncthing_bench.sh,
# the project's reference measurement of Syncthing (issue #5, Benchmarks), so that
# a fresh clone can run `./scripts/bench.sh agent`. Keep it in step with its origin.
# syncthing_bench.sh -- reproducible side-by-side performance ANCHOR for a
# directory-sync agent, using Syncthing from Debian's packages (bookworm:
# syncthing 1.19.2~ds1).
#
# Two Syncthing instances (A = sender side, B = receiver side) run on this host,
# talking only over 127.0.0.1 (no discovery, relays, NAT, local announce, usage
# or crash reporting, auto-upgrade). They share one sendreceive folder. Files are
# written on A and we measure wall time until B holds all of them with identical
# content (B's files are polled on disk and content-verified by md5).
#
# Phases (each run in each MODE):
#   a) N_A files of SIZE_A bytes (default 1000 x 4 KiB)      -- new files
#   b) N_B files of SIZE_B bytes (default 10000 x 1 KiB)     -- new files
#   c) one BIG_MIB MiB file (default 100 MiB)                -- new file
#   d) overwrite N_MOD (default 100) existing files of phase a with new content
#   e) latency of a single small-file edit: N_LAT (default 20) sequential edits of
#      one file, each waited for on B before the next; median/min/max/p90 reported.
#      Edits are LAT_GAP_S (default WATCH_DELAY_S+0.5 s) apart so that each one is an
#      isolated change (watcher timer idle); back-to-back edits see 0.5..1.5 x delay.
# Content is random (incompressible, no block dedup possible between files).
#
# MODES (default "watch scan"):
#   watch : change detection by Syncthing's inotify watcher on A, fsWatcherDelayS=1
#           (the minimum for 1.19; default would be 10).  Nothing is poked via REST.
#   scan  : A's watcher is switched off (PATCH /rest/config/folders/<id>) and right
#           after each write the script POSTs /rest/db/scan?folder=<id>&sub=<path>
#           on A (async), i.e. scan + index + transfer without watcher delay.
#
# Timing: write_s = time to write the data on A (cp/printf, page cache, no fsync);
#         sync_s  = from end of write on A until B has everything (primary number);
#         total_s = write_s + sync_s;  cpuA_s/cpuB_s = CPU seconds (user+sys) of the
#         two syncthing instances from start of write until done.
#         Bulk phases poll B every max(POLL_MS, elapsed/100) (<= 1 s), i.e. the
#         detection error is <= ~1 % (50 ms floor); the latency phase polls every 5 ms
#         with fork-free bash builtins.
#
# Notes on Syncthing 1.19 defaults kept here (deliberately, this is an anchor of
# the stock behaviour): caseSensitiveFS=false (Syncthing's case-insensitivity
# emulation re-lists a directory after each write: pulling 10k files into ONE
# directory is ~7-10x slower than with CASE_SENSITIVE_FS=true), fsync on,
# setLowPriority is switched off (so syncthing is not niced below the poller).
# 1.19 always runs a monitor process that spawns the real syncthing; both PIDs are
# tracked and only they are stopped.
#
# Output: progress on stderr; a results table on stdout; the LAST stdout line is
# the full result as a single JSON object.
#
# Requirements: bash>=5, syncthing (apt-get install -y syncthing), curl, jq,
# coreutils, findutils.  Run as any user; uses only a temp dir (mktemp) and
# 127.0.0.1 ports.  Every wait has a timeout; only the processes started here
# are stopped (by PID); the temp dir is removed at exit (KEEP=1 keeps it).
#
# Tunables (environment): N_A SIZE_A N_B SIZE_B BIG_MIB N_MOD N_LAT MODES PHASES
#   WATCH_DELAY_S CASE_SENSITIVE_FS B_FSWATCHER PHASE_TIMEOUT START_TIMEOUT POLL_MS
#   LAT_POLL_MS(<1000) LAT_GAP_S KEEP TMPDIR SYNCTHING (binary path)
# Example: ./syncthing_bench.sh > result.txt ; tail -n1 result.txt | jq .

set -Eeuo pipefail
export LC_ALL=C

N_A=${N_A:-1000};        SIZE_A=${SIZE_A:-4096}
N_B=${N_B:-10000};       SIZE_B=${SIZE_B:-1024}
BIG_MIB=${BIG_MIB:-100}
N_MOD=${N_MOD:-100}
N_LAT=${N_LAT:-20}
MODES=${MODES:-"watch scan"}
PHASES=${PHASES:-"a b c d e"}          # d needs a
WATCH_DELAY_S=${WATCH_DELAY_S:-1}
B_FSWATCHER=${B_FSWATCHER:-true}      # diagnostic only: false disables B's watcher
CASE_SENSITIVE_FS=${CASE_SENSITIVE_FS:-false}  # Syncthing default false (see notes)
PHASE_TIMEOUT=${PHASE_TIMEOUT:-300}   # s, per phase (each wait)
START_TIMEOUT=${START_TIMEOUT:-90}    # s, startup / connect / settle
POLL_MS=${POLL_MS:-50}                # min poll interval, bulk phases; grows to
                                      # elapsed/100 (max 1 s) => <=1 % timing error
LAT_POLL_S=${LAT_POLL_MS:-5}          # poll interval for latency phase (ms)
LAT_POLL_S=$(printf '0.%03d' "$LAT_POLL_S")
LAT_GAP_S=${LAT_GAP_S:-}              # pause between edits (default WATCH_DELAY_S+0.5)
KEEP=${KEEP:-0}
SYNCTHING=${SYNCTHING:-syncthing}
FID=bench

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for c in "$SYNCTHING" curl jq md5sum find xargs sort split head cp mkfifo; do
  command -v "$c" >/dev/null 2>&1 || die "missing command: $c (apt-get install -y syncthing curl jq)"
done
(( BASH_VERSINFO[0] >= 5 )) || die "bash >= 5 required (EPOCHREALTIME)"
(( N_MOD <= N_A )) || die "N_MOD must be <= N_A"

ST_VERSION=$("$SYNCTHING" --version 2>/dev/null | head -n1)
ST_VER_SHORT=$(awk '{print $2}' <<<"$ST_VERSION")
[[ -n $LAT_GAP_S ]] || LAT_GAP_S="$WATCH_DELAY_S.5"

# ---------------------------------------------------------------- temp + state
T=$(mktemp -d "${TMPDIR:-/tmp}/stbench.XXXXXX")
PID_A=""; PID_B=""; KID_A=""; KID_B=""; BG_PIDS=()
SLEEP_FD=""

dump_logs() {
  local s
  for s in a b; do
    [[ -f $T/$s/syncthing.log ]] || continue
    log "---- last lines of syncthing $s log ----"
    tail -n 25 "$T/$s/syncthing.log" >&2 || true
  done
}

# stop_side PID KID PORT -- graceful REST shutdown, then TERM, then KILL.
# PID = the process we started (1.19's monitor process), KID = its syncthing child.
stop_side() {
  local pid=$1 kid=$2 port=$3 i p
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    curl -s --noproxy '*' --max-time 5 -X POST -H "X-API-Key: $APIKEY" \
      "http://127.0.0.1:$port/rest/system/shutdown" >/dev/null 2>&1 || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  for p in $kid $pid; do
    kill -0 "$p" 2>/dev/null || continue
    kill -TERM "$p" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
  done
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM ERR
  set +e
  local p
  for p in "${BG_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  (( rc != 0 )) && dump_logs
  stop_side "$PID_A" "$KID_A" "${GUI_A:-0}"
  stop_side "$PID_B" "$KID_B" "${GUI_B:-0}"
  [[ -n $SLEEP_FD ]] && exec {SLEEP_FD}>&-
  if [[ $KEEP == 1 ]]; then log "kept temp dir $T"; else rm -rf -- "$T"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "command failed (line $LINENO): $BASH_COMMAND"' ERR
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# fork-free sleep (read with timeout on a private fifo)
mkfifo "$T/.nap"
exec {SLEEP_FD}<>"$T/.nap"
nap() { read -r -t "$1" -u "$SLEEP_FD" _ || true; }

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }   # only used outside hot loops
fmt_s() { printf '%d.%03d' $(( $1 / 1000000 )) $(( ($1 % 1000000) / 1000 )); }
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {  # summed utime+stime (clock ticks) of the given PIDs (whole thread groups)
  local -a f
  local p t=0
  for p in "$@"; do
    read -r -a f 2>/dev/null <"/proc/$p/stat" || continue
    t=$(( t + f[13] + f[14] ))
  done
  echo "$t"
}
child_pids() {  # direct children of PID (pure /proc scan; comm fields have no blanks here)
  local d; local -a f
  for d in /proc/[0-9]*; do
    read -r -a f 2>/dev/null <"$d/stat" || continue
    [[ ${f[3]} == "$1" ]] && echo "${d#/proc/}"
  done
  return 0
}
fmt_ticks() { fmt_s $(( $1 * 1000000 / CLK_TCK )); }

# ------------------------------------------------------------------ ports/keys
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
declare -A USED_PORTS=()
pick_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    [[ -z ${USED_PORTS[$p]:-} ]] && port_free "$p" && { USED_PORTS[$p]=1; echo "$p"; return 0; }
  done
  return 1
}
GUI_A=$(pick_port); USED_PORTS[$GUI_A]=1
GUI_B=$(pick_port); USED_PORTS[$GUI_B]=1
SYNC_A=$(pick_port); USED_PORTS[$SYNC_A]=1
SYNC_B=$(pick_port); USED_PORTS[$SYNC_B]=1
APIKEY=${APIKEY:-stbench-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')}

# ------------------------------------------------------------------- generate
st_generate() {  # dir
  if "$SYNCTHING" generate --help >/dev/null 2>&1; then
    "$SYNCTHING" generate --home "$1" --no-default-folder --skip-port-probing >"$1.gen.log" 2>&1
  else
    "$SYNCTHING" -generate="$1" >"$1.gen.log" 2>&1
  fi
}
st_devid() {  # dir
  "$SYNCTHING" serve --home "$1" --device-id 2>/dev/null || "$SYNCTHING" -home "$1" -device-id
}

write_config() {  # home name data listen_port gui_port peer_name peer_id peer_port
  local home=$1 name=$2 data=$3 lport=$4 gport=$5 pname=$6 pid=$7 pport=$8 myid watch=true
  myid=$(st_devid "$home")
  [[ $name == B ]] && watch=$B_FSWATCHER
  cat >"$home/config.xml" <<EOF
<configuration version="36">
    <folder id="$FID" label="$FID" path="$data" type="sendreceive" rescanIntervalS="86400" fsWatcherEnabled="$watch" fsWatcherDelayS="$WATCH_DELAY_S" ignorePerms="false" autoNormalize="true">
        <filesystemType>basic</filesystemType>
        <device id="$myid" introducedBy=""></device>
        <device id="$pid" introducedBy=""></device>
        <markerName>.stfolder</markerName>
        <caseSensitiveFS>$CASE_SENSITIVE_FS</caseSensitiveFS>
    </folder>
    <device id="$myid" name="$name" compression="metadata" introducer="false" skipIntroductionRemovals="false" introducedBy="">
        <address>dynamic</address>
    </device>
    <device id="$pid" name="$pname" compression="metadata" introducer="false" skipIntroductionRemovals="false" introducedBy="">
        <address>tcp://127.0.0.1:$pport</address>
    </device>
    <gui enabled="true" tls="false" debugging="false">
        <address>127.0.0.1:$gport</address>
        <apikey>$APIKEY</apikey>
        <theme>default</theme>
    </gui>
    <options>
        <listenAddress>tcp://127.0.0.1:$lport</listenAddress>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <startBrowser>false</startBrowser>
        <urAccepted>-1</urAccepted>
        <urSeen>3</urSeen>
        <crashReportingEnabled>false</crashReportingEnabled>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <restartOnWakeup>false</restartOnWakeup>
        <announceLANAddresses>false</announceLANAddresses>
        <reconnectionIntervalS>5</reconnectionIntervalS>
        <setLowPriority>false</setLowPriority>
    </options>
</configuration>
EOF
}

log "syncthing: $ST_VERSION"
log "temp dir $T; GUI A=$GUI_A B=$GUI_B; sync A=$SYNC_A B=$SYNC_B"
mkdir -p "$T/a" "$T/b" "$T/stage" "$T/a/data/.stfolder" "$T/b/data/.stfolder"
st_generate "$T/a/home"
st_generate "$T/b/home"
ID_A=$(st_devid "$T/a/home"); ID_B=$(st_devid "$T/b/home")
[[ $ID_A =~ ^[A-Z0-9-]{63}$ && $ID_B =~ ^[A-Z0-9-]{63}$ ]] || die "could not get device IDs ($ID_A / $ID_B)"
write_config "$T/a/home" A "$T/a/data" "$SYNC_A" "$GUI_A" B "$ID_B" "$SYNC_B"
write_config "$T/b/home" B "$T/b/data" "$SYNC_B" "$GUI_B" A "$ID_A" "$SYNC_A"

# ---------------------------------------------------------------------- start
st_start() {  # dir -> echoes nothing; sets PID via global name
  STNORESTART=1 STNOUPGRADE=1 STNODEFAULTFOLDER=1 HOME="$1" \
    "$SYNCTHING" serve --home "$1/home" --no-browser --no-restart --no-upgrade \
    --no-default-folder --logflags=3 >"$1/syncthing.log" 2>&1 &
}
# Start B first and A only once B's API answers: avoids both sides dialling each
# other at the same instant (that race costs a 20 s Hello timeout in 1.19).
st_start "$T/b"; PID_B=$!
log "started syncthing B pid=$PID_B"

api() {  # api A|B METHOD PATH [curl args...]
  local port=$GUI_A; [[ $1 == B ]] && port=$GUI_B
  local m=$2 p=$3; shift 3
  curl -sS --fail --noproxy '*' --max-time "${API_MAXTIME:-20}" -X "$m" \
    -H "X-API-Key: $APIKEY" "$@" "http://127.0.0.1:$port$p"
}

wait_until() {  # wait_until TIMEOUT_S DESCRIPTION CMD...
  local to=$1 what=$2; shift 2
  local deadline=$(( $(now_us) + to * 1000000 ))
  until "$@" >/dev/null 2>&1; do
    [[ -z $PID_A ]] || kill -0 "$PID_A" 2>/dev/null || die "syncthing A died"
    [[ -z $PID_B ]] || kill -0 "$PID_B" 2>/dev/null || die "syncthing B died"
    (( $(now_us) < deadline )) || die "timeout (${to}s) waiting for: $what"
    nap 0.2
  done
}

pong() { api "$1" GET /rest/system/ping | grep -q pong; }
connected() {  # side peer_id
  api "$1" GET /rest/system/connections | jq -e --arg id "$2" '.connections[$id].connected == true'
}
# Both sides idle, nothing needed, A sees B at 100 % and both agree on global state.
in_sync() {
  local sa sb ca
  sa=$(api A GET "/rest/db/status?folder=$FID") || return 1
  sb=$(api B GET "/rest/db/status?folder=$FID") || return 1
  ca=$(api A GET "/rest/db/completion?folder=$FID&device=$ID_B") || return 1
  jq -e '.state == "idle" and .needTotalItems == 0' <<<"$sa" >/dev/null || return 1
  jq -e '.state == "idle" and .needTotalItems == 0' <<<"$sb" >/dev/null || return 1
  jq -e '.completion == 100' <<<"$ca" >/dev/null || return 1
  [[ "$(jq -c '[.globalFiles, .globalBytes, .localFiles, .localBytes]' <<<"$sa")" == \
     "$(jq -c '[.globalFiles, .globalBytes, .localFiles, .localBytes]' <<<"$sb")" ]]
}
settle() {  # in_sync observed 3 times in a row (~1.5 s quiet)
  local ok=0 deadline=$(( $(now_us) + START_TIMEOUT * 1000000 ))
  while (( ok < 3 )); do
    if in_sync; then ok=$((ok + 1)); else ok=0; fi
    (( $(now_us) < deadline )) || die "timeout (${START_TIMEOUT}s) waiting for both sides to settle"
    nap 0.5
  done
}

wait_until "$START_TIMEOUT" "REST API of B" pong B
st_start "$T/a"; PID_A=$!
log "started syncthing A pid=$PID_A"
wait_until "$START_TIMEOUT" "REST API of A" pong A
# 1.19 always runs a monitor process that spawns the real syncthing as its child.
KID_A=$(child_pids "$PID_A" | tr '\n' ' '); KID_B=$(child_pids "$PID_B" | tr '\n' ' ')
log "syncthing A: monitor $PID_A child $KID_A; B: monitor $PID_B child $KID_B"
wait_until "$START_TIMEOUT" "A<->B connection" connected A "$ID_B"
wait_until "$START_TIMEOUT" "B<->A connection" connected B "$ID_A"
settle
EFF_DELAY=$(api A GET "/rest/config/folders/$FID" | jq -r '.fsWatcherDelayS')
log "connected and in sync (effective fsWatcherDelayS=$EFF_DELAY)"

# ------------------------------------------------------------- measurement aids
count_files() {  # number of final (non-temp) regular files below dir
  [[ -d $1 ]] || { echo 0; return; }
  { find "$1" -type f ! -name '.syncthing.*' 2>/dev/null || true; } | wc -l
}
tree_sum() {  # md5 over sorted "md5  ./relpath" lines of all final files below dir
  [[ -d $1 ]] || { echo none; return; }
  { (cd "$1" && find . -type f ! -name '.syncthing.*' -print0 2>/dev/null | sort -z |
      xargs -0 -r md5sum) || true; } | md5sum | cut -c1-32
}
concat_sum() { { cat -- "$@" 2>/dev/null || true; } | md5sum | cut -c1-32; }

DONE_US=0
poll_nap() {  # poll_nap START_US: sleep max(POLL_MS, elapsed/100), at most 1 s
  local iv=$(( (${EPOCHREALTIME/./} - $1) / 100 )) x
  (( iv < POLL_MS * 1000 )) && iv=$(( POLL_MS * 1000 ))
  (( iv > 1000000 )) && iv=1000000
  printf -v x '%d.%06d' $(( iv / 1000000 )) $(( iv % 1000000 ))
  nap "$x"
}
wait_tree() {  # wait_tree START_US DIR_ON_B N EXPECTED_TREE_SUM   -> DONE_US
  local t0=$1 dir=$2 n=$3 want=$4 t c deadline=$(( $1 + PHASE_TIMEOUT * 1000000 ))
  while :; do
    c=$(count_files "$dir"); t=${EPOCHREALTIME/./}
    if (( c >= n )) && [[ $(tree_sum "$dir") == "$want" ]]; then DONE_US=$t; return 0; fi
    (( t < deadline )) || die "phase timeout (${PHASE_TIMEOUT}s): $dir has $c/$n files"
    poll_nap "$t0"
  done
}
wait_concat() {  # wait_concat START_US EXPECTED_SUM FILES_ON_B...   -> DONE_US
  local t0=$1 want=$2 deadline=$(( $1 + PHASE_TIMEOUT * 1000000 )); shift 2
  while :; do
    [[ $(concat_sum "$@") == "$want" ]] && { DONE_US=${EPOCHREALTIME/./}; return 0; }
    (( ${EPOCHREALTIME/./} < deadline )) || die "phase timeout (${PHASE_TIMEOUT}s) waiting for modified files"
    poll_nap "$t0"
  done
}

MODE=""
trigger() {  # in scan mode: async POST /rest/db/scan on A for the given sub path
  [[ $MODE == scan ]] || return 0
  API_MAXTIME=$PHASE_TIMEOUT api A POST "/rest/db/scan?folder=$FID&sub=$1" >/dev/null 2>&1 &
  BG_PIDS+=($!)
}
reap() {
  local p
  for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  BG_PIDS=()
}

declare -A R=()   # R[mode.phase.key]=value
A_DIR=$T/a/data; B_DIR=$T/b/data; S=$T/stage

bulk_phase() {  # bulk_phase KEY NFILES SIZE   (new files in a fresh sub dir)
  local key=$1 n=$2 size=$3 sub="${MODE}_$1" want t0 t1 ca0 cb0
  rm -rf "$S/$sub"; mkdir -p "$S/$sub"
  head -c $(( n * size )) /dev/urandom >"$S/$sub.bin"
  if (( n == 1 )); then mv "$S/$sub.bin" "$S/$sub/big.bin"
  else (cd "$S/$sub" && split -b "$size" -a 5 -d "../$sub.bin" f) && rm -f "$S/$sub.bin"; fi
  want=$(tree_sum "$S/$sub")
  sync; settle
  log "[$MODE] phase $key: $n x $size B -> $sub"
  ca0=$(cpu_ticks $PID_A $KID_A); cb0=$(cpu_ticks $PID_B $KID_B)
  t0=${EPOCHREALTIME/./}
  cp -r "$S/$sub" "$A_DIR/$sub"
  t1=${EPOCHREALTIME/./}
  trigger "$sub"
  wait_tree "$t1" "$B_DIR/$sub" "$n" "$want"
  R[$MODE.$key.cpuA_s]=$(fmt_ticks $(( $(cpu_ticks $PID_A $KID_A) - ca0 )))
  R[$MODE.$key.cpuB_s]=$(fmt_ticks $(( $(cpu_ticks $PID_B $KID_B) - cb0 )))
  reap
  [[ $(tree_sum "$A_DIR/$sub") == "$want" ]] || die "A's copy of $sub differs from staging"
  R[$MODE.$key.write_s]=$(fmt_s $(( t1 - t0 )))
  R[$MODE.$key.sync_s]=$(fmt_s $(( DONE_US - t1 )))
  R[$MODE.$key.total_s]=$(fmt_s $(( DONE_US - t0 )))
  log "[$MODE] phase $key: write ${R[$MODE.$key.write_s]}s, sync ${R[$MODE.$key.sync_s]}s"
  rm -rf "$S/$sub"
}

modify_phase() {  # overwrite the first N_MOD files of phase a (same size, new content)
  local sub="${MODE}_a" want t0 t1 i f ca0 cb0
  local -a bfiles=()
  rm -rf "$S/mod"; mkdir -p "$S/mod"
  head -c $(( N_MOD * SIZE_A )) /dev/urandom >"$S/mod.bin"
  (cd "$S/mod" && split -b "$SIZE_A" -a 5 -d ../mod.bin f) && rm -f "$S/mod.bin"
  for f in "$S"/mod/f*; do bfiles+=("$B_DIR/$sub/${f##*/}"); done
  (( ${#bfiles[@]} == N_MOD )) || die "modify staging broken"
  want=$(concat_sum "$S"/mod/f*)
  sync; settle
  log "[$MODE] phase d: modify $N_MOD files of $sub"
  ca0=$(cpu_ticks $PID_A $KID_A); cb0=$(cpu_ticks $PID_B $KID_B)
  t0=${EPOCHREALTIME/./}
  cp -r "$S/mod/." "$A_DIR/$sub/"
  t1=${EPOCHREALTIME/./}
  trigger "$sub"
  wait_concat "$t1" "$want" "${bfiles[@]}"
  R[$MODE.d.cpuA_s]=$(fmt_ticks $(( $(cpu_ticks $PID_A $KID_A) - ca0 )))
  R[$MODE.d.cpuB_s]=$(fmt_ticks $(( $(cpu_ticks $PID_B $KID_B) - cb0 )))
  reap
  R[$MODE.d.write_s]=$(fmt_s $(( t1 - t0 )))
  R[$MODE.d.sync_s]=$(fmt_s $(( DONE_US - t1 )))
  R[$MODE.d.total_s]=$(fmt_s $(( DONE_US - t0 )))
  log "[$MODE] phase d: write ${R[$MODE.d.write_s]}s, sync ${R[$MODE.d.sync_s]}s"
  rm -rf "$S/mod"
}

latency_phase() {  # N_LAT sequential single-file edits, each waited for
  local sub="${MODE}_e" rel="${MODE}_e/lat.txt" i content line t0 t1 deadline
  local -a lat=()
  mkdir -p "$A_DIR/$sub"
  printf 'init %s\n' "$MODE" >"$A_DIR/$rel"
  trigger "$rel"
  deadline=$(( $(now_us) + PHASE_TIMEOUT * 1000000 ))
  until [[ -f $B_DIR/$rel ]] && read -r line 2>/dev/null <"$B_DIR/$rel" && [[ $line == "init $MODE" ]]; do
    (( $(now_us) < deadline )) || die "timeout creating latency file"; nap 0.05
  done
  reap; settle
  log "[$MODE] phase e: $N_LAT single-file edits"
  for ((i = 1; i <= N_LAT; i++)); do
    content="edit $MODE $i $RANDOM$RANDOM"
    t0=${EPOCHREALTIME/./}
    printf '%s\n' "$content" >"$A_DIR/$rel"
    trigger "$rel"
    deadline=$(( t0 + PHASE_TIMEOUT * 1000000 ))
    while :; do
      line=""
      # (1.19 deletes the old file before renaming the new one in: may briefly be absent)
      read -r line 2>/dev/null <"$B_DIR/$rel" || true
      t1=${EPOCHREALTIME/./}
      [[ $line == "$content" ]] && break
      (( t1 < deadline )) || die "phase timeout (${PHASE_TIMEOUT}s) in latency edit $i"
      nap "$LAT_POLL_S"
    done
    reap
    lat+=($(( t1 - t0 )))
    nap "$LAT_GAP_S"
  done
  local sorted; sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
  local -a s; mapfile -t s <<<"$sorted"
  local n=${#s[@]} med
  if (( n % 2 )); then med=${s[n / 2]}; else med=$(( (s[n / 2 - 1] + s[n / 2]) / 2 )); fi
  local p90i=$(( (n * 9 + 9) / 10 - 1 ))
  R[$MODE.e.median_s]=$(fmt_s "$med")
  R[$MODE.e.min_s]=$(fmt_s "${s[0]}")
  R[$MODE.e.max_s]=$(fmt_s "${s[n - 1]}")
  R[$MODE.e.p90_s]=$(fmt_s "${s[p90i]}")
  local all="" x
  for x in "${lat[@]}"; do all+="${all:+,}$(fmt_s "$x")"; done
  R[$MODE.e.samples_s]="[$all]"
  log "[$MODE] phase e: median ${R[$MODE.e.median_s]}s (min ${R[$MODE.e.min_s]} max ${R[$MODE.e.max_s]})"
}

set_watcher_A() {  # true|false
  api A PATCH "/rest/config/folders/$FID" -H 'Content-Type: application/json' \
    --data "{\"fsWatcherEnabled\": $1}" >/dev/null
  wait_until "$START_TIMEOUT" "A watcher=$1 applied" watcher_is "$1"
  settle
}
watcher_is() { api A GET "/rest/config/folders/$FID" | jq -e ".fsWatcherEnabled == $1"; }

# ---------------------------------------------------------------------- run
BENCH_T0=$(now_us)
for MODE in $MODES; do
  case $MODE in
    watch) set_watcher_A true ;;
    scan)  set_watcher_A false ;;
    *) die "unknown mode $MODE" ;;
  esac
  for ph in $PHASES; do
    case $ph in
      a) bulk_phase a "$N_A" "$SIZE_A" ;;
      b) bulk_phase b "$N_B" "$SIZE_B" ;;
      c) bulk_phase c 1 $(( BIG_MIB * 1024 * 1024 )) ;;
      d) modify_phase ;;
      e) latency_phase ;;
      *) die "unknown phase $ph" ;;
    esac
  done
done
BENCH_S=$(fmt_s $(( $(now_us) - BENCH_T0 )))

# ------------------------------------------------------------------- report
label() {
  case $1 in
    a) echo "a ${N_A} x $((SIZE_A / 1024)) KiB new" ;;
    b) echo "b ${N_B} x $((SIZE_B / 1024)) KiB new" ;;
    c) echo "c 1 x ${BIG_MIB} MiB new" ;;
    d) echo "d modify ${N_MOD} x $((SIZE_A / 1024)) KiB" ;;
  esac
}
echo
echo "Syncthing A->B sync benchmark  (syncthing $ST_VER_SHORT; $(nproc) CPU; fsWatcherDelayS=$EFF_DELAY; $(date -u +%FT%TZ))"
printf '%-6s %-24s %9s %9s %9s %8s %8s\n' mode phase write_s sync_s total_s cpuA_s cpuB_s
for MODE in $MODES; do
  for k in $PHASES; do
    if [[ $k == e ]]; then
      printf '%-6s %-24s median %ss  min %ss  p90 %ss  max %ss\n' "$MODE" "e 1-file edit (n=$N_LAT)" \
        "${R[$MODE.e.median_s]}" "${R[$MODE.e.min_s]}" "${R[$MODE.e.p90_s]}" "${R[$MODE.e.max_s]}"
    else
      printf '%-6s %-24s %9s %9s %9s %8s %8s\n' "$MODE" "$(label $k)" "${R[$MODE.$k.write_s]}" \
        "${R[$MODE.$k.sync_s]}" "${R[$MODE.$k.total_s]}" "${R[$MODE.$k.cpuA_s]}" "${R[$MODE.$k.cpuB_s]}"
    fi
  done
done
echo "(sync_s = end of write on A -> all content identical on B; total_s = write_s + sync_s;"
echo " cpuX_s = CPU seconds (user+sys) used by syncthing A/B from start of write to done)"

json_mode() {
  local m=$1 k out=""
  for k in $PHASES; do
    if [[ $k == e ]]; then
      out+="${out:+,}\"e\":{\"median_s\":${R[$m.e.median_s]},\"min_s\":${R[$m.e.min_s]},\"p90_s\":${R[$m.e.p90_s]},\"max_s\":${R[$m.e.max_s]},\"samples_s\":${R[$m.e.samples_s]}}"
    else
      out+="${out:+,}\"$k\":{\"write_s\":${R[$m.$k.write_s]},\"sync_s\":${R[$m.$k.sync_s]},\"total_s\":${R[$m.$k.total_s]},\"cpuA_s\":${R[$m.$k.cpuA_s]},\"cpuB_s\":${R[$m.$k.cpuB_s]}}"
    fi
  done
  printf '{%s}' "$out"
}
JSON_RESULTS=""
for MODE in $MODES; do JSON_RESULTS+="${JSON_RESULTS:+,}\"$MODE\":$(json_mode "$MODE")"; done
jq -cn \
  --arg version "$ST_VERSION" --arg kernel "$(uname -r)" --argjson cpus "$(nproc)" \
  --arg fs "$(stat -f -c %T "$T")" --argjson delay "$EFF_DELAY" --arg date "$(date -u +%FT%TZ)" \
  --argjson na "$N_A" --argjson sa "$SIZE_A" --argjson nb "$N_B" --argjson sb "$SIZE_B" \
  --argjson big "$BIG_MIB" --argjson nmod "$N_MOD" --argjson nlat "$N_LAT" --argjson gap "$LAT_GAP_S" \
  --argjson bench_s "$BENCH_S" --argjson csfs "$CASE_SENSITIVE_FS" --argjson bw "$B_FSWATCHER" --argjson results "{$JSON_RESULTS}" \
  '{tool:"syncthing", version:$version, date:$date, kernel:$kernel, cpus:$cpus, fs:$fs,
    fsWatcherDelayS:$delay, caseSensitiveFS:$csfs, fsWatcherB:$bw,
    params:{a:{files:$na,bytes:$sa}, b:{files:$nb,bytes:$sb}, c:{files:1,mib:$big},
            d:{modified:$nmod,bytes:$sa}, e:{edits:$nlat,gap_s:$gap}},
    units:"seconds; sync_s = end of write on A -> identical on B",
    bench_wall_s:$bench_s, results:$results}'
