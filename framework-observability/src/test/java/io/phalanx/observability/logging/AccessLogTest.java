package io.phalanx.observability.logging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Middleware;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import io.phalanx.transport.http.client.HttpClientResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class AccessLogTest {
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
          r.get("/boom", (ctx, req) -> {
            throw new IllegalStateException("secret detail");
          });
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
    assertEquals(notFound.toJson().getBytes(UTF_8).length, ((Long) s.get(0).get("response_bytes"))
        .intValue());

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
  void rejectsInvalidOptions() {
    assertThrows(IllegalArgumentException.class, () -> AccessLog.builder().sampleRatio(1.5));
    assertThrows(IllegalArgumentException.class, () -> AccessLog.builder().sampleRatio(Double.NaN));
    assertThrows(IllegalArgumentException.class,
        () -> AccessLog.builder().slowThreshold(Duration.ofMillis(-1)));
  }

  private static RecordingLogger.Entry single(List<RecordingLogger.Entry> entries) {
    assertEquals(1, entries.size(), entries.toString());
    return entries.get(0);
  }
}
