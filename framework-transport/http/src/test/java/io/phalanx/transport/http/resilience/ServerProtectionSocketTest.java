package io.phalanx.transport.http.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Middleware;
import io.phalanx.core.OperationMatcher;
import io.phalanx.core.resilience.Bulkhead;
import io.phalanx.core.resilience.RateLimiter;
import io.phalanx.core.resilience.RequestKey;
import io.phalanx.core.resilience.Timeout;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Server-side middleware (rate limiter, bulkhead, timeout) on a real Phalanx server, called with
 * the JDK's HTTP client so status, headers and body are seen exactly as on the wire.
 */
class ServerProtectionSocketTest {
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(2);
  private HttpServer server;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .build();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .middleware(
            Middleware.when(OperationMatcher.exact("GET /limited"), RateLimiter.builder()
                .limit(5).period(Duration.ofMinutes(1)).key(RequestKey.remoteIp()).build()),
            Middleware.when(OperationMatcher.exact("GET /busy"),
                Bulkhead.builder().maxConcurrent(2).build()),
            Middleware.when(OperationMatcher.exact("GET /slow"),
                Timeout.of(Duration.ofMillis(200))))
        .routes(r -> {
          r.get("/limited", (ctx, req) -> "ok");
          r.get("/busy", (ctx, req) -> {
            entered.countDown();
            release.await(20, TimeUnit.SECONDS);
            return "ok";
          });
          r.get("/slow", (ctx, req) -> {
            Thread.sleep(20_000);
            return "too late";
          });
        }).build();
    server.start();
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(Duration.ZERO);
  }

  private CompletableFuture<HttpResponse<String>> get(String path) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create(server.endpoint() + path))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void rateLimiterAdmitsTheLimitPerPeriodAndAnswers429WithRetryAfter() throws Exception {
    int ok = 0;
    int limited = 0;
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = get("/limited").get(20, TimeUnit.SECONDS);
      if (r.statusCode() == 200) {
        ok++;
        continue;
      }
      assertEquals(429, r.statusCode());
      assertTrue(r.body().contains("\"reason\":\"RATE_LIMITED\""), r.body());
      long retryAfter = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
      assertTrue(retryAfter >= 1 && retryAfter <= 60, "retry-after " + retryAfter);
      limited++;
    }
    // One-minute period: all 20 calls fall in the first refresh period.
    assertEquals(5, ok);
    assertEquals(15, limited);
  }

  @Test
  void bulkheadOverflowIs503() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> running = new ArrayList<>();
    running.add(get("/busy"));
    running.add(get("/busy"));
    assertTrue(entered.await(20, TimeUnit.SECONDS));
    HttpResponse<String> third = get("/busy").get(20, TimeUnit.SECONDS);
    assertEquals(503, third.statusCode());
    assertTrue(third.body().contains("\"reason\":\"BULKHEAD_FULL\""), third.body());
    release.countDown();
    for (CompletableFuture<HttpResponse<String>> f : running) {
      assertEquals(200, f.get(20, TimeUnit.SECONDS).statusCode());
    }
  }

  @Test
  void handlerOverTheTimeoutAnswers504() throws Exception {
    HttpResponse<String> r = get("/slow").get(20, TimeUnit.SECONDS);
    assertEquals(504, r.statusCode());
    assertTrue(r.body().contains("\"reason\":\"DEADLINE_EXCEEDED\""), r.body());
  }
}
