#!/usr/bin/env bash
# Where a start-up's CPU goes: starts a server pinned to one core, polls GET /hello/world until the
# first 200, and at that moment reads every thread's user+sys CPU time from /proc/PID/task/*/stat.
# Threads are grouped by name (digits folded, so "phalanx-http-3-1" and "phalanx-http-1-1" add
# up; the JIT's "C1 CompilerThre" and "C2 CompilerThre" stay apart). One table per start.
#
# Builds nothing. Expects benchmarks/target/benchmarks.jar and examples/helloworld/target/helloworld.jar.
# Knobs: JAVA, JVM_FLAGS (-Xms256m -Xmx256m), HELLO_FLAGS, SERVERS ("raw helloworld"), RUNS (3),
#   CDS_raw / CDS_helloworld (an archive for -XX:SharedArchiveFile, e.g. from startup.sh CDS=1 or
#   scripts/cds-train.sh), SERVER_CPU (0), CLIENT_CPU (1), PORT_BASE (18480), OUT.
# Clock ticks are 10 ms, so each figure is ±10 ms.
set -uo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
JVM_FLAGS=${JVM_FLAGS:--Xms256m -Xmx256m}
HELLO_FLAGS=${HELLO_FLAGS:-}
SERVERS=${SERVERS:-raw helloworld}
RUNS=${RUNS:-3}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-18480}
OUT=${OUT:-benchmarks/results/startup-threads-$(date +%Y%m%d-%H%M%S)}
HELLO_JAR=examples/helloworld/target/helloworld.jar
RAW_JAR=benchmarks/target/benchmarks.jar
for j in "$HELLO_JAR" "$RAW_JAR"; do [[ -f $j ]] || { echo "missing $j" >&2; exit 1; }; done
mkdir -p "$OUT/raw"
exec > >(tee -a "$OUT/summary.md") 2>&1
taskset -pc "$CLIENT_CPU" $$ >/dev/null
. benchmarks/lib.sh
read -ra JVM_ARR <<< "$JVM_FLAGS"
read -ra HELLO_ARR <<< "$HELLO_FLAGS"
TICK_MS=$(( 1000 / $(getconf CLK_TCK) ))

echo "date: $(date -Is); java: $("$JAVA" -version 2>&1 | head -2 | tail -1)"
echo "git: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (dirty tree)'); JVM_FLAGS: $JVM_FLAGS; HELLO_FLAGS: ${HELLO_FLAGS:-(none)}"
for run in $(seq "$RUNS"); do
  for s in $SERVERS; do
    port=$(pick_port "$PORT_BASE")
    cds_var=CDS_$s
    extra=()
    [[ -n ${!cds_var:-} ]] && extra=(-XX:SharedArchiveFile="${!cds_var}")
    case $s in
      raw) cmd=("$JAVA" "${JVM_ARR[@]}" "${extra[@]}" -cp "$RAW_JAR" io.phalanx.benchmarks.rawnetty.RawNettyHelloServer "$port") ;;
      helloworld) cmd=("$JAVA" "${JVM_ARR[@]}" "${extra[@]}" "${HELLO_ARR[@]}" -Dserver.http.port="$port"
        -Dserver.grpc.port=0 -Dadmin.port=0 -jar "$HELLO_JAR") ;;
      *) echo "unknown server $s" >&2; exit 2 ;;
    esac
    t0=${EPOCHREALTIME/./}
    setsid taskset -c "$SERVER_CPU" "${cmd[@]}" > "$OUT/raw/$s.run$run.log" 2>&1 &
    pid=$!
    until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/hello/world") == 200 ]]; do
      kill -0 "$pid" 2>/dev/null || { echo "$s exited; see $OUT/raw/$s.run$run.log"; exit 1; }
      sleep 0.01
    done
    t1=${EPOCHREALTIME/./}
    echo
    echo "### run $run: $s, first 200 after $(( (t1 - t0) / 1000 )) ms${extra[*]:+ (${extra[*]})}"
    echo
    echo "| threads | CPU ms |"
    echo "| --- | ---: |"
    for t in /proc/"$pid"/task/*; do
      name=$(cat "$t/comm" 2>/dev/null) || continue
      read -ra f <<< "$(sed 's/.*) //' "$t/stat" 2>/dev/null)"
      echo "$name	$(( (f[11] + f[12]) * TICK_MS ))"
    done | awk -F'\t' '{n=$1; if (n !~ /Compiler/) gsub(/[0-9]+/, "N", n); a[n]+=$2; t+=$2}
      END {for (k in a) if (a[k] > 0) printf "| %s | %d |\n", k, a[k]; printf "| **all** | **%d** |\n", t}' \
      | sort -t'|' -k3 -rn
    stop_tree "$pid" >/dev/null 2>&1
  done
done
