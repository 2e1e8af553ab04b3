package io.phalanx.core.selector;

import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/** Uniform random choice; {@code random} null draws from {@link ThreadLocalRandom}. */
final class RandomBalancer implements Balancer {
  private final Random random;

  RandomBalancer(Random random) {
    this.random = random;
  }

  @Override
  public NodeStats pick(List<NodeStats> candidates, long now) {
    Random r = random != null ? random : ThreadLocalRandom.current();
    return candidates.get(r.nextInt(candidates.size()));
  }

  @Override
  public String toString() {
    return "random";
  }
}
