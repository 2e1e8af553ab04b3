package io.phalanx.core.resilience;

import io.phalanx.core.resilience.internal.Resilience4jBreaker;
import io.phalanx.core.resilience.internal.SreBreaker;
import java.time.Duration;

/**
 * Makes the {@link Breaker} for one key. Two built in: {@link #sre()} (Kratos' default) and
 * {@link #resilience4j}.
 */
@FunctionalInterface
public interface BreakerAlgorithm {

  /** A new breaker for {@code key} (an endpoint or operation name). */
  Breaker create(String key);

  /**
   * Google SRE adaptive throttling with Kratos v3's defaults: a 3 s window in 10 buckets, failure
   * ratio 0.5 (k = 2), at least 20 requests. See {@link #sre(Duration, int, double, int)}.
   */
  static BreakerAlgorithm sre() {
    return sre(Duration.ofSeconds(3), 10, 0.5, 20);
  }

  /**
   * Google SRE adaptive throttling ("Handling Overload", SRE book ch. 21). Over the window it
   * counts {@code total} requests (rejected ones included, recorded as failures) and {@code
   * accepts} (successes). With {@code k = 1 / (1 - failureRatio)} a request is allowed while
   * {@code total < minRequests} or {@code total < k·accepts}; otherwise it is dropped with
   * probability {@code max(0, (total − k·accepts) / (total + 1))}. There is no half-open state:
   * as successes come back the drop probability falls by itself.
   *
   * @param window length of the sliding window
   * @param buckets buckets the window is split into (the window slides one bucket at a time)
   * @param failureRatio tolerated failure ratio in [0, 1); 0.5 gives k = 2
   * @param minRequests requests in the window below which nothing is dropped
   */
  static BreakerAlgorithm sre(Duration window, int buckets, double failureRatio,
      int minRequests) {
    if (!(failureRatio >= 0 && failureRatio < 1)) {
      throw new IllegalArgumentException("failureRatio must be in [0, 1): " + failureRatio);
    }
    if (buckets < 1 || window.toNanos() / buckets < 1 || minRequests < 0) {
      throw new IllegalArgumentException("invalid SRE window/buckets/minRequests");
    }
    double k = 1 / (1 - failureRatio);
    long bucketNanos = window.toNanos() / buckets;
    return key -> new SreBreaker(buckets, bucketNanos, k, minRequests, System::nanoTime,
        () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
  }

  /**
   * A resilience4j circuit breaker per key: count- or time-based window, failure-rate and
   * slow-call thresholds, open duration and half-open probes as {@code config} says. Which
   * outcomes are failures is decided by {@link CircuitBreaker}, not by {@code config}'s
   * exception predicates.
   */
  static BreakerAlgorithm resilience4j(
      io.github.resilience4j.circuitbreaker.CircuitBreakerConfig config) {
    return key -> new Resilience4jBreaker(
        io.github.resilience4j.circuitbreaker.CircuitBreaker.of(key, config));
  }
}
