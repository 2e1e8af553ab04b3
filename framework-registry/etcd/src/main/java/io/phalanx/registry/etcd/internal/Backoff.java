package io.phalanx.registry.etcd.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with jitter, so that many instances that lost etcd at the same
 * moment do not all come back in the same millisecond. Not thread-safe: each user owns one and
 * uses it under its own lock.
 */
final class Backoff {

  private final long initialNanos;
  private final long maxNanos;
  private long nextNanos;
  private int attempts;

  Backoff(Duration initial, Duration max) {
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.nextNanos = initialNanos;
  }

  /** The delay before the next attempt, in milliseconds; doubles up to the cap. */
  long nextDelayMillis() {
    long base = nextNanos;
    nextNanos = Math.min(maxNanos, nextNanos * 2);
    attempts++;
    // +-20 % jitter
    double factor = 0.8 + ThreadLocalRandom.current().nextDouble() * 0.4;
    return Math.max(1, (long) (base * factor) / 1_000_000);
  }

  /** How many delays were handed out since the last reset. */
  int attempts() {
    return attempts;
  }

  void reset() {
    nextNanos = initialNanos;
    attempts = 0;
  }
}
