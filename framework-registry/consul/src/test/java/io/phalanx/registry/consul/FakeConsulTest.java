package io.phalanx.registry.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fake agent itself behaves as Consul documents, so adapter tests against it mean something.
 */
class FakeConsulTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private FakeConsul consul;

  @BeforeEach
  void start() throws Exception {
    consul = FakeConsul.start();
  }

  @AfterEach
  void stop() {
    consul.close();
  }

  private HttpResponse<String> call(String method, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://" + consul.address() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long index(HttpResponse<?> r) {
    return Long.parseLong(r.headers().firstValue("X-Consul-Index").orElseThrow());
  }

  @Test
  void ttlChecksStartCriticalPassAndExpire() throws Exception {
    consul.registerRaw("{\"Name\":\"web\",\"Port\":80,\"Check\":{\"TTL\":\"300ms\"}}");
    // one check, no ID: Consul names it service:<service id>, and the ID defaults to the name
    assertEquals("critical", consul.checkStatus("service:web").orElseThrow());
    assertEquals("[]", call("GET", "/v1/health/service/web?passing=1", null).body());
    assertEquals(200, call("PUT", "/v1/agent/check/pass/service:web", "").statusCode());
    assertEquals(1, JSON.readTree(call("GET", "/v1/health/service/web?passing", null).body())
        .size());
    Await.until("TTL expiry", () -> consul.checkStatus("service:web").orElse("")
        .equals("critical"));
    JsonNode all = JSON.readTree(call("GET", "/v1/health/service/web", null).body());
    assertEquals(1, all.size(), "without ?passing critical entries are listed");
    assertEquals("serfHealth", all.get(0).path("Checks").get(0).path("CheckID").asText());
  }

  @Test
  void unknownChecksAndServicesAre404() throws Exception {
    assertEquals(404, call("PUT", "/v1/agent/check/pass/service:nope", "").statusCode());
    assertEquals(404, call("PUT", "/v1/agent/service/deregister/nope", "").statusCode());
  }

  @Test
  void criticalServicesAreReapedAfterDeregisterCriticalServiceAfter() throws Exception {
    consul.registerRaw("{\"ID\":\"w1\",\"Name\":\"web\",\"Checks\":[{\"TTL\":\"100ms\","
        + "\"DeregisterCriticalServiceAfter\":\"300ms\"}]}");
    Await.until("reaped", () -> !consul.hasService("w1"));
  }

  @Test
  void blockingQueriesHoldUntilTheIndexMovesOrWaitElapses() throws Exception {
    consul.registerRaw("{\"ID\":\"w1\",\"Name\":\"web\",\"Check\":{\"TTL\":\"60s\","
        + "\"Status\":\"passing\"}}");
    HttpResponse<String> first = call("GET", "/v1/health/service/web", null);
    long idx = index(first);

    // nothing changes: the agent answers after `wait` with the same index
    HttpResponse<String> same = call("GET", "/v1/health/service/web?index=" + idx
        + "&wait=200ms", null);
    assertEquals(idx, index(same));

    // a change wakes the held request long before its 60 s wait
    CompletableFuture<HttpResponse<String>> held = http.sendAsync(
        HttpRequest.newBuilder(URI.create("http://" + consul.address()
            + "/v1/health/service/web?index=" + idx + "&wait=60s")).build(),
        HttpResponse.BodyHandlers.ofString());
    Await.until("the request is held", () -> consul.requests("GET", "/v1/health/service/web")
        .size() == 3);
    consul.registerRaw("{\"ID\":\"w2\",\"Name\":\"web\",\"Check\":{\"TTL\":\"60s\","
        + "\"Status\":\"passing\"}}");
    HttpResponse<String> changed = held.get(20, TimeUnit.SECONDS);
    assertTrue(index(changed) > idx);
    assertEquals(2, JSON.readTree(changed.body()).size());
  }

  @Test
  void httpChecksFollowTheTargetsStatus() throws Exception {
    AtomicInteger status = new AtomicInteger(200);
    HttpServer app = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext("/ready", ex -> {
      ex.sendResponseHeaders(status.get(), -1);
      ex.close();
    });
    app.start();
    try {
      consul.registerRaw("{\"ID\":\"w1\",\"Name\":\"web\",\"Check\":{\"HTTP\":\"http://127.0.0.1:"
          + app.getAddress().getPort() + "/ready\",\"Interval\":\"100ms\"}}");
      Await.until("passing", () -> consul.checkStatus("service:w1").orElse("")
          .equals("passing"));
      status.set(429);
      Await.until("warning", () -> consul.checkStatus("service:w1").orElse("")
          .equals("warning"));
      status.set(503);
      Await.until("critical", () -> consul.checkStatus("service:w1").orElse("")
          .equals("critical"));
    } finally {
      app.stop(0);
    }
  }
}
