#!/usr/bin/env bash
# Builds the helloworld example (and the modules it uses) and runs it on port 8000
# (override: ./scripts/helloworld.sh -Dserver.http.port=8080). Installs a JDK and Maven from
# Debian when they are missing. Stop it with Ctrl-C or SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

for pair in javac:openjdk-17-jdk-headless mvn:maven; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || { echo "missing '$cmd': install the Debian package '$pkg'" >&2; exit 2; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  fi
done

mvn -B -q -ntp -pl examples/helloworld -am package -DskipTests
exec java "$@" -jar examples/helloworld/target/helloworld.jar
