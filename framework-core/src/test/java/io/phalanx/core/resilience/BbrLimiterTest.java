package io.phalanx.core.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.resilience.internal.BbrLimiter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BbrLimiterTest {
  private static final long MS = 1_000_000L;
  private final AtomicLong clock = new AtomicLong(1_000_000 * MS);
  private volatile double cpu = 0.0;

  private BbrLimiter limiter() {
    // Kratos defaults; a decay of 0 makes the "EMA" follow the sample, so the test controls it.
    return new BbrLimiter(100, 100 * MS, 800, 1000 * MS, 500 * MS, 0.0, () -> cpu, clock::get);
  }

  /** Completes {@code n} requests of {@code rtMs} each in the current bucket. */
  private void complete(BbrLimiter l, int n, long rtMs) {
    for (int i = 0; i < n; i++) {
      long t = l.tryAcquire();
      clock.addAndGet(rtMs * MS / n / 4);
      l.done(t - rtMs * MS + rtMs * MS / n / 4);
    }
  }

  @Test
  void maxInFlightIsMaxPassTimesMinRtByLittlesLaw() {
    BbrLimiter l = limiter();
    complete(l, 30, 20); // one bucket: 30 passes, 20 ms each
    clock.addAndGet(100 * MS);
    complete(l, 10, 50);
    clock.addAndGet(100 * MS);
    assertEquals(30, l.maxPass());
    assertEquals(20, l.minRtMillis());
    // 30 per 100 ms bucket = 300/s × 0.020 s = 6
    assertEquals(6, l.maxInFlight());
  }

  @Test
  void dropsOnlyUnderHighCpuWhenOverTheLimitThenCoolsDown() {
    BbrLimiter l = limiter();
    complete(l, 30, 20);
    clock.addAndGet(100 * MS);
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      long t = l.tryAcquire();
      assertFalse(BbrLimiter.dropped(t), "low CPU never drops");
      held.add(t);
    }
    cpu = 0.95;
    clock.addAndGet(500 * MS); // next sample sees 950 ‰
    assertTrue(BbrLimiter.dropped(l.tryAcquire()), "10 in flight > 6 at high CPU");
    cpu = 0.1;
    clock.addAndGet(500 * MS); // CPU low again, but within the 1 s cool-down
    assertTrue(BbrLimiter.dropped(l.tryAcquire()));
    clock.addAndGet(600 * MS); // cool-down over
    long t = l.tryAcquire();
    assertFalse(BbrLimiter.dropped(t));
    l.done(t);
    held.forEach(l::done);
    assertEquals(0, l.inFlight());
  }

  @Test
  void theCoolDownCountsFromTheFirstDropAsKratosDoes() {
    BbrLimiter l = limiter();
    complete(l, 30, 20); // maxInFlight 6
    clock.addAndGet(100 * MS);
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      held.add(l.tryAcquire());
    }
    cpu = 0.95;
    for (int i = 0; i < 5; i++) { // 2.5 s of overload, dropping all along
      clock.addAndGet(500 * MS);
      assertTrue(BbrLimiter.dropped(l.tryAcquire()), "drop " + i);
    }
    cpu = 0.1;
    clock.addAndGet(500 * MS); // the first drop was 2.5 s ago: no cool-down left
    long t = l.tryAcquire();
    assertFalse(BbrLimiter.dropped(t));
    l.done(t);
    held.forEach(l::done);
  }

  @Test
  void cpuIsAnExponentialMovingAverageSampledAtMostEveryInterval() {
    BbrLimiter l = new BbrLimiter(100, 100 * MS, 800, 1000 * MS, 500 * MS, 0.95, () -> cpu,
        clock::get);
    cpu = 1.0;
    assertEquals(50, l.cpu()); // 0·0.95 + 1000·0.05
    assertEquals(50, l.cpu()); // not resampled within 500 ms
    clock.addAndGet(500 * MS);
    assertEquals(98, l.cpu()); // round(50·0.95 + 50) = 97.5 → 98
  }

  @Test
  void adaptiveLimiterBindsAndAdmitsWhenIdle() throws Exception {
    AdaptiveLimiter a = AdaptiveLimiter.from(Fixtures.config("a { cpu-threshold = 900 }")
        .bind("a", AdaptiveLimitSettings.class));
    assertEquals("ok", a.wrap((ctx, req) -> "ok").handle(Fixtures.server("GET /x",
        io.phalanx.core.Metadata.empty()), "r"));
    assertEquals(0, a.inFlight());
  }
}
