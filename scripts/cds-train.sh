#!/usr/bin/env bash
# Writes an application class-data archive (AppCDS) for a Phalanx service jar, so that later
# starts map the classes it loads instead of reading, verifying and linking them again:
#
#   scripts/cds-train.sh JAR ARCHIVE [PATH...]
#   java -XX:SharedArchiveFile=ARCHIVE -jar JAR
#
# The training run starts the jar with -XX:ArchiveClassesAtExit=ARCHIVE (gRPC and admin ports 0,
# HTTP on a free loopback port, registries as configured); the JVM writes the archive as it exits.
#  - With PATHs: once GET on the first PATH answers 2xx, every PATH is called twice (so the
#    classes of whole requests are in the archive too; each must answer 2xx), then SIGTERM. JSON
#    POST bodies can be given as PATH=BODY (e.g. /echo='{"message":"hi"}'). Needs curl.
#  - Without: the app runs with -Dphalanx.exit-after-start=true and stops by itself once started
#    (App.run), so start-up's classes are archived; no port, no curl, no HTTP server needed.
#
# The archive only fits the JDK build that wrote it and the jar as it was (size and time): with
# any other, the JVM says so in one warning line and starts without it. Re-run after every build.
# JAVA (default: java) and JAVA_OPTS (default -Xms256m -Xmx256m; the archive does not depend on
# them) choose the JVM.
set -euo pipefail
(( $# >= 2 )) || { echo "usage: $0 JAR ARCHIVE [PATH[=JSON_BODY]...]" >&2; exit 2; }
JAR=$1; ARCHIVE=$2; shift 2
PATHS=("$@")
JAVA=${JAVA:-java}
read -ra OPTS <<< "${JAVA_OPTS:--Xms256m -Xmx256m}"
[[ -f $JAR ]] || { echo "no such jar: $JAR" >&2; exit 2; }
mkdir -p "$(dirname "$ARCHIVE")"
rm -f "$ARCHIVE"

if (( ${#PATHS[@]} == 0 )); then
  LOG=$(mktemp)
  trap 'rm -f "$LOG"' EXIT
  if ! "$JAVA" "${OPTS[@]}" -XX:ArchiveClassesAtExit="$ARCHIVE" -Dphalanx.exit-after-start=true \
      -Dserver.http.port=0 -Dserver.grpc.port=0 -Dadmin.port=0 -jar "$JAR" > "$LOG" 2>&1; then
    echo "training run failed; its log:" >&2; cat "$LOG" >&2; exit 1
  fi
  [[ -s $ARCHIVE ]] || { echo "the JVM wrote no archive; its log:" >&2; cat "$LOG" >&2; exit 1; }
  echo "wrote $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)) for $JAR (start-up only)"
  exit 0
fi
command -v curl >/dev/null || { echo "$0 needs curl (or no PATH: start-up only)" >&2; exit 2; }

# a free port: bind port 0 and read what the kernel chose
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || echo $(( 20000 + RANDOM % 20000 )))
LOG=$(mktemp)
"$JAVA" "${OPTS[@]}" -XX:ArchiveClassesAtExit="$ARCHIVE" -Dserver.http.port="$PORT" \
  -Dserver.grpc.port=0 -Dadmin.port=0 -jar "$JAR" > "$LOG" 2>&1 &
PID=$!
trap 'kill -9 $PID 2>/dev/null; rm -f "$LOG"' EXIT

call() { # path[=body] -> HTTP status
  local p=${1%%=*} body=
  [[ $1 == *=* ]] && body=${1#*=}
  if [[ -n $body ]]; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
      -d "$body" "http://127.0.0.1:$PORT$p"
  else
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT$p"
  fi
}

first=${PATHS[0]}
for _ in $(seq 600); do
  code=$(call "$first" || true)
  [[ $code == 2* ]] && break
  kill -0 $PID 2>/dev/null || { echo "training run exited before answering; its log:" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.05
done
[[ $code == 2* ]] || { echo "no 2xx on $first after 30 s" >&2; exit 1; }
for round in 1 2; do
  for p in "${PATHS[@]}"; do
    code=$(call "$p")
    [[ $code == 2* ]] || { echo "training call $p answered $code, expected 2xx" >&2; exit 1; }
  done
done
kill -TERM $PID
wait $PID || true
trap 'rm -f "$LOG"' EXIT
[[ -s $ARCHIVE ]] || { echo "the JVM wrote no archive; its log:" >&2; cat "$LOG" >&2; exit 1; }
echo "wrote $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)) for $JAR"
