#!/usr/bin/env bash
# Development/CI Apache Kafka broker: one KRaft node (broker+controller) run from the
# Maven Central jars listed in pom.xml. No tarball, no Docker.
#
#   kafka.sh start     resolve classpath (cached), format storage (once), start, verify;
#                      prints the bootstrap address (127.0.0.1:19092) on stdout
#   kafka.sh stop      SIGTERM and wait for a clean exit
#   kafka.sh status    exit 0 if running (prints pid and address), 3 if stopped
#   kafka.sh restart   stop + start
#   kafka.sh reset     stop and delete data, logs and config (keeps the classpath cache);
#                      `reset --all` deletes the whole state directory
#   kafka.sh cluster-start   a 3-node KRaft cluster (each node broker+controller, static
#                      quorum), started in parallel; starts only the nodes not running;
#                      waits until all 3 brokers serve a replicated topic; prints the
#                      bootstrap list (127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096)
#   kafka.sh cluster-stop | cluster-status | cluster-reset   the same for the cluster
#
# Environment: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093), PYTHON (python3; must
# have kafka-python for the round-trip check), KAFKA_START_TIMEOUT (180 s),
# KAFKA_STOP_TIMEOUT (60 s), KAFKA_HEAP_OPTS (-Xms512m -Xmx1g), KAFKA_JVM_OPTS (extra);
# for the cluster KAFKA_CLUSTER_PORT (29092: node N listens on 29092+2(N-1), its
# controller on the next port), KAFKA_CLUSTER_HEAP_OPTS (-Xms128m -Xmx384m) and
# KAFKA_CLUSTER_JVM_OPTS (-XX:+UseSerialGC -XX:TieredStopAtLevel=1: three JVMs on 2 cores).
# State (data, logs, pid, classpath cache) lives in deploy/kafka/.state/ (git-ignored), the
# cluster's in .state/cluster/node{1,2,3}/; jars live in the default Maven repository (~/.m2).
# Progress and errors go to stderr; stdout carries only the bootstrap address.
set -Eeuo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state="$here/.state"
port="${KAFKA_PORT:-19092}"
cport="${KAFKA_CONTROLLER_PORT:-19093}"
python="${PYTHON:-python3}"
start_timeout="${KAFKA_START_TIMEOUT:-180}"
stop_timeout="${KAFKA_STOP_TIMEOUT:-60}"
heap_opts="${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"
bootstrap="127.0.0.1:$port"

pidfile="$state/kafka.pid"
cpfile="$state/classpath.txt"
cpstamp="$state/classpath.pom.sha256"
props="$state/server.properties"
datadir="$state/data"
logdir="$state/logs"
clusterid_file="$state/cluster.id"
formatted_file="$state/formatted-controller-port"
template="$here/server.properties"
gc_opts="-XX:+UseG1GC -XX:MaxGCPauseMillis=20"
jvm_extra="${KAFKA_JVM_OPTS:-}"
node_id=1
voters=""
format_mode="--standalone"

# The cluster: node N (1..3) gets its own ports, state directory and pid file.
cluster_dir="$here/.state/cluster"
cluster_base="${KAFKA_CLUSTER_PORT:-29092}"
[[ $cluster_base =~ ^[0-9]+$ ]] || { printf 'kafka.sh: ERROR: KAFKA_CLUSTER_PORT must be a number\n' >&2; exit 1; }
cluster_voters="1@127.0.0.1:$((cluster_base + 1)),2@127.0.0.1:$((cluster_base + 3)),3@127.0.0.1:$((cluster_base + 5))"
cluster_bootstrap="127.0.0.1:$cluster_base,127.0.0.1:$((cluster_base + 2)),127.0.0.1:$((cluster_base + 4))"

use_node() {
  node_id="$1"
  state="$cluster_dir/node$1"
  port=$((cluster_base + 2 * ($1 - 1)))
  cport=$((port + 1))
  bootstrap="127.0.0.1:$port"
  pidfile="$state/kafka.pid"
  props="$state/server.properties"
  datadir="$state/data"
  logdir="$state/logs"
  clusterid_file="$cluster_dir/cluster.id"
  formatted_file="$state/formatted-controller-port"
  template="$here/cluster.properties"
  heap_opts="${KAFKA_CLUSTER_HEAP_OPTS:--Xms128m -Xmx384m}"
  gc_opts=""
  jvm_extra="${KAFKA_CLUSTER_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
  voters="$cluster_voters"
  format_mode=""
}

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
trap 'rc=$?; log "ERROR: unexpected failure (exit $rc) at line $LINENO: $BASH_COMMAND"' ERR

usage() {
  sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $port =~ ^[0-9]+$ && $cport =~ ^[0-9]+$ ]] || die "KAFKA_PORT/KAFKA_CONTROLLER_PORT must be numbers"
[[ $port != "$cport" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

# Pid of the broker started from this state directory, if it is alive.
running_pid() {
  local pid
  [[ -f $pidfile ]] || return 1
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    # Guard against a recycled pid.
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  fi
  echo "$pid"
}

port_open() {
  timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

lock() {
  mkdir -p "$state"
  exec 9>"$state/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || die "another kafka.sh holds $state/.lock"
  fi
}

show_logs() {
  local f
  for f in "$logdir/server.log" "$logdir/console.out" "$logdir/tools.log"; do
    if [[ -s $f ]]; then
      log "---- last lines of ${f#"$here/"} ----"
      tail -n 40 "$f" >&2
    fi
  done
  log "---- (full logs in ${logdir#"$here/"}/ under deploy/kafka) ----"
}

ensure_tools() {
  if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      log "java/mvn not found: installing default-jre-headless and maven with apt-get"
      apt-get update >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        default-jre-headless maven >&2
    else
      die "java (17+) and mvn are required; install them (e.g. apt-get install default-jre-headless maven)"
    fi
  fi
  local ver major
  ver="$(java -version 2>&1 | head -n 1)"
  major="$(sed -E 's/.*version "(1\.)?([0-9]+).*/\2/' <<<"$ver")"
  if [[ ! $major =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "Kafka 4.x needs Java 17+, found: $ver"
  fi
}

ensure_python() {
  local out
  if ! out="$("$python" -c 'import kafka; print(kafka.__version__)' 2>&1)"; then
    die "the round-trip check needs kafka-python in PYTHON=$python: $out
       (e.g. run with PYTHON=.venv/bin/python)"
  fi
}

resolve_classpath() {
  local sum need=0 jar
  # one resolution at a time (the single broker and the cluster may start together)
  mkdir -p "$here/.state"
  exec 7>"$here/.state/.classpath.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 600 7 || die "another kafka.sh is resolving the classpath"
  fi
  sum="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
  if [[ ! -s $cpfile || "$(cat "$cpstamp" 2>/dev/null || true)" != "$sum" ]]; then
    need=1
  else
    local -a jars
    IFS=: read -r -a jars <"$cpfile" || true # the file has no trailing newline
    for jar in "${jars[@]}"; do
      [[ -f $jar ]] || { need=1; break; }
    done
  fi
  if ((need)); then
    log "resolving the Kafka classpath with Maven (first run downloads ~70 MB into ~/.m2)"
    rm -f "$cpfile" "$cpstamp"
    # (sed strips the stray ANSI reset codes Maven 3.8 prints even in batch mode)
    if ! mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:build-classpath \
      -DincludeScope=runtime -Dmdep.outputFile="$cpfile.tmp" 2>&1 |
      sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2; then
      rm -f "$cpfile.tmp"
      die "mvn dependency:build-classpath failed (is Maven Central reachable?)"
    fi
    [[ -s $cpfile.tmp ]] || die "mvn produced an empty classpath"
    mv "$cpfile.tmp" "$cpfile"
    echo "$sum" >"$cpstamp"
  fi
  exec 7>&-
}

java_common() {
  printf '%s\n' \
    "-Dlog4j2.configurationFile=$here/log4j2.properties" \
    "-Dledger.kafka.log.dir=$logdir" \
    -Djava.awt.headless=true \
    -cp "$(cat "$cpfile")"
}

run_tool() {
  local -a common
  mapfile -t common < <(java_common)
  java -Xmx512m "${common[@]}" -Dledger.kafka.log.file=tools.log kafka.tools.StorageTool "$@"
}

render_props() {
  local esc_dir
  esc_dir="$(printf '%s' "$datadir" | sed 's/[\\|&]/\\&/g')"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" -e "s|@LOG_DIRS@|$esc_dir|g" \
    -e "s|@NODE_ID@|$node_id|g" -e "s|@VOTERS@|$voters|g" "$template" >"$props.tmp"
  mv "$props.tmp" "$props"
}

format_storage() {
  if [[ -f $datadir/meta.properties ]]; then
    local was
    was="$(cat "$formatted_file" 2>/dev/null || echo "$cport")"
    if [[ $was != "$cport" ]]; then
      die "storage was formatted for controller port $was, now KAFKA_CONTROLLER_PORT=$cport;
       run '$0 reset' (deletes broker data) or use the old port"
    fi
    return 0
  fi
  if [[ -d $datadir ]] && [[ -n "$(ls -A "$datadir" 2>/dev/null)" ]]; then
    die "$datadir is not empty but has no meta.properties; run '$0 reset'"
  fi
  mkdir -p "$datadir"
  local cid
  cid="$(cat "$clusterid_file" 2>/dev/null || true)"
  if [[ -z $cid && -z $format_mode ]]; then
    # cluster: one id for the three nodes (base64url of 16 random bytes, as random-uuid)
    cid="$("$python" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')"
    echo "$cid" >"$clusterid_file"
  fi
  if [[ -z $cid ]]; then
    cid="$(run_tool random-uuid | tail -n 1)"
    [[ $cid =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid returned '$cid'"
    echo "$cid" >"$clusterid_file"
  fi
  log "formatting storage (cluster id $cid)"
  local -a mode=()
  [[ -z $format_mode ]] || mode=("$format_mode")
  if ! run_tool format "${mode[@]}" -t "$cid" -c "$props" >&2; then
    show_logs
    die "kafka.tools.StorageTool format failed"
  fi
  echo "$cport" >"$formatted_file"
}

launch() {
  local -a common jvm
  mapfile -t common < <(java_common)
  read -r -a jvm <<<"$heap_opts $gc_opts -XX:+ExitOnOutOfMemoryError $jvm_extra"
  printf '\n==== %s kafka.sh start ====\n' "$(date -u +%FT%TZ)" >>"$logdir/console.out"
  rm -f "$pidfile"
  # setsid: the broker gets its own session, so it outlives the calling shell/job.
  # The inner bash records its own pid, closes every inherited descriptor above 2
  # (so a caller's `$(kafka.sh start)` or pipe never waits on the broker), then execs
  # java (same pid).
  # shellcheck disable=SC2016
  setsid bash -c '
    echo $$ >"$1"; shift
    for fd in /proc/$$/fd/*; do
      n=${fd##*/}
      if [[ $n =~ ^[0-9]+$ ]] && ((n > 2)); then eval "exec $n>&-" 2>/dev/null || true; fi
    done
    exec "$@"' kafka-launcher "$pidfile" \
    java "${jvm[@]}" "${common[@]}" -Dledger.kafka.log.file=server.log \
    kafka.Kafka "$props" </dev/null >>"$logdir/console.out" 2>&1 9>&- &
  local i
  for i in $(seq 1 50); do
    [[ -s $pidfile ]] && break
    sleep 0.1
  done
  [[ -s $pidfile ]] || die "the broker process did not start"
}

kill_and_wait() {
  local pid="$1" limit="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < limit * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "broker pid $pid did not exit within ${limit}s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
}

# Wait until the broker answers a client round-trip (check.py).
wait_ready() {
  local pid="$1" deadline=$((SECONDS + start_timeout)) out="" rc
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      show_logs
      die "the broker process (pid $pid) exited during startup"
    fi
    if port_open "$port"; then
      if out="$("$python" "$here/check.py" "$bootstrap" --timeout 10 --quiet 2>&1)"; then
        return 0
      else
        rc=$?
        ((rc != 2)) || die "$out"
      fi
    else
      out="nothing listening on $bootstrap yet"
    fi
    if ((SECONDS >= deadline)); then
      log "last check result: $out"
      show_logs
      log "stopping the broker that did not become ready"
      kill_and_wait "$pid" 15
      rm -f "$pidfile"
      die "Kafka did not pass the round-trip check within ${start_timeout}s (KAFKA_START_TIMEOUT)"
    fi
    sleep 1
  done
}

cmd_start() {
  lock
  local pid t0=$SECONDS
  if pid="$(running_pid)"; then
    log "already running (pid $pid); verifying"
    ensure_python
    wait_ready "$pid"
    log "Kafka OK at $bootstrap"
    echo "$bootstrap"
    return 0
  fi
  rm -f "$pidfile"
  mkdir -p "$logdir"
  ensure_tools
  ensure_python
  local p
  for p in "$port" "$cport"; do
    if port_open "$p"; then
      die "127.0.0.1:$p is already in use by another process (not the broker in $pidfile);
       stop it or choose other ports with KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done
  resolve_classpath
  render_props
  format_storage
  log "starting kafka.Kafka (logs in deploy/kafka/.state/logs/)"
  launch
  pid="$(cat "$pidfile")"
  wait_ready "$pid"
  log "Kafka ready at $bootstrap (pid $pid, $((SECONDS - t0))s)"
  echo "$bootstrap"
}

cmd_stop() {
  lock
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pidfile"
    log "not running"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill_and_wait "$pid" "$stop_timeout"
  rm -f "$pidfile"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "$port"; then
      echo "running pid=$pid bootstrap=$bootstrap"
    else
      echo "starting pid=$pid bootstrap=$bootstrap (port not open yet)"
    fi
    return 0
  fi
  echo "stopped"
  exit 3
}

cmd_reset() {
  cmd_stop
  if [[ ${1:-} == --all ]]; then
    log "removing $state"
    rm -rf "$state"
  else
    log "removing broker data, logs and generated config (classpath cache kept)"
    rm -rf "$datadir" "$logdir" "$props" "$clusterid_file" "$formatted_file"
  fi
}

cluster_lock() {
  mkdir -p "$cluster_dir"
  exec 8>"$cluster_dir/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 600 8 || die "another kafka.sh holds $cluster_dir/.lock"
  fi
}

# Prepare and launch every node that is not running (formatting in parallel), then wait
# until the three brokers serve a topic replicated on all of them.
cmd_cluster_start() {
  cluster_lock
  local n pid t0=$SECONDS
  local -a todo=()
  ensure_tools
  ensure_python
  resolve_classpath
  for n in 1 2 3; do
    use_node "$n"
    if pid="$(running_pid)"; then
      log "node $n already running (pid $pid)"
      continue
    fi
    rm -f "$pidfile"
    mkdir -p "$logdir"
    local p
    for p in "$port" "$cport"; do
      if port_open "$p"; then
        die "127.0.0.1:$p (cluster node $n) is already in use by another process;
       choose other ports with KAFKA_CLUSTER_PORT"
      fi
    done
    render_props
    todo+=("$n")
  done
  if ((${#todo[@]})); then
    [[ -s $cluster_dir/cluster.id ]] || { use_node 1; format_storage; }
    local -a jobs=()
    for n in "${todo[@]}"; do
      (use_node "$n" && format_storage) &
      jobs+=("$!")
    done
    for pid in "${jobs[@]}"; do wait "$pid" || die "formatting a cluster node failed"; done
    for n in "${todo[@]}"; do
      use_node "$n"
      log "starting cluster node $n (127.0.0.1:$port, controller $cport)"
      launch
    done
  fi
  wait_cluster_ready
  log "cluster ready at $cluster_bootstrap ($((SECONDS - t0))s)"
  echo "$cluster_bootstrap"
}

wait_cluster_ready() {
  local deadline=$((SECONDS + start_timeout)) out="" rc n pid
  while :; do
    for n in 1 2 3; do
      use_node "$n"
      if ! pid="$(running_pid)"; then
        show_logs
        die "cluster node $n is not running (it exited during startup?)"
      fi
    done
    if out="$("$python" "$here/check.py" "$cluster_bootstrap" --timeout 10 --quiet --expect-brokers 3 2>&1)"; then
      return 0
    else
      rc=$?
      ((rc != 2)) || die "$out"
    fi
    if ((SECONDS >= deadline)); then
      log "last check result: $out"
      for n in 1 2 3; do use_node "$n"; show_logs; done
      die "the cluster did not pass the round-trip check within ${start_timeout}s (KAFKA_START_TIMEOUT)"
    fi
    sleep 1
  done
}

cmd_cluster_stop() {
  cluster_lock
  local n pid
  local -a pids=()
  for n in 1 2 3; do
    use_node "$n"
    if pid="$(running_pid)"; then
      log "stopping cluster node $n (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$pidfile"
  done
  for pid in "${pids[@]}"; do kill_and_wait "$pid" "$stop_timeout"; done
  log "cluster stopped"
}

cmd_cluster_status() {
  local n pid up=0
  for n in 1 2 3; do
    use_node "$n"
    if pid="$(running_pid)"; then
      echo "node $n running pid=$pid bootstrap=$bootstrap"
      up=$((up + 1))
    else
      echo "node $n stopped bootstrap=$bootstrap"
    fi
  done
  ((up == 3)) || exit 3
}

cmd_cluster_reset() {
  cmd_cluster_stop
  log "removing $cluster_dir"
  rm -rf "$cluster_dir"
}

case "${1:-}" in
  start) cmd_start ;;
  cluster-start) cmd_cluster_start ;;
  cluster-stop) cmd_cluster_stop ;;
  cluster-status) cmd_cluster_status ;;
  cluster-reset) cmd_cluster_reset ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart)
    cmd_stop
    exec 9>&-
    cmd_start
    ;;
  reset) cmd_reset "${2:-}" ;;
  *) usage ;;
esac
