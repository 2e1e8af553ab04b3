package io.phalanx.core.resilience.internal;

import io.phalanx.core.resilience.Breaker;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Google SRE adaptive throttling, as Kratos' {@code internal/circuitbreaker/sre.go}: counter a
 * of the rolling window is {@code accepts}, counter b is {@code total}.
 *
 * <p>Threading: thread-safe, lock-free.
 */
public final class SreBreaker implements Breaker {
  private final RollingCounter stats;
  private final double k;
  private final long minRequests;
  private final DoubleSupplier random;

  public SreBreaker(int buckets, long bucketNanos, double k, long minRequests, LongSupplier clock,
      DoubleSupplier random) {
    this.stats = new RollingCounter(buckets, bucketNanos, clock);
    this.k = k;
    this.minRequests = minRequests;
    this.random = random;
  }

  /** The probability the next request is dropped, from the current window. */
  public double dropRatio() {
    long[] s = stats.sums();
    long accepts = s[0];
    long total = s[1];
    double requests = k * accepts;
    if (total < minRequests || total < requests) {
      return 0;
    }
    return Math.max(0, (total - requests) / (total + 1));
  }

  @Override
  public boolean tryAcquire() {
    double dr = dropRatio();
    return dr <= 0 || random.getAsDouble() >= dr;
  }

  @Override
  public void onSuccess(long elapsedNanos) {
    stats.add(1, 1);
  }

  @Override
  public void onFailure(long elapsedNanos, Throwable error) {
    stats.add(0, 1);
  }

  @Override
  public void onRejected() {
    // Kratos records a rejection as a failure: the drop ratio keeps up while callers keep asking.
    stats.add(0, 1);
  }

  @Override
  public State state() {
    return dropRatio() > 0 ? State.OPEN : State.CLOSED;
  }
}
