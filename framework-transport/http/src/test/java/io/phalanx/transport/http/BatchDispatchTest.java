package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.error.ServiceException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
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

  /**
   * An executor that holds what it is given until {@link #release}, then runs it and refuses
   * everything after: a pool that fills up while a batch waits in its queue.
   */
  private static final class FillingExecutor extends AbstractExecutorService {
    private final List<Runnable> held = new ArrayList<>();
    private boolean released;

    @Override
    public synchronized void execute(Runnable task) {
      if (released) {
        throw new RejectedExecutionException("full");
      }
      held.add(task);
    }

    synchronized int held() {
      return held.size();
    }

    void release() {
      List<Runnable> tasks;
      synchronized (this) {
        released = true;
        tasks = List.copyOf(held);
      }
      for (Runnable t : tasks) {
        new Thread(t, "filling-executor").start();
      }
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }

  /**
   * Two requests of one turn wait, as one batch, in the executor's queue until their deadline
   * answers them 504; then the pool, full, refuses each of them. The chain never ran for them,
   * and the middleware listening for refusals was never told: the refusal found them answered
   * already and said nothing, where a request taken out of the queue after its deadline is told.
   */
  @Test
  void aBatchWhoseDeadlinePassedBeforeThePoolRefusedItIsToldToTheListeners() throws Exception {
    List<String> refusals = new CopyOnWriteArrayList<>();
    class Listening implements Middleware, RefusalListener {
      @Override
      public Handler wrap(Handler next) {
        return next;
      }

      @Override
      public void refused(Context ctx, Object request, ServiceException answer) {
        refusals.add(ctx.transport().operation() + " " + answer.code());
      }
    }
    FillingExecutor pool = new FillingExecutor();
    server = HttpServer.builder().host("127.0.0.1").port(0).ioThreads(1).executor(pool)
        .middleware(new Listening())
        .routes(r -> r.get("/hello", (ctx, req) -> "hello")).build();
    server.start();
    int port = server.endpoint().getPort();
    try (RawH2 c = RawH2.priorKnowledge(port)) {
      List<RawH2.Frame> requests = new ArrayList<>();
      for (int stream : new int[] {1, 3}) {
        requests.add(new RawH2.Frame(RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS, stream,
            c.headerBlock(new DefaultHttp2Headers().method("GET").path("/hello").scheme("http")
                .authority("127.0.0.1:" + port).add("grpc-timeout", "200m"))));
      }
      c.frames(requests.toArray(RawH2.Frame[]::new)); // one read: one turn, one batch
      // both answered by their deadline while the batch waits in the pool
      assertTrue(c.next(RawH2.HEADERS) != null && c.next(RawH2.HEADERS) != null,
          "both requests answered");
      assertEquals(1, pool.held(), "the two requests were handed over as one batch");
      assertEquals(List.of(), refusals);
      pool.release();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (refusals.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(5); // polled until the deadline above
      }
      assertEquals(List.of("GET /hello 504", "GET /hello 504"), refusals);
    }
  }
}
