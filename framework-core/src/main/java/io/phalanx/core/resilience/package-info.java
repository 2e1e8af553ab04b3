/**
 * Resilience middleware that runs unchanged on HTTP and gRPC: {@link
 * io.phalanx.core.resilience.CircuitBreaker} (resilience4j or Google SRE adaptive throttling) and
 * {@link io.phalanx.core.resilience.Retry} for clients, {@link
 * io.phalanx.core.resilience.RateLimiter} (token bucket, global or per key), {@link
 * io.phalanx.core.resilience.AdaptiveLimiter} (Kratos BBR) and {@link
 * io.phalanx.core.resilience.Bulkhead} for servers, {@link io.phalanx.core.resilience.Timeout} for
 * both. Each is built from a builder or from a config record bound with {@code
 * AppConfig.bind(path, XSettings.class)}; rejections are {@link
 * io.phalanx.core.error.ServiceException}s with the stable reasons in {@link
 * io.phalanx.core.resilience.ResilienceErrors}.
 */
package io.phalanx.core.resilience;
