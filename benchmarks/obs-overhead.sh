#!/usr/bin/env bash
# Observability overhead: helloworld with Recovery only, against the same jar with the full
# observability stack, in one run, on the same JVM and flags. Rows (ROWS, in order):
#
#   recovery   all observability switches off, admin server off
#   unsampled  access log (AccessLog.Format.JSON lines, to a FILE: benchmarks/obs-logback.xml;
#              needs helloworld to build its AccessLog with that format) + metrics (Prometheus
#              registry + JVM meters) + tracing with sampling off (SDK with the no-op exporter,
#              sampler always_off: trace ids made and propagated, nothing recorded) + admin server
#   sampled    the same with every span sampled and batched to the no-op exporter (always_on):
#              full recording cost minus the network
#
# Builds nothing. Expects examples/helloworld/target/helloworld.jar
# (mvn -B -q -pl examples/helloworld -am package -DskipTests).
#
# Per row and run: start pinned to core $SERVER_CPU (setsid taskset), time to the first 200 on
# GET /hello/world (10 ms polling), check the body, warm up in $WARM_CHUNK-second wrk chunks until
# two consecutive chunks differ by <= $WARM_TOL_PCT % (between $WARMUP_MIN and $WARMUP_MAX s; the
# logic of http-load.sh), then `wrk -t1 -c$CONNS -d$DURATION --latency` on GET /hello/world
# pinned to core $CLIENT_CPU. Reported: requests/s, p50/p99, server CPU µs per request (user+sys
# ticks of the server's process tree over the measurement ÷ requests), peak RSS, and each row's
# ratio to `recovery`. Observability rows are also checked after the load: the admin server's
# /readyz answers 200, its /metrics counts GET /hello/{name}, and the access-log file has at least
# one line per request wrk completed (the log really was written).
#
# Knobs (environment): JAVA, JVM_FLAGS (default -Xms256m -Xmx256m), HELLO_FLAGS (all rows),
#   ROWS ("recovery unsampled sampled"), RUNS (1; >= 3 adds medians, order alternates),
#   DURATION (15), CONNS (64), WARMUP_MIN/WARMUP_MAX (15/45 s), WARM_CHUNK (5), WARM_TOL_PCT (10),
#   SERVER_CPU (0), CLIENT_CPU (1), PORT_BASE (18180), READY_TIMEOUT_S (60), OUT, HELLO_JAR.
# Smoke test (tiny durations, numbers meaningless):
#   DURATION=2 WARMUP_MIN=2 WARMUP_MAX=4 WARM_CHUNK=2 benchmarks/obs-overhead.sh
# Results: benchmarks/results/obs-<timestamp>/{summary.md,results.tsv,env.txt,run.log} and raw/
# (wrk outputs, warm-up curves, server logs, access-log files, metrics scrapes; git-ignored).
set -uo pipefail
cd "$(dirname "$0")/.."   # repository root
ROOT=$PWD

JAVA=${JAVA:-java}
JVM_FLAGS=${JVM_FLAGS:--Xms256m -Xmx256m}
HELLO_FLAGS=${HELLO_FLAGS:-}
ROWS=${ROWS:-recovery unsampled sampled}
RUNS=${RUNS:-1}
DURATION=${DURATION:-15}
CONNS=${CONNS:-64}
WARMUP_MIN=${WARMUP_MIN:-15}
WARMUP_MAX=${WARMUP_MAX:-45}
WARM_CHUNK=${WARM_CHUNK:-5}
WARM_TOL_PCT=${WARM_TOL_PCT:-10}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-18180}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-60}
HELLO_JAR=${HELLO_JAR:-examples/helloworld/target/helloworld.jar}
LOGBACK_XML=$ROOT/benchmarks/obs-logback.xml
OUT=${OUT:-benchmarks/results/obs-$(date +%Y%m%d-%H%M%S)}
HELLO_PATH=/hello/world
HELLO_BODY='{"message":"Hello world"}'

# --- preconditions -----------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  echo "wrk is not installed: apt-get update && apt-get install -y wrk" >&2
  exit 2
fi
for t in curl taskset setsid getconf; do
  command -v $t >/dev/null || { echo "missing tool: $t (apt-get install -y curl util-linux)" >&2; exit 2; }
done
command -v "$JAVA" >/dev/null || { echo "JAVA=$JAVA not found" >&2; exit 2; }
[[ -f $HELLO_JAR ]] || { echo "missing $HELLO_JAR: mvn -B -q -pl examples/helloworld -am package -DskipTests" >&2; exit 1; }
[[ -f $LOGBACK_XML ]] || { echo "missing $LOGBACK_XML" >&2; exit 1; }
for r in $ROWS; do
  case $r in recovery|unsampled|sampled) ;; *) echo "unknown row '$r' in ROWS (known: recovery unsampled sampled)" >&2; exit 2 ;; esac
done
[[ " $ROWS " == *" recovery "* ]] || echo "note: no 'recovery' row, so no ratios" >&2

mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw
exec > >(tee -a "$OUT/run.log") 2>&1
taskset -pc "$CLIENT_CPU" $$ >/dev/null   # polling, curl and wrk stay off the server's core
CLK_TCK=$(getconf CLK_TCK)
read -ra JVM_ARR <<< "$JVM_FLAGS"
read -ra HELLO_ARR <<< "$HELLO_FLAGS"

# --- process helpers (lib.sh: tree_pids cpu_ticks hwm_kib stop_tree pick_port to_ms median stable)
CUR_PID=
. "$ROOT/benchmarks/lib.sh"
trap '[[ -n $CUR_PID ]] && stop_tree "$CUR_PID" >/dev/null 2>&1' EXIT
trap 'echo "interrupted"; exit 130' INT TERM

OFF=(-Dobservability.access-log.enabled=false -Dobservability.metrics.enabled=false
     -Dobservability.tracing.enabled=false -Dadmin.enabled=false)
row_flags() { # row admin-port access-file -> ROW_FLAGS array
  # every row gets the file (the appender opens it at start even when nothing logs to it)
  case $1 in
    recovery)  ROW_FLAGS=("${OFF[@]}" -Dobs.access.file="$3") ;;
    unsampled) ROW_FLAGS=(-Dtracing.exporter=noop -Dtracing.sampler=always_off -Dadmin.port="$2" -Dobs.access.file="$3") ;;
    sampled)   ROW_FLAGS=(-Dtracing.exporter=noop -Dtracing.sampler=always_on -Dadmin.port="$2" -Dobs.access.file="$3") ;;
  esac
}

SPID=; READY_MS=
start_server() { # row port admin-port access-file log -> SPID, READY_MS (empty on failure)
  local row=$1 port=$2 log=$5 t0 t1 deadline code
  row_flags "$row" "$3" "$4"
  local cmd=("$JAVA" "${JVM_ARR[@]}" "${HELLO_ARR[@]}" "-Dlogback.configurationFile=$LOGBACK_XML"
    "${ROW_FLAGS[@]}" "-Dserver.http.port=$port" -Dserver.grpc.port=0 -jar "$HELLO_JAR")
  echo "  start: taskset -c $SERVER_CPU ${cmd[*]}"
  t0=${EPOCHREALTIME/./}
  setsid taskset -c "$SERVER_CPU" "${cmd[@]}" > "$log" 2>&1 &
  SPID=$!; CUR_PID=$SPID
  deadline=$((t0 + READY_TIMEOUT_S * 1000000))
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port$HELLO_PATH")
    t1=${EPOCHREALTIME/./}
    [[ $code == 200 ]] && break
    if ! kill -0 "$SPID" 2>/dev/null; then echo "  !! $row exited before serving; log tail:"; tail -5 "$log"; READY_MS=; return 1; fi
    if (( t1 > deadline )); then echo "  !! $row: no 200 after ${READY_TIMEOUT_S}s"; READY_MS=; return 1; fi
    sleep 0.01
  done
  READY_MS=$(( (t1 - t0) / 1000 ))
}

W_RPS=; W_P50=; W_P99=; W_US=; W_N=; W_ERR=; W_DETAIL=
measure() { # url outfile
  local url=$1 f=$2 u0 s0 u1 s1 t0 t1 n
  read -r u0 s0 < <(cpu_ticks "$SPID"); t0=${EPOCHREALTIME/./}
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$url" > "$f" 2>&1
  read -r u1 s1 < <(cpu_ticks "$SPID"); t1=${EPOCHREALTIME/./}
  W_RPS=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$f")
  W_P50=$(to_ms "$(awk '$1=="50%"{print $2}' "$f")")
  W_P99=$(to_ms "$(awk '$1=="99%"{print $2}' "$f")")
  n=$(awk '/ requests in /{print $1; exit}' "$f"); W_N=${n:-0}
  W_US=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$W_N" -v hz="$CLK_TCK" \
    'BEGIN { if (n <= 0) print ""; else printf "%.1f", (u + s) / hz * 1e6 / n }')
  W_DETAIL=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$W_N" -v hz="$CLK_TCK" -v us=$((t1 - t0)) \
    'BEGIN { w = us / 1e6; printf "server CPU %.0f%%, usr %.1f + sys %.1f us/req", 100 * (u + s) / hz / w,
      (n > 0 ? u / hz * 1e6 / n : 0), (n > 0 ? s / hz * 1e6 / n : 0) }')
  local non2xx sock
  non2xx=$(awk -F': *' '/Non-2xx/{print $2}' "$f"); sock=$(grep -o 'Socket errors:.*' "$f")
  W_ERR="${non2xx:+non-2xx=$non2xx }${sock}"
  echo "  GET $HELLO_PATH: ${W_RPS:-?} req/s  p50 ${W_P50} ms  p99 ${W_P99} ms  ${W_US:-?} us CPU/req  [$W_DETAIL] ${W_ERR}"
}

WARM_INFO=
warm_up() { # port file  (same rule as http-load.sh: two consecutive chunks within WARM_TOL_PCT)
  local port=$1 f=$2 t=0 prev= cur seq=""
  : > "$f"
  while :; do
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARM_CHUNK}s" "http://127.0.0.1:$port$HELLO_PATH" >> "$f" 2>&1
    cur=$(awk '/^Requests\/sec:/{v = $2} END {printf "%.0f", v}' "$f")
    t=$((t + WARM_CHUNK)); seq+="${seq:+ }$cur"
    if (( t >= WARMUP_MIN )) && [[ -n $prev ]] && stable "$prev" "$cur" "$WARM_TOL_PCT"; then break; fi
    (( t >= WARMUP_MAX )) && { seq+=" (max)"; break; }
    prev=$cur
  done
  WARM_INFO="${t}s: $seq"
  echo "  warm-up $WARM_INFO"
}

check_obs() { # admin-port tag -> "" or what is wrong (observability rows, after the load)
  local ap=$1 tag=$2 r="" code
  code=$(curl -s -o "$RAW/$tag.readyz" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$ap/readyz")
  [[ $code == 200 ]] || r+="readyz=$code "
  code=$(curl -s -o "$RAW/$tag.metrics" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$ap/metrics")
  [[ $code == 200 ]] || r+="metrics=$code "
  grep -q '^phalanx_server_requests_seconds_count{.*operation="GET /hello/{name}"' "$RAW/$tag.metrics" 2>/dev/null \
    || r+="no-request-metric "
  echo "$r"
}

# --- environment -------------------------------------------------------------------------------
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm); $(lscpu 2>/dev/null | awk -F': *' '/Model name/{print $2}'); $(nproc --all) cpus"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $JAVA ($("$JAVA" -version 2>&1 | head -2 | tail -1))"
  echo "JVM_FLAGS: $JVM_FLAGS"
  echo "HELLO_FLAGS: ${HELLO_FLAGS:-(none)}"
  echo "logging: -Dlogback.configurationFile=benchmarks/obs-logback.xml (access log: AccessLog.Format.JSON lines through %msg%n, synchronous FileAppender, immediateFlush=false, 256 KiB buffer)"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty tree)')"
  echo "params: rows [$ROWS], runs $RUNS, server cpu $SERVER_CPU, client cpu $CLIENT_CPU, wrk -t1 -c$CONNS -d${DURATION}s GET $HELLO_PATH;" \
       "warm-up ${WARM_CHUNK}s chunks until two consecutive within ${WARM_TOL_PCT}% (${WARMUP_MIN}-${WARMUP_MAX}s)"
} | tee "$OUT/env.txt"

# --- runs --------------------------------------------------------------------------------------
TSV=$OUT/results.tsv
printf 'run\trow\tready_ms\trps\tp50_ms\tp99_ms\tcpu_us\tpeak_rss_mib\tcheck\twarm\tdetail\n' > "$TSV"
read -ra ORDER <<< "$ROWS"
T_START=$SECONDS
for run in $(seq "$RUNS"); do
  rows=("${ORDER[@]}")
  if (( run % 2 == 0 )); then rows=(); for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do rows+=("${ORDER[$i]}"); done; fi
  for row in "${rows[@]}"; do
    echo; echo "=== run $run/$RUNS: $row  load $(cut -d' ' -f1-3 /proc/loadavg)  t=$((SECONDS - T_START))s"
    tag=$row.run$run
    port=$(pick_port "$PORT_BASE")
    aport=$(pick_port $((port + 1)))
    access=$RAW/$tag.access.log
    ready=; rps=; p50=; p99=; us=; rss=; chk=; wi=; det=
    if start_server "$row" "$port" "$aport" "$access" "$RAW/$tag.server.log"; then
      ready=$READY_MS
      echo "  first 200 after ${ready} ms (pid $SPID, port $port)"
      body=$(curl -s --max-time 5 "http://127.0.0.1:$port$HELLO_PATH")
      [[ $body == "$HELLO_BODY" ]] || chk+="body($(head -c 80 <<< "$body")) "
      warm_up "$port" "$RAW/$tag.warm.txt"; wi=$WARM_INFO
      measure "http://127.0.0.1:$port$HELLO_PATH" "$RAW/$tag.get.txt"
      rps=$W_RPS p50=$W_P50 p99=$W_P99 us=$W_US det=$W_DETAIL
      [[ -n $W_ERR ]] && chk+="errors($W_ERR) "
      n_measured=$W_N
      [[ $row != recovery ]] && chk+=$(check_obs "$aport" "$tag")
      rss=$(awk -v k="$(hwm_kib "$SPID")" 'BEGIN { printf "%.0f", k / 1024 }')
      stop_tree "$SPID"   # SIGTERM: logback's shutdown hook flushes the access-log buffer
      if [[ $row != recovery ]]; then
        lines=$(grep -c '"loggerName":"phalanx.access"' "$access" 2>/dev/null); lines=${lines:-0}
        echo "  access log: $lines lines ($access); measured requests: $n_measured"
        (( lines >= n_measured && n_measured > 0 )) || chk+="access-log-lines($lines<$n_measured) "
      fi
      echo "  peak RSS (VmHWM): $rss MiB; check: ${chk:-ok}"
    else
      chk=FAILED-to-start
      stop_tree "$SPID"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$row" "$ready" "$rps" "$p50" "$p99" "$us" \
      "$rss" "${chk:-ok}" "$wi" "$det" >> "$TSV"
  done
done
echo; echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg); total $((SECONDS - T_START)) s" | tee -a "$OUT/env.txt"

# --- tables ------------------------------------------------------------------------------------
# results.tsv columns used: 3 ready, 4 rps, 6 p99, 7 cpu_us, 8 rss
COLS=(4 6 7 8 3)
HDR='| row | GET rps | p99 ms | CPU µs/req | peak RSS MiB | first 200 ms | rps / recovery | p99 / recovery | CPU µs / recovery |'
SEP='| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
row_values() { # run row -> COLS values, tab separated
  awk -F'\t' -v r="$1" -v s="$2" -v cols="${COLS[*]}" 'BEGIN { n = split(cols, c, " ") }
    $1 == r && $2 == s { for (i = 1; i <= n; i++) printf "%s%s", $c[i], (i < n ? "\t" : "\n") }' "$TSV"
}
md_row() { # name values base-values
  awk -F'\t' -v name="$1" -v v="$2" -v b="$3" 'BEGIN { n = split(v, x, "\t"); split(b, y, "\t"); printf "| %s |", name
    for (i = 1; i <= n; i++) printf " %s |", (x[i] == "" ? "-" : x[i])
    for (i = 1; i <= 3; i++) printf " %s |", (x[i] != "" && y[i] != "" && y[i] + 0 > 0) ? sprintf("%.3f", x[i] / y[i]) : "-"
    printf "\n" }'
}
{
  for run in $(seq "$RUNS"); do
    echo; echo "### run $run"; echo; echo "$HDR"; echo "$SEP"
    base=$(row_values "$run" recovery)
    for row in "${ORDER[@]}"; do md_row "$row" "$(row_values "$run" "$row")" "$base"; done
  done
  if (( RUNS >= 3 )); then
    echo; echo "### median of $RUNS runs"; echo; echo "$HDR"; echo "$SEP"
    declare -A MED
    for row in "${ORDER[@]}"; do
      vals=""
      for ci in "${COLS[@]}"; do
        m=$(median $(awk -F'\t' -v s="$row" -v c="$ci" '$2 == s && NR > 1 { print $c }' "$TSV"))
        vals+="${vals:+$'\t'}$m"
      done
      MED[$row]=$vals
    done
    for row in "${ORDER[@]}"; do md_row "$row" "${MED[$row]}" "${MED[recovery]:-}"; done
  fi
  echo
  echo "Rows: recovery = Recovery only (observability and admin off); unsampled = + access log to a file,"
  echo "metrics, tracing with sampler always_off, admin server; sampled = the same with always_on to a no-op exporter."
  echo "Target: the full stack costs <= 15 % of requests/s (rps / recovery >= 0.85)."
  echo "CPU us/req: server process tree user+sys CPU time during the measurement / requests completed."
  echo
  echo "checks and warm-up (rps per ${WARM_CHUNK}s chunk):"
  awk -F'\t' 'NR > 1 { printf "- run %s %s: check %s; warm-up [%s]; %s\n", $1, $2, $9, $10, $11 }' "$TSV"
} | tee "$OUT/summary.md"
echo; echo "results: $OUT"
