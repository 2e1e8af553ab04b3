package io.phalanx.registry.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
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

  // ---- KV ----

  private static List<String> keys(HttpResponse<String> r) throws Exception {
    List<String> keys = new java.util.ArrayList<>();
    JSON.readTree(r.body()).forEach(e -> keys.add(e.path("Key").asText()));
    return keys;
  }

  @Test
  void kvPutStoresTheRawBodyAndListsItBase64WithItsIndexes() throws Exception {
    HttpResponse<String> put = call("PUT", "/v1/kv/cfg/app.conf?flags=42", "v = \"ü\"");
    assertEquals(200, put.statusCode());
    assertEquals("true", put.body());

    HttpResponse<String> got = call("GET", "/v1/kv/cfg/?recurse", null);
    assertEquals(200, got.statusCode());
    JsonNode e = JSON.readTree(got.body()).get(0);
    assertEquals("cfg/app.conf", e.path("Key").asText());
    assertEquals("v = \"ü\"", new String(Base64.getDecoder().decode(e.path("Value").asText()),
        StandardCharsets.UTF_8));
    assertEquals(42, e.path("Flags").asLong());
    assertEquals(0, e.path("LockIndex").asLong());
    long created = e.path("CreateIndex").asLong();
    assertEquals(created, e.path("ModifyIndex").asLong());
    assertEquals(created, index(got), "the index of a folder is its last change");

    call("PUT", "/v1/kv/cfg/app.conf", "v = 2");
    JsonNode updated = JSON.readTree(call("GET", "/v1/kv/cfg/app.conf", null).body()).get(0);
    assertEquals(created, updated.path("CreateIndex").asLong(), "an update keeps CreateIndex");
    assertTrue(updated.path("ModifyIndex").asLong() > created);
    assertEquals(0, updated.path("Flags").asLong(), "flags are written with every PUT");
  }

  @Test
  void kvListsAreSortedByKeyAndHoldOnlyThePrefix() throws Exception {
    call("PUT", "/v1/kv/cfg/b.json", "{}");
    call("PUT", "/v1/kv/cfg/a.conf", "a = 1");
    call("PUT", "/v1/kv/cfg/", null);
    call("PUT", "/v1/kv/cfg-neighbour/x.conf", "x = 1");
    HttpResponse<String> r = call("GET", "/v1/kv/cfg/?recurse=true", null);
    assertEquals(List.of("cfg/", "cfg/a.conf", "cfg/b.json"), keys(r));
    assertTrue(JSON.readTree(r.body()).get(0).get("Value").isNull(),
        "an empty value (a folder placeholder) is null");
    // '-' sorts before '/'
    assertEquals(List.of("cfg-neighbour/x.conf", "cfg/", "cfg/a.conf", "cfg/b.json"),
        keys(call("GET", "/v1/kv/cfg?recurse", null)), "a prefix is a plain string prefix");
    assertEquals(List.of("cfg/a.conf"), keys(call("GET", "/v1/kv/cfg/a.conf", null)),
        "without recurse only the key itself");
  }

  @Test
  void kvMissingKeysAre404WithAnIndex() throws Exception {
    HttpResponse<String> none = call("GET", "/v1/kv/nothing/?recurse", null);
    assertEquals(404, none.statusCode());
    assertEquals("", none.body());
    assertEquals(1, index(none), "a KV store never written reports 1, not 0");

    call("PUT", "/v1/kv/elsewhere", "1");
    HttpResponse<String> after = call("GET", "/v1/kv/nothing/?recurse", null);
    assertEquals(404, after.statusCode());
    assertTrue(index(after) > 1, "with no key and no delete under it: the KV table's index");
  }

  @Test
  void kvIndexIsTheLastChangeUnderThePrefixDeletesIncluded() throws Exception {
    call("PUT", "/v1/kv/a/x", "1");
    long a = index(call("GET", "/v1/kv/a/?recurse", null));
    call("PUT", "/v1/kv/b/y", "2");
    assertEquals(a, index(call("GET", "/v1/kv/a/?recurse", null)),
        "a write elsewhere does not move the prefix's index");

    call("PUT", "/v1/kv/a/z", "3");
    long beforeDelete = index(call("GET", "/v1/kv/a/?recurse", null));
    assertEquals("true", call("DELETE", "/v1/kv/a/z", null).body());
    HttpResponse<String> afterDelete = call("GET", "/v1/kv/a/?recurse", null);
    assertTrue(index(afterDelete) > beforeDelete, "a delete moves the index (tombstone)");
    assertEquals(List.of("a/x"), keys(afterDelete));

    // deleting a key that does not exist is fine and changes nothing
    long before = index(call("GET", "/v1/kv/a/?recurse", null));
    assertEquals("true", call("DELETE", "/v1/kv/a/never", null).body());
    assertEquals(before, index(call("GET", "/v1/kv/a/?recurse", null)));

    // the last key gone: 404, and the index is the delete's, not an older one
    call("DELETE", "/v1/kv/a/?recurse", null);
    HttpResponse<String> empty = call("GET", "/v1/kv/a/?recurse", null);
    assertEquals(404, empty.statusCode());
    assertTrue(index(empty) > before);
    assertEquals(List.of("b/y"), keys(call("GET", "/v1/kv/?recurse", null)));
  }

  @Test
  void kvBlockingQueriesHoldUntilTheSubtreeChanges() throws Exception {
    call("PUT", "/v1/kv/cfg/app.conf", "v = 1");
    long idx = index(call("GET", "/v1/kv/cfg/?recurse", null));
    assertEquals(idx, index(call("GET", "/v1/kv/cfg/?recurse&index=" + idx + "&wait=200ms",
        null)), "nothing changed: the same index after wait");

    CompletableFuture<HttpResponse<String>> held = http.sendAsync(
        HttpRequest.newBuilder(URI.create("http://" + consul.address()
            + "/v1/kv/cfg/?recurse&index=" + idx + "&wait=60s")).build(),
        HttpResponse.BodyHandlers.ofString());
    Await.until("the request is held", () -> consul.requests("GET", "/v1/kv/cfg/").size() == 3);
    // a write outside the prefix must not answer the held query: had it, the answer would lack
    // the key written next
    call("PUT", "/v1/kv/other/x", "1");
    call("PUT", "/v1/kv/cfg/extra.json", "{}");
    HttpResponse<String> changed = held.get(20, TimeUnit.SECONDS);
    assertTrue(index(changed) > idx);
    assertEquals(List.of("cfg/app.conf", "cfg/extra.json"), keys(changed));
  }

  @Test
  void kvBlockingQueriesAreAnsweredByADelete() throws Exception {
    call("PUT", "/v1/kv/cfg/app.conf", "v = 1");
    long idx = index(call("GET", "/v1/kv/cfg/?recurse", null));
    CompletableFuture<HttpResponse<String>> held = http.sendAsync(
        HttpRequest.newBuilder(URI.create("http://" + consul.address()
            + "/v1/kv/cfg/?recurse&index=" + idx + "&wait=60s")).build(),
        HttpResponse.BodyHandlers.ofString());
    Await.until("the request is held", () -> consul.requests("GET", "/v1/kv/cfg/").size() == 2);
    call("DELETE", "/v1/kv/cfg/app.conf", null);
    HttpResponse<String> gone = held.get(20, TimeUnit.SECONDS);
    assertEquals(404, gone.statusCode());
    assertTrue(index(gone) > idx);
  }

  @Test
  void kvRefusesWhatConsulRefusesAndWhatTheFakeDoesNotImplement() throws Exception {
    assertEquals(400, call("PUT", "/v1/kv/", "x").statusCode(), "missing key name");
    assertEquals(413, call("PUT", "/v1/kv/big", "x".repeat(512 * 1024 + 1)).statusCode());
    assertEquals(500, call("GET", "/v1/kv/a?dc=elsewhere", null).statusCode());
    assertEquals(400, call("PUT", "/v1/kv/a?cas=0", "x").statusCode());
    assertEquals(400, call("GET", "/v1/kv/?keys", null).statusCode());
    assertFalse(call("GET", "/v1/kv/big", null).statusCode() == 200, "nothing was written");
  }

  @Test
  void kvNeedsTheAclToken() throws Exception {
    try (FakeConsul acl = FakeConsul.startWithAcl("t0k")) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
          URI.create("http://" + acl.address() + "/v1/kv/cfg/?recurse")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(403, r.statusCode());
      acl.putKv("cfg/a.conf", "a = 1"); // the hook sends the token
      HttpResponse<String> ok = http.send(HttpRequest.newBuilder(
          URI.create("http://" + acl.address() + "/v1/kv/cfg/?recurse"))
          .header("X-Consul-Token", "t0k").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(List.of("cfg/a.conf"), keys(ok));
    }
  }

  @Test
  void rewindingMovesKvIndexesBackwards() throws Exception {
    call("PUT", "/v1/kv/cfg/a", "1");
    consul.rewindIndex(5);
    assertEquals(5, index(call("GET", "/v1/kv/cfg/?recurse", null)));
    call("PUT", "/v1/kv/cfg/b", "2");
    assertEquals(6, index(call("GET", "/v1/kv/cfg/?recurse", null)));
  }
}
