package io.phalanx.registry.consul;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds; the bound is generous because it is a limit, not a goal. */
final class Await {
  private Await() {}

  static void until(String what, BooleanSupplier condition) throws InterruptedException {
    until(what, Duration.ofSeconds(15), condition);
  }

  static void until(String what, Duration bound, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        fail("timed out after " + bound + " waiting until " + what);
      }
      Thread.sleep(20);
    }
  }
}
