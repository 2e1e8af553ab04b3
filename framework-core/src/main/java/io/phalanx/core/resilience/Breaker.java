package io.phalanx.core.resilience;

/**
 * One circuit breaker: the state for one endpoint or one operation. {@link CircuitBreaker}
 * creates one per key with a {@link BreakerAlgorithm} and drives it: {@link #tryAcquire} before
 * the call, then exactly one of {@link #onSuccess}, {@link #onFailure}, {@link #onIgnored} (or
 * {@link #onRejected} when {@code tryAcquire} said no).
 *
 * <p>Threading: implementations must be thread-safe and cheap, they run on every call.
 */
public interface Breaker {

  /** The breaker's state, for inspection; SRE throttling is never HALF_OPEN. */
  enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  /** Whether the call may go ahead. */
  boolean tryAcquire();

  /** The admitted call completed without a failure (4xx answers included). */
  void onSuccess(long elapsedNanos);

  /** The admitted call failed in a way that counts (see {@link CircuitBreaker.Builder#failure}). */
  void onFailure(long elapsedNanos, Throwable error);

  /**
   * The admitted call ended without saying anything about the server: the caller cancelled it
   * or was interrupted (499). Nothing is recorded; a breaker that hands out a limited number of
   * trial calls (half-open) must give this one back, or a cancelled probe would pass for a
   * healthy server, or use up a trial. By default nothing happens.
   */
  default void onIgnored() {}

  /** {@link #tryAcquire} refused the call. */
  void onRejected();

  State state();
}
