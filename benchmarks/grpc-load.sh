#!/usr/bin/env bash
# gRPC load comparison: the helloworld example's gRPC server (Phalanx GrpcServer serving
# helloworld.v1.Greeter) against plain grpc-java serving the same service
# (io.phalanx.benchmarks.grpcraw.PlainGrpcGreeterServer, directExecutor, same grpc-java and Netty),
# in one run, on the same JVM and flags; plus, where helloworld transcodes HTTP/JSON to the Greeter,
# GET /helloworld/world (transcoded) against GET /hello/world (hand-written route) on one process.
#
# Builds nothing. Expects (from the repository root):
#   mvn -B -q -pl benchmarks -am package -DskipTests         -> benchmarks/target/benchmarks.jar
#   mvn -B -q -pl examples/helloworld -am package -DskipTests -> examples/helloworld/target/helloworld.jar
#
# gRPC rows (per server and run): start it pinned to core $SERVER_CPU (setsid taskset), measure
# time to the first OK call (HTTP 200 + grpc-status 0, curl h2c polling every 10 ms), check one
# call byte for byte with curl --http2-prior-knowledge (status, grpc-status 0 in the trailers, the
# exact 18-byte reply frame), warm up in $WARM_CHUNK-second h2load chunks until two consecutive
# chunks differ by <= $WARM_TOL_PCT % ($WARMUP_MIN..$WARMUP_MAX s), then measure
# `h2load -t1 -c$CONNS -m$STREAMS -D $DURATION` (POST /helloworld.v1.Greeter/SayHello, body file =
# 5-byte gRPC frame header + HelloRequest{name:"world"}, content-type application/grpc, te trailers)
# pinned to core $CLIENT_CPU, check that every 2xx response carried exactly one reply frame (h2load
# counts HTTP 200 as success even for a failed call, but a failed call is trailers-only: no DATA),
# and repeat the curl check after the load.
# Recorded: calls/s, h2load's request time mean/sd/max (h2load has no percentiles), server CPU µs
# per call (user+sys ticks of the server process tree from /proc/PID/stat over the measurement),
# peak RSS (VmHWM), time to first OK call, ratios helloworld/plain.
#
# Transcoding row ("transcoding" in SERVERS): a fresh helloworld process; if GET /helloworld/world
# on its HTTP port answers 200, wrk (-t1 -c$TC_CONNS -d$DURATION --latency) on GET /hello/world and
# on GET /helloworld/world, each after its own adaptive warm-up; else "transcoding not available".
#
# Knobs (environment):
#   JAVA          java binary (default: java; e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java)
#   JVM_FLAGS     flags for every server (default: -Xms256m -Xmx256m)
#   HELLO_FLAGS   extra flags for helloworld only, e.g. -Dserver.grpc.inline=true (Greeter on the
#                 event loop) or -Dphalanx.executor=platform
#   SERVERS       rows, in order (default "plain helloworld transcoding"; "plain-defexec" is plain
#                 grpc-java with its default executor, added after "plain" when GRPC_DEFAULT_EXEC=1)
#   DURATION      seconds per measurement (default 15)   CONNS/STREAMS h2load -c/-m (16/16)
#   TC_CONNS      wrk connections for the transcoding row (64)
#   RUNS          repetitions of the whole comparison (default 1); >= 3 adds a median table
#   WARMUP_MIN/WARMUP_MAX (10/45 s)  TC_WARMUP_MIN/TC_WARMUP_MAX (10/45 s)  WARM_CHUNK (5 s)
#   WARM_TOL_PCT (10)  SERVER_CPU (0)  CLIENT_CPU (1)  PORT_BASE (19080)  READY_TIMEOUT_S (60)
#   OUT (results dir)  HELLO_JAR BENCH_JAR (jar paths)
# Results: benchmarks/results/<timestamp>/{summary.md,results.tsv,env.txt,run.log} and raw/
# (h2load/wrk outputs, warm-up curves, response headers/trailers and bodies, server logs).
set -uo pipefail
cd "$(dirname "$0")/.."   # repository root
ROOT=$PWD

JAVA=${JAVA:-java}
JVM_FLAGS=${JVM_FLAGS:--Xms256m -Xmx256m}
HELLO_FLAGS=${HELLO_FLAGS:-}
DURATION=${DURATION:-15}
CONNS=${CONNS:-16}
STREAMS=${STREAMS:-16}
TC_CONNS=${TC_CONNS:-64}
RUNS=${RUNS:-1}
GRPC_DEFAULT_EXEC=${GRPC_DEFAULT_EXEC:-0}
if [[ -z ${SERVERS:-} ]]; then
  SERVERS="plain"; [[ $GRPC_DEFAULT_EXEC == 1 ]] && SERVERS+=" plain-defexec"; SERVERS+=" helloworld transcoding"
fi
WARMUP_MIN=${WARMUP_MIN:-10}
WARMUP_MAX=${WARMUP_MAX:-45}
TC_WARMUP_MIN=${TC_WARMUP_MIN:-10}
TC_WARMUP_MAX=${TC_WARMUP_MAX:-45}
WARM_CHUNK=${WARM_CHUNK:-5}
WARM_TOL_PCT=${WARM_TOL_PCT:-10}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-19080}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-60}
HELLO_JAR=${HELLO_JAR:-examples/helloworld/target/helloworld.jar}
BENCH_JAR=${BENCH_JAR:-benchmarks/target/benchmarks.jar}
OUT=${OUT:-benchmarks/results/grpc-$(date +%Y%m%d-%H%M%S)}
GRPC_PATH=/helloworld.v1.Greeter/SayHello
HAND_PATH=/hello/world
TC_PATH=${TC_PATH:-/helloworld/world}   # overridable only to exercise the wrk path before transcoding exists
TC_MESSAGE='Hello world'

# --- preconditions -----------------------------------------------------------------------------
need_wrk=0; [[ " $SERVERS " == *" transcoding "* ]] && need_wrk=1
command -v h2load >/dev/null || { echo "h2load is not installed: apt-get update && apt-get install -y nghttp2-client" >&2; exit 2; }
if [[ $need_wrk == 1 ]] && ! command -v wrk >/dev/null; then
  echo "wrk is not installed (transcoding row): apt-get install -y wrk, or leave 'transcoding' out of SERVERS" >&2; exit 2
fi
for t in curl taskset setsid getconf od cmp; do
  command -v $t >/dev/null || { echo "missing tool: $t (apt-get install -y curl util-linux coreutils diffutils)" >&2; exit 2; }
done
curl -V | grep -qw HTTP2 || { echo "this curl has no HTTP/2 support (needed for the gRPC checks)" >&2; exit 2; }
command -v "$JAVA" >/dev/null || { echo "JAVA=$JAVA not found" >&2; exit 2; }
for s in $SERVERS; do
  case $s in
    plain|plain-defexec) [[ -f $BENCH_JAR ]] || { echo "missing $BENCH_JAR: mvn -B -q -pl benchmarks -am package -DskipTests" >&2; exit 1; } ;;
    helloworld|transcoding) [[ -f $HELLO_JAR ]] || { echo "missing $HELLO_JAR: mvn -B -q -pl examples/helloworld -am package -DskipTests" >&2; exit 1; } ;;
    *) echo "unknown server '$s' in SERVERS (known: plain plain-defexec helloworld transcoding)" >&2; exit 2 ;;
  esac
done
if (( $(nproc --all) < 2 )) && [[ $SERVER_CPU != "$CLIENT_CPU" ]]; then
  echo "warning: fewer than 2 CPUs; server and client share a core" >&2
fi

mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw
exec > >(tee -a "$OUT/run.log") 2>&1
NCPU=$(nproc --all)
# Everything this script does (polling, curl, h2load, wrk) stays off the server's core.
taskset -pc "$CLIENT_CPU" $$ >/dev/null

read -ra JVM_ARR <<< "$JVM_FLAGS"
read -ra HELLO_ARR <<< "$HELLO_FLAGS"
CLK_TCK=$(getconf CLK_TCK)

# Request: gRPC frame header (flag 0, big-endian length 7) + HelloRequest{name:"world"} (0a 05 world).
# Expected reply: frame header (length 13) + HelloReply{message:"Hello world"} (0a 0b + 11 bytes).
printf '\x00\x00\x00\x00\x07\x0a\x05world' > "$OUT/grpc-request.bin"
printf '\x00\x00\x00\x00\x0d\x0a\x0bHello world' > "$OUT/grpc-reply.bin"
REPLY_FRAME=$(stat -c %s "$OUT/grpc-reply.bin")   # 18

# --- process helpers (lib.sh: tree_pids cpu_ticks hwm_kib stop_tree pick_port to_ms median stable)
CUR_PID=
. "$ROOT/benchmarks/lib.sh"
trap '[[ -n $CUR_PID ]] && stop_tree "$CUR_PID" >/dev/null 2>&1' EXIT
trap 'echo "interrupted"; exit 130' INT TERM

server_cmd() { # name grpc-port http-port -> SERVER_CMD array
  local main=io.phalanx.benchmarks.grpcraw.PlainGrpcGreeterServer
  case $1 in
    plain)          SERVER_CMD=("$JAVA" "${JVM_ARR[@]}" -cp "$BENCH_JAR" "$main" "$2") ;;
    plain-defexec)  SERVER_CMD=("$JAVA" "${JVM_ARR[@]}" -Dgrpc.executor=default -cp "$BENCH_JAR" "$main" "$2") ;;
    helloworld|transcoding)
      SERVER_CMD=("$JAVA" "${JVM_ARR[@]}" "${HELLO_ARR[@]}" "-Dserver.grpc.port=$2" "-Dserver.http.port=$3" -jar "$HELLO_JAR") ;;
  esac
}

grpc_call() { # port headers-file body-file -> "http-status grpc-status" (one unary call over h2c)
  local code st
  code=$(curl -s --http2-prior-knowledge --max-time "${4:-5}" -D "$2" -o "$3" -w '%{http_code}' -X POST \
    --data-binary @"$OUT/grpc-request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$1$GRPC_PATH")
  # curl writes the trailers into the header dump after the headers; the last grpc-status wins
  st=$(awk -F': *' 'tolower($1) == "grpc-status" { gsub(/\r/, "", $2); s = $2 } END { print s }' "$2" 2>/dev/null)
  echo "$code ${st:-none}"
}

SPID=; READY_MS=
start_server() { # name grpc-port http-port log -> SPID, READY_MS (empty on failure)
  local name=$1 gport=$2 hport=$3 log=$4 t0 t1 deadline
  server_cmd "$name" "$gport" "$hport"
  echo "  start: taskset -c $SERVER_CPU ${SERVER_CMD[*]}"
  t0=${EPOCHREALTIME/./}
  # setsid: own session, so a Ctrl-C of this script reaches the server only through our trap.
  # setsid/taskset exec in place: $! is the JVM itself.
  setsid taskset -c "$SERVER_CPU" "${SERVER_CMD[@]}" > "$log" 2>&1 &
  SPID=$!; CUR_PID=$SPID
  deadline=$((t0 + READY_TIMEOUT_S * 1000000))
  while :; do
    # ready = the first OK gRPC call (every row serves gRPC; helloworld's HTTP port opens with it)
    [[ $(grpc_call "$gport" "$RAW/.probe.h" "$RAW/.probe.b" 1) == "200 0" ]] && { t1=${EPOCHREALTIME/./}; break; }
    t1=${EPOCHREALTIME/./}
    if ! kill -0 "$SPID" 2>/dev/null; then echo "  !! $name exited before serving; log tail:"; tail -5 "$log"; READY_MS=; return 1; fi
    if (( t1 > deadline )); then echo "  !! $name: no OK call after ${READY_TIMEOUT_S}s"; READY_MS=; return 1; fi
    sleep 0.01
  done
  READY_MS=$(( (t1 - t0) / 1000 ))
}

verify_grpc() { # port tag -> "ok" or what differs; keeps headers+trailers and body in raw/
  local h=$RAW/$2.headers b=$RAW/$2.body r="" res
  res=$(grpc_call "$1" "$h" "$b")
  [[ $res == "200 0" ]] || r+="call(http,grpc-status=$res) "
  grep -qi '^content-type: *application/grpc' "$h" || r+="content-type($(grep -i '^content-type' "$h" | tr -d '\r')) "
  cmp -s "$b" "$OUT/grpc-reply.bin" || r+="body($(stat -c %s "$b")B:$(od -An -tx1 "$b" | tr -s ' \n' ' ' | head -c 80)) "
  echo "${r:-ok}"
}

h2load_run() { # port seconds
  taskset -c "$CLIENT_CPU" h2load -t1 -c"$CONNS" -m"$STREAMS" -D "$2" \
    -d "$OUT/grpc-request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$1$GRPC_PATH"
}
h2load_rps() { awk '/^finished in/ { gsub(",", ""); v = $4 } END { printf "%.0f", v }' "$1"; }

WARM_INFO=
warm_up() { # kind(grpc|wrk) target file min max   (target: port for grpc, URL for wrk)
  local kind=$1 target=$2 f=$3 min=$4 max=$5 t=0 prev= cur seq=""
  : > "$f"
  while :; do
    if [[ $kind == grpc ]]; then
      h2load_run "$target" "$WARM_CHUNK" >> "$f" 2>&1; cur=$(h2load_rps "$f")
    else
      taskset -c "$CLIENT_CPU" wrk -t1 -c"$TC_CONNS" -d"${WARM_CHUNK}s" "$target" >> "$f" 2>&1
      cur=$(awk '/^Requests\/sec:/ { v = $2 } END { printf "%.0f", v }' "$f")
    fi
    t=$((t + WARM_CHUNK)); seq+="${seq:+ }$cur"
    if (( t >= min )) && [[ -n $prev ]] && stable "$prev" "$cur" "$WARM_TOL_PCT"; then break; fi
    (( t >= max )) && { seq+=" (max)"; break; }
    prev=$cur
  done
  WARM_INFO="${t}s: $seq"
  echo "  warm-up $kind $WARM_INFO"
}

cpu_detail() { # user-ticks sys-ticks requests wall-us client-user-s client-sys-s client-name
  awk -v u="$1" -v s="$2" -v n="$3" -v us="$4" -v cu="$5" -v cs="$6" -v cl="$7" -v hz="$CLK_TCK" \
    'BEGIN { w = us / 1e6; printf "server CPU %.0f%% (usr %.0f%% sys %.0f%%), usr %.1f + sys %.1f us/call; %s CPU %.0f%%",
      100 * (u + s) / hz / w, 100 * u / hz / w, 100 * s / hz / w, (n > 0 ? u / hz * 1e6 / n : 0), (n > 0 ? s / hz * 1e6 / n : 0), cl, 100 * (cu + cs) / w }'
}
per_call_us() { awk -v u="$1" -v s="$2" -v n="${3:-0}" -v hz="$CLK_TCK" 'BEGIN { if (n <= 0) print ""; else printf "%.1f", (u + s) / hz * 1e6 / n }'; }

G_RPS=; G_MEAN=; G_SD=; G_MAX=; G_US=; G_CHECK=; G_DETAIL=
measure_grpc() { # port file
  local port=$1 f=$2 u0 s0 u1 s1 t0 t1 cu cs n
  read -r u0 s0 < <(cpu_ticks "$SPID"); t0=${EPOCHREALTIME/./}
  local TIMEFORMAT='%U %S'
  { time h2load_run "$port" "$DURATION" > "$f" 2>&1 ; } 2> "$f.client-cpu"
  read -r u1 s1 < <(cpu_ticks "$SPID"); t1=${EPOCHREALTIME/./}
  read -r cu cs < "$f.client-cpu"
  G_RPS=$(h2load_rps "$f")
  # "time for request:  min  max  mean  sd  +/- sd"
  G_MAX=$(to_ms "$(awk '/^time for request:/ { print $5 }' "$f")")
  G_MEAN=$(to_ms "$(awk '/^time for request:/ { print $6 }' "$f")")
  G_SD=$(to_ms "$(awk '/^time for request:/ { print $7 }' "$f")")
  # Every 2xx response must hold exactly one reply frame: DATA bytes == frame size x 2xx (a failed
  # gRPC call is a trailers-only 200 with no DATA), and nothing failed, errored or timed out.
  G_CHECK=$(awk -v fr="$REPLY_FRAME" '
    /^requests:/ { gsub(",", ""); done = $6; succ = $8; failed = $10; errored = $12; tmo = $14 }
    /^status codes:/ { gsub(",", ""); s2 = $3; s4 = $7; s5 = $9 }
    /^traffic:/ { for (i = 1; i <= NF; i++) if ($i == "data") { d = $(i - 1); gsub(/[()]/, "", d) } }
    END { ok = (s2 > 0 && d == fr * s2 && succ == done && failed + errored + tmo + s4 + s5 == 0) ? "ok" : "CHECK";
          printf "%s(2xx=%d data=%dB expected=%dB failed=%d errored=%d timeout=%d 4xx=%d 5xx=%d)", ok, s2, d, fr * s2, failed, errored, tmo, s4, s5 }' "$f")
  n=$(awk '/^requests:/ { gsub(",", ""); print $6 }' "$f")
  G_US=$(per_call_us $((u1 - u0)) $((s1 - s0)) "$n")
  G_DETAIL=$(cpu_detail $((u1 - u0)) $((s1 - s0)) "${n:-0}" $((t1 - t0)) "$cu" "$cs" h2load)
  echo "  gRPC SayHello: ${G_RPS:-?} calls/s  request time mean ${G_MEAN} sd ${G_SD} max ${G_MAX} ms  ${G_US:-?} us CPU/call  [$G_DETAIL]  $G_CHECK"
}

W_RPS=; W_P50=; W_P99=; W_US=; W_ERR=; W_DETAIL=
measure_wrk() { # label url file
  local label=$1 url=$2 f=$3 u0 s0 u1 s1 t0 t1 cu cs n non2xx sock
  read -r u0 s0 < <(cpu_ticks "$SPID"); t0=${EPOCHREALTIME/./}
  local TIMEFORMAT='%U %S'
  { time taskset -c "$CLIENT_CPU" wrk -t1 -c"$TC_CONNS" -d"${DURATION}s" --latency "$url" > "$f" 2>&1 ; } 2> "$f.client-cpu"
  read -r u1 s1 < <(cpu_ticks "$SPID"); t1=${EPOCHREALTIME/./}
  read -r cu cs < "$f.client-cpu"
  W_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
  W_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$f")")
  W_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$f")")
  n=$(awk '/ requests in / { print $1; exit }' "$f")
  W_US=$(per_call_us $((u1 - u0)) $((s1 - s0)) "$n")
  W_DETAIL=$(cpu_detail $((u1 - u0)) $((s1 - s0)) "${n:-0}" $((t1 - t0)) "$cu" "$cs" wrk)
  non2xx=$(awk -F': *' '/Non-2xx/ { print $2 }' "$f"); sock=$(grep -o 'Socket errors:.*' "$f")
  W_ERR="${non2xx:+non-2xx=$non2xx }${sock}"
  echo "  $label: ${W_RPS:-?} req/s  p50 ${W_P50} ms  p99 ${W_P99} ms  ${W_US:-?} us CPU/req  [$W_DETAIL] ${W_ERR}"
}

verify_json() { # url tag -> "ok" or what differs (200, application/json, {"message":"Hello world"})
  local h=$RAW/$2.headers b=$RAW/$2.body r="" code
  code=$(curl -s -D "$h" -o "$b" -w '%{http_code}' --max-time 5 "$1")
  [[ $code == 200 ]] || r+="status=$code "
  grep -qi '^content-type: *application/json' "$h" || r+="content-type($(grep -i '^content-type' "$h" | tr -d '\r')) "
  if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != {"message": sys.argv[2]})' "$b" "$TC_MESSAGE" 2>/dev/null \
      || r+="body($(head -c 80 "$b")) "
  else
    grep -q "\"message\": *\"$TC_MESSAGE\"" "$b" || r+="body($(head -c 80 "$b")) "
  fi
  echo "${r:-ok}"
}

# --- environment -------------------------------------------------------------------------------
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm); $(lscpu 2>/dev/null | awk -F': *' '/Model name/{print $2}'); $NCPU cpus; $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $JAVA ($("$JAVA" -version 2>&1 | head -2 | tail -1))"
  echo "JVM_FLAGS: $JVM_FLAGS"
  echo "HELLO_FLAGS: ${HELLO_FLAGS:-(none)}"
  echo "h2load: $(h2load --version 2>&1 | head -1)"
  [[ $need_wrk == 1 ]] && echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "grpc-java in benchmarks.jar: $(unzip -p "$BENCH_JAR" META-INF/maven/io.grpc/grpc-core/pom.properties 2>/dev/null | awk -F= '/^version/{print $2}')"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty tree)')"
  echo "params: servers [$SERVERS], runs $RUNS, server cpu $SERVER_CPU, client cpu $CLIENT_CPU;" \
       "h2load -t1 -c$CONNS -m$STREAMS -D $DURATION POST $GRPC_PATH ($(stat -c %s "$OUT/grpc-request.bin")-byte body file, reply frame $REPLY_FRAME bytes);" \
       "transcoding: wrk -t1 -c$TC_CONNS -d${DURATION}s;" \
       "warm-up ${WARM_CHUNK}s chunks until two consecutive within ${WARM_TOL_PCT}% (gRPC ${WARMUP_MIN}-${WARMUP_MAX}s, wrk ${TC_WARMUP_MIN}-${TC_WARMUP_MAX}s)"
} | tee "$OUT/env.txt"

# --- runs --------------------------------------------------------------------------------------
TSV=$OUT/results.tsv
TC_TSV=$OUT/transcoding.tsv
printf 'run\tserver\tready_ms\tcalls_per_s\tmean_ms\tsd_ms\tmax_ms\tcpu_us_per_call\tpeak_rss_mib\tverify\twarm\tdetail\n' > "$TSV"
printf 'run\tready_ms\thand_rps\thand_p50_ms\thand_p99_ms\thand_cpu_us\ttc_rps\ttc_p50_ms\ttc_p99_ms\ttc_cpu_us\tpeak_rss_mib\tverify\twarm_hand\twarm_tc\thand_detail\ttc_detail\n' > "$TC_TSV"
read -ra ORDER <<< "$SERVERS"
T_START=$SECONDS
TC_STATE=
for run in $(seq "$RUNS"); do
  # Alternate the order between runs so slow drift of the host does not always favour one row.
  rows=("${ORDER[@]}")
  if (( run % 2 == 0 )); then rows=(); for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do rows+=("${ORDER[$i]}"); done; fi
  for name in "${rows[@]}"; do
    [[ $name == transcoding && $TC_STATE == unavailable ]] && continue
    echo; echo "=== run $run/$RUNS: $name  load $(cut -d' ' -f1-3 /proc/loadavg)  t=$((SECONDS - T_START))s"
    tag=$name.run$run
    gport=$(pick_port "$PORT_BASE"); hport=$(pick_port $((gport + 1)))
    if ! start_server "$name" "$gport" "$hport" "$RAW/$tag.server.log"; then
      stop_tree "$SPID"
      if [[ $name == transcoding ]]; then
        printf '%s\t\t\t\t\t\t\t\t\t\t\tFAILED-to-start\t\t\t\t\n' "$run" >> "$TC_TSV"
      else
        printf '%s\t%s\t\t\t\t\t\t\t\tFAILED-to-start\t\t\n' "$run" "$name" >> "$TSV"
      fi
      continue
    fi
    echo "  first OK call after ${READY_MS} ms (pid $SPID, $(cat /proc/$SPID/comm 2>/dev/null), grpc port $gport)"

    if [[ $name == transcoding ]]; then
      code=$(curl -s -o "$RAW/$tag.probe.body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$hport$TC_PATH")
      if [[ $code != 200 ]]; then
        echo "  transcoding not available: GET $TC_PATH on helloworld's HTTP port answered $code ($(head -c 100 "$RAW/$tag.probe.body"))"
        TC_STATE=unavailable
        stop_tree "$SPID"
        continue
      fi
      TC_STATE=available
      ver="hand:$(verify_json "http://127.0.0.1:$hport$HAND_PATH" "$tag.hand") tc:$(verify_json "http://127.0.0.1:$hport$TC_PATH" "$tag.tc")"
      echo "  verify: $ver  (bodies: hand $(cat "$RAW/$tag.hand.body") / transcoded $(cat "$RAW/$tag.tc.body"))"
      warm_up wrk "http://127.0.0.1:$hport$HAND_PATH" "$RAW/$tag.warm-hand.txt" "$TC_WARMUP_MIN" "$TC_WARMUP_MAX"; wh=$WARM_INFO
      measure_wrk "GET $HAND_PATH (hand-written)" "http://127.0.0.1:$hport$HAND_PATH" "$RAW/$tag.hand.txt"
      h=("$W_RPS" "$W_P50" "$W_P99" "$W_US"); hd=$W_DETAIL; [[ -n $W_ERR ]] && ver+=" hand-errors($W_ERR)"
      warm_up wrk "http://127.0.0.1:$hport$TC_PATH" "$RAW/$tag.warm-tc.txt" "$TC_WARMUP_MIN" "$TC_WARMUP_MAX"; wt=$WARM_INFO
      measure_wrk "GET $TC_PATH (transcoded)" "http://127.0.0.1:$hport$TC_PATH" "$RAW/$tag.tc.txt"
      tc=("$W_RPS" "$W_P50" "$W_P99" "$W_US"); td=$W_DETAIL; [[ -n $W_ERR ]] && ver+=" tc-errors($W_ERR)"
      ver+=" after-load:hand:$(verify_json "http://127.0.0.1:$hport$HAND_PATH" "$tag.hand-after") tc:$(verify_json "http://127.0.0.1:$hport$TC_PATH" "$tag.tc-after")"
      rss=$(awk -v k="$(hwm_kib "$SPID")" 'BEGIN { printf "%.0f", k / 1024 }')
      echo "  peak RSS (VmHWM): $rss MiB; threads: $(ls /proc/$SPID/task 2>/dev/null | wc -l)"
      stop_tree "$SPID"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$READY_MS" "${h[@]}" "${tc[@]}" \
        "$rss" "$ver" "$wh" "$wt" "$hd" "$td" >> "$TC_TSV"
      continue
    fi

    ver=$(verify_grpc "$gport" "$tag.before"); echo "  verify: $ver"
    warm_up grpc "$gport" "$RAW/$tag.warm.txt" "$WARMUP_MIN" "$WARMUP_MAX"; warm=$WARM_INFO
    measure_grpc "$gport" "$RAW/$tag.h2load.txt"
    [[ $G_CHECK == ok* ]] || ver+=" h2load:$G_CHECK"
    after=$(verify_grpc "$gport" "$tag.after"); echo "  verify after load: $after"
    [[ $after == ok ]] || ver+=" after-load:$after"
    rss=$(awk -v k="$(hwm_kib "$SPID")" 'BEGIN { printf "%.0f", k / 1024 }')
    echo "  peak RSS (VmHWM): $rss MiB; threads: $(ls /proc/$SPID/task 2>/dev/null | wc -l)"
    ps -L -o comm= -p "$SPID" 2>/dev/null | sed 's/-*[0-9]*$//' | sort | uniq -c | sort -rn > "$RAW/$tag.threads.txt"
    stop_tree "$SPID"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$name" "$READY_MS" "$G_RPS" "$G_MEAN" "$G_SD" "$G_MAX" \
      "$G_US" "$rss" "$ver [$G_CHECK]" "$warm" "$G_DETAIL" >> "$TSV"
  done
done
echo; echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg); total $((SECONDS - T_START)) s" | tee -a "$OUT/env.txt"

# --- tables ------------------------------------------------------------------------------------
# results.tsv columns: 3 ready, 4 calls/s, 5 mean, 6 sd, 7 max, 8 CPU us/call, 9 RSS
COLS=(3 4 5 7 8 9)
HDR='| server | first OK call ms | calls/s | request time mean ms | request time max ms | CPU µs/call | peak RSS MiB |'
SEP='| --- | ---: | ---: | ---: | ---: | ---: | ---: |'
# transcoding.tsv columns: 2 ready, 3 hand rps, 5 hand p99, 6 hand us, 7 tc rps, 9 tc p99, 10 tc us, 11 RSS
TC_COLS=(3 5 6 7 9 10 11)
TC_HDR="| row | GET $HAND_PATH rps | p99 ms | CPU µs/req | GET $TC_PATH (transcoded) rps | p99 ms | CPU µs/req | peak RSS MiB |"
TC_SEP='| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
values() { # tsv run key(server, or "" for transcoding.tsv) cols... -> tab-separated values
  local tsv=$1 r=$2 key=$3; shift 3
  awk -F'\t' -v r="$r" -v k="$key" -v cols="$*" 'BEGIN { n = split(cols, c, " ") }
    NR > 1 && $1 == r && (k == "" || $2 == k) { for (i = 1; i <= n; i++) printf "%s%s", $c[i], (i < n ? "\t" : "\n") }' "$tsv"
}
medians() { # tsv key cols... -> tab-separated medians over runs
  local tsv=$1 key=$2 ci out=""; shift 2
  for ci in "$@"; do
    out+="${out:+$'\t'}$(median $(awk -F'\t' -v k="$key" -v c="$ci" 'NR > 1 && (k == "" || $2 == k) { print $c }' "$tsv"))"
  done
  echo "$out"
}
md_row() { awk -F'\t' -v name="$1" -v v="$2" 'BEGIN { n = split(v, x, "\t"); printf "| %s |", name
  for (i = 1; i <= n; i++) printf " %s |", (x[i] == "" ? "-" : x[i]); printf "\n" }'; }
ratio_row() { # label a b -> a/b per column
  awk -F'\t' -v l="$1" -v a="$2" -v b="$3" 'BEGIN { n = split(a, x, "\t"); split(b, y, "\t"); printf "| **%s** |", l
    for (i = 1; i <= n; i++) printf " %s |", (x[i] != "" && y[i] != "" && y[i] + 0 > 0) ? sprintf("%.2f", x[i] / y[i]) : "-"
    printf "\n" }'
}
tc_ratio() { # hand/transcoded values (TC_COLS order) -> "rps ratio, CPU ratio" transcoded/hand-written
  awk -F'\t' -v v="$1" 'BEGIN { split(v, x, "\t"); printf "transcoded / hand-written: rps %s, p99 %s, CPU µs/req %s\n",
    (x[1] > 0 ? sprintf("%.2f", x[4] / x[1]) : "-"), (x[2] > 0 ? sprintf("%.2f", x[5] / x[2]) : "-"), (x[3] > 0 ? sprintf("%.2f", x[6] / x[3]) : "-") }'
}
grpc_tables() { # run-or-"median"
  local r=$1 name v
  echo "$HDR"; echo "$SEP"
  declare -A V
  for name in "${ORDER[@]}"; do
    [[ $name == transcoding ]] && continue
    if [[ $r == median ]]; then v=$(medians "$TSV" "$name" "${COLS[@]}"); else v=$(values "$TSV" "$r" "$name" "${COLS[@]}"); fi
    V[$name]=$v; md_row "$name" "$v"
  done
  [[ -n ${V[helloworld]:-} && -n ${V[plain]:-} ]] && ratio_row "helloworld / plain" "${V[helloworld]}" "${V[plain]}"
  [[ -n ${V[plain-defexec]:-} && -n ${V[plain]:-} ]] && ratio_row "plain-defexec / plain" "${V[plain-defexec]}" "${V[plain]}"
  return 0
}
tc_table() { # run-or-"median"
  local v
  if [[ $1 == median ]]; then v=$(medians "$TC_TSV" "" "${TC_COLS[@]}"); else v=$(values "$TC_TSV" "$1" "" "${TC_COLS[@]}"); fi
  [[ -z ${v//[[:space:]]/} ]] && { echo "transcoding: no measurement (failed to start?)"; return; }
  echo "$TC_HDR"; echo "$TC_SEP"; md_row "helloworld ($1)" "$v"; echo; tc_ratio "$v"
}

HAS_GRPC=0; for name in "${ORDER[@]}"; do [[ $name != transcoding ]] && HAS_GRPC=1; done
{
  if [[ $HAS_GRPC == 1 ]]; then
    for run in $(seq "$RUNS"); do
      echo; echo "### run $run: gRPC SayHello"; echo; grpc_tables "$run"
    done
    if (( RUNS >= 3 )); then echo; echo "### median of $RUNS runs: gRPC SayHello"; echo; grpc_tables median; fi
  fi
  if [[ " $SERVERS " == *" transcoding "* ]]; then
    echo
    if [[ $TC_STATE == unavailable ]]; then
      echo "### HTTP/JSON transcoding: transcoding not available (GET $TC_PATH did not answer 200; see run.log)"
    else
      for run in $(seq "$RUNS"); do echo; echo "### run $run: HTTP/JSON transcoding (one helloworld process)"; echo; tc_table "$run"; done
      if (( RUNS >= 3 )); then echo; echo "### median of $RUNS runs: transcoding"; echo; tc_table median; fi
    fi
  fi
  # Same bytes on the wire: list any difference in header/trailer names between the gRPC rows.
  a=$RAW/plain.run1.before.headers; b=$RAW/helloworld.run1.before.headers
  if [[ -f $a && -f $b ]]; then
    d=$(diff <(tr -d '\r' < "$a" | awk -F: 'NR > 1 && NF { print tolower($1) }' | sort) \
             <(tr -d '\r' < "$b" | awk -F: 'NR > 1 && NF { print tolower($1) }' | sort) | grep '^[<>]' | tr '\n' ' ')
    echo; echo "gRPC response header + trailer names (plain vs helloworld): ${d:-identical}"
  fi
  echo
  echo "Ratios are row / plain grpc-java with directExecutor (calls/s: higher is better; the rest: lower is better)."
  echo "h2load reports no percentiles: request time is its per-request mean and max over the measurement."
  echo "CPU µs/call: server process user+sys CPU time during the measurement / calls completed."
  echo
  echo "verify and warm-up (calls/s or req/s per ${WARM_CHUNK}s chunk):"
  awk -F'\t' 'NR > 1 { printf "- run %s %s: verify %s; warm-up [%s]\n  %s\n", $1, $2, $10, $11, $12 }' "$TSV"
  awk -F'\t' 'NR > 1 { printf "- run %s transcoding: verify %s; warm-up hand [%s] transcoded [%s]\n  hand: %s\n  transcoded: %s\n", $1, $12, $13, $14, $15, $16 }' "$TC_TSV"
} | tee "$OUT/summary.md"
echo; echo "results: $OUT"
