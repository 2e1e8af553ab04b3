package io.phalanx.core.resilience;

import io.phalanx.core.resilience.internal.RollingCounter;
import java.time.Duration;

/**
 * Caps retries so that they cannot multiply load during an outage: over a sliding window, retries
 * may be at most {@code ratio} of the original requests plus a floor of {@code minPerSecond}
 * retries per second (so a quiet client can still retry). Finagle's and Envoy's retry budgets
 * work the same way.
 *
 * <p>Share one budget per downstream service (one per {@link Retry} instance by default).
 *
 * <p>Threading: thread-safe and lock-free; check-then-record is not atomic, so concurrent
 * retries can overshoot the cap by the number of threads racing, which is harmless.
 */
public final class RetryBudget {
  private final RollingCounter counts; // a = requests, b = retries
  private final double ratio;
  private final double floor;
  private final boolean unlimited;

  private RetryBudget(double ratio, int minPerSecond, Duration window) {
    this(ratio, minPerSecond, window, false);
  }

  private RetryBudget(double ratio, int minPerSecond, Duration window, boolean unlimited) {
    if (ratio < 0 || minPerSecond < 0) {
      throw new IllegalArgumentException("ratio and minPerSecond must not be negative");
    }
    long nanos = window.toNanos();
    if (nanos < 10_000_000) {
      throw new IllegalArgumentException("window must be at least 10 ms: " + window);
    }
    this.counts = new RollingCounter(10, nanos / 10, System::nanoTime);
    this.ratio = ratio;
    this.floor = minPerSecond * (nanos / 1e9);
    this.unlimited = unlimited;
  }

  /**
   * @param ratio retries allowed per original request, e.g. 0.1
   * @param minPerSecond retries allowed per second regardless of traffic, e.g. 10
   * @param window sliding window over which both are counted, e.g. 10 s
   */
  public static RetryBudget of(double ratio, int minPerSecond, Duration window) {
    return new RetryBudget(ratio, minPerSecond, window);
  }

  /** 10 % of requests plus 10 retries per second, over 10 s. */
  public static RetryBudget defaults() {
    return of(0.1, 10, Duration.ofSeconds(10));
  }

  /**
   * No limit (for tests and for callers that budget elsewhere): every retry is allowed, however
   * long the attempts take (a ratio alone would refuse a retry once its original request has left
   * the window).
   */
  public static RetryBudget unlimited() {
    return new RetryBudget(0, 0, Duration.ofSeconds(1), true);
  }

  /** Records an original (first-attempt) request. */
  public void onRequest() {
    counts.add(1, 0);
  }

  /** Takes one retry from the budget if there is one left. */
  public boolean tryRetry() {
    if (unlimited) {
      return true;
    }
    long[] s = counts.sums();
    if (s[1] >= ratio * s[0] + floor) {
      return false;
    }
    counts.add(0, 1);
    return true;
  }
}
