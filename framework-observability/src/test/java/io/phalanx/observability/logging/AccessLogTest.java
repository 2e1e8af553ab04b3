package io.phalanx.observability.logging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.observability.metrics.Metrics;
import io.phalanx.observability.tracing.Tracing;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import io.phalanx.transport.http.client.HttpClientResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class AccessLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private HttpServer server;
  private HttpClient client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private void start(Middleware serverSide, Middleware clientSide) throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).middleware(serverSide)
        .routes(r -> {
          r.get("/hello/{name}", (ctx, req) ->
              HttpResponse.text("hello " + ((HttpRequest) req).pathParam("name")));
          r.post("/echo", (ctx, req) ->
              HttpResponse.of(200, "application/octet-stream", ((HttpRequest) req).body()));
          r.get("/users/{id}", (ctx, req) -> {
            throw Errors.notFound("USER_NOT_FOUND", "no user %s",
                ((HttpRequest) req).pathParam("id"));
          });
          r.get("/odd/{code}", (ctx, req) -> {
            throw new ServiceException(Integer.parseInt(((HttpRequest) req).pathParam("code")),
                "ODD", "an error with a code that is no error status");
          });
          r.get("/boom", (ctx, req) -> {
            throw new IllegalStateException("secret detail");
          });
          r.get("/value", (ctx, req) -> new Value("v"));
          r.get("/unencodable", (ctx, req) -> new Unencodable());
          r.get("/slow", (ctx, req) -> {
            Thread.sleep(300);
            return HttpResponse.text("late");
          });
        })
        .build();
    server.start();
    client = HttpClient.builder().target(server.endpoint().toString()).middleware(clientSide)
        .timeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void logsOneRecordPerCallWithFieldsOnBothSides() throws Exception {
    RecordingLogger serverLog = new RecordingLogger();
    RecordingLogger clientLog = new RecordingLogger();
    start(AccessLog.builder().logger(serverLog).build(),
        AccessLog.builder().logger(clientLog).build());

    HttpClientResponse r = client.execute(HttpClientRequest.builder("POST", "/echo")
        .body("12345".getBytes(UTF_8), "application/octet-stream").build());
    assertEquals("12345", r.bodyAsString());

    RecordingLogger.Entry s = single(serverLog.entries());
    assertEquals(Level.INFO, s.level());
    assertEquals("http", s.get("kind"));
    assertEquals("server", s.get("side"));
    assertEquals("POST /echo", s.get("operation"));
    assertEquals(200, s.get("code"));
    assertEquals("", s.get("reason"));
    assertEquals(5L, s.get("request_bytes"));
    assertEquals(5L, s.get("response_bytes"));
    assertTrue((Double) s.get("duration_ms") >= 0.0);
    assertTrue(((String) s.get("peer")).startsWith("127.0.0.1:"), s.fields().toString());
    assertFalse(s.fields().containsKey("trace_id"), "no span is active");

    RecordingLogger.Entry c = single(clientLog.entries());
    assertEquals("client", c.get("side"));
    assertEquals("POST /echo", c.get("operation"));
    assertEquals(200, c.get("code"));
    assertEquals(5L, c.get("request_bytes"));
    assertEquals(5L, c.get("response_bytes"));
    assertEquals("127.0.0.1:" + server.endpoint().getPort(), c.get("peer"));
  }

  @Test
  void errorsCarryCodeAndReasonAtWarnOrErrorLevel() throws Exception {
    RecordingLogger serverLog = new RecordingLogger();
    RecordingLogger clientLog = new RecordingLogger();
    start(AccessLog.builder().logger(serverLog).build(),
        AccessLog.builder().logger(clientLog).build());

    ServiceException notFound = assertThrows(ServiceException.class,
        () -> client.get("/users/7", String.class));
    assertEquals(404, notFound.code());
    assertThrows(ServiceException.class, () -> client.get("/boom", String.class));
    assertThrows(ServiceException.class, () -> client.get("/nowhere", String.class));

    List<RecordingLogger.Entry> s = serverLog.entries();
    assertEquals(3, s.size());
    assertEquals(Level.WARN, s.get(0).level());
    assertEquals("GET /users/{id}", s.get(0).get("operation"));
    assertEquals(404, s.get(0).get("code"));
    assertEquals("USER_NOT_FOUND", s.get(0).get("reason"));
    // written after the chain by the route's error encoder: its size is not known here
    assertFalse(s.get(0).fields().containsKey("response_bytes"), s.get(0).fields().toString());

    assertEquals(Level.ERROR, s.get(1).level());
    assertEquals(500, s.get(1).get("code"));
    assertEquals("INTERNAL", s.get(1).get("reason"));
    assertTrue(((String) s.get(1).get("error")).contains("secret detail"));

    assertEquals("UNMATCHED", s.get(2).get("operation"));
    assertEquals(404, s.get(2).get("code"));

    List<RecordingLogger.Entry> c = clientLog.entries();
    assertEquals(3, c.size());
    assertEquals(404, c.get(0).get("code"));
    assertEquals("USER_NOT_FOUND", c.get(0).get("reason"));
    assertEquals("GET /users/7", c.get(0).get("operation"), "no template given: method and path");
    assertEquals(500, c.get(1).get("code"));
    assertInstanceOf(Long.class, c.get(0).get("response_bytes"));
  }

  @Test
  void anErrorSentAs500IsRecordedAs500WhateverItsOwnCode() throws Exception {
    // the server sends an error with a 1xx, 2xx or out-of-range code as 500 (so that no caller
    // takes it for success); the access log, metrics and span must say what was sent
    Recorded recorded = new Recorded();
    RecordingLogger serverLog = recorded.log;
    SimpleMeterRegistry registry = recorded.registry;
    InMemorySpanExporter spans = recorded.spans;
    start(recorded.middleware(), Middleware.identity());
    try {
      for (int code : new int[] {200, 204, 700}) {
        ServiceException sent = assertThrows(ServiceException.class, () -> client.execute(
            HttpClientRequest.builder("GET", "/odd/" + code).pathTemplate("/odd/{code}")
                .build()));
        assertEquals(500, sent.code(), "on the wire");
        assertEquals("ODD", sent.reason());

        RecordingLogger.Entry line = serverLog.entries().get(serverLog.entries().size() - 1);
        assertEquals(500, line.get("code"), "sent " + code);
        assertEquals(Level.ERROR, line.level());
        assertEquals("ODD", line.get("reason"));
        SpanData span = spans.getFinishedSpanItems().get(spans.getFinishedSpanItems().size() - 1);
        assertEquals(500L, span.getAttributes().get(
            AttributeKey.longKey("http.response.status_code")));
        assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
      }
      assertEquals(3, registry.get(Metrics.SERVER_REQUESTS)
          .tags("operation", "GET /odd/{code}", "code", "500", "reason", "ODD").timer().count());
      assertEquals(1, registry.find(Metrics.SERVER_REQUESTS).timers().size());
    } finally {
      recorded.tracer.close();
    }
  }

  record Value(String name) {}

  /** What the access log, metrics and spans of a server recorded. */
  private static final class Recorded {
    final RecordingLogger log = new RecordingLogger();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final InMemorySpanExporter spans = InMemorySpanExporter.create();
    final SdkTracerProvider tracer = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();

    /** Tracing outermost, then the access log, then metrics, recording here. */
    Middleware middleware() {
      return Middleware.chain(
          Tracing.create(OpenTelemetrySdk.builder().setTracerProvider(tracer).build()),
          AccessLog.builder().logger(log).build(), Metrics.create(registry));
    }
  }

  /** A reply value the JSON codec fails to write: its accessor throws. */
  record Unencodable() {
    public String getBroken() {
      throw new IllegalStateException("cannot be read");
    }
  }

  /**
   * The server chooses the codec for a reply value, and encodes it, after the chain returned: a
   * value no acceptable codec writes is answered 406, one the codec fails to encode 500. The
   * access log, metrics and span recorded the handler's 200 all the same; they record what was
   * sent now, as the transport tells them.
   */
  @Test
  void aReplyAnswered406Or500AfterTheChainIsRecordedWithThatCode() throws Exception {
    Recorded recorded = new Recorded();
    RecordingLogger serverLog = recorded.log;
    SimpleMeterRegistry registry = recorded.registry;
    InMemorySpanExporter spans = recorded.spans;
    start(recorded.middleware(), Middleware.identity());
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    try {
      record Case(String path, String accept, int code, String reason) {}
      for (Case c : List.of(new Case("/value", "image/png", 406, "NOT_ACCEPTABLE"),
          new Case("/unencodable", "application/json", 500, "INTERNAL"),
          new Case("/value", "application/json", 200, ""))) {
        var sent = http.send(java.net.http.HttpRequest.newBuilder(server.endpoint()
                .resolve(c.path())).header("Accept", c.accept()).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(c.code(), sent.statusCode(), "on the wire: " + sent.body());

        RecordingLogger.Entry line = serverLog.entries().get(serverLog.entries().size() - 1);
        assertEquals(c.code(), line.get("code"), c.path() + " " + c.accept());
        assertEquals(c.reason(), line.get("reason"));
        assertEquals(c.code() >= 500 ? Level.ERROR : c.code() >= 400 ? Level.WARN : Level.INFO,
            line.level());
        SpanData span = spans.getFinishedSpanItems().get(spans.getFinishedSpanItems().size() - 1);
        assertEquals((long) c.code(), span.getAttributes().get(
            AttributeKey.longKey("http.response.status_code")));
        assertEquals(1, registry.get(Metrics.SERVER_REQUESTS).tags("operation", "GET " + c.path(),
            "code", Integer.toString(c.code()), "reason", c.reason()).timer().count());
      }
      assertEquals(3, registry.find(Metrics.SERVER_REQUESTS).timers().size(),
          "no 200 recorded for the replies that were not sent");
      assertEquals(0, registry.find("phalanx.server.requests.active").gauges().stream()
          .mapToDouble(io.micrometer.core.instrument.Gauge::value).sum(),
          "every call recorded once");
    } finally {
      recorded.tracer.close();
    }
  }

  /** A reply value whose codec runs out of memory encoding it. */
  record Exhausting() {}

  /** Writes {@link Exhausting} as application/x-exhausting by throwing OutOfMemoryError. */
  private static final class ExhaustedCodec implements io.phalanx.transport.http.codec.Codec {
    @Override
    public String name() {
      return "exhausted";
    }

    @Override
    public List<String> mediaTypes() {
      return List.of("application/x-exhausting");
    }

    @Override
    public boolean canEncode(Class<?> type) {
      return type == Exhausting.class;
    }

    @Override
    public boolean canDecode(Class<?> type) {
      return false;
    }

    @Override
    public byte[] encode(Object value) {
      throw new OutOfMemoryError("simulated while encoding");
    }

    @Override
    public <T> T decode(byte[] body, Class<T> type) {
      throw new UnsupportedOperationException("encodes only");
    }
  }

  /**
   * The server rethrows a VirtualMachineError its codec threw (OutOfMemoryError), and it skipped
   * telling the middleware that wait for what was sent: the in-flight gauge stayed up for good,
   * the span never ended and no line was logged. Each is told once, with the 500 it is.
   */
  @Test
  void anErrorTheCodecThrowsStillEndsTheCallForEveryMiddleware() throws Exception {
    Recorded recorded = new Recorded();
    RecordingLogger serverLog = recorded.log;
    SimpleMeterRegistry registry = recorded.registry;
    InMemorySpanExporter spans = recorded.spans;
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .codecs(io.phalanx.transport.http.codec.Codecs.defaults().with(new ExhaustedCodec()))
        .middleware(recorded.middleware())
        .routes(r -> r.get("/exhausting", (ctx, req) -> new Exhausting()))
        .build();
    server.start();
    try {
      // not awaited: the handler claimed the answer and its task ended with the error, so
      // nothing answers it until the server stops
      java.net.http.HttpClient.newHttpClient().sendAsync(java.net.http.HttpRequest.newBuilder(
              server.endpoint().resolve("/exhausting"))
          .header("Accept", "application/x-exhausting").timeout(Duration.ofSeconds(20)).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((serverLog.entries().isEmpty() || spans.getFinishedSpanItems().isEmpty())
          && System.nanoTime() < deadline) {
        Thread.sleep(5); // polled until the deadline above
      }
      RecordingLogger.Entry line = single(serverLog.entries());
      assertEquals(500, line.get("code"));
      SpanData span = single(spans.getFinishedSpanItems());
      assertEquals(500L, span.getAttributes().get(
          AttributeKey.longKey("http.response.status_code")));
      assertEquals(1, registry.get(Metrics.SERVER_REQUESTS).tags("operation", "GET /exhausting",
          "code", "500").timer().count());
      assertEquals(0, registry.get("phalanx.server.requests.active").gauge().value(),
          "the call is no longer in flight");
    } finally {
      recorded.tracer.close();
    }
  }

  /**
   * A request the handler pool refuses is answered 503 without running the chain, so no
   * middleware saw it: it was counted nowhere. Nor was one whose deadline passed while it waited
   * in the pool's queue (the timer answers 504, and the chain never runs for it). The server
   * tells the middleware that listen for refusals: the metrics count them under their route's
   * operation, the access log logs them.
   */
  @Test
  void requestsAnsweredWithoutRunningTheChainAreCountedAndLogged() throws Exception {
    RecordingLogger serverLog = new RecordingLogger();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // one thread, one place in the queue
    java.util.concurrent.ExecutorService pool =
        io.phalanx.core.execution.HandlerExecutors.bounded(1, 1);
    java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    server = HttpServer.builder().host("127.0.0.1").port(0).executor(pool)
        .middleware(AccessLog.builder().logger(serverLog).build(), Metrics.create(registry))
        .routes(r -> {
          r.get("/hold", (ctx, req) -> {
            entered.countDown();
            assertTrue(release.await(30, TimeUnit.SECONDS));
            return HttpResponse.text("held");
          });
          r.get("/hello/{name}", (ctx, req) -> HttpResponse.text("hello"));
        })
        .build();
    server.start();
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    try {
      var held = http.sendAsync(java.net.http.HttpRequest.newBuilder(server.endpoint()
          .resolve("/hold")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertTrue(entered.await(30, TimeUnit.SECONDS));
      // takes the place in the queue, and its deadline passes there
      var late = http.send(java.net.http.HttpRequest.newBuilder(server.endpoint()
          .resolve("/hello/late")).header("grpc-timeout", "50m").build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(504, late.statusCode(), late.body());
      var refused = http.send(java.net.http.HttpRequest.newBuilder(server.endpoint()
          .resolve("/hello/x")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(503, refused.statusCode(), refused.body());

      assertEquals(1, registry.get(Metrics.SERVER_REQUESTS).tags("kind", "http",
          "operation", "GET /hello/{name}", "code", "503", "reason", "OVERLOADED").timer()
          .count());
      RecordingLogger.Entry line = serverLog.entries().get(serverLog.entries().size() - 1);
      assertEquals("GET /hello/{name}", line.get("operation"));
      assertEquals(503, line.get("code"));
      assertEquals("OVERLOADED", line.get("reason"));
      assertEquals(Level.ERROR, line.level());

      release.countDown();
      assertEquals(200, held.get(30, TimeUnit.SECONDS).statusCode());
      // the expired request is told of when the pool takes it out of its queue, never running it
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (registry.find(Metrics.SERVER_REQUESTS).tags("operation", "GET /hello/{name}",
          "code", "504").timer() == null && System.nanoTime() < deadline) {
        Thread.sleep(5); // polled until the deadline above
      }
      assertEquals(1, registry.get(Metrics.SERVER_REQUESTS).tags("operation",
          "GET /hello/{name}", "code", "504", "reason", "DEADLINE_EXCEEDED").timer().count());
      assertTrue(serverLog.entries().stream().anyMatch(e -> Integer.valueOf(504)
          .equals(e.get("code")) && "GET /hello/{name}".equals(e.get("operation"))));
    } finally {
      release.countDown();
      server.stop(Duration.ZERO);
      server = null;
      pool.shutdownNow();
    }
  }

  @Test
  void samplingRatioZeroStillLogsErrors() throws Exception {
    RecordingLogger log = new RecordingLogger();
    start(AccessLog.builder().logger(log).sampleRatio(0).build(), Middleware.identity());

    for (int i = 0; i < 5; i++) {
      client.execute(HttpClientRequest.builder("GET", "/hello/x").build());
    }
    assertThrows(ServiceException.class, () -> client.get("/users/1", String.class));

    RecordingLogger.Entry only = single(log.entries());
    assertEquals(404, only.get("code"));
  }

  @Test
  void samplingByTraceIdKeepsTheLowestIdsAndNotTheOneWhoseLowBitsAreLongMinValue()
      throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
    RecordingLogger log = new RecordingLogger();
    try (OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build()) {
      start(Middleware.chain(Tracing.create(otel),
          AccessLog.builder().logger(log).sampleRatio(0.5).build()), Middleware.identity());
      // the decision reads the trace id's low 64 bits as a signed long, |bits| against
      // ratio * Long.MAX_VALUE; Long.MIN_VALUE has no positive counterpart (Math.abs keeps it
      // negative), and is as far from zero as an id gets: never below a ratio under 1
      for (String low : List.of("0000000000000001", "8000000000000000", "7fffffffffffffff",
          "fffffffffffffffe")) {
        client.execute(HttpClientRequest.builder("GET", "/hello/" + low)
            .header("traceparent", "00-4bf92f3577b34da6" + low + "-00f067aa0ba902b7-01")
            .build());
      }
    }
    // 1 and -2 are near zero: kept; MAX_VALUE and MIN_VALUE are at the far ends: dropped
    assertEquals(List.of("4bf92f3577b34da60000000000000001", "4bf92f3577b34da6fffffffffffffffe"),
        log.entries().stream().map(e -> e.get("trace_id")).toList());
  }

  @Test
  void slowOnlyLogsCallsAboveTheThresholdAndErrors() throws Exception {
    RecordingLogger log = new RecordingLogger();
    start(AccessLog.builder().logger(log).slowThreshold(Duration.ofMillis(100)).build(),
        Middleware.identity());

    client.execute(HttpClientRequest.builder("GET", "/hello/fast").build());
    client.execute(HttpClientRequest.builder("GET", "/slow").build());
    assertThrows(ServiceException.class, () -> client.get("/boom", String.class));

    List<RecordingLogger.Entry> entries = log.entries();
    assertEquals(List.of("GET /slow", "GET /boom"),
        entries.stream().map(e -> e.get("operation")).toList());
    assertTrue((Double) entries.get(0).get("duration_ms") >= 100.0);
  }

  @Test
  void keyValueRecordsCarryAReadableMessage() throws Exception {
    RecordingLogger log = new RecordingLogger();
    start(AccessLog.builder().logger(log).build(), Middleware.identity());

    client.execute(HttpClientRequest.builder("GET", "/hello/x").build());

    RecordingLogger.Entry e = single(log.entries());
    String message = e.message();
    assertTrue(message.matches("server http GET /hello/\\{name} 200 in \\d+\\.\\d{3} ms"),
        message);
    // the message and the field show the same rounded duration
    assertEquals(String.format(Locale.ROOT, "%.3f", (Double) e.get("duration_ms")),
        message.substring(message.lastIndexOf(" in ") + 4, message.length() - 3));
  }

  @Test
  void aHeadServedByTheGetRouteIsLoggedAsHead() throws Exception {
    RecordingLogger kv = new RecordingLogger();
    RecordingLogger json = new RecordingLogger();
    start(Middleware.chain(AccessLog.builder().logger(kv).build(),
        AccessLog.builder().logger(json).format(AccessLog.Format.JSON).build()),
        Middleware.identity());

    assertEquals(200, client.execute(HttpClientRequest.builder("HEAD", "/hello/x").build())
        .status());

    RecordingLogger.Entry e = single(kv.entries());
    assertEquals("HEAD /hello/{name}", e.get("operation"));
    assertTrue(e.message().startsWith("server http HEAD /hello/{name} 200 in "), e.message());
    assertEquals("HEAD /hello/{name}",
        JSON.readTree(single(json.entries()).message()).get("operation").asText());
  }

  @Test
  void jsonFormatWritesTheWholeRecordAsOneJsonMessage() throws Exception {
    RecordingLogger serverLog = new RecordingLogger();
    start(AccessLog.builder().logger(serverLog).format(AccessLog.Format.JSON).build(),
        Middleware.identity());

    long before = System.currentTimeMillis();
    client.execute(HttpClientRequest.builder("POST", "/echo")
        .body("12345".getBytes(UTF_8), "application/octet-stream").build());
    assertThrows(ServiceException.class, () -> client.get("/users/7", String.class));
    assertThrows(ServiceException.class, () -> client.get("/boom", String.class));

    List<RecordingLogger.Entry> entries = serverLog.entries();
    assertEquals(3, entries.size());
    for (RecordingLogger.Entry e : entries) {
      assertTrue(e.fields().isEmpty(), "no key-value pairs: " + e.fields());
    }
    JsonNode ok = JSON.readTree(entries.get(0).message());
    assertEquals(Level.INFO, entries.get(0).level());
    assertTrue(ok.get("timestamp").asLong() >= before);
    assertEquals("INFO", ok.get("level").asText());
    assertEquals("recording", ok.get("loggerName").asText());
    assertEquals("http", ok.get("kind").asText());
    assertEquals("server", ok.get("side").asText());
    assertEquals("POST /echo", ok.get("operation").asText());
    assertEquals(200, ok.get("code").asInt());
    assertEquals("", ok.get("reason").asText());
    assertTrue(ok.get("duration_ms").isNumber() && ok.get("duration_ms").asDouble() >= 0);
    assertTrue(ok.get("peer").asText().startsWith("127.0.0.1:"), ok.toString());
    assertEquals(5, ok.get("request_bytes").asLong());
    assertEquals(5, ok.get("response_bytes").asLong());
    assertFalse(ok.has("trace_id"), "no span is active");
    assertFalse(ok.has("error"));

    JsonNode notFound = JSON.readTree(entries.get(1).message());
    assertEquals(Level.WARN, entries.get(1).level());
    assertEquals("WARN", notFound.get("level").asText());
    assertEquals("GET /users/{id}", notFound.get("operation").asText());
    assertEquals(404, notFound.get("code").asInt());
    assertEquals("USER_NOT_FOUND", notFound.get("reason").asText());

    JsonNode boom = JSON.readTree(entries.get(2).message());
    assertEquals(Level.ERROR, entries.get(2).level());
    assertEquals(500, boom.get("code").asInt());
    assertEquals("java.lang.IllegalStateException: secret detail", boom.get("error").asText());
  }

  @Test
  void jsonFormatCarriesTheTraceIdsOfTheActiveSpan() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
    RecordingLogger log = new RecordingLogger();
    try (OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build()) {
      start(Middleware.chain(Tracing.create(otel),
          AccessLog.builder().logger(log).format(AccessLog.Format.JSON).build()),
          Middleware.identity());
      client.execute(HttpClientRequest.builder("GET", "/hello/x").build());

      JsonNode line = JSON.readTree(single(log.entries()).message());
      SpanData span = single(spans.getFinishedSpanItems());
      assertEquals(span.getTraceId(), line.get("trace_id").asText());
      assertEquals(span.getSpanId(), line.get("span_id").asText());
    }
  }

  @Test
  void jsonLineEscapesTextAndFormatsMilliseconds() throws Exception {
    StringBuilder sb = new StringBuilder();
    JsonLine.quote(sb, "a\"b\\c\nd\te\u0001f/\u00e9");
    assertEquals("a\"b\\c\nd\te\u0001f/\u00e9", JSON.readTree(sb.toString()).asText());
    assertEquals("\"a\\\"b\\\\c\\nd\\te\\u0001f/\u00e9\"", sb.toString());
    assertEquals("0.000", JsonLine.appendMillis(new StringBuilder(), 0).toString());
    assertEquals("0.007", JsonLine.appendMillis(new StringBuilder(), 7).toString());
    assertEquals("0.070", JsonLine.appendMillis(new StringBuilder(), 70).toString());
    assertEquals("12.345", JsonLine.appendMillis(new StringBuilder(), 12_345).toString());
    assertEquals("1000.000", JsonLine.appendMillis(new StringBuilder(), 1_000_000).toString());
  }

  @Test
  void rejectsInvalidOptions() {
    assertThrows(NullPointerException.class, () -> AccessLog.builder().format(null));
    assertThrows(IllegalArgumentException.class, () -> AccessLog.builder().sampleRatio(1.5));
    assertThrows(IllegalArgumentException.class, () -> AccessLog.builder().sampleRatio(Double.NaN));
    assertThrows(IllegalArgumentException.class,
        () -> AccessLog.builder().slowThreshold(Duration.ofMillis(-1)));
  }

  private static <T> T single(List<T> entries) {
    assertEquals(1, entries.size(), entries.toString());
    return entries.get(0);
  }
}
