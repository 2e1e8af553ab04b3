#!/usr/bin/env bash
# Starts Phalanx's gRPC row for the shared peer harness (/work/shared/bench/peers/run.sh): a
# Phalanx GrpcServer answering helloworld.Greeter/SayHello (the harness's proto) with
# HelloReply{message:"Hello " + name}, on the port given as the LAST argument (run.sh appends it).
# gRPC only: Phalanx serves HTTP and gRPC on separate ports, so the HTTP row is peers-candidate.sh.
#
#   cd /work/shared/bench/peers
#   CANDIDATE_NAME=phalanx CANDIDATE_HTTP_CMD=/work/main/benchmarks/peers-candidate.sh \
#     CANDIDATE_GRPC_CMD=/work/main/benchmarks/peers-candidate-grpc.sh ./run.sh
#
# JVM: $PEER_JAVA, else run.sh's $JAVA17, else java. Flags: run.sh's $JVM_FLAGS (same as the peers)
# plus $PEER_FLAGS, e.g. PEER_FLAGS='-Dpeer.inline=true' (service on the event loop, like
# grpc-java's directExecutor row). Any other arguments before the port go to the JVM too. The JVM
# replaces this shell (exec), so run.sh measures and stops it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
JAR=$HERE/target/benchmarks.jar
[[ -f $JAR ]] || { echo "missing $JAR: cd $(dirname "$HERE") && mvn -B -q -pl benchmarks -am package -DskipTests" >&2; exit 1; }
(( $# >= 1 )) || { echo "usage: $0 [jvm-flags...] PORT" >&2; exit 2; }
PORT=${!#}
EXTRA=("${@:1:$#-1}")
JAVA_BIN=${PEER_JAVA:-${JAVA17:-java}}
read -ra FLAGS <<< "${JVM_FLAGS:--Xms256m -Xmx256m} ${PEER_FLAGS:-}"
exec "$JAVA_BIN" "${FLAGS[@]}" "${EXTRA[@]}" -cp "$JAR" io.phalanx.benchmarks.peers.PhalanxPeerGrpcServer "$PORT"
