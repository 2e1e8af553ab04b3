package io.phalanx.observability.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.phalanx.core.Context;
import io.phalanx.core.error.ServiceException;
import io.phalanx.observability.logging.AccessLog;
import io.phalanx.observability.testproto.Hop;
import io.phalanx.observability.testproto.RelayGrpc;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcContext;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import io.phalanx.transport.http.client.HttpClientResponse;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.slf4j.helpers.NOPMDCAdapter;

/** HTTP → service A → gRPC → service B → HTTP → service C, over loopback sockets. */
class TracingTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT_SPAN = "00f067aa0ba902b7";

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final Map<String, String> seenInC = new ConcurrentHashMap<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ExecutorService executorC = Executors.newSingleThreadExecutor();
  private SdkTracerProvider tracerProvider;
  private HttpClient caller;

  @BeforeEach
  void start() throws Exception {
    tracerProvider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
    Tracing tracing = Tracing.create(otel);

    HttpServer c = HttpServer.builder().host("127.0.0.1").port(0).executor(executorC)
        .middleware(tracing, TraceMdc.create(), AccessLog.create())
        .routes(r -> {
          r.get("/c/{name}", (ctx, req) -> {
            seenInC.put("mdc.trace_id", String.valueOf(MDC.get(TraceMdc.TRACE_ID)));
            seenInC.put("mdc.span_id", String.valueOf(MDC.get(TraceMdc.SPAN_ID)));
            seenInC.put("baggage.user", String.valueOf(Baggage.current().getEntryValue("user")));
            return HttpResponse.text("C(" + ((HttpRequest) req).pathParam("name") + ")");
          });
          r.get("/fail", (ctx, req) -> {
            throw new IllegalStateException("broken");
          });
          r.get("/missing", (ctx, req) -> {
            throw new ServiceException(404, "NOPE", "not here");
          });
        })
        .build();
    c.start();
    closeables.add(() -> c.stop(Duration.ZERO));
    HttpClient toC = HttpClient.builder().target(c.endpoint().toString()).middleware(tracing)
        .build();
    closeables.add(toC);

    GrpcServer b = GrpcServer.builder().host("127.0.0.1").port(0).middleware(tracing)
        .service(new RelayGrpc.RelayImplBase() {
          @Override
          public void forward(Hop hop, StreamObserver<Hop> out) {
            Context ctx = GrpcContext.current();
            HttpClientResponse r = toC.execute(ctx, HttpClientRequest.builder("GET", "/c/"
                + hop.getText()).pathTemplate("/c/{name}").build());
            out.onNext(Hop.newBuilder().setText("B>" + r.bodyAsString()).build());
            out.onCompleted();
          }
        })
        .build();
    b.start();
    closeables.add(() -> b.stop(Duration.ZERO));
    GrpcClient toB = GrpcClient.builder("127.0.0.1:" + b.port()).middleware(tracing).build();
    closeables.add(toB);
    RelayGrpc.RelayBlockingStub stub = RelayGrpc.newBlockingStub(toB.channel());

    HttpServer a = HttpServer.builder().host("127.0.0.1").port(0).middleware(tracing)
        .routes(r -> r.get("/a", (ctx, req) -> HttpResponse.text("A>" + toB.withContext(ctx, stub)
            .forward(Hop.newBuilder().setText("x").build()).getText())))
        .build();
    a.start();
    closeables.add(() -> a.stop(Duration.ZERO));
    HttpServer edge = a;

    caller = HttpClient.builder().target(edge.endpoint().toString())
        .timeout(Duration.ofSeconds(30)).build();
    closeables.add(caller);
    closeables.add(() -> c.stop(Duration.ZERO));
    this.cEndpoint = c.endpoint().toString();
  }

  private String cEndpoint;

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    executorC.shutdownNow();
    tracerProvider.close();
  }

  @Test
  void oneTraceAcrossHttpGrpcHttpWithParentLinks() throws Exception {
    HttpClientResponse r = caller.execute(HttpClientRequest.builder("GET", "/a")
        .header("traceparent", "00-" + TRACE_ID + "-" + PARENT_SPAN + "-01")
        .header("baggage", "user=alice").build());
    assertEquals("A>B>C(x)", r.bodyAsString());

    List<SpanData> spans = exporter.getFinishedSpanItems();
    assertEquals(5, spans.size(), spans.toString());
    for (SpanData s : spans) {
      assertEquals(TRACE_ID, s.getTraceId(), s.getName());
    }
    String grpcOp = "/phalanx.observability.test.Relay/Forward";
    SpanData aServer = find(spans, "GET /a", SpanKind.SERVER);
    SpanData bClient = find(spans, grpcOp, SpanKind.CLIENT);
    SpanData bServer = find(spans, grpcOp, SpanKind.SERVER);
    SpanData cClient = find(spans, "GET /c/{name}", SpanKind.CLIENT);
    SpanData cServer = find(spans, "GET /c/{name}", SpanKind.SERVER);

    assertEquals(PARENT_SPAN, aServer.getParentSpanId());
    assertTrue(aServer.getParentSpanContext().isRemote());
    assertEquals(aServer.getSpanId(), bClient.getParentSpanId());
    assertEquals(bClient.getSpanId(), bServer.getParentSpanId());
    assertEquals(bServer.getSpanId(), cClient.getParentSpanId());
    assertEquals(cClient.getSpanId(), cServer.getParentSpanId());

    for (SpanData s : List.of(bClient, bServer)) {
      assertEquals("grpc", s.getAttributes().get(AttributeKey.stringKey("rpc.system")));
      assertEquals("phalanx.observability.test.Relay",
          s.getAttributes().get(AttributeKey.stringKey("rpc.service")));
      assertEquals("Forward", s.getAttributes().get(AttributeKey.stringKey("rpc.method")));
      assertEquals(0L, s.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")));
    }
    assertEquals("GET", cServer.getAttributes().get(AttributeKey.stringKey(
        "http.request.method")));
    assertEquals("/c/{name}", cServer.getAttributes().get(AttributeKey.stringKey("http.route")));
    assertEquals(200L, cServer.getAttributes().get(AttributeKey.longKey(
        "http.response.status_code")));
    assertEquals("127.0.0.1", cServer.getAttributes().get(AttributeKey.stringKey(
        "server.address")));
    assertEquals(cEndpoint + "/c/x", cClient.getAttributes().get(AttributeKey.stringKey(
        "url.full")));
    assertEquals("/c/x", cServer.getAttributes().get(AttributeKey.stringKey("url.path")));
    assertEquals("http", cServer.getAttributes().get(AttributeKey.stringKey("url.scheme")));
    assertEquals("1.1", cServer.getAttributes().get(AttributeKey.stringKey(
        "network.protocol.version")));
    assertEquals((long) URI.create(cEndpoint).getPort(),
        cServer.getAttributes().get(AttributeKey.longKey("server.port")));
    assertEquals("127.0.0.1", cServer.getAttributes().get(AttributeKey.stringKey(
        "client.address")));
    assertEquals(StatusCode.UNSET, cServer.getStatus().getStatusCode());

    // C's handler saw the caller's baggage three hops away, and its span ids in the MDC
    assertEquals("alice", seenInC.get("baggage.user"));
  }

  @Test
  void mdcHoldsTheIdsDuringTheCallAndIsCleanAfterwards() throws Exception {
    // slf4j-simple (this module's test backend) has a no-op MDC; logback/log4j2 have real ones
    assumeFalse(MDC.getMDCAdapter() instanceof NOPMDCAdapter, "SLF4J backend without an MDC");
    caller.execute(HttpClientRequest.builder("GET", "/a").build());
    SpanData cServer = find(exporter.getFinishedSpanItems(), "GET /c/{name}", SpanKind.SERVER);
    assertEquals(cServer.getTraceId(), seenInC.get("mdc.trace_id"));
    assertEquals(cServer.getSpanId(), seenInC.get("mdc.span_id"));
    // ... and the MDC is clean again on that (single, reused) handler thread
    assertNull(executorC.submit(() -> MDC.get(TraceMdc.TRACE_ID)).get(30, TimeUnit.SECONDS));
  }

  @Test
  void newTraceWithoutIncomingContext() {
    caller.execute(HttpClientRequest.builder("GET", "/a").build());
    List<SpanData> spans = exporter.getFinishedSpanItems();
    assertEquals(5, spans.size());
    String traceId = spans.get(0).getTraceId();
    assertTrue(spans.stream().allMatch(s -> s.getTraceId().equals(traceId)));
    SpanData aServer = find(spans, "GET /a", SpanKind.SERVER);
    assertTrue(!aServer.getParentSpanContext().isValid(), "a root span");
  }

  @Test
  void errorsMarkSpans() throws Exception {
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
    try (HttpClient toC = HttpClient.builder().target(cEndpoint)
        .middleware(Tracing.create(otel)).build()) {
      assertThrows(ServiceException.class, () -> toC.get("/fail", String.class));
      List<SpanData> spans = exporter.getFinishedSpanItems();
      SpanData server = find(spans, "GET /fail", SpanKind.SERVER);
      assertEquals(StatusCode.ERROR, server.getStatus().getStatusCode());
      assertEquals("exception", server.getEvents().get(0).getName());
      assertEquals(500L, server.getAttributes().get(AttributeKey.longKey(
          "http.response.status_code")));
      SpanData client = find(spans, "GET /fail", SpanKind.CLIENT);
      assertEquals(StatusCode.ERROR, client.getStatus().getStatusCode());
      assertEquals(server.getParentSpanId(), client.getSpanId());

      exporter.reset();
      assertThrows(ServiceException.class, () -> toC.get("/missing", String.class));
      spans = exporter.getFinishedSpanItems();
      SpanData notFound = find(spans, "GET /missing", SpanKind.SERVER);
      assertEquals(StatusCode.UNSET, notFound.getStatus().getStatusCode(),
          "a 4xx is the caller's error, not the server's");
      assertEquals("NOPE", notFound.getAttributes().get(AttributeKey.stringKey("error.type")));
      assertEquals(StatusCode.ERROR,
          find(spans, "GET /missing", SpanKind.CLIENT).getStatus().getStatusCode());
    }
  }

  @Test
  void aHeadServedByTheGetRouteIsNamedAndAttributedHead() throws Exception {
    try (HttpClient toC = HttpClient.builder().target(cEndpoint).build()) {
      assertEquals(200, toC.execute(HttpClientRequest.builder("HEAD", "/c/x").build()).status());
    }
    // OpenTelemetry's HTTP server spans: name "{method} {http.route}", the method as sent
    SpanData head = find(exporter.getFinishedSpanItems(), "HEAD /c/{name}", SpanKind.SERVER);
    assertEquals("HEAD", head.getAttributes().get(AttributeKey.stringKey("http.request.method")));
    assertEquals("/c/{name}", head.getAttributes().get(AttributeKey.stringKey("http.route")));
    assertEquals(200L, head.getAttributes().get(AttributeKey.longKey(
        "http.response.status_code")));
  }

  private static SpanData find(List<SpanData> spans, String name, SpanKind kind) {
    return spans.stream().filter(s -> s.getName().equals(name) && s.getKind() == kind)
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " span " + name
            + " in " + spans));
  }
}
