package io.phalanx.core.selector;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Round-robin by a shared counter; a changing candidate list shifts the position, not fairness. */
final class RoundRobinBalancer implements Balancer {
  private final AtomicLong next = new AtomicLong();

  @Override
  public NodeStats pick(List<NodeStats> candidates, long now) {
    return candidates.get((int) Math.floorMod(next.getAndIncrement(), (long) candidates.size()));
  }

  @Override
  public String toString() {
    return "round_robin";
  }
}
