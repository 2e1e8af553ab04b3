package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PipelinedDrainTest {
  private HttpServer server;
  private URI base;
  private final AtomicInteger orders = new AtomicInteger();
  private final CountDownLatch slowEntered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch ordered = new CountDownLatch(1);

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .bodyReadTimeout(Duration.ofSeconds(2))
        .routes(r -> r
            .get("/slow", (ctx, req) -> {
              slowEntered.countDown();
              release.await(10, TimeUnit.SECONDS);
              return "slow done";
            })
            .get("/stream", (ctx, req) -> HttpResponse.streaming(200, "text/plain", 4, out -> {
              slowEntered.countDown();
              release.await(10, TimeUnit.SECONDS);
              out.write("tail".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }))
            .post("/orders", (ctx, req) -> {
              int n = orders.incrementAndGet();
              ordered.countDown();
              return "order " + n + " " + ((HttpRequest) req).body().length;
            }))
        .build();
    server.start();
    base = server.endpoint();
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(Duration.ZERO);
  }

  /**
   * Graceful stop with two pipelined requests already read: the second runs only once the first
   * is answered (a reply ahead could end the connection), and the stop still lets it run and
   * answers it; the response was once thrown away after its handler ran, because the first one
   * already carried Connection: close.
   */
  @Test
  void gracefulStopAnswersEveryPipelinedRequestItAlreadyRan() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /slow HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n"
          + "POST /orders HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nContent-Length: 2\r\n\r\nab");
      assertTrue(slowEntered.await(10, TimeUnit.SECONDS));
      assertEquals(0, orders.get(), "a pipelined request ran before the reply ahead was out");
      CompletableFuture<Void> stopping =
          CompletableFuture.runAsync(() -> server.stop(Duration.ofSeconds(10)));
      Thread.sleep(200); // let the drain reach the connection
      release.countDown();
      String first = c.readResponse();
      assertTrue(first.endsWith("slow done"), first);
      String second;
      try {
        second = c.readResponse();
      } catch (java.io.IOException e) {
        second = e.toString();
      }
      stopping.get(20, TimeUnit.SECONDS);
      assertTrue(ordered.await(10, TimeUnit.SECONDS), "second request never ran");
      assertEquals(1, orders.get());
      assertTrue(second.startsWith("HTTP/1.1 200") && second.endsWith("order 1 2"),
          "the POST ran (orders=" + orders.get() + ") but its response was: " + second
          + "\nfirst was: " + first);
    }
  }

  /**
   * The same behind a stream: a stop during the stream let the connection close at its end and
   * dropped the request pipelined behind it, which the drain had promised to answer.
   */
  @Test
  void gracefulStopAnswersARequestPipelinedBehindAStream() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
          + "POST /orders HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nContent-Length: 2\r\n\r\nab");
      assertTrue(slowEntered.await(10, TimeUnit.SECONDS));
      CompletableFuture<Void> stopping =
          CompletableFuture.runAsync(() -> server.stop(Duration.ofSeconds(10)));
      // the drain has reached the connection when the server no longer accepts
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (accepts() && System.nanoTime() - deadline < 0) {
        Thread.sleep(5);
      }
      release.countDown();
      String first = c.readResponse();
      assertTrue(first.startsWith("HTTP/1.1 200") && first.endsWith("tail"), first);
      String second;
      try {
        second = c.readResponse();
      } catch (java.io.IOException e) {
        second = e.toString();
      }
      stopping.get(20, TimeUnit.SECONDS);
      assertTrue(second.startsWith("HTTP/1.1 200") && second.endsWith("order 1 2"),
          "the POST behind the stream was not answered (orders=" + orders.get() + "): " + second);
      assertTrue(second.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), second);
    }
  }

  private boolean accepts() {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", base.getPort())) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /**
   * RFC 9110 10.1.1: a pipelined request expecting 100-continue behind a slow one must get its
   * 100 (Continue) once the responses ahead of it are written; it never does, so a client that
   * waits for it times out (here: the server's own 408 body timeout).
   */
  @Test
  void pipelinedExpectContinueGets100AfterTheResponsesAhead() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /slow HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n"
          + "POST /orders HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nContent-Length: 2\r\n"
          + "Expect: 100-continue\r\n\r\n");
      assertTrue(slowEntered.await(10, TimeUnit.SECONDS));
      release.countDown();
      String first = c.readResponse();
      assertTrue(first.endsWith("slow done"), first);
      String next = c.readResponse(); // the client sends its body only after a 100
      assertTrue(next.startsWith("HTTP/1.1 100"), next);
      c.send("ab");
      String last = c.readResponse();
      assertTrue(last.endsWith("order 1 2"), last);
    }
  }
}
