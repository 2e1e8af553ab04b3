package io.phalanx.core.selector;

import java.net.URI;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * nginx's smooth weighted round-robin: every pick adds each node's weight to its current weight,
 * takes the largest (first on a tie) and subtracts the total from it. Heavy nodes are spread out
 * instead of picked in bursts. Nodes of weight 0 take no part while any node has weight; among
 * nodes of weight 0 only, the first is picked (both as Kratos' {@code wrr}).
 *
 * <p>Current weights live here, per endpoint, under this object's lock (the pick reads and
 * writes all of them at once); entries of endpoints no longer offered are dropped.
 */
final class WeightedRoundRobinBalancer implements Balancer {
  private final Map<URI, long[]> current = new HashMap<>();

  @Override
  public synchronized NodeStats pick(List<NodeStats> candidates, long now) {
    if (allDrained(candidates)) {
      // Kratos: nothing accumulates at weight 0, so its first node wins every tie
      return candidates.get(0);
    }
    long total = 0;
    NodeStats best = null;
    long bestWeight = Long.MIN_VALUE;
    for (NodeStats s : candidates) {
      Node n = s.node();
      long w = n.weight();
      if (w == 0) {
        // skipped, not merely never winning: once current weights were dropped with a departed
        // node the others can sum below 0 for a while, and a 0 would then win
        continue;
      }
      total += w;
      long[] cw = current.computeIfAbsent(n.endpoint(), k -> new long[1]);
      cw[0] += w;
      if (cw[0] > bestWeight) {
        bestWeight = cw[0];
        best = s;
      }
    }
    current.get(best.node().endpoint())[0] -= total;
    if (current.size() > candidates.size()) {
      Set<URI> live = new HashSet<>();
      for (NodeStats s : candidates) {
        live.add(s.node().endpoint());
      }
      current.keySet().retainAll(live);
    }
    return best;
  }

  private static boolean allDrained(List<NodeStats> candidates) {
    for (NodeStats s : candidates) {
      if (s.node().weight() > 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "weighted_round_robin";
  }
}
