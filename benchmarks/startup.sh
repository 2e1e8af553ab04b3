#!/usr/bin/env bash
# Start-up comparison: time from `java` to the first 200 on GET /hello/world, helloworld against
# the raw-Netty reference server, alternating, RUNS times each, on the same JVM and flags; with
# CDS=1 each server first gets its own application class-data archive (AppCDS, made by a training
# run of that same server) and every measured start uses it, so both sides get the same help.
#
# Builds nothing. Expects benchmarks/target/benchmarks.jar and
# examples/helloworld/target/helloworld.jar (see http-load.sh).
#
# Training run (CDS=1), per server: start with -XX:ArchiveClassesAtExit=<archive>, wait for the
# first 200, send GET /hello/world and POST /echo once (so the classes a request needs are in the
# archive too), SIGTERM; the JVM writes the archive as it exits. JDK 17 needs the two-step
# dynamic archive; on JDK 19+ -XX:+AutoCreateSharedArchive does the same in one flag.
#
# CDS=aot (JDK 25+) trains a JEP 483/514 AOT cache instead (-XX:AOTCacheOutput, then
# -XX:AOTCache): classes loaded and linked ahead of time, plus method profiles (JEP 515).
#
# Knobs: JAVA, JVM_FLAGS (-Xms256m -Xmx256m), HELLO_FLAGS, RUNS (10), CDS (0|1|aot), SERVERS
#   ("raw helloworld"), SERVER_CPU (0), CLIENT_CPU (1), PORT_BASE (18380), OUT.
# A/B of two builds: a server named helloworld@/path/to/other.jar runs that jar the helloworld
# way, e.g. SERVERS="helloworld@/tmp/before.jar helloworld" (alternating, same flags); likewise
# peer@/path/to/other-benchmarks.jar.
# Server "peer" is the peer harness's Phalanx app (PhalanxPeerServer: one HttpServer in an App,
# GET /hello and POST /echo, no configuration file, gRPC or observability): the framework's own
# start-up, comparable with the peers' hello-world rows. It is polled on GET /hello.
# Output: one line per start and the median per server (also in $OUT/summary.md).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JAVA=${JAVA:-java}
JVM_FLAGS=${JVM_FLAGS:--Xms256m -Xmx256m}
HELLO_FLAGS=${HELLO_FLAGS:-}
RUNS=${RUNS:-10}
CDS=${CDS:-0}
SERVERS=${SERVERS:-raw helloworld}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-18380}
HELLO_JAR=${HELLO_JAR:-examples/helloworld/target/helloworld.jar}
RAW_JAR=${RAW_JAR:-benchmarks/target/benchmarks.jar}
OUT=${OUT:-benchmarks/results/startup-$(date +%Y%m%d-%H%M%S)}

for j in "$HELLO_JAR" "$RAW_JAR"; do [[ -f $j ]] || { echo "missing $j (see the header)" >&2; exit 1; }; done
mkdir -p "$OUT/raw"; OUT=$(cd "$OUT" && pwd)
exec > >(tee -a "$OUT/run.log") 2>&1
taskset -pc "$CLIENT_CPU" $$ >/dev/null
CUR_PID=
. "$ROOT/benchmarks/lib.sh"
trap '[[ -n $CUR_PID ]] && stop_tree "$CUR_PID" >/dev/null 2>&1' EXIT
read -ra JVM_ARR <<< "$JVM_FLAGS"
read -ra HELLO_ARR <<< "$HELLO_FLAGS"

cmd() { # name port extra-flag -> CMD array
  local extra=()
  [[ -n ${3:-} ]] && extra=("$3")
  case $1 in
    raw) CMD=("$JAVA" "${JVM_ARR[@]}" "${extra[@]}" -cp "$RAW_JAR" io.phalanx.benchmarks.rawnetty.RawNettyHelloServer "$2") ;;
    helloworld|helloworld@*) local jar=$HELLO_JAR
      [[ $1 == *@* ]] && jar=${1#*@}
      CMD=("$JAVA" "${JVM_ARR[@]}" "${extra[@]}" "${HELLO_ARR[@]}" "-Dserver.http.port=$2"
      -Dserver.grpc.port=0 -Dadmin.port=0 -jar "$jar") ;;
    peer|peer@*) local jar=$RAW_JAR
      [[ $1 == *@* ]] && jar=${1#*@}
      CMD=("$JAVA" "${JVM_ARR[@]}" "${extra[@]}" -cp "$jar"
      io.phalanx.benchmarks.peers.PhalanxPeerServer "$2") ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
  esac
}

path_of() { [[ $1 == peer* ]] && echo /hello || echo /hello/world; }

tag() { local t=${1//[^A-Za-z0-9.]/_}; echo "${t#_}"; } # server name -> file-name part

MS=
start_until_200() { # name port extra-flag log -> MS, CUR_PID
  local t0 t1 code
  cmd "$1" "$2" "${3:-}"
  t0=${EPOCHREALTIME/./}
  setsid taskset -c "$SERVER_CPU" "${CMD[@]}" > "$4" 2>&1 &
  CUR_PID=$!
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$2$(path_of "$1")")
    t1=${EPOCHREALTIME/./}
    [[ $code == 200 ]] && break
    kill -0 "$CUR_PID" 2>/dev/null || { echo "$1 exited; log tail:"; tail -5 "$4"; exit 1; }
    (( t1 - t0 > 60000000 )) && { echo "$1: no 200 after 60 s"; exit 1; }
    sleep 0.01
  done
  MS=$(( (t1 - t0) / 1000 ))
}

{
  echo "date: $(date -Is); load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $("$JAVA" -version 2>&1 | head -2 | tail -1); JVM_FLAGS: $JVM_FLAGS; HELLO_FLAGS: ${HELLO_FLAGS:-(none)}"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo ' (dirty tree)'); runs $RUNS; CDS=$CDS"
} | tee "$OUT/env.txt"

declare -A FLAG
for s in $SERVERS; do
  FLAG[$s]=
  if [[ $CDS == 1 || $CDS == aot ]]; then
    archive=$OUT/raw/$(tag "$s").jsa
    train=-XX:ArchiveClassesAtExit=$archive
    if [[ $CDS == aot ]]; then
      archive=$OUT/raw/$(tag "$s").aot
      train=-XX:AOTCacheOutput=$archive
    fi
    port=$(pick_port "$PORT_BASE")
    start_until_200 "$s" "$port" "$train" "$OUT/raw/$(tag "$s").train.log"
    curl -s -o /dev/null "http://127.0.0.1:$port$(path_of "$s")"
    curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"message":"hi"}' "http://127.0.0.1:$port/echo"
    stop_tree "$CUR_PID"
    [[ -s $archive ]] || { echo "no archive written for $s (see $OUT/raw/$(tag "$s").train.log)"; exit 1; }
    echo "trained $s: $(du -h "$archive" | cut -f1) archive"
    FLAG[$s]=-XX:SharedArchiveFile=$archive
    [[ $CDS == aot ]] && FLAG[$s]=-XX:AOTCache=$archive
  fi
done

declare -A ALL
for run in $(seq "$RUNS"); do
  for s in $SERVERS; do
    port=$(pick_port "$PORT_BASE")
    start_until_200 "$s" "$port" "${FLAG[$s]}" "$OUT/raw/$(tag "$s").run$run.log"
    stop_tree "$CUR_PID"
    echo "run $run $s: first 200 after $MS ms"
    ALL[$s]+="$MS "
  done
done

{
  echo
  echo "| server | CDS | first 200 ms, median of $RUNS | all |"
  echo "| --- | --- | ---: | --- |"
  for s in $SERVERS; do
    # shellcheck disable=SC2086
    echo "| $s | $(case $CDS in 1) echo "own archive" ;; aot) echo "own AOT cache" ;; *) echo "JDK default only" ;; esac) | $(median ${ALL[$s]}) | ${ALL[$s]}|"
  done
} | tee "$OUT/summary.md"
