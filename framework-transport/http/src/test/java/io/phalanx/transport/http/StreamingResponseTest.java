package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.execution.HandlerExecutors;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link HttpResponse#streaming}: bodies written over time, back-pressure, disconnects. */
class StreamingResponseTest {
  private HttpServer server;
  private final CountDownLatch producerGaveUp = new CountDownLatch(1);
  private final AtomicReference<Throwable> producerError = new AtomicReference<>();
  private final AtomicLong written = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger counted =
      new java.util.concurrent.atomic.AtomicInteger();

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private URI start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).routes(r -> {
      r.get("/events", (ctx, req) -> HttpResponse.streaming(200, "text/event-stream", out -> {
        for (int i = 0; i < 3; i++) {
          out.write(("data: " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
        }
      }).withHeader("cache-control", "no-cache"));
      r.get("/endless", (ctx, req) -> HttpResponse.streaming(200, "application/octet-stream",
          out -> {
            byte[] chunk = new byte[64 * 1024];
            try {
              while (true) {
                out.write(chunk);
                written.addAndGet(chunk.length);
              }
            } catch (IOException e) {
              producerError.set(e);
              producerGaveUp.countDown();
            }
          }));
      r.get("/sized", (ctx, req) -> HttpResponse.streaming(200, "text/plain", 10, out -> {
        out.write("01234".getBytes(StandardCharsets.UTF_8));
        out.write("56789".getBytes(StandardCharsets.UTF_8));
      }));
      r.get("/too-long", (ctx, req) -> HttpResponse.streaming(200, "text/plain", 6, out -> {
        out.write("0123".getBytes(StandardCharsets.UTF_8));
        try {
          out.write("4567".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
          producerError.set(e);
          producerGaveUp.countDown();
          throw e;
        }
      }));
      r.get("/too-short", (ctx, req) -> HttpResponse.streaming(200, "text/plain", 10,
          out -> out.write("0123".getBytes(StandardCharsets.UTF_8))));
      r.get("/plain", (ctx, req) -> "plain");
      r.get("/fails", (ctx, req) -> HttpResponse.streaming(200, "text/plain", out -> {
        out.write("part".getBytes(StandardCharsets.UTF_8));
        throw new IOException("producer failed");
      }));
      // inline: a request dispatched is a request run, at once, before any reply goes out
      r.post("/count", (ctx, req) -> "count " + counted.incrementAndGet(),
          RouteOptions.inline());
    }).build();
    server.start();
    return server.endpoint();
  }

  @Test
  void bodyArrivesInPartsAndTheConnectionIsReused() throws Exception {
    URI base = start();
    for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2)) {
      HttpClient client = HttpClient.newBuilder().version(v).build();
      var r = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/events")).build(),
          BodyHandlers.ofLines());
      assertEquals(200, r.statusCode());
      assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(null));
      assertEquals("no-cache", r.headers().firstValue("cache-control").orElse(null));
      assertFalse(r.headers().firstValue("content-length").isPresent());
      assertEquals("data: 0||data: 1||data: 2|",
          r.body().collect(Collectors.joining("|")), "version " + v);
      var after = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/plain"))
          .build(), BodyHandlers.ofString());
      assertEquals("plain", after.body());
    }
  }

  @Test
  void aDeclaredLengthIsSentInsteadOfChunkingAndFramesTheBody() throws Exception {
    URI base = start();
    try (RawHttp c = new RawHttp(base)) {
      String r = c.send("GET /sized HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
      assertTrue(r.startsWith("HTTP/1.1 200"), r);
      assertTrue(r.toLowerCase(Locale.ROOT).contains("content-length: 10\r\n"), r);
      assertFalse(r.toLowerCase(Locale.ROOT).contains("transfer-encoding"), r);
      assertTrue(r.endsWith("\r\n\r\n0123456789"), r);
      // the next response on the connection starts right after the tenth byte
      String next = c.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
      assertTrue(next.startsWith("HTTP/1.1 200") && next.endsWith("plain"), next);
    }
    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    var r = h2.send(java.net.http.HttpRequest.newBuilder(base.resolve("/sized")).build(),
        BodyHandlers.ofString());
    assertEquals("0123456789", r.body());
    assertEquals("10", r.headers().firstValue("content-length").orElse(null));
  }

  @Test
  void aBodyLongerOrShorterThanDeclaredIsCutNotPassedOffAsWhole() throws Exception {
    URI base = start();
    try (RawHttp c = new RawHttp(base)) {
      String r = c.send("GET /too-long HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
      assertTrue(r.endsWith("\r\n\r\n0123"), "only what fits was sent: " + r);
      assertTrue(c.closedByServer(), "the connection must end: the body is incomplete");
    }
    assertTrue(producerGaveUp.await(10, TimeUnit.SECONDS));
    assertTrue(producerError.get().getMessage().contains("longer than its declared"),
        producerError.get().getMessage());
    try (RawHttp c = new RawHttp(base)) {
      String r = c.send("GET /too-short HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
      assertTrue(r.toLowerCase(Locale.ROOT).contains("content-length: 10\r\n"), r);
      assertTrue(r.endsWith("\r\n\r\n0123"), r);
      assertTrue(c.closedByServer(), "a short body must end the connection");
    }
  }

  /**
   * HTTP/1.0 has no chunked coding (RFC 9112 6.1: not for a request that does not say HTTP/1.1):
   * a stream of unknown length goes to such a client as is and ends with the connection, even
   * one that asked to keep it alive.
   */
  @Test
  void anHttp10ClientGetsAStreamOfUnknownLengthEndedByTheClose() throws Exception {
    URI base = start();
    for (String connection : List.of("", "Connection: keep-alive\r\n")) {
      try (RawHttp c = new RawHttp(base)) {
        c.send("GET /events HTTP/1.0\r\n" + connection + "\r\n");
        String r = new String(c.socket.getInputStream().readAllBytes(),
            StandardCharsets.ISO_8859_1);
        String head = r.substring(0, r.indexOf("\r\n\r\n") + 2).toLowerCase(Locale.ROOT);
        assertTrue(head.startsWith("http/1.1 200"), r);
        assertFalse(head.contains("transfer-encoding"), r);
        assertTrue(head.contains("connection: close\r\n"), r);
        assertEquals("data: 0\n\ndata: 1\n\ndata: 2\n\n",
            r.substring(r.indexOf("\r\n\r\n") + 4), connection);
      }
    }
  }

  /**
   * A request pipelined behind a reply that ends the connection would never get its own reply: it
   * must not run. Here behind a stream an HTTP/1.0 client gets ended by the close (its framing is
   * known only once the handler returned), and behind a stream whose producer fails; the POST
   * comes in the same write as the request ahead of it.
   */
  @Test
  void aRequestPipelinedBehindAReplyThatEndsTheConnectionNeverRuns() throws Exception {
    URI base = start();
    String post = "POST /count HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nContent-Length: 0\r\n\r\n";
    for (String first : List.of("GET /events HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /fails HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) {
      try (RawHttp c = new RawHttp(base)) {
        c.send(first + post);
        String all = new String(c.socket.getInputStream().readAllBytes(),
            StandardCharsets.ISO_8859_1);
        assertTrue(all.startsWith("HTTP/1.1 200"), all);
        assertFalse(all.contains("count "), all);
      }
      assertEquals(0, counted.get(), "ran behind " + first.substring(0, first.indexOf('\r')));
    }
    // the same requests behind a reply that keeps the connection: the POST runs and is answered
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n" + post
          + "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      String all = new String(c.socket.getInputStream().readAllBytes(),
          StandardCharsets.ISO_8859_1);
      assertTrue(all.contains("\r\n\r\ncount 1") && all.endsWith("plain"), all);
    }
  }

  @Test
  void headOfAStreamedResponseTellsTheDeclaredLengthOrNone() throws Exception {
    URI base = start();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    var sized = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/sized"))
        .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
        BodyHandlers.ofString());
    assertEquals(200, sized.statusCode());
    assertEquals("10", sized.headers().firstValue("content-length").orElse(null));
    assertEquals("", sized.body());
    var events = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/events"))
        .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
        BodyHandlers.ofString());
    assertEquals(200, events.statusCode());
    assertEquals("text/event-stream", events.headers().firstValue("content-type").orElse(null));
    assertFalse(events.headers().firstValue("content-length").isPresent(),
        "an unknown length is left out, not claimed to be 0");
  }

  /**
   * The producer needs an executor thread after the handler returned; when the pool is full by
   * then, the client gets the 503 any refused request gets, not a 200 cut short.
   */
  @Test
  void aProducerThePoolRefusesIsAnsweredWithThe503OfARefusedRequest() throws Exception {
    ExecutorService tiny = HandlerExecutors.bounded(1, 0);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong produced = new AtomicLong();
    ChainOutcomes recorded = new ChainOutcomes();
    try {
      server = HttpServer.builder().host("127.0.0.1").port(0).executor(tiny).middleware(recorded)
          .routes(r -> {
        r.get("/block", (ctx, req) -> {
          entered.countDown();
          release.await(10, TimeUnit.SECONDS);
          return "done";
        });
        // inline: the handler takes no pool thread, so the one thing the full pool refuses is
        // the producer
        r.get("/events", (ctx, req) -> HttpResponse.streaming(200, "text/event-stream", out -> {
          produced.incrementAndGet();
          out.write("data: 0\n\n".getBytes(StandardCharsets.UTF_8));
        }), RouteOptions.inline());
      }).build();
      server.start();
      URI base = server.endpoint();
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      var blocked = client.sendAsync(java.net.http.HttpRequest.newBuilder(base.resolve("/block"))
          .build(), BodyHandlers.ofString());
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      var ordinary = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/block"))
          .build(), BodyHandlers.ofString());
      assertEquals(503, ordinary.statusCode(), ordinary.body());
      for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_1_1,
          HttpClient.Version.HTTP_2)) {
        var r = HttpClient.newBuilder().version(v).build().send(java.net.http.HttpRequest
            .newBuilder(base.resolve("/events")).build(), BodyHandlers.ofString());
        assertEquals(503, r.statusCode(), v + ": " + r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(null));
        assertEquals(ordinary.body(), r.body(), "version " + v);
        assertEquals(503, recorded.next(), "the middleware saw another reply than the client");
      }
      assertEquals(0, produced.get(), "the producer of a refused stream must not run");
      release.countDown();
      assertEquals(200, blocked.get(10, TimeUnit.SECONDS).statusCode());
    } finally {
      release.countDown();
      tiny.shutdownNow();
    }
  }

  /**
   * A pool that takes the handler but is full by the time the producer would need a thread of its
   * own: the 200 the handler returned is what goes out (the producer runs on the handler's
   * thread), and what the middleware recorded; it was recorded as 200 and answered 503.
   */
  @Test
  void aStreamAnsweredIsTheStreamTheMiddlewareRecorded() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean full = new java.util.concurrent.atomic.AtomicBoolean();
    ExecutorService pool = HandlerExecutors.bounded(2, 0);
    ExecutorService fillsUp = new java.util.concurrent.AbstractExecutorService() {
      @Override
      public void execute(Runnable task) {
        if (full.get()) {
          throw new java.util.concurrent.RejectedExecutionException("pool full");
        }
        pool.execute(task);
      }

      @Override
      public void shutdown() {
        pool.shutdown();
      }

      @Override
      public List<Runnable> shutdownNow() {
        return pool.shutdownNow();
      }

      @Override
      public boolean isShutdown() {
        return pool.isShutdown();
      }

      @Override
      public boolean isTerminated() {
        return pool.isTerminated();
      }

      @Override
      public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return pool.awaitTermination(timeout, unit);
      }
    };
    ChainOutcomes recorded = new ChainOutcomes();
    try {
      server = HttpServer.builder().host("127.0.0.1").port(0).executor(fillsUp)
          .middleware(recorded).routes(r -> r.get("/events", (ctx, req) -> {
            full.set(true); // other requests take the pool's threads meanwhile
            return HttpResponse.streaming(200, "text/event-stream",
                out -> out.write("data: 0\n\n".getBytes(StandardCharsets.UTF_8)));
          })).build();
      server.start();
      for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_1_1,
          HttpClient.Version.HTTP_2)) {
        full.set(false);
        var r = HttpClient.newBuilder().version(v).build().send(java.net.http.HttpRequest
            .newBuilder(server.endpoint().resolve("/events")).build(), BodyHandlers.ofString());
        assertEquals(recorded.next(), r.statusCode(), v + ": " + r.body());
        assertEquals(200, r.statusCode(), v + ": " + r.body());
        assertEquals("data: 0\n\n", r.body(), "version " + v);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * An inline route's producer is handed to the executor inside the chain; a middleware that
   * answers with another stream gets that one written, and the handed-over task ends without
   * running or holding its thread (here the pool's only one, which the other stream needs).
   */
  @Test
  void aStreamAMiddlewareReplacesOnAnInlineRouteReleasesItsThread() throws Exception {
    ExecutorService one = HandlerExecutors.bounded(1, 4);
    AtomicLong replacedRan = new AtomicLong();
    try {
      server = HttpServer.builder().host("127.0.0.1").port(0).executor(one)
          .middleware(next -> (ctx, req) -> {
            Object reply = next.handle(ctx, req);
            return HttpResponse.streaming(200, "text/plain",
                out -> out.write("replacement".getBytes(StandardCharsets.UTF_8)));
          })
          .routes(r -> r.get("/events", (ctx, req) -> HttpResponse.streaming(200, "text/plain",
              out -> replacedRan.incrementAndGet()), RouteOptions.inline())).build();
      server.start();
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      for (int i = 0; i < 3; i++) {
        // bounded: a thread held for good would leave the replacement's body unwritten
        var r = client.sendAsync(java.net.http.HttpRequest.newBuilder(server.endpoint()
            .resolve("/events")).build(), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
        assertEquals("replacement", r.body());
      }
      assertEquals(0, replacedRan.get());
    } finally {
      one.shutdownNow();
    }
  }

  /** A body that holds something from the start: closed by the server if it is never run. */
  private static final class HeldBody implements StreamingBody, AutoCloseable {
    final CountDownLatch closed = new CountDownLatch(1);
    final AtomicLong ran = new AtomicLong();

    @Override
    public void writeTo(Writer out) throws IOException {
      ran.incrementAndGet();
      out.write("ran".getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
      closed.countDown();
    }
  }

  /**
   * Starts {@link #server} on {@code pool} with {@code /block} (holds a pool thread until
   * {@code release}) and {@code /held} (inline, a 3-byte {@link HeldBody} stream, kept in
   * {@code last}); returns its endpoint.
   */
  private URI startBlockAndHeld(ExecutorService pool, CountDownLatch entered,
      CountDownLatch release, AtomicReference<HeldBody> last) throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).executor(pool).routes(r -> {
      r.get("/block", (ctx, req) -> {
        entered.countDown();
        release.await(10, TimeUnit.SECONDS);
        return "done";
      });
      r.get("/held", (ctx, req) -> {
        HeldBody body = new HeldBody();
        last.set(body);
        return HttpResponse.streaming(200, "text/plain", 3, body);
      }, RouteOptions.inline());
    }).build();
    server.start();
    return server.endpoint();
  }

  /**
   * A body that is also AutoCloseable is closed when it will never run: a HEAD request, a
   * producer the full pool refuses; one that runs is left to close itself.
   */
  @Test
  void aCloseableBodyThatNeverRunsIsClosed() throws Exception {
    ExecutorService tiny = HandlerExecutors.bounded(1, 0);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<HeldBody> last = new AtomicReference<>();
    try {
      URI base = startBlockAndHeld(tiny, entered, release, last);
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

      var run = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/held")).build(),
          BodyHandlers.ofString());
      assertEquals("ran", run.body());
      assertEquals(1, last.get().ran.get());
      assertEquals(1, last.get().closed.getCount(), "a body that ran closes itself");

      var head = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/held"))
          .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
          BodyHandlers.ofString());
      assertEquals("3", head.headers().firstValue("content-length").orElse(null));
      assertTrue(last.get().closed.await(10, TimeUnit.SECONDS), "HEAD: never run, not closed");
      assertEquals(0, last.get().ran.get());

      var blocked = client.sendAsync(java.net.http.HttpRequest.newBuilder(base.resolve("/block"))
          .build(), BodyHandlers.ofString());
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      var refused = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/held"))
          .build(), BodyHandlers.ofString());
      assertEquals(503, refused.statusCode());
      assertTrue(last.get().closed.await(10, TimeUnit.SECONDS), "refused: never run, not closed");
      assertEquals(0, last.get().ran.get());
      release.countDown();
      assertEquals(200, blocked.get(10, TimeUnit.SECONDS).statusCode());
    } finally {
      release.countDown();
      tiny.shutdownNow();
    }
  }

  /**
   * A producer whose head went out but whose task still waits in the executor's queue when the
   * server stops never runs: the stop closes its body. It was left in the queue (dropped with
   * the server's own pool, run against a dead connection by a caller's), so only the garbage
   * collector ever released what it held.
   */
  @Test
  void aCloseableBodyStillQueuedWhenTheServerStopsIsClosedByTheStop() throws Exception {
    ExecutorService tiny = HandlerExecutors.bounded(1, 1);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<HeldBody> last = new AtomicReference<>();
    try {
      URI base = startBlockAndHeld(tiny, entered, release, last);
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().sendAsync(
          java.net.http.HttpRequest.newBuilder(base.resolve("/block")).build(),
          BodyHandlers.ofString());
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      try (RawHttp c = new RawHttp(base)) {
        c.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
        // the head goes out once the producer is in the queue, behind the blocked handler
        byte[] status = c.socket.getInputStream().readNBytes(12);
        assertEquals("HTTP/1.1 200", new String(status, StandardCharsets.ISO_8859_1));
        server.stop(Duration.ZERO);
        server = null;
        assertEquals(0, last.get().closed.getCount(), "the stop left the queued body open");
        assertEquals(0, last.get().ran.get());
      }
      release.countDown();
    } finally {
      release.countDown();
      tiny.shutdownNow();
    }
  }

  @Test
  void slowClientBlocksTheProducerAndDisconnectStopsIt() throws Exception {
    URI base = start();
    try (Socket s = new Socket("127.0.0.1", base.getPort())) {
      s.setReceiveBufferSize(64 * 1024);
      s.getOutputStream().write("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      byte[] head = new byte[16];
      assertEquals(16, in.readNBytes(head, 0, 16));
      assertTrue(new String(head, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"));
      // The client reads nothing more: the producer must stall instead of buffering forever.
      long last = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < deadline) {
        Thread.sleep(500);
        long now = written.get();
        if (now == last) {
          break;
        }
        last = now;
      }
      assertEquals(last, written.get(), "the producer never stalled");
      assertTrue(written.get() < 64L * 1024 * 1024, "server buffered " + written.get() + " bytes");
    }
    assertTrue(producerGaveUp.await(10, TimeUnit.SECONDS), "producer not told of the disconnect");
    assertInstanceOf(IOException.class, producerError.get());
  }
}
