/**
 * Two services that find each other through a registry: {@code user} (gRPC + HTTP/JSON, JWT,
 * rate limit) and {@code order} (HTTP, calls {@code user} over gRPC with circuit breaker, retry
 * and timeout), plus {@link io.phalanx.examples.multiservice.AllInOne} (both in one JVM with an
 * in-memory registry) and {@link io.phalanx.examples.multiservice.DevTokens} (dev JWTs).
 */
package io.phalanx.examples.multiservice;
