#!/usr/bin/env bash
# Runs the whole Phalanx test suite on a fresh machine: installs what the tests need when it is
# missing (a JDK >= 17, Maven, etcd-server and openssl from Debian), then `mvn -B install` on the default JDK and, when
# Temurin 25 is present, again on JDK 25 (PHALANX_JDK25=0 skips that second pass).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=0
need_pkg() { # need_pkg <command> <debian package>
  if ! command -v "$1" >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "missing '$1': install the Debian package '$2' (needs root)" >&2
      exit 2
    fi
    if [ $apt_updated -eq 0 ]; then
      apt-get update -qq
      apt_updated=1
    fi
    echo "installing $2 (for $1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  fi
}

need_pkg javac openjdk-17-jdk-headless
need_pkg mvn maven
need_pkg etcd etcd-server        # the etcd registry tests launch a real etcd
need_pkg openssl openssl         # the TLS tests make their throw-away certificates with it

jdk_major=$(javac -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')
if [ "${jdk_major:-0}" -lt 17 ]; then
  echo "javac $jdk_major found; Phalanx needs JDK 17 or newer" >&2
  exit 2
fi

# install, not verify: the archetype's integration test builds a generated project against the
# framework artifacts in ~/.m2, so the modules before it must be installed first.
echo "== mvn -B install on $(javac -version 2>&1)"
mvn -B -ntp install "$@"

JDK25=/usr/lib/jvm/temurin-25-jdk-amd64
if [ "${PHALANX_JDK25:-1}" != "0" ] && [ -x "$JDK25/bin/javac" ]; then
  echo "== mvn -B install on $("$JDK25/bin/javac" -version 2>&1)"
  JAVA_HOME="$JDK25" mvn -B -ntp clean install "$@"
elif [ "${PHALANX_JDK25:-1}" != "0" ]; then
  echo "== JDK 25 not found at $JDK25: skipped the JDK 25 pass"
fi
