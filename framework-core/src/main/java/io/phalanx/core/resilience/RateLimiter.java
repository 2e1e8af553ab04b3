package io.phalanx.core.resilience;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.resilience.internal.KeyedStates;
import java.time.Duration;
import java.util.Objects;

/**
 * Server-side rate limiting: at most {@code limit} requests per {@code period}, globally, per
 * operation or per key (client IP, a header, a context attribute: see {@link RequestKey}), with
 * at most {@code maxKeys} keys kept (least recently used dropped). Over the limit the request is
 * refused with 429 {@code RATE_LIMITED} and a {@code Retry-After} reply header giving the
 * seconds until the next permits (rounded up, at least 1).
 *
 * <p>The bucket is resilience4j's {@link AtomicRateLimiter}: {@code limit} permits refilled in one
 * go at the start of each period (a lock-free CAS on one state object). With {@code maxWait > 0}
 * a request waits up to that long (and never past its deadline) for a permit instead of being
 * refused at once.
 *
 * <pre>{@code
 * RateLimiter.builder().limit(100).period(Duration.ofSeconds(1)).key(RequestKey.remoteIp()).build()
 * RateLimiter.from(config.bind("resilience.rate-limit", RateLimitSettings.class))
 * }</pre>
 *
 * <p>Threading: thread-safe.
 */
public final class RateLimiter implements Middleware {
  private final int limit;
  private final Duration period;
  private final Duration maxWait;
  private final RequestKey key;
  private final KeyedStates<AtomicRateLimiter> limiters;

  private RateLimiter(Builder b) {
    this.limit = b.limit;
    this.period = b.period;
    this.maxWait = b.maxWait;
    this.key = b.key;
    RateLimiterConfig config = RateLimiterConfig.custom().limitForPeriod(limit)
        .limitRefreshPeriod(period).timeoutDuration(maxWait).build();
    this.limiters = new KeyedStates<>(b.maxKeys, k -> new AtomicRateLimiter(k, config));
  }

  public static Builder builder() {
    return new Builder();
  }

  public static RateLimiter from(RateLimitSettings settings) {
    return builder().settings(settings).build();
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      String k = key.of(ctx);
      AtomicRateLimiter limiter = limiters.get(k);
      boolean admitted;
      if (maxWait.isZero()) {
        admitted = limiter.acquirePermission();
      } else {
        // Reserve, then wait for the reserved slot: a reservation that would outlast the
        // deadline is refused (the permit is spent anyway: resilience4j cannot return it).
        long waitNanos = limiter.reservePermission();
        Duration left = ctx.remaining().orElse(null);
        admitted = waitNanos >= 0 && (left == null || left.toNanos() > waitNanos);
        if (admitted && waitNanos > 0) {
          Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
        }
      }
      if (!admitted) {
        long nanos = limiter.getDetailedMetrics().getNanosToWait();
        long seconds = Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
        ctx.transport().replyMetadata().set("retry-after", Long.toString(seconds));
        throw ResilienceErrors.rateLimited("rate limit of " + limit + " per " + period
            + " exceeded").withMetadata("retry_after_seconds", Long.toString(seconds));
      }
      return next.handle(ctx, request);
    };
  }

  /** Builds a {@link RateLimiter}. Not thread-safe. */
  public static final class Builder {
    private int limit = 100;
    private Duration period = Duration.ofSeconds(1);
    private Duration maxWait = Duration.ZERO;
    private RequestKey key = RequestKey.global();
    private int maxKeys = 10_000;

    private Builder() {}

    /** Requests admitted per period (100). */
    public Builder limit(int limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("limit must be >= 1: " + limit);
      }
      this.limit = limit;
      return this;
    }

    /** The refill period (1 s). */
    public Builder period(Duration period) {
      if (period.isNegative() || period.toNanos() < 1_000) {
        throw new IllegalArgumentException("period must be at least 1 µs: " + period);
      }
      this.period = period;
      return this;
    }

    /** How long a request may wait for a permit (0: refuse at once). */
    public Builder maxWait(Duration maxWait) {
      if (maxWait.isNegative()) {
        throw new IllegalArgumentException("maxWait must not be negative: " + maxWait);
      }
      this.maxWait = maxWait;
      return this;
    }

    /** What the limit is per (global by default). */
    public Builder key(RequestKey key) {
      this.key = Objects.requireNonNull(key, "key");
      return this;
    }

    /** Most keys tracked at once (10 000). */
    public Builder maxKeys(int maxKeys) {
      if (maxKeys < 1) {
        throw new IllegalArgumentException("maxKeys must be >= 1: " + maxKeys);
      }
      this.maxKeys = maxKeys;
      return this;
    }

    public Builder settings(RateLimitSettings s) {
      s.limit().ifPresent(this::limit);
      s.period().ifPresent(this::period);
      s.maxWait().ifPresent(this::maxWait);
      s.key().ifPresent(v -> key(RequestKey.parse(v)));
      s.maxKeys().ifPresent(this::maxKeys);
      return this;
    }

    public RateLimiter build() {
      return new RateLimiter(this);
    }
  }
}
