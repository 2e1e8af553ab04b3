package io.phalanx.transport.http.client;

import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.SERVER;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Context;
import io.phalanx.core.Metadata;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;
import io.phalanx.core.error.ServiceException;
import io.phalanx.test.RefusedPort;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpClientTest {
  record Reply(String message) {}

  record Echo(String text, int n) {}

  private static final Pattern GRPC_TIMEOUT = Pattern.compile("(\\d{1,8})([numSMH])");

  private TestServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    server = new TestServer()
        .route("/hello/", (ex, body) -> {
          String name = ex.getRequestURI().getPath().substring("/hello/".length());
          ex.getResponseHeaders().set("X-Served-By", "test");
          TestServer.reply(ex, 200, "application/json", "{\"message\":\"Hello " + name
              + "\",\"extra\":true}");
        })
        .route("/echo", (ex, body) -> TestServer.reply(ex, 200,
            ex.getRequestHeaders().getFirst("Content-Type"), body))
        .route("/slow", (ex, body) -> {
          Thread.sleep(3000);
          TestServer.reply(ex, 200, "application/json", "{\"message\":\"late\"}");
        })
        .route("/users/", (ex, body) -> TestServer.reply(ex, 404, "application/json",
            "{\"code\":404,\"reason\":\"USER_NOT_FOUND\",\"message\":\"user 7 not found\","
                + "\"metadata\":{\"id\":\"7\"}}"))
        .route("/broken", (ex, body) -> TestServer.reply(ex, 502, "text/plain",
            "upstream broke\n"))
        .route("/close", (ex, body) -> {
          ex.getResponseHeaders().set("Connection", "close");
          TestServer.reply(ex, 200, "application/json", "{\"message\":\"bye\"}");
        })
        .route("/big", (ex, body) -> TestServer.reply(ex, 200, "text/plain", "x".repeat(4096)))
        .route("/wait", (ex, body) -> {
          Thread.sleep(150);
          TestServer.reply(ex, 200, "application/json", "{\"message\":\"done\"}");
        })
        .route("/empty", (ex, body) -> TestServer.reply(ex, 204, null, ""))
        .route("/never", (ex, body) -> new CountDownLatch(1).await()); // until the server stops
    client = HttpClient.builder().target(server.base()).timeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  @Test
  void getDecodesJsonAndReusesOneKeepAliveConnection() {
    for (int i = 0; i < 5; i++) {
      assertEquals(new Reply("Hello w" + i), client.get("/hello/w" + i, Reply.class));
    }
    assertEquals(5, server.seen.size());
    assertEquals(1, server.connections.size(), "sequential calls share one connection");
    TestServer.Seen first = server.seen.get(0);
    assertEquals("GET", first.method());
    assertEquals("application/json", first.header("Accept"));
    assertNotNull(first.header("Host"));
  }

  @Test
  void postEncodesTheBodyWithTheCodec() {
    Echo e = client.post("/echo", new Echo("x", 3), Echo.class);
    assertEquals(new Echo("x", 3), e);
    TestServer.Seen seen = server.seen.get(0);
    assertEquals("POST", seen.method());
    assertEquals("application/json", seen.header("Content-Type"));
    assertEquals("{\"text\":\"x\",\"n\":3}", new String(seen.body(), UTF_8));
  }

  @Test
  void executeSendsRawRequestsWithHeadersAndQuery() {
    byte[] payload = {1, 2, 3, (byte) 0xff};
    HttpClientResponse r = client.execute(HttpClientRequest.builder("put", "/echo")
        .query("q", "a b&c").header("X-Custom", "v1").body(payload, "application/octet-stream")
        .build());
    assertEquals(200, r.status());
    assertArrayEquals(payload, r.body());
    assertEquals("application/octet-stream", r.contentType().orElseThrow());
    TestServer.Seen seen = server.seen.get(0);
    assertEquals("PUT", seen.method());
    assertEquals("/echo?q=a+b%26c", seen.uri());
    assertEquals("v1", seen.header("X-Custom"));
    assertNull(client.get("/empty", Reply.class), "204 decodes to null");
  }

  @Test
  void timeoutAbortsTheCallWith504AndSendsGrpcTimeout() {
    HttpClientRequest slow = HttpClientRequest.builder("GET", "/slow")
        .timeout(Duration.ofMillis(300)).build();
    ServiceException e = assertThrows(ServiceException.class,
        () -> client.call(slow, Reply.class));
    assertEquals(504, e.code());
    assertEquals("DEADLINE_EXCEEDED", e.reason());
    String header = server.seen.get(0).header("grpc-timeout");
    assertNotNull(header, "the deadline travels to the server");
    assertTrue(nanos(header) > 0 && nanos(header) <= TimeUnit.MILLISECONDS.toNanos(300),
        header);

    // the aborted connection is not reused: the next call opens a fresh one and works
    assertEquals(new Reply("Hello again"), client.get("/hello/again", Reply.class));
    assertEquals(2, server.connections.size());
  }

  @Test
  void theCallersShorterDeadlineWins() {
    Context caller = Context.of(Transport.of(HTTP, SERVER, "GET /caller"), Instant.now().plusMillis(800));
    assertEquals(new Reply("Hello d"), client.get(caller, "/hello/d", Reply.class));
    long sent = nanos(server.seen.get(0).header("grpc-timeout"));
    assertTrue(sent > 0 && sent <= TimeUnit.MILLISECONDS.toNanos(800), "sent " + sent);
  }

  @Test
  void anExpiredDeadlineFailsWithoutSending() {
    Context expired = Context.of(Transport.of(HTTP, SERVER, "GET /caller"), Instant.now().minusMillis(1));
    ServiceException e = assertThrows(ServiceException.class,
        () -> client.get(expired, "/hello/x", Reply.class));
    assertEquals(504, e.code());
    assertEquals("DEADLINE_EXCEEDED", e.reason());
    assertTrue(server.seen.isEmpty());
  }

  @Test
  void kratosErrorBodiesBecomeServiceExceptions() {
    AtomicReference<Metadata> replyHeaders = new AtomicReference<>();
    try (HttpClient c = HttpClient.builder().target(server.base())
        .middleware(next -> (ctx, req) -> {
          try {
            return next.handle(ctx, req);
          } finally {
            replyHeaders.set(Metadata.copyOf(ctx.transport().replyMetadata()));
          }
        }).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> c.get("/users/7", Reply.class));
      assertEquals(404, e.code());
      assertEquals("USER_NOT_FOUND", e.reason());
      assertEquals("user 7 not found", e.getMessage());
      assertEquals("7", e.metadata().get("id"));
      assertEquals("application/json", replyHeaders.get().get("content-type").orElseThrow());
    }
  }

  @Test
  void otherErrorBodiesBecomeTextMessages() {
    ServiceException e = assertThrows(ServiceException.class,
        () -> client.get("/broken", Reply.class));
    assertEquals(502, e.code());
    assertEquals("", e.reason());
    assertEquals("upstream broke", e.getMessage());
    ServiceException missing = assertThrows(ServiceException.class,
        () -> client.get("/nowhere", Reply.class));
    assertEquals(404, missing.code());
  }

  @Test
  void middlewareRunsInOrderAroundTheCallWithAClientContext() {
    Context.Key<String> user = Context.Key.of("user");
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Context> seenCtx = new AtomicReference<>();
    AtomicReference<String> servedBy = new AtomicReference<>();
    Middleware outer = next -> (ctx, req) -> {
      events.add("outer-in");
      Object r = next.handle(ctx, req);
      events.add("outer-out");
      servedBy.set(ctx.transport().replyMetadata().get("x-served-by").orElse(null));
      return r;
    };
    Middleware inner = next -> (ctx, req) -> {
      events.add("inner-in");
      seenCtx.set(ctx);
      ((MutableMetadata) ctx.transport().requestMetadata()).set("x-trace", "t-1");
      Object r = next.handle(ctx, req);
      events.add("inner-out " + ((HttpClientResponse) r).status());
      return r;
    };
    try (HttpClient c = HttpClient.builder().target(server.base())
        .middleware(outer, inner).build()) {
      Context caller = Context.of(Transport.of(HTTP, SERVER, "GET /caller")).with(user, "alice");
      assertEquals(new Reply("Hello 42"), c.call(caller,
          HttpClientRequest.builder("GET", "/hello/42?x=1").pathTemplate("/hello/{id}").build(),
          Reply.class));
      assertEquals(List.of("outer-in", "inner-in", "inner-out 200", "outer-out"), events);
      Transport t = seenCtx.get().transport();
      assertEquals(Transport.Kind.HTTP, t.kind());
      assertEquals(Transport.Side.CLIENT, t.side());
      assertEquals("GET /hello/{id}", t.operation());
      assertEquals(server.base(), t.endpoint());
      assertTrue(t.remoteAddress().isPresent());
      assertEquals("alice", seenCtx.get().get(user).orElseThrow(), "attributes flow");
      assertTrue(seenCtx.get().deadline().isPresent(), "the client timeout sets a deadline");
      assertEquals("t-1", server.seen.get(0).header("x-trace"));
      assertEquals("test", servedBy.get());

      c.get("/hello/plain?y=2", Reply.class);
      assertEquals("GET /hello/plain", seenCtx.get().transport().operation());
    }
  }

  @Test
  void thePoolIsBoundedPerHost() throws Exception {
    try (HttpClient c = HttpClient.builder().target(server.base()).maxConnectionsPerHost(2)
        .build()) {
      List<CompletableFuture<Reply>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(c.callAsync(null, HttpClientRequest.builder("GET", "/wait").build(),
            Reply.class));
      }
      for (CompletableFuture<Reply> f : calls) {
        assertEquals(new Reply("done"), f.get(20, TimeUnit.SECONDS));
      }
      assertEquals(8, server.seen.size());
      assertTrue(server.connections.size() <= 2, "connections: " + server.connections);
      assertTrue(server.maxInFlight.get() <= 2, "in flight: " + server.maxInFlight.get());
    }
  }

  @Test
  void connectionsTheServerClosesAreNotReused() {
    assertEquals(new Reply("bye"), client.get("/close", Reply.class));
    assertEquals(new Reply("bye"), client.get("/close", Reply.class));
    assertEquals(2, server.connections.size());
  }

  @Test
  void refusedConnectionsAre503() throws Exception {
    try (RefusedPort nowhere = RefusedPort.open();
        HttpClient c = HttpClient.builder().target("http://127.0.0.1:" + nowhere.port()).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> c.get("/hello/x", Reply.class));
      assertEquals(503, e.code());
      assertEquals("UNAVAILABLE", e.reason());
      assertTrue(e.getMessage().contains("127.0.0.1:" + nowhere.port()), e.getMessage());
    }
  }

  @Test
  void oversizedResponsesAreRejected() {
    try (HttpClient c = HttpClient.builder().target(server.base()).maxResponseSize(1024)
        .build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> c.get("/big", String.class));
      assertEquals(502, e.code());
      assertEquals("RESPONSE_TOO_LARGE", e.reason());
    }
    assertEquals(4096, client.get("/big", String.class).length());
  }

  @Test
  void undecodableRepliesAre502() {
    ServiceException e = assertThrows(ServiceException.class,
        () -> client.get("/big", Reply.class));
    assertEquals(502, e.code());
    assertEquals("BAD_RESPONSE", e.reason());
  }

  @Test
  void aClosedClientRefusesCalls() {
    client.close();
    assertThrows(IllegalStateException.class, () -> client.get("/hello/x", Reply.class));
  }

  @Test
  void aHostsPoolGoesWithItsLastConnection() throws Exception {
    // discovery churn: every instance is new, on a port of its own, called once and then gone
    AtomicReference<URI> instance = new AtomicReference<>();
    try (HttpClient c = HttpClient.builder().target("churn", ctx -> instance.get())
        .timeout(Duration.ofSeconds(5)).build()) {
      for (int i = 0; i < 20; i++) {
        try (TestServer s = new TestServer().route("/hello/", (ex, body) ->
            TestServer.reply(ex, 200, "application/json", "{\"message\":\"hi\"}"))) {
          instance.set(URI.create(s.base()));
          assertEquals(new Reply("hi"), c.get("/hello/x", Reply.class));
          assertEquals(new Reply("hi"), c.get("/hello/x", Reply.class));
          assertEquals(1, s.connections.size(), "the idle connection stays pooled for reuse");
        }
      }
      awaitTrue(() -> c.poolCount() == 0, () -> c.poolCount() + " pools left");
    }
  }

  @Test
  void callsRaceThePoolsOfConnectionsThatCloseAfterEachReply() throws Exception {
    // Connection: close retires the host's pool after nearly every call, while other calls are
    // taking a connection from it: none of them may land on a retired pool.
    List<CompletableFuture<Reply>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      calls.add(client.callAsync(null, HttpClientRequest.builder("GET", "/close").build(),
          Reply.class));
    }
    for (CompletableFuture<Reply> f : calls) {
      assertEquals(new Reply("bye"), f.get(30, TimeUnit.SECONDS));
    }
    awaitTrue(() -> client.poolCount() == 0, () -> client.poolCount() + " pools left");
  }

  @Test
  void closeFailsTheCallsInFlightAndWaitingAtOnce() throws Exception {
    try (HttpClient c = HttpClient.builder().target(server.base()).maxConnectionsPerHost(2)
        .timeout(Duration.ofMinutes(5)).build()) {
      // one pooled connection, so that a call on it is one the client could retry
      assertEquals(new Reply("Hello pooled"), c.get("/hello/pooled", Reply.class));
      List<CompletableFuture<HttpClientResponse>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(c.executeAsync(null, HttpClientRequest.builder(i % 2 == 0 ? "GET" : "POST",
            "/never").build()));
      }
      // two reach the server, which never answers; two wait for one of its two connections
      awaitTrue(() -> server.inFlight.get() == 2 && c.callsUnderWay() == 4,
          () -> server.inFlight + " at the server, " + c.callsUnderWay() + " under way");

      c.close();

      for (CompletableFuture<HttpClientResponse> f : calls) {
        // far shorter than the call's timeout: a call left to its deadline fails the test here
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> f.get(30, TimeUnit.SECONDS));
        ServiceException cause = assertInstanceOf(ServiceException.class, e.getCause());
        assertEquals(499, cause.code(), cause.toString());
        assertEquals("CANCELLED", cause.reason(), cause.toString());
        assertTrue(cause.getMessage().contains("client closed"), cause.toString());
      }
      assertThrows(IllegalStateException.class, () -> c.get("/hello/late", Reply.class));
      ExecutionException late = assertThrows(ExecutionException.class,
          () -> c.callAsync(null, HttpClientRequest.builder("GET", "/hello/late").build(),
              Reply.class).get(30, TimeUnit.SECONDS));
      assertInstanceOf(IllegalStateException.class, late.getCause());
    }
  }

  /** Polls {@code condition} for up to ten seconds. */
  private static void awaitTrue(BooleanSupplier condition, Supplier<String> state)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not reached within 10 s: " + state.get());
      }
      Thread.sleep(10);
    }
  }

  private static long nanos(String grpcTimeout) {
    Matcher m = GRPC_TIMEOUT.matcher(grpcTimeout);
    assertTrue(m.matches(), "grpc-timeout syntax: " + grpcTimeout);
    long v = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "n":
        return v;
      case "u":
        return TimeUnit.MICROSECONDS.toNanos(v);
      case "m":
        return TimeUnit.MILLISECONDS.toNanos(v);
      case "S":
        return TimeUnit.SECONDS.toNanos(v);
      case "M":
        return TimeUnit.MINUTES.toNanos(v);
      default:
        return TimeUnit.HOURS.toNanos(v);
    }
  }
}
