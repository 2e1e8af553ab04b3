package io.phalanx.core.selector;

/**
 * The node picked for one call, and the callback that reports how the call went. Call {@link
 * #done} exactly once when the call ends (reply, error or cancellation): it ends the node's
 * in-flight count, feeds the latency and success EWMAs and the outlier detector. Later calls are
 * ignored. It does not throw for a failure classifier or balancer that does: that is logged, the
 * default classification ({@link Selector#isNodeFailure}) stands in, and the call still ends.
 *
 * <p>Threading: {@code done} may be called from any thread.
 */
public interface Selection {

  Node node();

  /**
   * Reports the call's outcome.
   *
   * @param error null on success; otherwise what the call failed with — the selector's failure
   *     classifier decides whether it counts against the node (by default 503, 504 and I/O
   *     errors do; a 404 or 400 does not)
   */
  void done(Throwable error);
}
