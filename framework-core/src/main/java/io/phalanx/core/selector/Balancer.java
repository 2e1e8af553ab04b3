package io.phalanx.core.selector;

import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * Chooses one node per call among the selector's candidates, as Kratos' {@code
 * selector.Balancer}. One balancer instance serves one {@link Selector}: stateful balancers
 * (round-robin position, weighted-round-robin current weights) keep that state per selector.
 *
 * <p>Threading: {@link #pick} and {@link #done} are called concurrently from every calling
 * thread; implementations must be thread-safe and must not block.
 */
public interface Balancer {

  /**
   * One of {@code candidates}.
   *
   * @param candidates the usable nodes in discovery order, never empty; the list is the
   *     selector's and must not be kept
   * @param now the selector's ticker in nanoseconds, for time-based state
   */
  NodeStats pick(List<NodeStats> candidates, long now);

  /**
   * Feedback for a call made on {@code node}; the node's own {@link NodeStats} is updated
   * already.
   *
   * @param failed whether the call failed in a way that counts against the node
   */
  default void done(NodeStats node, long latencyNanos, boolean failed) {}

  /**
   * Whether this balancer holds {@code node} back: the selector offers it only when no node that
   * is not held back can take the call, healthy or ejected. By default the nodes of weight 0:
   * that is how Kratos services are drained, and Kratos' default client balancer ({@code wrr})
   * never picks them while a node with weight is there. Every built-in balancer holds them back,
   * the unweighted ones too (Kratos' {@code random} and {@code p2c} would still send to them), so
   * a drained Go service gets no calls from Java clients whichever balancer they use.
   *
   * <p>Threading: called concurrently on every call's path; must be cheap and must not block.
   */
  default boolean drained(Node node) {
    return node.weight() == 0;
  }

  /** Round-robin in discovery order; weights play no part, but weight 0 drains ({@link #drained}). */
  static Balancer roundRobin() {
    return new RoundRobinBalancer();
  }

  /**
   * nginx's smooth weighted round-robin (Kratos' {@code wrr}) on {@link Node#weight()}: weights
   * 5, 1, 1 give {@code a a b a c a a}. A node of weight 0 is drained, as in Kratos: it gets no
   * call while a node with weight can take one (even an ejected one), and when only nodes of
   * weight 0 are left the first of them takes every call, as Kratos' wrr does.
   */
  static Balancer weightedRoundRobin() {
    return new WeightedRoundRobinBalancer();
  }

  /** Uniformly random, as Kratos' {@code random}: weights, 0 included, play no part. */
  static Balancer random() {
    return new RandomBalancer(null);
  }

  /** Uniformly random from {@code random} (seed it for reproducible tests). */
  static Balancer random(Random random) {
    return new RandomBalancer(random);
  }

  /**
   * Power of two choices on peak-EWMA latency x in-flight and success rate (Kratos' {@code p2c}):
   * of two distinct random nodes the one with the higher {@code success / load} wins, except
   * that a node not picked for 3 s is picked once to refresh its statistics. Weights, 0
   * included, play no part, as in Kratos.
   */
  static Balancer p2c() {
    return new P2cBalancer(null, Duration.ZERO);
  }

  /** {@link #p2c()} drawing its pairs from {@code random}. */
  static Balancer p2c(Random random) {
    return new P2cBalancer(random, Duration.ZERO);
  }

  /**
   * {@link #p2c()} with a warm-up for instances that join while the service is running (a
   * rolling restart's new JVMs): for {@code warmUp} after joining, a new node's latency is not
   * held against it — a JVM that has not compiled its hot paths yet answers slowly, and P2C alone
   * then sends it calls only when the warm nodes have more in flight (at light load hardly any),
   * so it warms up slowly or not at all. Instead it wins a comparison
   * with a warm node at a rate that ramps linearly from 10 % to 100 % of an equal share over the
   * window (scaled by its success rate, so a failing node does not profit), then competes on its
   * statistics like any other. Nodes of the selector's first set are not new and get no warm-up.
   * Kratos' P2C has none; Envoy calls this slow start.
   */
  static Balancer p2c(Duration warmUp) {
    return new P2cBalancer(null, warmUp);
  }

  /** {@link #p2c(Duration)} drawing its pairs and ramps from {@code random}. */
  static Balancer p2c(Random random, Duration warmUp) {
    return new P2cBalancer(random, warmUp);
  }
}
