package io.phalanx.core.resilience;

import java.time.Duration;
import java.util.Optional;

/**
 * Config of {@link CircuitBreaker}, bound with {@code config.bind("resilience.breaker",
 * BreakerSettings.class)}. Every key is optional (HOCON, kebab-case):
 *
 * <pre>
 * resilience.breaker {
 *   algorithm = sre          # sre (default) | resilience4j
 *   scope = endpoint         # endpoint (default) | operation
 *   max-keys = 1024
 *   window = 3s              # sre: 3s / resilience4j time window: 60s
 *   buckets = 10             # sre only
 *   failure-ratio = 0.5      # sre: k = 1/(1-ratio); resilience4j: failure-rate threshold
 *   min-requests = 20        # sre and resilience4j (minimum number of calls)
 *   window-type = count      # resilience4j: count (default) | time
 *   window-size = 100        # resilience4j count window
 *   slow-call-ratio = 1.0    # resilience4j, with slow-call-duration (default 60s)
 *   slow-call-duration = 2s
 *   open-duration = 10s      # resilience4j: time open before half-open probes
 *   half-open-calls = 10     # resilience4j: probes in half-open
 * }
 * </pre>
 */
public record BreakerSettings(
    Optional<String> algorithm,
    Optional<String> scope,
    Optional<Integer> maxKeys,
    Optional<Duration> window,
    Optional<Integer> buckets,
    Optional<Double> failureRatio,
    Optional<Integer> minRequests,
    Optional<String> windowType,
    Optional<Integer> windowSize,
    Optional<Double> slowCallRatio,
    Optional<Duration> slowCallDuration,
    Optional<Duration> openDuration,
    Optional<Integer> halfOpenCalls) {

  /** All defaults. */
  public static BreakerSettings defaults() {
    return new BreakerSettings(Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }
}
