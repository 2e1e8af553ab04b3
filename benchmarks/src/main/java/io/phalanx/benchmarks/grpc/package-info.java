/**
 * JMH micro-benchmarks of the gRPC transport's per-call work with no network: the middleware
 * bridge around a unary call and the HTTP/JSON transcoded route, each against the bare grpc-java
 * path, so that {@code -prof gc} reads as "bytes allocated per call by Phalanx".
 */
package io.phalanx.benchmarks.grpc;
