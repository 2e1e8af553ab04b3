package io.phalanx.transport.http.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.resilience.Breaker;
import io.phalanx.core.resilience.BreakerAlgorithm;
import io.phalanx.core.resilience.CircuitBreaker;
import io.phalanx.core.resilience.ResilienceErrors;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A client-side breaker in front of a real server that fails on demand. */
class CircuitBreakerSocketTest {
  private final AtomicBoolean failing = new AtomicBoolean(true);
  private final AtomicInteger hits = new AtomicInteger();
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).routes(r -> r.get("/work",
        (ctx, req) -> {
          hits.incrementAndGet();
          if (failing.get()) {
            throw new ServiceException(503, "OVERLOADED", "injected failure");
          }
          return "done";
        })).build();
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
  }

  private HttpClient client(CircuitBreaker breaker) {
    return HttpClient.builder().target(server.endpoint().toString()).middleware(breaker).build();
  }

  /** Calls {@code n} times; returns how many were refused locally with CIRCUIT_OPEN. */
  private static int call(HttpClient client, int n) {
    int open = 0;
    for (int i = 0; i < n; i++) {
      try {
        client.get("/work", String.class);
      } catch (ServiceException e) {
        if (ResilienceErrors.CIRCUIT_OPEN.equals(e.reason())) {
          assertEquals(503, e.code());
          open++;
        } else {
          assertEquals(503, e.code());
          assertEquals("OVERLOADED", e.reason());
        }
      }
    }
    return open;
  }

  @Test
  void resilience4jBreakerOpensUnderFailuresAndClosesAfterHalfOpenProbes() throws Exception {
    CircuitBreaker breaker = CircuitBreaker.builder().algorithm(BreakerAlgorithm.resilience4j(
        CircuitBreakerConfig.custom().slidingWindowSize(10).minimumNumberOfCalls(10)
            .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMillis(300))
            .permittedNumberOfCallsInHalfOpenState(3).build())).build();
    try (HttpClient client = client(breaker)) {
      assertEquals(0, call(client, 10));
      assertEquals(10, hits.get());
      assertEquals(25, call(client, 25), "open: nothing is sent");
      assertEquals(10, hits.get());
      Breaker b = breaker.breaker(client.endpoint());
      assertEquals(Breaker.State.OPEN, b.state());

      failing.set(false);
      Thread.sleep(400); // past the open duration
      for (int i = 0; i < 3; i++) {
        assertEquals("done", client.get("/work", String.class));
      }
      assertEquals(Breaker.State.CLOSED, b.state());
      assertEquals(0, call(client, 20));
      assertEquals(33, hits.get());
    }
  }

  @Test
  void sreThrottlingDropsAboutThePredictedShareWhenEveryCallFails() {
    try (HttpClient client = client(CircuitBreaker.builder().build())) {
      int calls = 400;
      int open = call(client, calls);
      // Kratos SRE, k = 2, no successes: the first 20 calls pass (minimum), then call n passes
      // with probability 1/(total+1), total counting rejections: ≈ 20 + ln(400/21) ≈ 23 sent.
      // The window is 3 s; the 400 calls take far less, but bounds stay generous.
      assertEquals(calls, open + hits.get());
      assertTrue(hits.get() >= 20 && hits.get() <= 45, "sent " + hits.get());
    }
  }

  @Test
  void clientErrorsFromTheServerNeverOpenTheBreaker() {
    try (HttpClient client = client(CircuitBreaker.builder().build())) {
      for (int i = 0; i < 100; i++) {
        try {
          client.get("/missing", String.class);
        } catch (ServiceException e) {
          assertEquals(404, e.code());
        }
      }
    }
  }
}
