package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests dispatched per event-loop turn (forced on, so that the path runs on JDK 17's pool as
 * well as on virtual threads): every request is answered, a blocked handler holds back nobody
 * else's response, and deadlines still win over slow handlers.
 */
class BatchDispatchTest {
  private static final String PROPERTY = "phalanx.http.batch-dispatch";
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private HttpServer server;

  @BeforeEach
  void forceBatching() {
    System.setProperty(PROPERTY, "true");
  }

  @AfterEach
  void stop() {
    System.clearProperty(PROPERTY);
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private CompletableFuture<java.net.http.HttpResponse<String>> get(URI base, String path) {
    return client.sendAsync(java.net.http.HttpRequest.newBuilder(base.resolve(path)).build(),
        BodyHandlers.ofString());
  }

  @Test
  void aBlockedHandlerDoesNotHoldBackTheOthersOfItsTurn() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blockedEntered = new CountDownLatch(1);
    AtomicInteger served = new AtomicInteger();
    server = HttpServer.builder().host("127.0.0.1").port(0).ioThreads(1).routes(r -> {
      r.get("/blocked", (ctx, req) -> {
        blockedEntered.countDown();
        assertTrue(release.await(30, TimeUnit.SECONDS));
        return "released";
      });
      r.get("/fast/{n}", (ctx, req) -> {
        served.incrementAndGet();
        return "fast " + ((HttpRequest) req).pathParam("n");
      });
    }).build();
    server.start();
    URI base = server.endpoint();

    var blocked = get(base, "/blocked");
    assertTrue(blockedEntered.await(10, TimeUnit.SECONDS));
    for (int round = 0; round < 5; round++) {
      List<CompletableFuture<java.net.http.HttpResponse<String>>> fast = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        fast.add(get(base, "/fast/" + i));
      }
      for (int i = 0; i < fast.size(); i++) {
        var res = fast.get(i).get(20, TimeUnit.SECONDS);
        assertEquals(200, res.statusCode());
        assertEquals("fast " + i, res.body());
      }
    }
    assertEquals(200, served.get());
    assertFalse(blocked.isDone(), "the blocked handler was released by nobody");
    release.countDown();
    var res = blocked.get(20, TimeUnit.SECONDS);
    assertEquals(200, res.statusCode());
    assertEquals("released", res.body());
  }

  @Test
  void deadlinesStillAnswer504InABatch() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    server = HttpServer.builder().host("127.0.0.1").port(0).ioThreads(1).routes(r -> {
      r.get("/slow", (ctx, req) -> {
        try {
          Thread.sleep(30_000);
        } catch (InterruptedException e) {
          interrupted.countDown();
          throw e;
        }
        return "late";
      }, RouteOptions.defaults().withTimeout(Duration.ofMillis(200)));
      r.get("/ok", (ctx, req) -> "ok");
    }).build();
    server.start();
    URI base = server.endpoint();

    List<CompletableFuture<java.net.http.HttpResponse<String>>> oks = new ArrayList<>();
    var slow = get(base, "/slow");
    for (int i = 0; i < 20; i++) {
      oks.add(get(base, "/ok"));
    }
    var res = slow.get(20, TimeUnit.SECONDS);
    assertEquals(504, res.statusCode());
    assertTrue(res.body().contains("\"reason\":\"DEADLINE_EXCEEDED\""), res.body());
    assertTrue(interrupted.await(10, TimeUnit.SECONDS), "the slow handler was not interrupted");
    for (var ok : oks) {
      assertEquals("ok", ok.get(20, TimeUnit.SECONDS).body());
    }
  }
}
