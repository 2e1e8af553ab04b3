package io.phalanx.examples.helloworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.ObjectMapper;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.phalanx.core.App;
import io.phalanx.core.config.Configs;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * helloworld with its default observability: the admin server's probes and Prometheus scrape,
 * the access log (captured from Logback), span export to an OTLP/HTTP collector, and the
 * switches that turn each part off.
 */
class HelloWorldObservabilityTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final Logger accessLogger = (Logger) LoggerFactory.getLogger("phalanx.access");
  private final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();
  private App app;

  @BeforeEach
  void captureAccessLog() {
    accessLog.start();
    accessLogger.addAppender(accessLog);
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.stop();
    }
    accessLogger.detachAppender(accessLog);
  }

  @Test
  void adminServerAnswersProbesAndServesTheRequestMetrics() throws Exception {
    app = start(Map.of());
    assertEquals(1, app.adminServers().size());
    URI admin = app.adminServers().get(0).endpoint();
    assertEquals("127.0.0.1", admin.getHost(), "loopback by default");

    HttpResponse<String> ready = get(admin.resolve("/readyz"));
    assertEquals(200, ready.statusCode(), ready.body());
    assertTrue(ready.body().contains("\"status\":\"UP\""), ready.body());

    assertEquals(200, get(base().resolve("/hello/metrics")).statusCode());
    HttpResponse<String> metrics = get(admin.resolve("/metrics"));
    assertEquals(200, metrics.statusCode());
    String line = metrics.body().lines()
        .filter(l -> l.startsWith("phalanx_server_requests_seconds_count{"))
        .filter(l -> l.contains("operation=\"GET /hello/{name}\"") && l.contains("code=\"200\""))
        .findFirst().orElseThrow(() -> new AssertionError("no request count in\n"
            + metrics.body()));
    assertTrue(line.contains("service=\"helloworld\"") && line.contains("kind=\"http\""), line);
    assertTrue(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) >= 1.0, line);
    // process meters are bound too
    assertTrue(metrics.body().contains("jvm_memory_used_bytes"), "no JVM meters");
  }

  @Test
  void everyCallIsAccessLoggedWithItsTraceId() throws Exception {
    // unsampled: the SDK makes trace ids (logged, propagated) but records nothing
    app = start(Map.of("tracing.exporter", "noop", "tracing.sampler", "always_off"));
    assertEquals(200, get(base().resolve("/hello/log")).statusCode());

    ILoggingEvent e = accessEvent("GET /hello/{name}");
    Map<String, Object> kv = pairs(e);
    assertEquals("phalanx.access", e.getLoggerName());
    assertEquals(200, kv.get("code"));
    assertEquals("http", kv.get("kind"));
    assertEquals("server", kv.get("side"));
    assertTrue(String.valueOf(kv.get("trace_id")).matches("[0-9a-f]{32}"), kv.toString());
    assertFalse(String.valueOf(kv.get("trace_id")).matches("0+"), kv.toString());
  }

  @Test
  void spansAreExportedToTheConfiguredOtlpCollector() throws Exception {
    BlockingQueue<Map.Entry<String, byte[]>> received = new LinkedBlockingQueue<>();
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      received.add(Map.entry(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
          + " " + exchange.getRequestHeaders().getFirst("Content-Type"), body));
      exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse
      exchange.close();
    });
    collector.start();
    try {
      app = start(Map.of("tracing.otlp.endpoint",
          "http://127.0.0.1:" + collector.getAddress().getPort()));
      HttpResponse<String> r = get(base().resolve("/hello/otel"));
      assertEquals(200, r.statusCode());
      String traceId = String.valueOf(pairs(accessEvent("GET /hello/{name}")).get("trace_id"));
      app.stop(); // the after-stop hook shuts the SDK down, which flushes the batch
      app = null;

      ByteArrayOutputStream all = new ByteArrayOutputStream();
      Map.Entry<String, byte[]> first = received.poll(30, TimeUnit.SECONDS);
      assertTrue(first != null, "the collector received nothing");
      assertEquals("POST /v1/traces application/x-protobuf", first.getKey());
      all.write(first.getValue());
      for (Map.Entry<String, byte[]> more; (more = received.poll()) != null; ) {
        all.write(more.getValue());
      }
      String payload = new String(all.toByteArray(), StandardCharsets.ISO_8859_1);
      assertTrue(payload.contains("GET /hello/{name}"), "span name missing");
      assertTrue(payload.contains("helloworld"), "service.name missing");
      // protobuf carries the trace id as 16 raw bytes
      assertTrue(payload.contains(new String(hex(traceId), StandardCharsets.ISO_8859_1)),
          "the logged trace id is not the exported one");
    } finally {
      collector.stop(0);
    }
  }

  @Test
  void byDefaultCallsAreLoggedWithoutTraceIds() throws Exception {
    app = start(Map.of());
    assertEquals(200, get(base().resolve("/hello/plain")).statusCode());
    Map<String, Object> kv = pairs(accessEvent("GET /hello/{name}"));
    assertEquals(200, kv.get("code"));
    assertFalse(kv.containsKey("trace_id"), "no exporter, so the SDK makes no spans: " + kv);
  }

  @Test
  void switchesTurnEachPartOff() throws Exception {
    app = start(Map.of("observability.access-log.enabled", "false",
        "observability.metrics.enabled", "false", "observability.tracing.enabled", "false",
        "admin.enabled", "false"));
    assertTrue(app.adminServers().isEmpty());
    assertEquals(200, get(base().resolve("/hello/quiet")).statusCode());
    synchronized (accessLog) {
      assertTrue(accessLog.list.isEmpty(), () -> accessLog.list.toString());
    }
  }

  @Test
  void adminWithoutMetricsHasNoMetricsEndpoint() throws Exception {
    app = start(Map.of("observability.metrics.enabled", "false"));
    URI admin = app.adminServers().get(0).endpoint();
    assertEquals(404, get(admin.resolve("/metrics")).statusCode());
    assertEquals(200, get(admin.resolve("/healthz")).statusCode());
  }

  private App start(Map<String, String> overrides) throws Exception {
    Properties props = new Properties();
    props.setProperty("server.http.host", "127.0.0.1");
    props.setProperty("server.http.port", "0");
    props.setProperty("server.grpc.host", "127.0.0.1");
    props.setProperty("server.grpc.port", "0");
    props.setProperty("admin.port", "0");
    overrides.forEach(props::setProperty);
    App a = HelloWorld.app(Configs.builder().systemProperties(props).load());
    a.start();
    return a;
  }

  private URI base() {
    return app.info().endpoints().get(0);
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The access-log event of {@code operation}; logged before the reply is written. */
  private ILoggingEvent accessEvent(String operation) {
    synchronized (accessLog) { // AppenderBase appends under the appender's monitor
      List<ILoggingEvent> events = List.copyOf(accessLog.list);
      return events.stream().filter(e -> operation.equals(pairs(e).get("operation")))
          .findFirst().orElseThrow(() -> new AssertionError("no access log for " + operation
              + " in " + events));
    }
  }

  /** The fields of an access record: helloworld writes them as one JSON object (Format.JSON). */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> pairs(ILoggingEvent e) {
    try {
      return new ObjectMapper().readValue(e.getFormattedMessage(), Map.class);
    } catch (java.io.IOException ex) {
      throw new AssertionError("access record is not JSON: " + e.getFormattedMessage(), ex);
    }
  }

  private static byte[] hex(String s) {
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }
}
