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

  /**
   * A request expecting 100 (Continue) that arrives while a stream is being written gets its 100
   * after the stream, never inside it. It was written at once, in the middle of the streamed
   * body, where Netty's encoder refused it: lost, while the body clock ran, so the client waiting
   * for it got 408 instead.
   */
  @Test
  void aContinueForARequestArrivingDuringAStreamComesAfterIt() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
      java.io.InputStream in = c.socket.getInputStream();
      String head = headOf(in);
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
      assertTrue(slowEntered.await(10, TimeUnit.SECONDS));
      c.send("POST /orders HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nContent-Length: 2\r\n"
          + "Expect: 100-continue\r\n\r\n");
      // nothing may come while the producer is held: wait a moment for what should not come
      c.socket.setSoTimeout(1000);
      java.io.ByteArrayOutputStream early = new java.io.ByteArrayOutputStream();
      try {
        for (int b = in.read(); b >= 0; b = in.read()) {
          early.write(b);
        }
      } catch (java.net.SocketTimeoutException e) {
        // the quiet that was expected
      }
      c.socket.setSoTimeout(10_000);
      assertEquals("", early.toString(java.nio.charset.StandardCharsets.ISO_8859_1),
          "written into the stream's body");
      release.countDown();
      assertEquals("tail", new String(in.readNBytes(4), java.nio.charset.StandardCharsets.ISO_8859_1));
      String next = c.readResponse();
      assertTrue(next.startsWith("HTTP/1.1 100"), next);
      c.send("ab");
      String last = c.readResponse();
      assertTrue(last.endsWith("order 1 2"), last);
    }
  }

  private static String headOf(java.io.InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new java.io.EOFException("closed after: " + head);
      }
      head.append((char) b);
    }
    return head.toString();
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
