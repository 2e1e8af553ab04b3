/**
 * Measuring tools for Phalanx, not part of any published artifact: JMH micro-benchmarks
 * ({@link io.phalanx.benchmarks.jmh}), the reference servers the load scripts compare against —
 * raw Netty for HTTP ({@link io.phalanx.benchmarks.rawnetty}) and plain grpc-java for gRPC
 * ({@link io.phalanx.benchmarks.grpcraw}) — and the Phalanx servers for the shared peer harness
 * ({@link io.phalanx.benchmarks.peers}).
 */
package io.phalanx.benchmarks;
