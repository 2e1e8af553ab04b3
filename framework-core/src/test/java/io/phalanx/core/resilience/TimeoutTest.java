package io.phalanx.core.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Metadata;
import io.phalanx.core.error.ServiceException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TimeoutTest {

  @Test
  void serverHandlerOverTheTimeoutIsInterruptedAndAnswers504() {
    AtomicBoolean interrupted = new AtomicBoolean();
    Handler h = Timeout.of(Duration.ofMillis(100)).wrap((ctx, req) -> {
      try {
        Thread.sleep(10_000);
      } catch (InterruptedException e) {
        interrupted.set(true);
        throw e;
      }
      return "late";
    });
    ServiceException e = assertThrows(ServiceException.class,
        () -> h.handle(Fixtures.server("GET /slow", Metadata.empty()), "r"));
    assertEquals(504, e.code());
    assertEquals(ResilienceErrors.DEADLINE_EXCEEDED, e.reason());
    assertTrue(interrupted.get());
    assertFalse(Thread.currentThread().isInterrupted(), "the interrupt must not leak");
  }

  @Test
  void aShorterPropagatedDeadlineWinsAndAnExpiredOneIsRefusedWithoutCalling() throws Exception {
    AtomicReference<Instant> seen = new AtomicReference<>();
    Handler h = Timeout.of(Duration.ofSeconds(30)).wrap((ctx, req) -> {
      seen.set(ctx.deadline().orElseThrow());
      return "ok";
    });
    Context ctx = Fixtures.client("GET /x").withTimeout(Duration.ofSeconds(1));
    assertEquals("ok", h.handle(ctx, "r"));
    assertEquals(ctx.deadline().orElseThrow(), seen.get());

    seen.set(null);
    Context expired = Fixtures.client("GET /x").withDeadline(Instant.now().minusMillis(1));
    ServiceException e = assertThrows(ServiceException.class, () -> h.handle(expired, "r"));
    assertEquals(504, e.code());
    assertEquals(null, seen.get());
  }

  @Test
  void perOperationTimeoutsApplyFromConfig() throws Exception {
    Timeout t = Timeout.from(Fixtures.config(
        "t { timeout = 2s, operations { \"GET /slow\" = 30s } }").bind("t",
        TimeoutSettings.class));
    assertEquals(Duration.ofSeconds(30), t.timeoutFor("GET /slow"));
    assertEquals(Duration.ofSeconds(2), t.timeoutFor("GET /other"));
    AtomicReference<Duration> left = new AtomicReference<>();
    t.wrap((ctx, req) -> {
      left.set(ctx.remaining().orElseThrow());
      return "ok";
    }).handle(Fixtures.client("GET /other"), "r");
    assertTrue(left.get().compareTo(Duration.ofSeconds(2)) <= 0
        && left.get().compareTo(Duration.ofSeconds(1)) > 0, "remaining " + left.get());
    assertEquals(Duration.ofSeconds(10),
        Timeout.from(Fixtures.config("t {}").bind("t", TimeoutSettings.class)).timeoutFor("x"));
  }
}
