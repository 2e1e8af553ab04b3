#!/usr/bin/env bash
# HTTP load comparison: the helloworld example (Phalanx) against the raw-Netty reference server
# (io.phalanx.benchmarks.rawnetty.RawNettyHelloServer), in one run, on the same JVM and flags.
#
# Builds nothing. Expects (from the repository root):
#   mvn -B -q -pl benchmarks -am package -DskipTests        -> benchmarks/target/benchmarks.jar
#   mvn -B -q -pl examples/helloworld -am package -DskipTests -> examples/helloworld/target/helloworld.jar
#
# Per server and run: start it pinned to core $SERVER_CPU (setsid taskset), measure time to the
# first 200 on GET /hello/world (10 ms polling), check the response bytes, warm up in
# $WARM_CHUNK-second wrk chunks until two consecutive chunks differ by <= $WARM_TOL_PCT % (GET at
# least $GET_WARMUP_MIN s, at most $GET_WARMUP_MAX s; POST likewise), then measure
# `wrk -t1 -c$CONNS -d$DURATION --latency` on GET /hello/world and POST /echo (a ~200-byte JSON
# body, Lua script) pinned to core $CLIENT_CPU. Records requests/s, p50/p99, server CPU time per
# request (user+sys ticks of the server process tree from /proc/PID/stat over the measurement),
# peak RSS (VmHWM) and the ratios helloworld/raw. The script itself runs on $CLIENT_CPU too.
#
# Knobs (environment):
#   JAVA          java binary (default: java; e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java)
#   JVM_FLAGS     flags for both servers (default: -Xms256m -Xmx256m)
#   HELLO_FLAGS   extra flags for helloworld only, e.g. -Dserver.http.inline=true (routes on the
#                 event loop) or -Dphalanx.executor=platform (thread pool instead of virtual threads)
#   DURATION      seconds per measurement (default 15)          CONNS  wrk connections (default 64)
#   RUNS          repetitions of the whole comparison (default 1); >= 3 adds a median table
#   SERVERS       which rows, in order (default "raw helloworld")
#   GET_WARMUP_MIN/GET_WARMUP_MAX (15/45 s)  POST_WARMUP_MIN/POST_WARMUP_MAX (5/30 s)
#   WARM_CHUNK (5 s)  WARM_TOL_PCT (10)  SERVER_CPU (0)  CLIENT_CPU (1)  PORT_BASE (18080)
#   READY_TIMEOUT_S (60)  POST_BODY (JSON posted to /echo)  OUT (results dir)
#   HELLO_JAR RAW_JAR (jar paths)
#   MEMORY=1      where the peak RSS goes (diagnostic; its own runs, the tracking itself costs a
#                 few MiB and some speed): both servers get -XX:NativeMemoryTracking=summary and,
#                 on JDKs that have it (21+), -XX:CompileCommand=MemStat,*::*,collect; after the
#                 load, raw/<tag>.memory.txt holds the RSS of the Java heap mapping and of the rest
#                 (from /proc/PID/smaps), `jcmd VM.native_memory summary`, and the ten JIT
#                 compilations that needed the most compiler memory (`jcmd Compiler.memory`).
# Results: benchmarks/results/<timestamp>/{summary.md,results.tsv,env.txt,run.log} and raw/
# (wrk outputs, server logs, warm-up curves; git-ignored by benchmarks/.gitignore).
set -uo pipefail
cd "$(dirname "$0")/.."   # repository root
ROOT=$PWD

JAVA=${JAVA:-java}
JVM_FLAGS=${JVM_FLAGS:--Xms256m -Xmx256m}
HELLO_FLAGS=${HELLO_FLAGS:-}
DURATION=${DURATION:-15}
CONNS=${CONNS:-64}
RUNS=${RUNS:-1}
SERVERS=${SERVERS:-raw helloworld}
GET_WARMUP_MIN=${GET_WARMUP_MIN:-15}
GET_WARMUP_MAX=${GET_WARMUP_MAX:-45}
POST_WARMUP_MIN=${POST_WARMUP_MIN:-5}
POST_WARMUP_MAX=${POST_WARMUP_MAX:-30}
WARM_CHUNK=${WARM_CHUNK:-5}
WARM_TOL_PCT=${WARM_TOL_PCT:-10}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-18080}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-60}
HELLO_JAR=${HELLO_JAR:-examples/helloworld/target/helloworld.jar}
RAW_JAR=${RAW_JAR:-benchmarks/target/benchmarks.jar}
OUT=${OUT:-benchmarks/results/$(date +%Y%m%d-%H%M%S)}
# ~200 bytes of JSON that helloworld's typed /echo (record Echo(String message)) decodes and
# re-encodes to the same bytes, so both servers return exactly what was sent. A body with other
# fields would be echoed as {"message":null} by helloworld: a different, cheaper reply.
POST_BODY=${POST_BODY:-'{"message":"Phalanx load test: a small JSON document posted to /echo and expected back byte for byte; about two hundred bytes long, plain ASCII, nothing to escape, so re-encoding cannot alter it."}'}
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
for s in $SERVERS; do
  case $s in
    raw) [[ -f $RAW_JAR ]] || { echo "missing $RAW_JAR: mvn -B -q -pl benchmarks -am package -DskipTests" >&2; exit 1; } ;;
    helloworld) [[ -f $HELLO_JAR ]] || { echo "missing $HELLO_JAR: mvn -B -q -pl examples/helloworld -am package -DskipTests" >&2; exit 1; } ;;
    *) echo "unknown server '$s' in SERVERS (known: raw helloworld)" >&2; exit 2 ;;
  esac
done
if (( $(nproc --all) < 2 )) && [[ $SERVER_CPU != "$CLIENT_CPU" ]]; then
  echo "warning: fewer than 2 CPUs; server and client share a core" >&2
fi

mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw
exec > >(tee -a "$OUT/run.log") 2>&1
# Everything this script does (polling, curl, wrk) stays off the server's core.
taskset -pc "$CLIENT_CPU" $$ >/dev/null

MEMORY=${MEMORY:-0}
read -ra JVM_ARR <<< "$JVM_FLAGS"
read -ra HELLO_ARR <<< "$HELLO_FLAGS"
if [[ $MEMORY == 1 ]]; then
  JVM_ARR+=(-XX:NativeMemoryTracking=summary)
  if "$JAVA" -XX:CompileCommand=MemStat,java.lang.Object::hashCode,collect -version >/dev/null 2>&1; then
    JVM_ARR+=('-XX:CompileCommand=quiet' '-XX:CompileCommand=MemStat,*::*,collect')
  fi
fi
CLK_TCK=$(getconf CLK_TCK)

printf '%s' "$POST_BODY" > "$OUT/post.json"
# Lua single-quoted string: the body must not contain a single quote or backslash.
if [[ $POST_BODY == *"'"* || $POST_BODY == *'\'* ]]; then echo "POST_BODY must not contain ' or \\" >&2; exit 2; fi
cat > "$OUT/post.lua" <<EOF
wrk.method = "POST"
wrk.body   = '$POST_BODY'
wrk.headers["Content-Type"] = "application/json"
EOF

# --- process helpers (lib.sh: tree_pids cpu_ticks hwm_kib stop_tree pick_port to_ms median) ---
CUR_PID=
. "$ROOT/benchmarks/lib.sh"
trap '[[ -n $CUR_PID ]] && stop_tree "$CUR_PID" >/dev/null 2>&1' EXIT
trap 'echo "interrupted"; exit 130' INT TERM

server_cmd() { # name port -> SERVER_CMD array
  case $1 in
    raw)        SERVER_CMD=("$JAVA" "${JVM_ARR[@]}" -cp "$RAW_JAR" io.phalanx.benchmarks.rawnetty.RawNettyHelloServer "$2") ;;
    # helloworld also serves gRPC: an ephemeral port for it, so no fixed port (9000) can clash
    helloworld) SERVER_CMD=("$JAVA" "${JVM_ARR[@]}" "${HELLO_ARR[@]}" "-Dserver.http.port=$2" -Dserver.grpc.port=0 -jar "$HELLO_JAR") ;;
  esac
}

SPID=; READY_MS=
start_server() { # name port log -> SPID, READY_MS (empty on failure)
  local name=$1 port=$2 log=$3 t0 t1 deadline code
  server_cmd "$name" "$port"
  echo "  start: taskset -c $SERVER_CPU ${SERVER_CMD[*]}"
  t0=${EPOCHREALTIME/./}
  # setsid: own session, so a Ctrl-C of this script reaches the server only through our trap.
  # setsid/taskset exec in place: $! is the JVM itself.
  setsid taskset -c "$SERVER_CPU" "${SERVER_CMD[@]}" > "$log" 2>&1 &
  SPID=$!; CUR_PID=$SPID
  deadline=$((t0 + READY_TIMEOUT_S * 1000000))
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port$HELLO_PATH")
    t1=${EPOCHREALTIME/./}
    [[ $code == 200 ]] && break
    if ! kill -0 "$SPID" 2>/dev/null; then echo "  !! $name exited before serving; log tail:"; tail -5 "$log"; READY_MS=; return 1; fi
    if (( t1 > deadline )); then echo "  !! $name: no 200 after ${READY_TIMEOUT_S}s"; READY_MS=; return 1; fi
    sleep 0.01
  done
  READY_MS=$(( (t1 - t0) / 1000 ))
}

memory_report() { # pid file: where the resident memory is, while the server still runs
  local pid=$1 f=$2 heap_kib
  heap_kib=$(max_heap_kib)
  {
    echo "VmHWM $(hwm_kib "$pid") KiB, VmRSS $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status") KiB"
    # the Java heap is the one anonymous mapping of exactly -Xmx (reserved and committed up front
    # with -Xms = -Xmx); everything else is the JVM's native memory, libraries and the CDS archive
    awk -v heap="$heap_kib" '
      /^[0-9a-f]+-[0-9a-f]+ / { anon = ($6 == ""); size = 0 }
      /^Size:/ { size = $2 }
      /^Rss:/  { if (anon && size == heap) h += $2; else if (anon) a += $2; else f += $2 }
      END { printf "RSS now: Java heap mapping %d KiB, other anonymous %d KiB, file-backed %d KiB\n", h, a, f }' "/proc/$pid/smaps"
    echo; jcmd "$pid" VM.native_memory summary 2>&1 | sed -n '/^Total/,$p'
    echo "Compilations with the largest compiler memory peak (MiB, method):"
    jcmd "$pid" Compiler.memory verbose 2>&1 \
      | awk '/^ *Method *:/ { m = $3 } /^ *Arena Usage at peak/ { gsub(/[()M]/, "", $7); print $7, m }' \
      | sort -rn | head -10
  } > "$f"
  echo "  memory: $(sed -n 2p "$f"); largest compilation: $(grep -A1 '^Compilations' "$f" | tail -1)"
}

max_heap_kib() { # the -Xmx of JVM_FLAGS in KiB (default 256 MiB)
  local x=256m v
  for v in "${JVM_ARR[@]}"; do [[ $v == -Xmx* ]] && x=${v#-Xmx}; done
  case ${x,,} in
    *g) echo $(( ${x%[gG]} * 1024 * 1024 )) ;; *m) echo $(( ${x%[mM]} * 1024 )) ;;
    *k) echo "${x%[kK]}" ;; *) echo $(( x / 1024 )) ;;
  esac
}

verify() { # port -> "ok" or what differs; also keeps both responses with headers in raw/
  local port=$1 tag=$2 r="" h b code
  h=$RAW/$tag.get.headers; b=$RAW/$tag.get.body
  code=$(curl -s -D "$h" -o "$b" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port$HELLO_PATH")
  [[ $code == 200 ]] || r+="GET=$code "
  grep -qi '^content-type: *application/json' "$h" || r+="GET-content-type($(grep -i '^content-type' "$h" | tr -d '\r')) "
  [[ $(cat "$b") == "$HELLO_BODY" ]] || r+="GET-body($(head -c 80 "$b")) "
  h=$RAW/$tag.post.headers; b=$RAW/$tag.post.body
  code=$(curl -s -D "$h" -o "$b" -w '%{http_code}' --max-time 5 -H 'content-type: application/json' \
    --data-binary @"$OUT/post.json" "http://127.0.0.1:$port/echo")
  [[ $code == 200 ]] || r+="POST=$code "
  grep -qi '^content-type: *application/json' "$h" || r+="POST-content-type($(grep -i '^content-type' "$h" | tr -d '\r')) "
  if ! cmp -s "$b" "$OUT/post.json"; then
    # A typed echo re-encodes the body: same JSON value but not the same bytes is worth knowing.
    if command -v python3 >/dev/null && python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$b" "$OUT/post.json" 2>/dev/null; then
      r+="POST-body-same-json-other-bytes($(stat -c %s "$b")B) "
    else
      r+="POST-body($(head -c 80 "$b")) "
    fi
  fi
  echo "${r:-ok}"
}


W_RPS=; W_P50=; W_P99=; W_US=; W_ERR=; W_DETAIL=
measure() { # label url outfile [lua]
  local label=$1 url=$2 f=$3 lua=${4:-} u0 s0 u1 s1 t0 t1 n cu cs
  local args=(-t1 -c"$CONNS" -d"${DURATION}s" --latency)
  [[ -n $lua ]] && args+=(-s "$lua")
  read -r u0 s0 < <(cpu_ticks "$SPID"); t0=${EPOCHREALTIME/./}
  local TIMEFORMAT='%U %S'
  { time taskset -c "$CLIENT_CPU" wrk "${args[@]}" "$url" > "$f" 2>&1 ; } 2> "$f.client-cpu"
  read -r u1 s1 < <(cpu_ticks "$SPID"); t1=${EPOCHREALTIME/./}
  read -r cu cs < "$f.client-cpu"
  W_RPS=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$f")
  W_P50=$(to_ms "$(awk '$1=="50%"{print $2}' "$f")")
  W_P99=$(to_ms "$(awk '$1=="99%"{print $2}' "$f")")
  n=$(awk '/ requests in /{print $1; exit}' "$f")
  W_US=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="${n:-0}" -v hz="$CLK_TCK" \
    'BEGIN { if (n <= 0) print ""; else printf "%.1f", (u + s) / hz * 1e6 / n }')
  W_DETAIL=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="${n:-0}" -v hz="$CLK_TCK" -v us=$((t1 - t0)) -v cu="$cu" -v cs="$cs" \
    'BEGIN { w = us / 1e6; printf "server CPU %.0f%% (usr %.0f%% sys %.0f%%), usr %.1f + sys %.1f us/req; wrk CPU %.0f%%",
      100 * (u + s) / hz / w, 100 * u / hz / w, 100 * s / hz / w, (n > 0 ? u / hz * 1e6 / n : 0), (n > 0 ? s / hz * 1e6 / n : 0), 100 * (cu + cs) / w }')
  local non2xx sock
  non2xx=$(awk -F': *' '/Non-2xx/{print $2}' "$f"); sock=$(grep -o 'Socket errors:.*' "$f")
  W_ERR="${non2xx:+non-2xx=$non2xx }${sock}"
  echo "  $label: ${W_RPS:-?} req/s  p50 ${W_P50} ms  p99 ${W_P99} ms  ${W_US:-?} us CPU/req  [$W_DETAIL] ${W_ERR}"
}

WARM_INFO=
warm_up() { # get|post port file min max
  local kind=$1 port=$2 f=$3 min=$4 max=$5 t=0 prev= cur seq=""
  : > "$f"
  while :; do
    if [[ $kind == get ]]; then
      taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARM_CHUNK}s" "http://127.0.0.1:$port$HELLO_PATH" >> "$f" 2>&1
    else
      taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARM_CHUNK}s" -s "$OUT/post.lua" "http://127.0.0.1:$port/echo" >> "$f" 2>&1
    fi
    cur=$(awk '/^Requests\/sec:/{v = $2} END {printf "%.0f", v}' "$f")
    t=$((t + WARM_CHUNK)); seq+="${seq:+ }$cur"
    if (( t >= min )) && [[ -n $prev ]] && (( prev > 0 )) && awk -v a="$prev" -v b="$cur" -v tol="$WARM_TOL_PCT" \
        'BEGIN { d = (b > a) ? b - a : a - b; m = (b > a) ? b : a; exit !(100 * d / m <= tol) }'; then break; fi
    (( t >= max )) && { seq+=" (max)"; break; }
    prev=$cur
  done
  WARM_INFO="${t}s: $seq"
  echo "  warm-up $kind $WARM_INFO"
}


# --- environment -------------------------------------------------------------------------------
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm); $(lscpu 2>/dev/null | awk -F': *' '/Model name/{print $2}'); $(nproc --all) cpus; $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $JAVA ($("$JAVA" -version 2>&1 | head -2 | tail -1))"
  echo "JVM_FLAGS: $JVM_FLAGS"
  echo "HELLO_FLAGS: ${HELLO_FLAGS:-(none)}"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty tree)')"
  echo "params: servers [$SERVERS], runs $RUNS, server cpu $SERVER_CPU, client cpu $CLIENT_CPU, wrk -t1 -c$CONNS -d${DURATION}s;" \
       "warm-up ${WARM_CHUNK}s chunks until two consecutive within ${WARM_TOL_PCT}% (GET ${GET_WARMUP_MIN}-${GET_WARMUP_MAX}s, POST ${POST_WARMUP_MIN}-${POST_WARMUP_MAX}s);" \
       "POST body $(stat -c %s "$OUT/post.json") bytes"
} | tee "$OUT/env.txt"

# --- runs --------------------------------------------------------------------------------------
TSV=$OUT/results.tsv
printf 'run\tserver\tready_ms\tget_rps\tget_p50_ms\tget_p99_ms\tget_cpu_us\tpost_rps\tpost_p50_ms\tpost_p99_ms\tpost_cpu_us\tpeak_rss_mib\tverify\twarm_get\twarm_post\tget_detail\tpost_detail\n' > "$TSV"
read -ra ORDER <<< "$SERVERS"
T_START=$SECONDS
for run in $(seq "$RUNS"); do
  # Alternate the order between runs so slow drift of the host does not always favour one row.
  rows=("${ORDER[@]}")
  if (( run % 2 == 0 )); then rows=(); for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do rows+=("${ORDER[$i]}"); done; fi
  for name in "${rows[@]}"; do
    echo; echo "=== run $run/$RUNS: $name  load $(cut -d' ' -f1-3 /proc/loadavg)  t=$((SECONDS - T_START))s"
    tag=$name.run$run
    port=$(pick_port "$PORT_BASE")
    ready=; get_rps=; get_p50=; get_p99=; get_us=; post_rps=; post_p50=; post_p99=; post_us=; rss=; ver=; wg=; wp=; gd=; pd=
    if start_server "$name" "$port" "$RAW/$tag.server.log"; then
      ready=$READY_MS
      echo "  first 200 after ${ready} ms (pid $SPID, $(cat /proc/$SPID/comm 2>/dev/null), port $port)"
      ver=$(verify "$port" "$tag"); echo "  verify: $ver"
      warm_up get "$port" "$RAW/$tag.warm-get.txt" "$GET_WARMUP_MIN" "$GET_WARMUP_MAX"; wg=$WARM_INFO
      measure "GET  $HELLO_PATH" "http://127.0.0.1:$port$HELLO_PATH" "$RAW/$tag.get.txt"
      get_rps=$W_RPS get_p50=$W_P50 get_p99=$W_P99 get_us=$W_US gd=$W_DETAIL
      [[ -n $W_ERR ]] && ver+=" get-errors($W_ERR)"
      warm_up post "$port" "$RAW/$tag.warm-post.txt" "$POST_WARMUP_MIN" "$POST_WARMUP_MAX"; wp=$WARM_INFO
      measure "POST /echo" "http://127.0.0.1:$port/echo" "$RAW/$tag.post.txt" "$OUT/post.lua"
      post_rps=$W_RPS post_p50=$W_P50 post_p99=$W_P99 post_us=$W_US pd=$W_DETAIL
      [[ -n $W_ERR ]] && ver+=" post-errors($W_ERR)"
      rss=$(awk -v k="$(hwm_kib "$SPID")" 'BEGIN { printf "%.0f", k / 1024 }')
      echo "  peak RSS (VmHWM): $rss MiB; threads: $(ls /proc/$SPID/task 2>/dev/null | wc -l)"
      [[ $MEMORY == 1 ]] && memory_report "$SPID" "$RAW/$tag.memory.txt"
      stop_tree "$SPID"
    else
      ver=FAILED-to-start
      stop_tree "$SPID"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$name" "$ready" \
      "$get_rps" "$get_p50" "$get_p99" "$get_us" "$post_rps" "$post_p50" "$post_p99" "$post_us" "$rss" \
      "$ver" "$wg" "$wp" "$gd" "$pd" >> "$TSV"
  done
done
echo; echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg); total $((SECONDS - T_START)) s" | tee -a "$OUT/env.txt"

# --- tables ------------------------------------------------------------------------------------
# columns of results.tsv used below: 3 ready, 4 get_rps, 6 get_p99, 7 get_us, 8 post_rps,
# 10 post_p99, 11 post_us, 12 rss
COLS=(3 4 6 7 8 10 11 12)
HDR='| server | first 200 ms | GET rps | GET p99 ms | GET CPU us/req | POST rps | POST p99 ms | POST CPU us/req | peak RSS MiB |'
SEP='| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
row_values() { # run server -> the COLS values, tab separated ("" if missing)
  awk -F'\t' -v r="$1" -v s="$2" -v cols="${COLS[*]}" 'BEGIN { n = split(cols, c, " ") }
    $1 == r && $2 == s { for (i = 1; i <= n; i++) printf "%s%s", $c[i], (i < n ? "\t" : "\n") }' "$TSV"
}
ratio_row() { # values-of-helloworld values-of-raw -> markdown ratio row (helloworld/raw)
  awk -F'\t' -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, "\t"); split(b, y, "\t"); printf "| **helloworld / raw** |"
    for (i = 1; i <= n; i++) printf " %s |", (x[i] != "" && y[i] != "" && y[i] + 0 > 0) ? sprintf("%.2f", x[i] / y[i]) : "-"
    printf "\n" }'
}
md_row() { awk -F'\t' -v name="$1" -v v="$2" 'BEGIN { n = split(v, x, "\t"); printf "| %s |", name
  for (i = 1; i <= n; i++) printf " %s |", (x[i] == "" ? "-" : x[i]); printf "\n" }'; }

{
  for run in $(seq "$RUNS"); do
    echo; echo "### run $run"; echo; echo "$HDR"; echo "$SEP"
    for name in "${ORDER[@]}"; do md_row "$name" "$(row_values "$run" "$name")"; done
    if [[ " ${ORDER[*]} " == *" raw "* && " ${ORDER[*]} " == *" helloworld "* ]]; then
      ratio_row "$(row_values "$run" helloworld)" "$(row_values "$run" raw)"
    fi
  done
  if (( RUNS >= 3 )); then
    echo; echo "### median of $RUNS runs"; echo; echo "$HDR"; echo "$SEP"
    declare -A MED
    for name in "${ORDER[@]}"; do
      vals=""
      for ci in "${COLS[@]}"; do
        m=$(median $(awk -F'\t' -v s="$name" -v c="$ci" '$2 == s && NR > 1 { print $c }' "$TSV"))
        vals+="${vals:+$'\t'}$m"
      done
      MED[$name]=$vals
      md_row "$name" "$vals"
    done
    if [[ -n ${MED[raw]:-} && -n ${MED[helloworld]:-} ]]; then ratio_row "${MED[helloworld]}" "${MED[raw]}"; fi
  fi
  # Same bytes on the wire matter as much as the same body: list any header-name difference.
  for route in get post; do
    a=$RAW/raw.run1.$route.headers; b=$RAW/helloworld.run1.$route.headers
    if [[ -f $a && -f $b ]]; then
      d=$(diff <(tr -d '\r' < "$a" | awk -F: 'NR > 1 && NF { print tolower($1) }' | sort) \
               <(tr -d '\r' < "$b" | awk -F: 'NR > 1 && NF { print tolower($1) }' | sort) | grep '^[<>]' | tr '\n' ' ')
      echo; echo "response header names, ${route^^} (raw vs helloworld): ${d:-identical}"
    fi
  done
  echo
  echo "Ratios are helloworld / raw (rps: higher is better; p99, CPU us/req, RSS, first 200: lower is better)."
  echo "CPU us/req: server process user+sys CPU time during the measurement / requests completed."
  echo
  echo "verify and warm-up (rps per ${WARM_CHUNK}s chunk):"
  awk -F'\t' 'NR > 1 { printf "- run %s %s: verify %s; warm-up GET [%s] POST [%s]\n  GET: %s\n  POST: %s\n", $1, $2, $13, $14, $15, $16, $17 }' "$TSV"
} | tee "$OUT/summary.md"
echo; echo "results: $OUT"
