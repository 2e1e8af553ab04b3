package io.phalanx.core.selector;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Kratos' power-of-two-choices balancer ({@code selector/p2c}). Two distinct random candidates
 * are compared by {@link NodeStats#weight} (success rate over peak-EWMA load); the better one is
 * picked, unless the other has not been picked for {@value #FORCE_PICK_MILLIS} ms: then it is
 * picked to refresh its statistics, one such forced pick at a time (a flag taken and released
 * around the choice, as in Kratos), so a node that was slow once is not starved forever.
 *
 * <p>Metadata weights are ignored, as in Kratos: the load already reflects capacity.
 *
 * <p>With a warm-up window (not in Kratos), a pair of one node that joined less than the window
 * ago and one that did not is decided by a coin instead: the new node wins with probability
 * {@code 0.5 x ramp x success}, where {@code ramp} grows linearly from {@value #MIN_RAMP} to 1
 * over the window and {@code success} is its success rate as a fraction. A pair of two new nodes,
 * or of two old ones, compares statistics as usual.
 */
final class P2cBalancer implements Balancer {
  /** Load of a node with no latency sample yet, per in-flight call: 100 µs. */
  static final double PENALTY_NANOS = 100_000;
  /** Added to the latency before the square root, so near-zero latencies compare sanely. */
  static final double DELAY_ADJUST_NANOS = 5_000_000;
  static final long FORCE_PICK_MILLIS = 3000;
  private static final long FORCE_PICK_NANOS = FORCE_PICK_MILLIS * 1_000_000;

  /** The share of an equal share a node gets the moment it joins (Envoy's default minimum). */
  static final double MIN_RAMP = 0.1;

  private final Random random;
  private final long warmUpNanos;
  private final AtomicBoolean forcing = new AtomicBoolean();

  P2cBalancer(Random random, Duration warmUp) {
    this.random = random;
    if (warmUp.isNegative()) {
      throw new IllegalArgumentException("warm-up must not be negative: " + warmUp);
    }
    this.warmUpNanos = warmUp.toNanos();
  }

  @Override
  public NodeStats pick(List<NodeStats> candidates, long now) {
    int n = candidates.size();
    if (n == 1) {
      return candidates.get(0);
    }
    Random r = random != null ? random : ThreadLocalRandom.current();
    int a = r.nextInt(n);
    int b = r.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    NodeStats first = candidates.get(a);
    NodeStats second = candidates.get(b);
    NodeStats pc;
    NodeStats upc;
    boolean firstNew = warming(first, now);
    if (firstNew != warming(second, now)) {
      NodeStats fresh = firstNew ? first : second;
      NodeStats warm = firstNew ? second : first;
      double ramp = Math.max(MIN_RAMP, (double) fresh.sinceJoined(now) / warmUpNanos);
      double share = 0.5 * ramp * (fresh.successRate() / NodeStats.SUCCESS_MAX);
      boolean freshWins = r.nextDouble() < share;
      pc = freshWins ? fresh : warm;
      upc = freshWins ? warm : fresh;
    } else if (first.weight(now) >= second.weight(now)) {
      pc = first;
      upc = second;
    } else {
      pc = second;
      upc = first;
    }
    if (upc.sinceLastPick(now) > FORCE_PICK_NANOS && forcing.compareAndSet(false, true)) {
      pc = upc;
      forcing.set(false);
    }
    return pc;
  }

  private boolean warming(NodeStats node, long now) {
    return warmUpNanos > 0 && node.sinceJoined(now) < warmUpNanos;
  }

  @Override
  public String toString() {
    return warmUpNanos > 0 ? "p2c(warm-up " + Duration.ofNanos(warmUpNanos) + ")" : "p2c";
  }
}
