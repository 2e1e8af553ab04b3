package io.phalanx.core.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryTest {
  private static Retry.Builder quick() {
    return Retry.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(5))
        .budget(RetryBudget.unlimited());
  }

  private static Handler failing(AtomicInteger calls, ServiceException error) {
    return (ctx, req) -> {
      calls.incrementAndGet();
      throw error;
    };
  }

  @Test
  void idempotentGetIsRetriedUpToMaxAttemptsWithAFreshContextEachTime() {
    AtomicInteger calls = new AtomicInteger();
    List<Integer> attempts = new ArrayList<>();
    Handler h = quick().maxAttempts(4).build().wrap((ctx, req) -> {
      calls.incrementAndGet();
      attempts.add(ctx.get(Retry.ATTEMPT).orElseThrow());
      throw Fixtures.unavailable();
    });
    assertThrows(ServiceException.class, () -> h.handle(Fixtures.client("GET /x"), "r"));
    assertEquals(4, calls.get());
    assertEquals(List.of(1, 2, 3, 4), attempts);
  }

  @Test
  void postIsNotRetriedUnlessTheRequestProvablyNeverLeft() {
    AtomicInteger calls = new AtomicInteger();
    Handler h = quick().build().wrap(failing(calls, Fixtures.unavailable()));
    assertThrows(ServiceException.class, () -> h.handle(Fixtures.client("POST /x"), "r"));
    assertEquals(1, calls.get());

    AtomicInteger refused = new AtomicInteger();
    Handler h2 = quick().build().wrap(failing(refused, Fixtures.refused()));
    assertThrows(ServiceException.class, () -> h2.handle(Fixtures.client("POST /x"), "r"));
    assertEquals(3, refused.get());
  }

  @Test
  void clientErrorsAndOpenCircuitsAreNotRetried() {
    AtomicInteger calls = new AtomicInteger();
    assertThrows(ServiceException.class, () -> quick().build()
        .wrap(failing(calls, Errors.badRequest("BAD", "bad")))
        .handle(Fixtures.client("GET /x"), "r"));
    assertThrows(ServiceException.class, () -> quick().build()
        .wrap(failing(calls, ResilienceErrors.circuitOpen("x")))
        .handle(Fixtures.client("GET /x"), "r"));
    assertEquals(2, calls.get());
  }

  @Test
  void succeedsWhenALaterAttemptSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Handler h = quick().build().wrap((ctx, req) -> {
      if (calls.incrementAndGet() < 3) {
        throw Fixtures.unavailable();
      }
      return "ok";
    });
    assertEquals("ok", h.handle(Fixtures.client("GET /x"), "r"));
  }

  @Test
  void grpcMethodsAreRetriedOnlyWhenDeclaredIdempotent() {
    AtomicInteger calls = new AtomicInteger();
    Retry r = quick().idempotentOperations(Set.of("/pkg.Svc/Get")).build();
    assertThrows(ServiceException.class, () -> r.wrap(failing(calls, Fixtures.unavailable()))
        .handle(Fixtures.grpcClient("/pkg.Svc/Get"), "r"));
    assertEquals(3, calls.get());
    calls.set(0);
    assertThrows(ServiceException.class, () -> r.wrap(failing(calls, Fixtures.unavailable()))
        .handle(Fixtures.grpcClient("/pkg.Svc/Create"), "r"));
    assertEquals(1, calls.get());
  }

  @Test
  void neverRetriesPastTheDeadline() {
    List<Instant> starts = java.util.Collections.synchronizedList(new ArrayList<>());
    // Full-jitter backoff up to 400 ms against a 150 ms deadline: some retries may fit, but none
    // may start after the deadline, however the jitter falls.
    Handler h = Retry.builder().maxAttempts(50).backoff(Duration.ofMillis(400),
        Duration.ofMillis(400)).budget(RetryBudget.unlimited()).build()
        .wrap((c, req) -> {
          starts.add(Instant.now());
          throw Fixtures.unavailable();
        });
    Instant deadline = Instant.now().plusMillis(150);
    Context ctx = Fixtures.client("GET /x").withDeadline(deadline);
    assertThrows(ServiceException.class, () -> h.handle(ctx, "r"));
    assertTrue(starts.size() < 50, "the deadline, not maxAttempts, ended the retries: " + starts);
    for (Instant start : starts) {
      assertFalse(start.isAfter(deadline), "attempt started after the deadline: " + starts);
    }
  }

  @Test
  void perAttemptTimeoutShortensTheDeadlinePassedDown() throws Exception {
    List<Duration> seen = new ArrayList<>();
    Handler h = quick().perAttemptTimeout(Duration.ofMillis(200)).build().wrap((ctx, req) -> {
      seen.add(ctx.remaining().orElseThrow());
      if (seen.size() < 2) {
        throw Errors.gatewayTimeout("DEADLINE_EXCEEDED", "slow");
      }
      return "ok";
    });
    assertEquals("ok", h.handle(Fixtures.client("GET /x").withTimeout(Duration.ofSeconds(5)),
        "r"));
    assertEquals(2, seen.size());
    seen.forEach(d -> assertTrue(d.toMillis() <= 200, "remaining " + d));
  }

  @Test
  void theBudgetCapsRetriesDuringAnOutage() {
    AtomicInteger calls = new AtomicInteger();
    RetryBudget budget = RetryBudget.of(0.1, 0, Duration.ofMinutes(1));
    Handler h = Retry.builder().maxAttempts(3).backoff(Duration.ZERO, Duration.ZERO)
        .budget(budget).build().wrap(failing(calls, Fixtures.unavailable()));
    for (int i = 0; i < 200; i++) {
      assertThrows(ServiceException.class, () -> h.handle(Fixtures.client("GET /x"), "r"));
    }
    // Without a budget: 600 attempts. With 10 %: 200 requests + at most 20 retries.
    assertTrue(calls.get() >= 200 && calls.get() <= 220, "attempts " + calls.get());
  }

  @Test
  void bindsFromConfig() {
    Retry r = Retry.from(Fixtures.config("""
        r { max-attempts = 2, initial-backoff = 1ms, max-backoff = 2ms,
            idempotent-operations = ["/a.B/C"] }
        """).bind("r", RetrySettings.class));
    AtomicInteger calls = new AtomicInteger();
    assertThrows(ServiceException.class, () -> r.wrap(failing(calls, Fixtures.unavailable()))
        .handle(Fixtures.grpcClient("/a.B/C"), "r"));
    assertEquals(2, calls.get());
  }
  @Test
  void anUnlimitedBudgetAllowsARetryAfterASlowFirstAttempt() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Handler h = Retry.builder().backoff(Duration.ZERO, Duration.ZERO)
        .budget(RetryBudget.unlimited()).build()
        .wrap((ctx, req) -> {
          if (calls.incrementAndGet() == 1) {
            Thread.sleep(1_200); // longer than a budget window: the request has left it
            throw Fixtures.unavailable();
          }
          return "ok";
        });
    assertEquals("ok", h.handle(Fixtures.client("GET /x"), "r"));
    assertEquals(2, calls.get());
  }
  @Test
  void theBackoffDoublesUpToItsMaximumWithoutOverflowing() {
    long second = 1_000_000_000L;
    assertEquals(second, Retry.backoffCap(second, 60 * second, 1));
    assertEquals(8 * second, Retry.backoffCap(second, 60 * second, 4));
    assertEquals(60 * second, Retry.backoffCap(second, 60 * second, 7));
    long hour = 3600 * second;
    assertEquals(2 * hour, Retry.backoffCap(hour, 2 * hour, 40), "1 h << 39 would overflow");
    assertEquals(Long.MAX_VALUE, Retry.backoffCap(Long.MAX_VALUE / 3, Long.MAX_VALUE, 5));
  }
}
