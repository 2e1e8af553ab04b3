package io.phalanx.core.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.resilience.internal.SreBreaker;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SreBreakerTest {
  private static final long BUCKET = 300_000_000L; // 3 s / 10

  private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);

  private SreBreaker breaker() {
    return new SreBreaker(10, BUCKET, 2.0, 20, clock::get,
        () -> ThreadLocalRandom.current().nextDouble());
  }

  private static void record(SreBreaker b, int successes, int failures) {
    for (int i = 0; i < successes; i++) {
      b.onSuccess(0);
    }
    for (int i = 0; i < failures; i++) {
      b.onFailure(0, null);
    }
  }

  @Test
  void nothingIsDroppedBelowTheMinimumOrWhileTotalIsUnderKTimesAccepts() {
    SreBreaker b = breaker();
    record(b, 0, 19);
    assertEquals(0.0, b.dropRatio());
    SreBreaker c = breaker();
    record(c, 50, 49); // total 99 < 2 * 50
    assertEquals(0.0, c.dropRatio());
    assertEquals(Breaker.State.CLOSED, c.state());
  }

  @Test
  void dropRatioFollowsTheSreFormula() {
    SreBreaker b = breaker();
    record(b, 40, 160); // total 200, accepts 40: (200 - 80) / 201
    assertEquals(120.0 / 201, b.dropRatio(), 1e-9);
    assertEquals(Breaker.State.OPEN, b.state());
  }

  @Test
  void independentProbesAreDroppedWithThePredictedProbability() {
    double predicted = 120.0 / 201;
    int probes = 4000;
    int dropped = 0;
    for (int i = 0; i < probes; i++) {
      SreBreaker b = breaker();
      record(b, 40, 160);
      if (!b.tryAcquire()) {
        dropped++;
      }
    }
    double observed = dropped / (double) probes;
    // 4000 Bernoulli trials: sd ≈ 0.008; ±0.05 is over six standard deviations.
    assertEquals(predicted, observed, 0.05, "observed drop ratio " + observed);
  }

  @Test
  void rejectionsCountAsFailuresAndTheWindowForgets() {
    SreBreaker b = breaker();
    record(b, 0, 20);
    double before = b.dropRatio();
    b.onRejected();
    assertTrue(b.dropRatio() > before, "a rejection raises total");
    clock.addAndGet(10 * BUCKET); // the whole window passed
    assertEquals(0.0, b.dropRatio());
  }

  @Test
  void theWindowSlidesOneBucketAtATime() {
    SreBreaker b = breaker();
    record(b, 0, 30);
    clock.addAndGet(5 * BUCKET);
    record(b, 0, 30);
    assertEquals(60.0 / 61, b.dropRatio(), 1e-9);
    clock.addAndGet(5 * BUCKET); // the first 30 fall out
    assertEquals(30.0 / 31, b.dropRatio(), 1e-9);
  }
}
