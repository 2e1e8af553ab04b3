/**
 * Phalanx's rows in the shared peer harness ({@code /work/shared/bench/peers}): servers with the
 * harness's exact routes and bytes, built only from Phalanx's public API — HTTP
 * ({@link io.phalanx.benchmarks.peers.PhalanxPeerServer}, started by
 * {@code benchmarks/peers-candidate.sh}) and gRPC
 * ({@link io.phalanx.benchmarks.peers.PhalanxPeerGrpcServer}, {@code peers-candidate-grpc.sh}).
 */
package io.phalanx.benchmarks.peers;
