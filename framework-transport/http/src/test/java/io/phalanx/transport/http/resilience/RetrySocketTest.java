package io.phalanx.transport.http.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Middleware;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.resilience.Retry;
import io.phalanx.core.resilience.RetryBudget;
import io.phalanx.test.RefusedPort;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retry in the Phalanx HTTP client's chain, against a real server and a refused port. */
class RetrySocketTest {
  private final AtomicInteger hits = new AtomicInteger();
  private final List<Instant> arrivals = new CopyOnWriteArrayList<>();
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).routes(r -> {
      r.get("/flaky", (ctx, req) -> {
        if (hits.incrementAndGet() < 3) {
          throw new ServiceException(503, "OVERLOADED", "try again");
        }
        return "third time lucky";
      });
      r.post("/flaky", (ctx, req) -> {
        hits.incrementAndGet();
        throw new ServiceException(503, "OVERLOADED", "try again");
      });
      r.get("/slow-fail", (ctx, req) -> {
        arrivals.add(Instant.now());
        Thread.sleep(100);
        throw new ServiceException(503, "OVERLOADED", "slow failure");
      });
    }).build();
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
  }

  private static Retry.Builder retry() {
    return Retry.builder().maxAttempts(3).backoff(Duration.ofMillis(5), Duration.ofMillis(20))
        .budget(RetryBudget.unlimited());
  }

  /** Counts each attempt: sits inside Retry, so it sees every call of {@code next}. */
  private static Middleware counting(AtomicInteger attempts) {
    return next -> (ctx, req) -> {
      attempts.incrementAndGet();
      return next.handle(ctx, req);
    };
  }

  @Test
  void getIsRetriedUntilItSucceeds() {
    try (HttpClient client = HttpClient.builder().target(server.endpoint().toString())
        .middleware(retry().build()).build()) {
      assertEquals("third time lucky", client.get("/flaky", String.class));
      assertEquals(3, hits.get());
    }
  }

  @Test
  void postIsNotRetriedAfterTheServerSawIt() {
    try (HttpClient client = HttpClient.builder().target(server.endpoint().toString())
        .middleware(retry().build()).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> client.post("/flaky", "body", String.class));
      assertEquals(503, e.code());
      assertEquals(1, hits.get());
    }
  }

  @Test
  void refusedConnectionsAreRetriedForGetAndEvenForPost() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    try (RefusedPort nowhere = RefusedPort.open();
        HttpClient client = HttpClient.builder()
        .target("http://127.0.0.1:" + nowhere.port())
        .middleware(retry().build(), counting(attempts)).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> client.get("/x", String.class));
      assertEquals(503, e.code());
      assertEquals("UNAVAILABLE", e.reason());
      assertEquals(3, attempts.get());
      attempts.set(0);
      assertThrows(ServiceException.class, () -> client.post("/x", "b", String.class));
      assertEquals(3, attempts.get(), "a refused connection proves the POST was not processed");
    }
  }

  @Test
  void theBudgetCapsRetriesDuringAnOutage() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    Retry retry = Retry.builder().maxAttempts(3).backoff(Duration.ZERO, Duration.ZERO)
        .budget(RetryBudget.of(0.1, 0, Duration.ofMinutes(1))).build();
    try (RefusedPort nowhere = RefusedPort.open();
        HttpClient client = HttpClient.builder()
        .target("http://127.0.0.1:" + nowhere.port())
        .middleware(retry, counting(attempts)).build()) {
      for (int i = 0; i < 100; i++) {
        assertThrows(ServiceException.class, () -> client.get("/x", String.class));
      }
    }
    // 300 attempts without a budget; 10 % allows at most 10 retries.
    assertTrue(attempts.get() >= 100 && attempts.get() <= 110, "attempts " + attempts.get());
  }

  @Test
  void neverRetriesPastTheDeadline() {
    Retry retry = Retry.builder().maxAttempts(50).backoff(Duration.ofMillis(50),
        Duration.ofMillis(50)).budget(RetryBudget.unlimited()).build();
    try (HttpClient client = HttpClient.builder().target(server.endpoint().toString())
        .middleware(retry).build()) {
      Instant deadline = Instant.now().plusMillis(700);
      ServiceException e = assertThrows(ServiceException.class,
          () -> client.get(Caller.withDeadline(deadline), "/slow-fail", String.class));
      assertTrue(e.code() == 503 || e.code() == 504, e.toString());
      assertTrue(arrivals.size() >= 1 && arrivals.size() < 50, "attempts " + arrivals.size());
      // The retry starts no attempt once the deadline has passed; the server stamps arrivals,
      // which trail the start by the transit time (tens of ms on a loaded machine), so only the
      // attempt already under way when the deadline passes may arrive after it.
      long late = arrivals.stream().filter(a -> a.isAfter(deadline)).count();
      assertTrue(late <= 1, late + " attempts arrived after the deadline: " + arrivals);
    }
  }
}
