package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.execution.HandlerExecutors;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The middleware chain against the server's deadline and streamed replies: a retrying middleware,
 * a replaced inline stream, a request past its deadline, a middleware that converts the reply.
 */
class ChainRetryAndDeadlineTest {
  record Greeting(String message) {}

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private HttpServer server;
  private ExecutorService pool;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  private URI start(HttpServer.Builder b) throws Exception {
    server = b.host("127.0.0.1").port(0).build();
    server.start();
    return server.endpoint();
  }

  private java.net.http.HttpResponse<String> get(URI base, String path, String... headers)
      throws Exception {
    var req = java.net.http.HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(10)); // bounds a hang; not a timing assertion
    if (headers.length > 0) {
      req.headers(headers);
    }
    return client.send(req.build(), BodyHandlers.ofString());
  }

  /** Calls the rest of the chain again once when it fails with 503 (a fallback/retry shape). */
  private static Middleware retryOnce() {
    return next -> (ctx, req) -> {
      try {
        return next.handle(ctx, req);
      } catch (ServiceException e) {
        if (e.code() != 503) {
          throw e;
        }
        return next.handle(ctx, req);
      }
    };
  }

  /**
   * A middleware that calls the handler a second time (retry, fallback) on an executor route,
   * well within the deadline: the second call's reply is the answer. deadlineBound's claim()
   * succeeds only from OPEN, so the second return finds CLAIMED (set by the first attempt's
   * throw) and is read as "the deadline answered first": the client gets 504
   * DEADLINE_EXCEEDED 30 s before any deadline, after the handler ran (side effects) twice.
   */
  @Test
  void aSecondCallOfTheHandlerWithinTheDeadlineIsNotA504() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    URI base = start(HttpServer.builder().middleware(retryOnce()).routes(r -> r
        .get("/flaky", (ctx, req) -> {
          if (calls.incrementAndGet() == 1) {
            throw new ServiceException(503, "UNAVAILABLE", "try again");
          }
          return "second try";
        })));
    var r = get(base, "/flaky");
    assertEquals(2, calls.get());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("second try", r.body());
  }

  /**
   * The same middleware on an inline route whose handler returns a stream: each call hands a
   * producer to the executor inside the chain; req.submittedStream keeps only the last, so the
   * first producer is never attached, cancelled nor abandoned and holds its pool thread in
   * StreamedBody.started() for good. With a one-thread pool the second producer (the reply that
   * went out, head already written) never gets a thread: the client waits for the body forever.
   */
  @Test
  void anInlineStreamReturnedTwiceLeavesNoProducerWaitingForever() throws Exception {
    pool = HandlerExecutors.bounded(1, 16);
    AtomicInteger calls = new AtomicInteger();
    Middleware secondIfFirstIsAStream = next -> (ctx, req) -> {
      Object first = next.handle(ctx, req);
      // e.g. a middleware re-running the handler with another context: only the last counts
      return first instanceof HttpResponse ? next.handle(ctx, req) : first;
    };
    URI base = start(HttpServer.builder().executor(pool).middleware(secondIfFirstIsAStream)
        .routes(r -> r.get("/events", (ctx, req) -> {
          int n = calls.incrementAndGet();
          return HttpResponse.streaming(200, "text/plain",
              out -> out.write(("stream " + n).getBytes(StandardCharsets.UTF_8)));
        }, RouteOptions.inline())));
    // bounded: HttpClient's request timeout stops at the head, and the body never comes
    var r = client.sendAsync(java.net.http.HttpRequest.newBuilder(base.resolve("/events")).build(),
        BodyHandlers.ofString()).get(15, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    assertEquals("stream 2", r.body());
  }

  /**
   * A middleware that turns the handler's value into another one (here a record into text for a
   * caller that accepts only text/plain) used to work: the codec was chosen for what the chain
   * returned. Now it is chosen for the handler's value inside the chain, so the middleware never
   * sees the value: 406 although the reply that would go out is writable.
   */
  @Test
  void aMiddlewareThatConvertsTheReplyIsNotRefused406() throws Exception {
    Middleware asText = next -> (ctx, req) -> {
      Object reply = next.handle(ctx, req);
      return reply instanceof Greeting g ? g.message() : reply;
    };
    URI base = start(HttpServer.builder().middleware(asText).routes(r -> r
        .get("/hello", (ctx, req) -> new Greeting("hi"))));
    var r = get(base, "/hello", "Accept", "text/plain");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("hi", r.body());
  }

  /**
   * The server chooses the codec after the chain returned, and tells what it sent through
   * {@link io.phalanx.core.SentReply}: the 406 of a reply no acceptable codec writes reaches a
   * middleware whose reply that was (outside a converting middleware), not one whose reply a
   * middleware outside it replaced (inside it: its Greeting was never sent). On executor and
   * inline routes alike, once per request, before the client has the reply.
   */
  @Test
  void theTransportTellsTheMiddlewareWhatItSentInsteadOfItsReply() throws Exception {
    java.util.List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.function.Function<String, Middleware> recorder = name -> next -> (ctx, req) -> {
      Object reply = next.handle(ctx, req);
      ((io.phalanx.core.SentReply) ctx.transport()).onSent((chainReply, replaced) -> told.add(
          name + ":" + (replaced != null && chainReply == reply ? replaced.code() : 200)));
      return reply;
    };
    Middleware asText = next -> (ctx, req) -> {
      Object reply = next.handle(ctx, req);
      return reply instanceof Greeting g ? g.message() : reply;
    };
    URI base = start(HttpServer.builder()
        .middleware(recorder.apply("outer"), asText, recorder.apply("inner"))
        .routes(r -> r.get("/hello", (ctx, req) -> new Greeting("hi"))
            .get("/inline", (ctx, req) -> new Greeting("hi"), RouteOptions.inline())));
    for (String path : java.util.List.of("/hello", "/inline")) {
      told.clear();
      var refused = get(base, path, "Accept", "image/png");
      assertEquals(406, refused.statusCode(), refused.body());
      assertEquals(java.util.List.of("inner:200", "outer:406"), told, path);
      told.clear();
      var ok = get(base, path, "Accept", "text/plain");
      assertEquals(200, ok.statusCode(), ok.body());
      assertEquals(java.util.List.of("inner:200", "outer:200"), told, path);
    }
  }

  /**
   * A request past its deadline before it runs is to be "answered 504 through the middleware"
   * (f056bb7). dispatch makes it an Exchange with the 504 as outcome but still arms its timer
   * with the used-up (negative) timeout: the event loop's expire() answers 504 directly, and
   * Exchange.run, finding the state ANSWERED, never runs the chain, so the middleware records
   * nothing for it (a race it nearly always loses: the loop runs the timer before a pool thread
   * gets there).
   */
  @Test
  void aRequestPastItsDeadlineIsRecordedAs504ByTheMiddleware() throws Exception {
    ChainOutcomes recorded = new ChainOutcomes();
    URI base = start(HttpServer.builder().middleware(recorded).routes(r -> r
        .get("/orders", (ctx, req) -> "order")
        .get("/inline", (ctx, req) -> "order", RouteOptions.inline())));
    for (String path : java.util.List.of("/orders", "/inline")) {
      for (int i = 0; i < 3; i++) {
        var r = get(base, path, "grpc-timeout", "1n");
        assertEquals(504, r.statusCode(), r.body());
        assertEquals(504, recorded.next(), path + " #" + i + ": the middleware saw no 504");
      }
    }
  }
}
