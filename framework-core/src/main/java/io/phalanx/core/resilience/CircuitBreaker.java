package io.phalanx.core.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.resilience.internal.KeyedStates;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Client-side circuit breaker: one {@link Breaker} per target endpoint (default) or per operation,
 * created lazily, at most {@code maxKeys} of them. A refused call is not sent and fails with 503
 * {@code CIRCUIT_OPEN}.
 *
 * <pre>{@code
 * HttpClient.builder().target(url).middleware(CircuitBreaker.builder().build())  // SRE, per endpoint
 * CircuitBreaker.from(config.bind("resilience.breaker", BreakerSettings.class))
 * }</pre>
 *
 * <p>Which outcomes count as failures is {@link Builder#failure}; the default is {@link
 * ResilienceErrors#isServerFailure} (5xx or a non-service exception, never 4xx). A call that
 * fails because it was interrupted or cancelled by the caller (499) is not counted either way
 * ({@link Breaker#onIgnored}): it says nothing about the server.
 *
 * <p>Threading: thread-safe; the admitted path is a map lookup plus the algorithm's counters.
 */
public final class CircuitBreaker implements Middleware {
  /** Whether breakers are per target endpoint or per operation. */
  public enum Scope {
    ENDPOINT,
    OPERATION
  }

  private final BreakerAlgorithm algorithm;
  private final Scope scope;
  private final Predicate<Throwable> failure;
  private final KeyedStates<Breaker> breakers;

  private CircuitBreaker(Builder b) {
    this.algorithm = b.algorithm;
    this.scope = b.scope;
    this.failure = b.failure;
    this.breakers = new KeyedStates<>(b.maxKeys, algorithm::create);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Built from config; see {@link BreakerSettings} for keys and defaults. */
  public static CircuitBreaker from(BreakerSettings settings) {
    return builder().settings(settings).build();
  }

  /** The breaker for {@code key} (endpoint or operation), creating it if needed. */
  public Breaker breaker(String key) {
    return breakers.get(key);
  }

  /** The breakers that exist now, by key. */
  public Map<String, Breaker> breakers() {
    return breakers.snapshot();
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      String key = key(ctx);
      Breaker breaker = breakers.get(key);
      if (!breaker.tryAcquire()) {
        breaker.onRejected();
        throw ResilienceErrors.circuitOpen(key);
      }
      long start = System.nanoTime();
      Object reply;
      try {
        reply = next.handle(ctx, request);
      } catch (Throwable t) {
        long elapsed = System.nanoTime() - start;
        if (isCallerCancel(t)) {
          breaker.onIgnored();
        } else if (failure.test(t)) {
          breaker.onFailure(elapsed, t);
        } else {
          breaker.onSuccess(elapsed);
        }
        throw t;
      }
      breaker.onSuccess(System.nanoTime() - start);
      return reply;
    };
  }

  private String key(Context ctx) {
    return scope == Scope.ENDPOINT ? ctx.transport().endpoint() : ctx.transport().operation();
  }

  private static boolean isCallerCancel(Throwable t) {
    return t instanceof InterruptedException
        || io.phalanx.core.error.Errors.find(t).map(e -> e.code() == 499).orElse(false);
  }

  /** Builds a {@link CircuitBreaker}. Not thread-safe. */
  public static final class Builder {
    private BreakerAlgorithm algorithm = BreakerAlgorithm.sre();
    private Scope scope = Scope.ENDPOINT;
    private Predicate<Throwable> failure = ResilienceErrors::isServerFailure;
    private int maxKeys = 1024;

    private Builder() {}

    /** The algorithm (default {@link BreakerAlgorithm#sre()}). */
    public Builder algorithm(BreakerAlgorithm algorithm) {
      this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
      return this;
    }

    /** Per endpoint (default) or per operation. */
    public Builder scope(Scope scope) {
      this.scope = Objects.requireNonNull(scope, "scope");
      return this;
    }

    /** Which thrown errors count as failures (default {@link ResilienceErrors#isServerFailure}). */
    public Builder failure(Predicate<Throwable> failure) {
      this.failure = Objects.requireNonNull(failure, "failure");
      return this;
    }

    /** Most breakers kept at once (1024); least recently used ones are dropped beyond. */
    public Builder maxKeys(int maxKeys) {
      if (maxKeys < 1) {
        throw new IllegalArgumentException("maxKeys must be >= 1: " + maxKeys);
      }
      this.maxKeys = maxKeys;
      return this;
    }

    /** Applies every setting present in {@code s}; absent ones keep the builder's value. */
    public Builder settings(BreakerSettings s) {
      s.scope().ifPresent(v -> scope(parseScope(v)));
      s.maxKeys().ifPresent(this::maxKeys);
      String alg = s.algorithm().orElse("sre").trim().toLowerCase(java.util.Locale.ROOT);
      switch (alg) {
        case "sre" -> algorithm(BreakerAlgorithm.sre(s.window().orElse(Duration.ofSeconds(3)),
            s.buckets().orElse(10), s.failureRatio().orElse(0.5), s.minRequests().orElse(20)));
        case "resilience4j", "r4j" -> algorithm(BreakerAlgorithm.resilience4j(r4j(s)));
        default -> throw new IllegalArgumentException("unknown breaker algorithm '" + alg
            + "': expected sre or resilience4j");
      }
      return this;
    }

    private static Scope parseScope(String v) {
      return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "endpoint" -> Scope.ENDPOINT;
        case "operation" -> Scope.OPERATION;
        default -> throw new IllegalArgumentException("unknown breaker scope '" + v
            + "': expected endpoint or operation");
      };
    }

    private static CircuitBreakerConfig r4j(BreakerSettings s) {
      CircuitBreakerConfig.Builder c = CircuitBreakerConfig.custom();
      boolean time = s.windowType().map(t -> t.trim().equalsIgnoreCase("time")).orElse(false);
      if (time) {
        c.slidingWindow((int) s.window().orElse(Duration.ofSeconds(60)).toSeconds(),
            s.minRequests().orElse(20), CircuitBreakerConfig.SlidingWindowType.TIME_BASED);
      } else {
        int size = s.windowSize().orElse(100);
        c.slidingWindow(size, Math.min(size, s.minRequests().orElse(20)),
            CircuitBreakerConfig.SlidingWindowType.COUNT_BASED);
      }
      c.failureRateThreshold((float) (s.failureRatio().orElse(0.5) * 100));
      s.slowCallRatio().ifPresent(r -> c.slowCallRateThreshold((float) (r * 100)));
      s.slowCallDuration().ifPresent(c::slowCallDurationThreshold);
      c.waitDurationInOpenState(s.openDuration().orElse(Duration.ofSeconds(10)));
      c.permittedNumberOfCallsInHalfOpenState(s.halfOpenCalls().orElse(10));
      c.automaticTransitionFromOpenToHalfOpenEnabled(false);
      return c.build();
    }

    public CircuitBreaker build() {
      return new CircuitBreaker(this);
    }
  }
}
