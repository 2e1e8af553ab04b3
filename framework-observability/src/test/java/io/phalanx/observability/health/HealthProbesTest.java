package io.phalanx.observability.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.health.CheckResult;
import io.phalanx.core.health.Health;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class HealthProbesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();

  private HttpResponse<String> get(URI base, String path, String method) throws Exception {
    return client.send(HttpRequest.newBuilder(base.resolve(path))
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesMountOnAnyHttpServer() throws Exception {
    Health health = new Health();
    AtomicBoolean queueOk = new AtomicBoolean(true);
    health.addReadiness("queue", () -> queueOk.get() ? CheckResult.up()
        : CheckResult.down("backlog 10000"));
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(HealthProbes.routes(health)).build();
    server.start();
    try {
      URI base = server.endpoint();
      HttpResponse<String> live = get(base, "/healthz", "GET");
      assertEquals(200, live.statusCode());
      assertEquals("no-store", live.headers().firstValue("cache-control").orElseThrow());
      assertEquals("{\"status\":\"UP\",\"checks\":{}}", live.body());

      assertEquals(503, get(base, "/readyz", "GET").statusCode());
      assertEquals(503, get(base, "/readyz", "HEAD").statusCode());
      health.setServing(true);
      assertEquals(200, get(base, "/readyz", "GET").statusCode());
      queueOk.set(false);
      HttpResponse<String> down = get(base, "/readyz", "GET");
      assertEquals(503, down.statusCode());
      JsonNode body = MAPPER.readTree(down.body());
      assertEquals("DOWN", body.get("status").asText());
      assertEquals("backlog 10000", body.at("/checks/queue/detail").asText());
    } finally {
      server.stop(Duration.ZERO);
    }
  }

  @Test
  void noDeadlocksFailsWhileThreadsAreDeadlocked() throws Exception {
    assertTrue(HealthChecks.noDeadlocks().check().healthy());
    ReentrantLock a = new ReentrantLock();
    ReentrantLock b = new ReentrantLock();
    CountDownLatch bothHoldOne = new CountDownLatch(2);
    Thread t1 = lockInOrder("hc-left", a, b, bothHoldOne);
    Thread t2 = lockInOrder("hc-right", b, a, bothHoldOne);
    try {
      CheckResult r = HealthChecks.noDeadlocks().check();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (r.healthy() && System.nanoTime() < until) {
        Thread.sleep(20);
        r = HealthChecks.noDeadlocks().check();
      }
      assertEquals(false, r.healthy());
      assertTrue(r.detail().startsWith("2 threads deadlocked"), r.detail());
      assertTrue(r.detail().contains("\"hc-left\" waits for"), r.detail());
      assertTrue(r.detail().contains("held by \"hc-right\""), r.detail());
    } finally {
      t1.interrupt();
      t2.interrupt();
      t1.join(10_000);
      t2.join(10_000);
    }
    assertTrue(HealthChecks.noDeadlocks().check().healthy());
  }

  private static Thread lockInOrder(String name, ReentrantLock first, ReentrantLock second,
      CountDownLatch bothHoldOne) {
    Thread t = new Thread(() -> {
      try {
        first.lockInterruptibly();
        try {
          bothHoldOne.countDown();
          bothHoldOne.await();
          second.lockInterruptibly();
          second.unlock();
        } finally {
          first.unlock();
        }
      } catch (InterruptedException e) {
        // released by the test
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
