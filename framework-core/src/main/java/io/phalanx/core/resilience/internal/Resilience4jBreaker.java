package io.phalanx.core.resilience.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.phalanx.core.resilience.Breaker;
import java.util.concurrent.TimeUnit;

/** Adapts a resilience4j circuit breaker. Threading: as resilience4j's, thread-safe. */
public final class Resilience4jBreaker implements Breaker {
  private final CircuitBreaker delegate;

  public Resilience4jBreaker(CircuitBreaker delegate) {
    this.delegate = delegate;
  }

  /** The resilience4j breaker, for its metrics and events. */
  public CircuitBreaker delegate() {
    return delegate;
  }

  @Override
  public boolean tryAcquire() {
    return delegate.tryAcquirePermission();
  }

  @Override
  public void onSuccess(long elapsedNanos) {
    delegate.onSuccess(elapsedNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void onFailure(long elapsedNanos, Throwable error) {
    delegate.onError(elapsedNanos, TimeUnit.NANOSECONDS, error);
  }

  @Override
  public void onIgnored() {
    delegate.releasePermission();
  }

  @Override
  public void onRejected() {
    // resilience4j counts refused calls itself (notPermittedCalls); nothing to record.
  }

  @Override
  public State state() {
    return switch (delegate.getState()) {
      case CLOSED, DISABLED, METRICS_ONLY -> State.CLOSED;
      case HALF_OPEN -> State.HALF_OPEN;
      default -> State.OPEN;
    };
  }
}
