package io.phalanx.core.resilience;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.resilience.internal.KeyedStates;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Server-side bulkhead: at most {@code maxConcurrent} calls of one operation (or of one key, see
 * {@link Builder#key}) run at once, so one slow operation cannot take every handler thread. A
 * call over the limit waits up to {@code maxWait} (default 0: no queue), never past its deadline,
 * then fails with 503 {@code BULKHEAD_FULL}.
 *
 * <p>A plain non-fair {@link Semaphore} per key: its uncontended try-acquire is one CAS, cheaper
 * than resilience4j's bulkhead wrapper, and nothing more is needed.
 *
 * <p>Threading: thread-safe.
 */
public final class Bulkhead implements Middleware {
  private final int maxConcurrent;
  private final Duration maxWait;
  private final RequestKey key;
  private final KeyedStates<Semaphore> permits;

  private Bulkhead(Builder b) {
    this.maxConcurrent = b.maxConcurrent;
    this.maxWait = b.maxWait;
    this.key = b.key;
    this.permits = new KeyedStates<>(b.maxKeys, k -> new Semaphore(maxConcurrent));
  }

  public static Builder builder() {
    return new Builder();
  }

  public static Bulkhead from(BulkheadSettings settings) {
    return builder().settings(settings).build();
  }

  /** Calls running now under {@code key} (for tests and inspection). */
  public int inFlight(String key) {
    Semaphore s = permits.snapshot().get(key);
    return s == null ? 0 : maxConcurrent - s.availablePermits();
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      Semaphore s = permits.get(key.of(ctx));
      boolean acquired = s.tryAcquire();
      if (!acquired && !maxWait.isZero()) {
        long wait = maxWait.toNanos();
        Duration left = ctx.remaining().orElse(null);
        if (left != null) {
          wait = Math.min(wait, Math.max(0, left.toNanos()));
        }
        acquired = wait > 0 && s.tryAcquire(wait, TimeUnit.NANOSECONDS);
      }
      if (!acquired) {
        throw ResilienceErrors.bulkheadFull(ctx.transport().operation(), maxConcurrent);
      }
      try {
        return next.handle(ctx, request);
      } finally {
        s.release();
      }
    };
  }

  /** Builds a {@link Bulkhead}. Not thread-safe. */
  public static final class Builder {
    private int maxConcurrent = 64;
    private Duration maxWait = Duration.ZERO;
    private RequestKey key = RequestKey.operation();
    private int maxKeys = 1024;

    private Builder() {}

    /** Concurrent calls allowed per key (64). */
    public Builder maxConcurrent(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConcurrent must be >= 1: " + max);
      }
      this.maxConcurrent = max;
      return this;
    }

    /** How long a call may wait for a slot (0: refuse at once). */
    public Builder maxWait(Duration maxWait) {
      if (maxWait.isNegative()) {
        throw new IllegalArgumentException("maxWait must not be negative: " + maxWait);
      }
      this.maxWait = maxWait;
      return this;
    }

    /** What the limit is per: the operation (default) or another {@link RequestKey}. */
    public Builder key(RequestKey key) {
      this.key = Objects.requireNonNull(key, "key");
      return this;
    }

    /** Most keys tracked (1024). A dropped key's in-flight calls release a forgotten semaphore. */
    public Builder maxKeys(int maxKeys) {
      if (maxKeys < 1) {
        throw new IllegalArgumentException("maxKeys must be >= 1: " + maxKeys);
      }
      this.maxKeys = maxKeys;
      return this;
    }

    public Builder settings(BulkheadSettings s) {
      s.maxConcurrent().ifPresent(this::maxConcurrent);
      s.maxWait().ifPresent(this::maxWait);
      s.key().ifPresent(v -> key(RequestKey.parse(v)));
      s.maxKeys().ifPresent(this::maxKeys);
      return this;
    }

    public Bulkhead build() {
      return new Bulkhead(this);
    }
  }
}
