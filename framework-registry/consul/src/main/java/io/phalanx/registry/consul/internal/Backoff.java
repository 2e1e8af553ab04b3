package io.phalanx.registry.consul.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with "equal jitter": attempt n waits between half and all of
 * {@code min(initial * 2^n, max)}, so a fleet that lost its agent at the same moment does not
 * come back in lock step. Immutable.
 */
public record Backoff(Duration initial, Duration max) {

  public Duration delay(int attempt) {
    long cap = max.toMillis();
    long base = initial.toMillis() << Math.min(Math.max(attempt, 0), 20);
    long d = Math.min(Math.max(base, 1), cap);
    long half = d / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(d - half + 1));
  }
}
