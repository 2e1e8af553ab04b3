package io.phalanx.core.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.phalanx.core.Handler;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  private static int countRejections(Handler h, String op, int calls) {
    int rejected = 0;
    for (int i = 0; i < calls; i++) {
      try {
        h.handle(Fixtures.client(op), "x");
      } catch (ServiceException e) {
        if (e.reason().equals(ResilienceErrors.CIRCUIT_OPEN)) {
          assertEquals(503, e.code());
          rejected++;
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    return rejected;
  }

  @Test
  void sreOpensWhenEveryCallFailsAndTheHandlerStopsBeingCalled() {
    AtomicInteger calls = new AtomicInteger();
    Handler h = CircuitBreaker.builder().build().wrap((ctx, req) -> {
      calls.incrementAndGet();
      throw Fixtures.unavailable();
    });
    int rejected = countRejections(h, "GET /x", 300);
    // 20 calls pass the minimum; after that each passes with probability 1/(total+1):
    // expected ≈ 20 + ln(300/21) ≈ 23.
    assertTrue(calls.get() >= 20 && calls.get() <= 40, "calls " + calls.get());
    assertEquals(300 - calls.get(), rejected);
  }

  @Test
  void clientErrorsNeverCount() {
    AtomicInteger calls = new AtomicInteger();
    Handler h = CircuitBreaker.builder().build().wrap((ctx, req) -> {
      calls.incrementAndGet();
      throw Errors.notFound("NOPE", "no");
    });
    assertEquals(0, countRejections(h, "GET /x", 200));
    assertEquals(200, calls.get());
  }

  @Test
  void nonServiceExceptionsCount() {
    assertTrue(ResilienceErrors.isServerFailure(new IllegalStateException()));
    assertTrue(ResilienceErrors.isServerFailure(Errors.gatewayTimeout("DEADLINE_EXCEEDED", "")));
    assertTrue(!ResilienceErrors.isServerFailure(Errors.tooManyRequests("RATE_LIMITED", "")));
  }

  @Test
  void resilience4jOpensThenClosesAfterSuccessfulHalfOpenProbes() throws Exception {
    AtomicBoolean failing = new AtomicBoolean(true);
    AtomicInteger calls = new AtomicInteger();
    CircuitBreaker cb = CircuitBreaker.builder().algorithm(BreakerAlgorithm.resilience4j(
        CircuitBreakerConfig.custom().slidingWindowSize(10).minimumNumberOfCalls(10)
            .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMillis(200))
            .permittedNumberOfCallsInHalfOpenState(3).build())).build();
    Handler h = cb.wrap((ctx, req) -> {
      calls.incrementAndGet();
      if (failing.get()) {
        throw Fixtures.unavailable();
      }
      return "ok";
    });
    assertEquals(0, countRejections(h, "GET /x", 10));
    assertEquals(Breaker.State.OPEN, cb.breaker("local:").state());
    assertEquals(20, countRejections(h, "GET /x", 20));
    assertEquals(10, calls.get());

    failing.set(false);
    Thread.sleep(300);
    for (int i = 0; i < 3; i++) {
      assertEquals("ok", h.handle(Fixtures.client("GET /x"), "x"));
    }
    assertEquals(Breaker.State.CLOSED, cb.breaker("local:").state());
    assertEquals(0, countRejections(h, "GET /x", 10));
  }

  @Test
  void aHalfOpenProbeTheCallerCancelledNeitherClosesTheBreakerNorUsesUpTheTrial()
      throws Exception {
    AtomicBoolean cancel = new AtomicBoolean(false);
    CircuitBreaker cb = CircuitBreaker.builder().algorithm(BreakerAlgorithm.resilience4j(
        CircuitBreakerConfig.custom().slidingWindowSize(4).minimumNumberOfCalls(4)
            .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMillis(100))
            .permittedNumberOfCallsInHalfOpenState(1).build())).build();
    AtomicBoolean failing = new AtomicBoolean(true);
    Handler h = cb.wrap((ctx, req) -> {
      if (cancel.get()) {
        throw new ServiceException(499, "CLIENT_CLOSED", "the caller went away");
      }
      if (failing.get()) {
        throw Fixtures.unavailable();
      }
      return "ok";
    });
    countRejections(h, "GET /x", 4);
    assertEquals(Breaker.State.OPEN, cb.breaker("local:").state());
    Thread.sleep(200); // past the open wait: the next call is the one half-open probe
    cancel.set(true);
    assertThrows(ServiceException.class, () -> h.handle(Fixtures.client("GET /x"), "x"));
    assertEquals(Breaker.State.HALF_OPEN, cb.breaker("local:").state(),
        "a cancelled probe says nothing about the server");
    cancel.set(false);
    failing.set(false);
    assertEquals("ok", h.handle(Fixtures.client("GET /x"), "x"), "the trial was given back");
    assertEquals(Breaker.State.CLOSED, cb.breaker("local:").state());
  }

  @Test
  void operationScopeKeepsOneBreakerPerOperationAndBoundsTheirNumber() {
    CircuitBreaker cb = CircuitBreaker.builder().scope(CircuitBreaker.Scope.OPERATION)
        .maxKeys(50).build();
    Handler h = cb.wrap((ctx, req) -> {
      if (ctx.transport().operation().equals("GET /bad")) {
        throw Fixtures.unavailable();
      }
      return "ok";
    });
    assertTrue(countRejections(h, "GET /bad", 200) > 100);
    assertEquals(0, countRejections(h, "GET /good", 200));
    for (int i = 0; i < 500; i++) {
      countRejections(h, "GET /op" + i, 1);
    }
    assertTrue(cb.breakers().size() <= 50, "kept " + cb.breakers().size());
  }

  @Test
  void bindsFromConfig() {
    BreakerSettings s = Fixtures.config("""
        resilience.breaker { algorithm = resilience4j, scope = operation, window-size = 4,
          min-requests = 4, failure-ratio = 0.5, open-duration = 1m }
        """).bind("resilience.breaker", BreakerSettings.class);
    CircuitBreaker cb = CircuitBreaker.from(s);
    Handler h = cb.wrap((ctx, req) -> {
      throw Fixtures.unavailable();
    });
    assertEquals(6, countRejections(h, "GET /a", 10));
    assertEquals(Breaker.State.OPEN, cb.breaker("GET /a").state());
    assertThrows(IllegalArgumentException.class, () -> CircuitBreaker.from(
        Fixtures.config("b { algorithm = nope }").bind("b", BreakerSettings.class)));
    assertEquals(BreakerSettings.defaults(),
        Fixtures.config("b {}").bind("b", BreakerSettings.class));
  }
}
