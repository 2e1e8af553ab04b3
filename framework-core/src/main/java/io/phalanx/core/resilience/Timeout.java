package io.phalanx.core.resilience;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.Transport;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A default per-call timeout (optionally per operation), for both sides: the context passed down
 * gets the earlier of its propagated deadline and now + timeout ({@link Context#withTimeout}). A
 * call whose deadline already passed is refused with 504 {@code DEADLINE_EXCEEDED} before
 * anything runs.
 *
 * <p>Who enforces the deadline: on the client side the transports do (the HTTP client times the
 * exchange by {@code ctx.remaining()}, the gRPC bridge turns it into the call's deadline); on the
 * server side the HTTP server already answers 504 and interrupts the handler at the deadline it
 * computed from its request timeout and {@code grpc-timeout}. This middleware therefore only
 * adds a watchdog when it shortened a server-side deadline: at the shorter deadline it
 * interrupts the handler thread, and the call fails with 504 {@code DEADLINE_EXCEEDED} (a
 * handler that ignores interrupts still gets its late result replaced by the 504).
 *
 * <p>Threading: thread-safe. The watchdog runs on one daemon thread owned by this instance,
 * started on first need and ended after 10 s without work, so nothing needs closing.
 */
public final class Timeout implements Middleware {
  private static final int RUNNING = 0;
  private static final int DONE = 1;
  private static final int INTERRUPTING = 2;
  private static final int TIMED_OUT = 3;

  private final Duration timeout;
  private final Map<String, Duration> perOperation;
  private final ScheduledThreadPoolExecutor watchdog;

  private Timeout(Duration timeout, Map<String, Duration> perOperation) {
    this.timeout = timeout;
    this.perOperation = Map.copyOf(perOperation);
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "phalanx-timeout-watchdog");
      t.setDaemon(true);
      return t;
    });
    s.setRemoveOnCancelPolicy(true);
    s.setKeepAliveTime(10, TimeUnit.SECONDS);
    s.allowCoreThreadTimeOut(true);
    this.watchdog = s;
  }

  /** Every call gets at most {@code timeout}. */
  public static Timeout of(Duration timeout) {
    return new Timeout(positive(timeout), Map.of());
  }

  /**
   * {@code timeout} by default, or the operation's entry of {@code perOperation} (keys are
   * operation names such as {@code GET /users/{id}}).
   */
  public static Timeout of(Duration timeout, Map<String, Duration> perOperation) {
    perOperation.values().forEach(Timeout::positive);
    return new Timeout(positive(timeout), perOperation);
  }

  public static Timeout from(TimeoutSettings s) {
    return of(s.timeout().orElse(Duration.ofSeconds(10)), s.operations().orElse(Map.of()));
  }

  /** The timeout applied to {@code operation}. */
  public Duration timeoutFor(String operation) {
    return perOperation.getOrDefault(operation, timeout);
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      String op = ctx.transport().operation();
      Context c = ctx.withTimeout(timeoutFor(op));
      Duration left = c.remaining().orElseThrow();
      if (left.isNegative() || left.isZero()) {
        throw ResilienceErrors.deadlineExceeded(op, "before the call");
      }
      if (c == ctx || ctx.transport().side() == Transport.Side.CLIENT) {
        return next.handle(c, request); // the transport enforces this deadline
      }
      return guarded(next, c, request, left, op);
    };
  }

  private Object guarded(Handler next, Context c, Object request, Duration left, String op)
      throws Exception {
    Thread thread = Thread.currentThread();
    AtomicInteger state = new AtomicInteger(RUNNING);
    ScheduledFuture<?> timer = watchdog.schedule(() -> {
      if (state.compareAndSet(RUNNING, INTERRUPTING)) {
        thread.interrupt();
        state.set(TIMED_OUT);
      }
    }, left.toNanos(), TimeUnit.NANOSECONDS);
    Object reply;
    try {
      reply = next.handle(c, request);
    } catch (Throwable t) {
      timer.cancel(false);
      if (!state.compareAndSet(RUNNING, DONE)) {
        throw timedOut(state, op).withCause(t);
      }
      throw t;
    }
    timer.cancel(false);
    if (!state.compareAndSet(RUNNING, DONE)) {
      throw timedOut(state, op);
    }
    return reply;
  }

  /** Waits for the watchdog's interrupt to land, then clears it: it was meant for the handler. */
  private static io.phalanx.core.error.ServiceException timedOut(AtomicInteger state, String op) {
    while (state.get() == INTERRUPTING) {
      Thread.onSpinWait();
    }
    Thread.interrupted();
    return ResilienceErrors.deadlineExceeded(op, "in the handler");
  }

  private static Duration positive(Duration d) {
    Objects.requireNonNull(d, "timeout");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + d);
    }
    return d;
  }
}
