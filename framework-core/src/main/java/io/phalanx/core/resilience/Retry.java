package io.phalanx.core.resilience;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;
import io.phalanx.core.error.Errors;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Client-side retry with exponential backoff and full jitter, a per-attempt timeout and a
 * {@link RetryBudget}. Each attempt calls the rest of the chain again with a fresh context (a
 * copy carrying {@link #ATTEMPT} and, if configured, the shorter per-attempt deadline).
 *
 * <p>What is retried:
 * <ul>
 *   <li>an idempotent operation ({@link Builder#idempotent}; default: HTTP GET, HEAD, PUT,
 *       DELETE, OPTIONS, whose client operation starts with the method, and the gRPC methods
 *       named in {@link Builder#idempotentOperations}) failing with 502, 503 or 504 (but not
 *       503 {@code CIRCUIT_OPEN}: the local breaker would only refuse again);
 *   <li>any operation failing in a way that proves the request was never processed
 *       ({@link ResilienceErrors#isNotProcessed}: a refused connection).
 * </ul>
 * Never past the deadline: a backoff that would end after it is not slept, the last error is
 * thrown instead. At most {@code maxAttempts} attempts, and only while the budget allows.
 *
 * <p>Transports: the HTTP client's chain may be called repeatedly (each call is a new exchange,
 * the reply headers are cleared here before a retry). The gRPC client bridge supports it for
 * unary calls (each call of {@code next} starts a new gRPC call); a streaming call can be started
 * only once, so put Retry only on clients or operations that are unary.
 *
 * <p>Place it outside the circuit breaker (so each attempt is judged by the breaker) and inside
 * tracing/metrics if those should see one call, or outside them to see every attempt.
 *
 * <p>Threading: thread-safe; the calling thread sleeps during backoff (cheap on virtual threads).
 */
public final class Retry implements Middleware {
  /** The attempt number (1 for the first) on the context each attempt receives. */
  public static final Context.Key<Integer> ATTEMPT = Context.Key.of("phalanx.retry.attempt");

  private static final Set<String> IDEMPOTENT_HTTP = Set.of("GET", "HEAD", "PUT", "DELETE",
      "OPTIONS");

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration perAttemptTimeout;
  private final Predicate<Context> idempotent;
  private final Predicate<Throwable> retryable;
  private final RetryBudget budget;

  private Retry(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.perAttemptTimeout = b.perAttemptTimeout;
    Set<String> grpc = Set.copyOf(b.idempotentOperations);
    this.idempotent = b.idempotent != null ? b.idempotent : ctx -> defaultIdempotent(ctx, grpc);
    this.retryable = b.retryable;
    this.budget = b.budget;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static Retry from(RetrySettings settings) {
    return builder().settings(settings).build();
  }

  /** The budget this retry draws from. */
  public RetryBudget budget() {
    return budget;
  }

  /** HTTP: the method at the start of the client operation; gRPC: the configured set. */
  static boolean defaultIdempotent(Context ctx, Set<String> grpcOperations) {
    String op = ctx.transport().operation();
    if (ctx.transport().kind() == Transport.Kind.HTTP) {
      int sp = op.indexOf(' ');
      return sp > 0 && IDEMPOTENT_HTTP.contains(op.substring(0, sp));
    }
    return grpcOperations.contains(op);
  }

  /** The default test for idempotent operations: 502, 503 or 504, except CIRCUIT_OPEN. */
  public static boolean isRetryableError(Throwable t) {
    return Errors.find(t).map(e -> (e.code() == 502 || e.code() == 503 || e.code() == 504)
        && !ResilienceErrors.CIRCUIT_OPEN.equals(e.reason())).orElse(false);
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      budget.onRequest();
      boolean idem = idempotent.test(ctx);
      for (int attempt = 1; ; attempt++) {
        Context c = ctx.with(ATTEMPT, attempt);
        if (perAttemptTimeout != null) {
          c = c.withTimeout(perAttemptTimeout);
        }
        try {
          return next.handle(c, request);
        } catch (Exception e) {
          if (attempt >= maxAttempts || Thread.currentThread().isInterrupted()
              || !shouldRetry(idem, e) || !budget.tryRetry()
              || !sleepBeforeRetry(ctx, attempt)) {
            throw e;
          }
          clear(ctx.transport().replyMetadata());
        }
      }
    };
  }

  private boolean shouldRetry(boolean idem, Exception e) {
    return ResilienceErrors.isNotProcessed(e) || idem && retryable.test(e);
  }

  /**
   * The most the backoff after {@code attempt} may be: {@code initial · 2^(attempt-1)}, at most
   * {@code max}; computed without overflowing, which a long initial backoff would otherwise do
   * (and turn into no backoff at all).
   */
  static long backoffCap(long initialNanos, long maxNanos, int attempt) {
    int shift = Math.min(attempt - 1, 62);
    return initialNanos > (maxNanos >> shift) ? maxNanos : initialNanos << shift;
  }

  /** Sleeps the jittered backoff; false when that would pass the deadline or was interrupted. */
  private boolean sleepBeforeRetry(Context ctx, int attempt) {
    long cap = backoffCap(initialBackoff.toNanos(), maxBackoff.toNanos(), attempt);
    long sleep = cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap + 1);
    Duration left = ctx.remaining().orElse(null);
    if (left != null && left.toNanos() <= sleep) {
      return false;
    }
    if (sleep > 0) {
      try {
        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !ctx.isExpired();
  }

  private static void clear(MutableMetadata m) {
    for (String name : List.copyOf(m.names())) {
      m.remove(name);
    }
  }

  /** Builds a {@link Retry}. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration initialBackoff = Duration.ofMillis(50);
    private Duration maxBackoff = Duration.ofSeconds(1);
    private Duration perAttemptTimeout;
    private Predicate<Context> idempotent;
    private Set<String> idempotentOperations = Set.of();
    private Predicate<Throwable> retryable = Retry::isRetryableError;
    private RetryBudget budget;
    private double budgetRatio = 0.1;
    private int budgetMinPerSecond = 10;
    private Duration budgetWindow = Duration.ofSeconds(10);

    private Builder() {}

    /** Attempts in all, the first one included (3). */
    public Builder maxAttempts(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1: " + n);
      }
      this.maxAttempts = n;
      return this;
    }

    /** Backoff cap before retry n is {@code min(max, initial·2^(n-1))}; 50 ms and 1 s. */
    public Builder backoff(Duration initial, Duration max) {
      if (initial.isNegative() || max.isNegative()) {
        throw new IllegalArgumentException("backoff must not be negative");
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /** Deadline of each attempt (never beyond the call's); none by default. */
    public Builder perAttemptTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("perAttemptTimeout must be positive: " + timeout);
      }
      this.perAttemptTimeout = timeout;
      return this;
    }

    /** Replaces the idempotency test entirely. */
    public Builder idempotent(Predicate<Context> idempotent) {
      this.idempotent = Objects.requireNonNull(idempotent, "idempotent");
      return this;
    }

    /** gRPC full method names ({@code /pkg.Service/Method}) that are safe to repeat. */
    public Builder idempotentOperations(Set<String> operations) {
      this.idempotentOperations = Set.copyOf(operations);
      return this;
    }

    /** Which errors of idempotent operations are retried (default {@link #isRetryableError}). */
    public Builder retryable(Predicate<Throwable> retryable) {
      this.retryable = Objects.requireNonNull(retryable, "retryable");
      return this;
    }

    /** A budget to share between several Retry instances (default: one of its own). */
    public Builder budget(RetryBudget budget) {
      this.budget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    public Builder settings(RetrySettings s) {
      s.maxAttempts().ifPresent(this::maxAttempts);
      backoff(s.initialBackoff().orElse(initialBackoff), s.maxBackoff().orElse(maxBackoff));
      s.perAttemptTimeout().ifPresent(this::perAttemptTimeout);
      s.budgetRatio().ifPresent(v -> budgetRatio = v);
      s.budgetMinPerSecond().ifPresent(v -> budgetMinPerSecond = v);
      s.budgetWindow().ifPresent(v -> budgetWindow = v);
      s.idempotentOperations().ifPresent(v -> idempotentOperations(Set.copyOf(v)));
      return this;
    }

    public Retry build() {
      if (budget == null) {
        budget = RetryBudget.of(budgetRatio, budgetMinPerSecond, budgetWindow);
      }
      return new Retry(this);
    }
  }
}
