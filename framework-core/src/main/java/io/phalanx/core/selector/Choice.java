package io.phalanx.core.selector;

/**
 * A node the balancer chose for a call that has not begun yet: nothing is counted until {@link
 * #start}. For transports that may drop a pick without saying so — grpc-java picks again when the
 * chosen sub-channel's transport went away in between, and a call cancelled right after its pick
 * never creates a stream — so that a dropped pick leaves no call in flight on the node (which
 * would skew P2C's in-flight count and predicted latency away from it for good).
 *
 * <p>Threading: {@code start} may be called from any thread.
 */
public interface Choice {

  Node node();

  /**
   * Begins one call on the node: counts it in flight from now. Each call to this method begins
   * another call, ended by the returned selection's {@link Selection#done}.
   */
  Selection start();
}
