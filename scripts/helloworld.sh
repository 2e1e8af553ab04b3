#!/usr/bin/env bash
# Builds the helloworld example (and the modules it uses) and runs it on port 8000
# (override: ./scripts/helloworld.sh -Dserver.http.port=8080). Installs a JDK, Maven and curl from
# Debian when they are missing. Stop it with Ctrl-C or SIGTERM.
#
# Start-up: after each build the script writes an AppCDS archive for the new jar with one
# training run (scripts/cds-train.sh, a few seconds) and starts the service with it, which halves
# the time to the first response (docs/BENCHMARKS.md, "start-up"). PHALANX_CDS=0 skips both; a
# failed training run only means starting without the archive.
set -euo pipefail
cd "$(dirname "$0")/.."

for pair in javac:openjdk-17-jdk-headless mvn:maven curl:curl; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || { echo "missing '$cmd': install the Debian package '$pkg'" >&2; exit 2; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  fi
done

mvn -B -q -ntp -pl examples/helloworld -am package -DskipTests
JAR=examples/helloworld/target/helloworld.jar
JSA=examples/helloworld/target/helloworld.jsa
CDS=()
if [[ ${PHALANX_CDS:-1} != 0 ]]; then
  if [[ ! -s $JSA || $JSA -ot $JAR ]]; then
    scripts/cds-train.sh "$JAR" "$JSA" /hello/world /echo='{"message":"hi"}' /helloworld/world \
      || echo "helloworld.sh: no class-data archive, starting without it" >&2
  fi
  [[ -s $JSA ]] && CDS=(-XX:SharedArchiveFile="$JSA")
fi
exec java "${CDS[@]}" "$@" -jar "$JAR"
