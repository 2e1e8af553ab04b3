package io.phalanx.observability.metrics;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.phalanx.core.AppInfo;
import io.phalanx.core.Context;
import io.phalanx.core.Middleware;
import io.phalanx.core.Transport;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.observability.testproto.Hop;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.web.GrpcWeb;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import io.phalanx.transport.http.client.HttpClientResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private final CountDownLatch release = new CountDownLatch(1);
  /** One permit per call that has reached the /block handler. */
  private final Semaphore entered = new Semaphore(0);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private HttpServer server;
  private HttpClient client;

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    for (AutoCloseable c : closeables) {
      c.close();
    }
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private void start(Middleware serverSide, Middleware clientSide) throws Exception {
    server = serve(serverSide);
    client = HttpClient.builder().target(server.endpoint().toString()).middleware(clientSide)
        .timeout(Duration.ofSeconds(30)).build();
  }

  /** A started server with the test routes and {@code serverSide}; the caller stops it. */
  private HttpServer serve(Middleware serverSide) throws Exception {
    HttpServer s = HttpServer.builder().host("127.0.0.1").port(0).middleware(serverSide)
        .routes(r -> {
          r.get("/hello/{name}", (ctx, req) ->
              HttpResponse.text("hello " + ((HttpRequest) req).pathParam("name")));
          r.post("/echo", (ctx, req) ->
              HttpResponse.of(200, "application/octet-stream", ((HttpRequest) req).body()));
          r.get("/users/{id}", (ctx, req) -> {
            throw Errors.notFound("USER_NOT_FOUND", "no user");
          });
          r.get("/maybe/{id}", (ctx, req) -> {
            String id = ((HttpRequest) req).pathParam("id");
            if (id.startsWith("missing")) {
              throw Errors.notFound("NO_" + id.toUpperCase(java.util.Locale.ROOT), "no " + id);
            }
            return HttpResponse.of(id.equals("created") ? 201 : 200, "text/plain",
                id.getBytes(UTF_8));
          });
          r.get("/a", (ctx, req) -> HttpResponse.text("a"));
          r.get("/b", (ctx, req) -> HttpResponse.text("b"));
          r.get("/c", (ctx, req) -> HttpResponse.text("c"));
          r.get("/block", (ctx, req) -> {
            entered.release();
            assertTrue(release.await(30, TimeUnit.SECONDS));
            return HttpResponse.text("released");
          });
        })
        .build();
    s.start();
    return s;
  }

  private HttpClientResponse get(String template, String path) {
    return client.execute(HttpClientRequest.builder("GET", path).pathTemplate(template).build());
  }

  @Test
  void countsAndTimesCallsOnBothSidesWithTags() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AppInfo app = new AppInfo("i-1", "greeter", "1.2.0", Map.of(), List.of());
    start(Metrics.builder(registry).appInfo(app).tag("env", "test").build(),
        Metrics.builder(registry).appInfo(app).build());

    get("/hello/{name}", "/hello/a");
    get("/hello/{name}", "/hello/b");
    assertThrows(ServiceException.class, () -> get("/users/{id}", "/users/7"));
    client.execute(HttpClientRequest.builder("POST", "/echo")
        .body("123456".getBytes(UTF_8), "application/octet-stream").build());

    Timer ok = registry.get(Metrics.SERVER_REQUESTS).tags("kind", "http",
        "operation", "GET /hello/{name}", "code", "200", "reason", "", "service", "greeter",
        "version", "1.2.0", "env", "test").timer();
    assertEquals(2, ok.count());
    assertTrue(ok.totalTime(TimeUnit.NANOSECONDS) > 0);
    Timer notFound = registry.get(Metrics.SERVER_REQUESTS)
        .tags("operation", "GET /users/{id}", "code", "404", "reason", "USER_NOT_FOUND").timer();
    assertEquals(1, notFound.count());

    assertEquals(2, registry.get(Metrics.CLIENT_REQUESTS)
        .tags("kind", "http", "operation", "GET /hello/{name}", "code", "200").timer().count());
    assertEquals(1, registry.get(Metrics.CLIENT_REQUESTS)
        .tags("operation", "GET /users/{id}", "code", "404", "reason", "USER_NOT_FOUND")
        .timer().count());

    var serverIn = registry.get("phalanx.server.request.size")
        .tags("operation", "POST /echo").summary();
    assertEquals(1, serverIn.count());
    assertEquals(6.0, serverIn.totalAmount());
    assertEquals(6.0, registry.get("phalanx.server.response.size")
        .tags("operation", "POST /echo").summary().totalAmount());
    assertEquals(6.0, registry.get("phalanx.client.request.size")
        .tags("operation", "POST /echo").summary().totalAmount());
    assertEquals(6.0, registry.get("phalanx.client.response.size")
        .tags("operation", "POST /echo").summary().totalAmount());
  }

  @Test
  void gaugesCallsInFlight() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(Metrics.create(registry), Metrics.create(registry));

    CompletableFuture<HttpClientResponse> blocked = client.executeAsync(null,
        HttpClientRequest.builder("GET", "/block").pathTemplate("/block").build());
    // the gauge appears with the first call
    IntSupplier serverActive = () -> {
      var g = registry.find("phalanx.server.requests.active").tags("operation", "GET /block")
          .gauge();
      return g == null ? -1 : (int) g.value();
    };
    awaitValue(serverActive, 1);
    assertEquals(1.0, registry.get("phalanx.client.requests.active")
        .tags("operation", "GET /block").gauge().value());

    release.countDown();
    assertEquals("released", blocked.get(30, TimeUnit.SECONDS).bodyAsString());
    assertEquals(0, serverActive.getAsInt());
    assertEquals(0.0, registry.get("phalanx.client.requests.active")
        .tags("operation", "GET /block").gauge().value());
  }

  @Test
  void aHeadServedByTheGetRouteIsTaggedHead() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(Metrics.create(registry), Middleware.identity());

    HttpClientResponse head = client.execute(HttpClientRequest.builder("HEAD", "/hello/x")
        .build());
    assertEquals(200, head.status());
    get("/hello/{name}", "/hello/y");

    // the route's template, the request's method: as Micrometer's HTTP server conventions tag
    // method and uri
    assertEquals(1, registry.get(Metrics.SERVER_REQUESTS)
        .tags("operation", "HEAD /hello/{name}", "code", "200").timer().count());
    assertEquals(1, registry.get(Metrics.SERVER_REQUESTS)
        .tags("operation", "GET /hello/{name}", "code", "200").timer().count());
    assertEquals(0.0, registry.get("phalanx.server.requests.active")
        .tags("operation", "HEAD /hello/{name}").gauge().value());
    // nothing of the GET route's body was sent
    assertEquals(0, head.body().length);
    var sent = registry.get("phalanx.server.response.size")
        .tags("operation", "HEAD /hello/{name}").summary();
    assertEquals(1, sent.count());
    assertEquals(0.0, sent.totalAmount(), "a HEAD reply has no body on the wire");
  }

  @Test
  void instancesSharingARegistryAndTagsGaugeTheirCallsInFlightTogether() throws Exception {
    // e.g. two servers of one app, or an app restarted in the same JVM, each with its own Metrics
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    start(Metrics.create(registry), Middleware.identity());
    List<HttpClient> clients = new ArrayList<>(List.of(client, client));
    for (int i = 0; i < 2; i++) {
      HttpServer other = serve(Metrics.create(registry));
      closeables.add(() -> other.stop(Duration.ZERO));
      HttpClient toOther = HttpClient.builder().target(other.endpoint().toString())
          .timeout(Duration.ofSeconds(30)).build();
      closeables.add(toOther);
      clients.add(toOther);
    }

    List<CompletableFuture<HttpClientResponse>> calls = new ArrayList<>();
    for (HttpClient c : clients) {
      calls.add(c.executeAsync(null, HttpClientRequest.builder("GET", "/block").build()));
    }
    assertTrue(entered.tryAcquire(clients.size(), 30, TimeUnit.SECONDS));
    var active = registry.find("phalanx.server.requests.active")
        .tags("operation", "GET /block").gauges();
    assertEquals(1, active.size(), active.toString());
    assertEquals(4.0, active.iterator().next().value(), "2 calls on the first server, 1 on each "
        + "of the others");
    assertTrue(registry.scrape().contains(
        "phalanx_server_requests_active{kind=\"http\",operation=\"GET /block\"} 4"),
        registry.scrape());

    release.countDown();
    for (CompletableFuture<HttpClientResponse> call : calls) {
      assertEquals("released", call.get(30, TimeUnit.SECONDS).bodyAsString());
    }
    assertEquals(0.0, registry.get("phalanx.server.requests.active")
        .tags("operation", "GET /block").gauge().value());
  }

  @Test
  void theInFlightGaugeOfManyInstancesOnOneRegistryReadsTheLiveOnes() throws Exception {
    // an app restarted over and over in one JVM, each run with its own Metrics: far more
    // instances than a recursive read of the shared gauge has stack for
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(Metrics.create(registry), Middleware.identity());
    CompletableFuture<HttpClientResponse> first = client.executeAsync(null,
        HttpClientRequest.builder("GET", "/block").build());
    assertTrue(entered.tryAcquire(30, TimeUnit.SECONDS));

    Context call = Context.of(Transport.of(Transport.Kind.HTTP, Transport.Side.SERVER,
        "GET /block"));
    for (int i = 0; i < 200_000; i++) {
      Metrics.create(registry).wrap((ctx, req) -> "done").handle(call, null);
    }

    Metrics last = Metrics.create(registry);
    HttpServer lastServer = serve(last);
    closeables.add(() -> lastServer.stop(Duration.ZERO));
    HttpClient toLast = HttpClient.builder().target(lastServer.endpoint().toString())
        .timeout(Duration.ofSeconds(30)).build();
    closeables.add(toLast);
    CompletableFuture<HttpClientResponse> second = toLast.executeAsync(null,
        HttpClientRequest.builder("GET", "/block").build());
    assertTrue(entered.tryAcquire(30, TimeUnit.SECONDS));

    var active = registry.get("phalanx.server.requests.active").tags("operation", "GET /block")
        .gauge();
    assertEquals(2.0, active.value(), "the first instance's call and the last one's");
    // the instances in between are gone: their counters drop off the gauge
    Metrics.InFlightBoard board = Metrics.BoardTag.of(active);
    assertNotNull(board);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (board.size() > 2 && System.nanoTime() < until) {
      System.gc();
      active.value();
      Thread.sleep(10);
    }
    assertEquals(2, board.size(), "only the first and the last instance are alive");
    assertEquals(2.0, active.value());

    release.countDown();
    assertEquals("released", first.get(30, TimeUnit.SECONDS).bodyAsString());
    assertEquals("released", second.get(30, TimeUnit.SECONDS).bodyAsString());
    assertEquals(0.0, active.value());
  }

  @Test
  void alternatingOutcomesOfOneOperationEachCountOnTheirOwnTimer() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(Metrics.create(registry), Middleware.identity());

    // the middleware caches the timer of the last outcome: switch outcomes on every call
    String[] ids = {"x", "missing1", "x", "created", "missing2", "missing1", "x", "created"};
    for (String id : ids) {
      try {
        get("/maybe/{id}", "/maybe/" + id);
      } catch (ServiceException expected) {
        assertEquals(404, expected.code());
      }
    }

    assertEquals(3, timerCount(registry, "200", ""));
    assertEquals(2, timerCount(registry, "201", ""));
    assertEquals(2, timerCount(registry, "404", "NO_MISSING1"));
    assertEquals(1, timerCount(registry, "404", "NO_MISSING2"));
    assertEquals(4, registry.find(Metrics.SERVER_REQUESTS).timers().size());
    assertEquals(0.0, registry.get("phalanx.server.requests.active")
        .tags("operation", "GET /maybe/{id}").gauge().value());
  }

  private static long timerCount(MeterRegistry registry, String code, String reason) {
    return registry.get(Metrics.SERVER_REQUESTS)
        .tags("operation", "GET /maybe/{id}", "code", code, "reason", reason).timer().count();
  }

  /**
   * A failed gRPC-Web call is answered trailers-only by its route's error encoder: HTTP 200, no
   * body. Its response size was recorded as the length of the Kratos JSON error the HTTP server's
   * default encoder would have written, a body never sent (built once per error only to be
   * measured); the size of an error the server writes is not known to the middleware, so none is
   * recorded.
   */
  @Test
  void aFailedGrpcWebCallsResponseSizeIsTheBytesSent() throws Exception {
    MethodDescriptor<Hop, Hop> get = MethodDescriptor.<Hop, Hop>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("test.Store/Get")
        .setRequestMarshaller(ProtoUtils.marshaller(Hop.getDefaultInstance()))
        .setResponseMarshaller(ProtoUtils.marshaller(Hop.getDefaultInstance())).build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ServerServiceDefinition store = ServerServiceDefinition.builder("test.Store")
        .addMethod(get, ServerCalls.<Hop, Hop>asyncUnaryCall((req, out) -> out.onError(
            new ServiceException(404, "NOT_FOUND", "no such hop")))).build();
    GrpcServer grpc = GrpcServer.builder().service(store).build();
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .middleware(Metrics.create(registry)).routes(GrpcWeb.of(grpc)).build();
    server.start();
    byte[] m = Hop.newBuilder().setText("x").build().toByteArray();
    byte[] body = ByteBuffer.allocate(5 + m.length).put((byte) 0).putInt(m.length).put(m)
        .array();
    java.net.http.HttpResponse<byte[]> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(server.endpoint().resolve("/test.Store/Get"))
            .timeout(Duration.ofSeconds(20))
            .header("content-type", "application/grpc-web+proto")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertEquals("5", r.headers().firstValue("grpc-status").orElse(""));
    assertEquals(0, r.body().length, "trailers-only: no body");
    assertEquals(1, registry.get(Metrics.SERVER_REQUESTS)
        .tags("operation", "/test.Store/Get", "code", "404").timer().count());
    assertEquals(0.0, registry.get("phalanx.server.response.size")
        .tags("operation", "/test.Store/Get").summary().totalAmount(),
        "recorded the size of a JSON error body that was never sent");
  }

  /** A server transport that decides after the chain, counting who subscribes to it. */
  private static final class Deciding implements Transport, io.phalanx.core.SentReply {
    final List<java.util.function.BiConsumer<Object, ServiceException>> listeners =
        new ArrayList<>();
    private final io.phalanx.core.MutableMetadata reply = new io.phalanx.core.MutableMetadata();

    @Override
    public Kind kind() {
      return Kind.HTTP;
    }

    @Override
    public Side side() {
      return Side.SERVER;
    }

    @Override
    public String operation() {
      return "GET /x";
    }

    @Override
    public String endpoint() {
      return "";
    }

    @Override
    public io.phalanx.core.Metadata requestMetadata() {
      return io.phalanx.core.Metadata.empty();
    }

    @Override
    public io.phalanx.core.MutableMetadata replyMetadata() {
      return reply;
    }

    @Override
    public void onSent(java.util.function.BiConsumer<Object, ServiceException> listener) {
      listeners.add(listener);
    }
  }

  /**
   * Only a plain reply value can still be answered otherwise after the chain (406, or 500 from
   * its codec): a failure, an {@code HttpResponse} or no reply are recorded at once. Every call
   * subscribed a listener per middleware (Metrics, AccessLog, Tracing), and the transport a list
   * of them, on the hot path of every request.
   */
  @Test
  void subscribesToWhatWasSentOnlyWhenTheReplyCanStillChange() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Metrics metrics = Metrics.create(registry);
    record Case(Object reply, int subscriptions) {}
    for (Case c : List.of(new Case(HttpResponse.text("t"), 0), new Case(null, 0),
        new Case(Errors.notFound("GONE", "gone"), 0), new Case("value", 1))) {
      Deciding t = new Deciding();
      try {
        metrics.wrap((ctx, req) -> {
          if (c.reply() instanceof ServiceException e) {
            throw e;
          }
          return c.reply();
        }).handle(Context.of(t), "req");
      } catch (ServiceException expected) {
        // the failure case
      }
      assertEquals(c.subscriptions(), t.listeners.size(), String.valueOf(c.reply()));
      for (var l : t.listeners) {
        l.accept(c.reply(), null);
      }
    }
    assertEquals(4, registry.get(Metrics.SERVER_REQUESTS).timers().stream()
        .mapToLong(Timer::count).sum(), "each call recorded once");
  }

  @Test
  void capsDistinctOperations() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(Metrics.builder(registry).maxOperations(2).build(), Middleware.identity());

    get("/a", "/a");
    get("/b", "/b");
    get("/c", "/c");
    get("/c", "/c");
    get("/a", "/a");

    assertEquals(2, registry.get(Metrics.SERVER_REQUESTS).tags("operation", "GET /a").timer()
        .count());
    assertEquals(1, registry.get(Metrics.SERVER_REQUESTS).tags("operation", "GET /b").timer()
        .count());
    assertEquals(2, registry.get(Metrics.SERVER_REQUESTS)
        .tags("operation", Metrics.OTHER_OPERATION).timer().count());
    assertTrue(registry.find(Metrics.SERVER_REQUESTS).tags("operation", "GET /c").meters()
        .isEmpty());
    // still capped after the first overflow: a later new name is not admitted either
    get("/hello/{name}", "/hello/z");
    assertEquals(3, registry.get(Metrics.SERVER_REQUESTS)
        .tags("operation", Metrics.OTHER_OPERATION).timer().count());
    assertEquals(1, registry.find("phalanx.server.requests.active")
        .tags("operation", Metrics.OTHER_OPERATION).gauges().size());
  }

  @Test
  void serviceLevelObjectivesBecomeTheHistogramBuckets() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(Metrics.builder(registry)
        .serviceLevelObjectives(Duration.ofMillis(50), Duration.ofSeconds(20)).build(),
        Middleware.identity());
    get("/a", "/a");

    CountAtBucket[] buckets = registry.get(Metrics.SERVER_REQUESTS).timer().takeSnapshot()
        .histogramCounts();
    assertEquals(2, buckets.length);
    assertEquals(1.0, buckets[1].count(), "a call finished within 20 s");
  }

  @Test
  void prometheusNamesFollowTheMeterNames() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    start(Metrics.builder(registry).tag("service", "greeter").build(), Middleware.identity());
    client.execute(HttpClientRequest.builder("POST", "/echo")
        .body("x".getBytes(UTF_8), "application/octet-stream").build());

    String scrape = registry.scrape();
    assertTrue(scrape.contains("phalanx_server_requests_seconds_count{code=\"200\",kind=\"http\","
        + "operation=\"POST /echo\",reason=\"\",service=\"greeter\"} 1"), scrape);
    assertTrue(scrape.contains("phalanx_server_requests_seconds_bucket{"), scrape);
    assertTrue(scrape.contains("phalanx_server_requests_active{"), scrape);
    assertTrue(scrape.contains("phalanx_server_request_size_bytes_count{"), scrape);
  }

  @Test
  void jvmBindersRegisterProcessAndNettyMeters() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (JvmMetrics jvm = JvmMetrics.create()) {
      jvm.bindTo(registry);
      for (String name : List.of("jvm.memory.used", "jvm.threads.live", "jvm.classes.loaded",
          "system.cpu.count", "process.uptime", "netty.allocator.memory.used")) {
        assertNotNull(registry.find(name).meter(), name);
      }
      assertTrue(registry.get("jvm.threads.live").gauge().value() > 0);
    }
    assertFalse(registry.getMeters().isEmpty());
  }

  @Test
  void rejectsInvalidOptions() {
    MeterRegistry r = new SimpleMeterRegistry();
    assertThrows(IllegalArgumentException.class, () -> Metrics.builder(r).maxOperations(0));
    assertThrows(IllegalArgumentException.class,
        () -> Metrics.builder(r).serviceLevelObjectives(Duration.ZERO));
  }

  private static void awaitValue(IntSupplier value, int expected) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (value.getAsInt() != expected && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertEquals(expected, value.getAsInt());
  }
}
