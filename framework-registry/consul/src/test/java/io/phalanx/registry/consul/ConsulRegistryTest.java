package io.phalanx.registry.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.registry.ServiceInstance;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@SuppressWarnings("try") // watch handles are held open by try-with-resources on purpose
class ConsulRegistryTest {
  private static final String TOKEN = "s3cr3t-acl-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FakeConsul consul;
  private final List<ConsulRegistry> registries = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    consul = FakeConsul.startWithAcl(TOKEN);
  }

  @AfterEach
  void stop() {
    registries.forEach(ConsulRegistry::close);
    consul.close();
  }

  private ConsulRegistry registry() {
    return registry(ConsulRegistry.builder().token(TOKEN));
  }

  private ConsulRegistry registry(ConsulRegistry.Builder b) {
    ConsulRegistry r = b.address(consul.address())
        .ttl(Duration.ofSeconds(1))
        .deregisterCriticalServiceAfter(Duration.ofSeconds(2))
        .wait(Duration.ofSeconds(2))
        .minQueryInterval(Duration.ofMillis(20))
        .build();
    registries.add(r);
    return r;
  }

  private static ServiceInstance greeter(String id) {
    return new ServiceInstance(id, "greeter", "v1.2.0", Map.of("weight", "100", "zone", "a"),
        List.of(URI.create("http://127.0.0.1:8000"), URI.create("grpc://127.0.0.1:9000")));
  }

  @Test
  void registrationIsKratosWireFormat() throws Exception {
    registry().register(greeter("greeter-1"));

    JsonNode expected = JSON.readTree("""
        {"ID":"greeter-1","Name":"greeter","Tags":["version=v1.2.0"],
         "Meta":{"weight":"100","zone":"a"},
         "Address":"127.0.0.1","Port":8000,
         "TaggedAddresses":{
           "http":{"Address":"http://127.0.0.1:8000","Port":8000},
           "grpc":{"Address":"grpc://127.0.0.1:9000","Port":9000}},
         "Checks":[{"CheckID":"service:greeter-1","Name":"Service 'greeter' TTL heartbeat",
                    "TTL":"1s","DeregisterCriticalServiceAfter":"2s"}]}
        """);
    assertEquals(expected, consul.registrationBody("greeter-1").orElseThrow());
    // the TTL check starts critical; register() passes it before returning
    assertEquals(List.of("/v1/agent/check/pass/service:greeter-1"),
        consul.requests("PUT", "/v1/agent/check/").stream()
            .map(FakeConsul.Request::path).limit(1).toList());
    assertEquals("passing", consul.checkStatus("service:greeter-1").orElseThrow());
  }

  @Test
  void everyRequestCarriesTheAclToken() throws Exception {
    ConsulRegistry r = registry();
    r.register(greeter("greeter-1"));
    r.instances("greeter");
    r.deregister(greeter("greeter-1"));
    List<FakeConsul.Request> all = consul.requests();
    assertTrue(all.size() >= 4, all.toString());
    all.forEach(q -> assertEquals(TOKEN, q.token(), q.path()));
    all.forEach(q -> assertFalse(q.query().containsKey("token"), "token leaked into URL"));
  }

  @Test
  void aMissingOrWrongTokenIsAClearError() {
    ConsulRegistry none = registry(ConsulRegistry.builder());
    IOException e = assertThrows(IOException.class, () -> none.register(greeter("g-1")));
    assertTrue(e.getMessage().contains("403") && e.getMessage().contains("Permission denied")
        && e.getMessage().contains(consul.address()), e.getMessage());

    ConsulRegistry wrong = registry(ConsulRegistry.builder().token("nope"));
    IOException e2 = assertThrows(IOException.class, () -> wrong.instances("greeter"));
    assertTrue(e2.getMessage().contains("ACL not found"), e2.getMessage());
    assertFalse(consul.hasService("g-1"));
  }

  @Test
  void instancesRoundTripsTheRegisteredInstance() throws Exception {
    ConsulRegistry r = registry();
    ServiceInstance g = greeter("greeter-1");
    r.register(g);
    // the agent added lan_ipv4/wan_ipv4 tagged addresses itself; they are not endpoints
    assertTrue(consul.taggedAddressKeys("greeter-1").containsAll(List.of("lan_ipv4", "wan_ipv4")));
    assertEquals(List.of(g), r.instances("greeter"));
    assertEquals(List.of(), r.instances("nobody"));
  }

  @Test
  void deregisterRemovesAndToleratesUnknownIds() throws Exception {
    ConsulRegistry r = registry();
    r.register(greeter("greeter-1"));
    r.register(greeter("greeter-2"));
    r.deregister(greeter("greeter-1"));
    assertEquals(List.of(greeter("greeter-2")), r.instances("greeter"));
    r.deregister(greeter("greeter-1")); // the agent answers 404; Kratos ignores it, so do we
    assertFalse(consul.hasService("greeter-1"));
  }

  @Test
  void twoEndpointsWithOneSchemeAreRejected() {
    ServiceInstance twoHttp = new ServiceInstance("x", "greeter", "v1", Map.of(),
        List.of(URI.create("http://127.0.0.1:8000"), URI.create("http://127.0.0.1:8001")));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> registry().register(twoHttp));
    assertTrue(e.getMessage().contains("one address per scheme"), e.getMessage());
  }

  @Test
  void invalidMetadataIsRefusedWithTheAgentsReason() {
    ServiceInstance bad = greeter("g-1").withMetadata(Map.of("no spaces allowed", "x"));
    IOException e = assertThrows(IOException.class, () -> registry().register(bad));
    assertTrue(e.getMessage().contains("400") && e.getMessage().contains("Invalid Service Meta"),
        e.getMessage());
  }

  @Test
  void heartbeatKeepsTheInstancePassingPastSeveralTtls() throws Exception {
    ConsulRegistry r = registry();
    r.register(greeter("greeter-1"));
    // TTL is 1 s; without heartbeats the check would be critical after it
    Await.until("several heartbeats", () ->
        consul.requests("PUT", "/v1/agent/check/pass/service:greeter-1").size() >= 6);
    assertEquals("passing", consul.checkStatus("service:greeter-1").orElseThrow());
    assertEquals(List.of(greeter("greeter-1")), r.instances("greeter"));
  }

  @Test
  void reRegistersWhenTheAgentLostTheService() throws Exception {
    ConsulRegistry r = registry();
    r.register(greeter("greeter-1"));
    consul.loseService("greeter-1");
    assertEquals(List.of(), r.instances("greeter"));

    Await.until("re-registered and passing", () -> consul.hasService("greeter-1")
        && consul.checkStatus("service:greeter-1").orElse("").equals("passing"));
    assertEquals(2, consul.requests("PUT", "/v1/agent/service/register").size());
    assertEquals(List.of(greeter("greeter-1")), r.instances("greeter"));
  }

  @Test
  void aDeregisterDuringTheHeartbeatsReRegistrationIsNotUndoneByIt() throws Exception {
    CountDownLatch deregisterWaits = new CountDownLatch(1);
    ConsulRegistry r = registry(ConsulRegistry.builder().token(TOKEN)
        .onWaitForHeartbeat(deregisterWaits::countDown));
    r.register(greeter("greeter-1"));
    // the heartbeat gets its 404 and re-registers; the agent holds that request
    FakeConsul.Hold reRegister = consul.hold("PUT", "/v1/agent/service/register");
    consul.loseService("greeter-1");
    assertTrue(reRegister.awaitArrived(Duration.ofSeconds(15)), "no re-registration");

    Thread deregister = new Thread(() -> {
      try {
        r.deregister(greeter("greeter-1"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    deregister.start();
    // until the deregister either went through (the race) or waits for the re-registration
    Await.until("deregister done or waiting", () -> !deregister.isAlive()
        || deregisterWaits.getCount() == 0);
    reRegister.release();
    assertTrue(reRegister.awaitAnswered(Duration.ofSeconds(15)));
    deregister.join(15_000);
    assertFalse(deregister.isAlive());
    assertFalse(consul.hasService("greeter-1"), "the deregistered instance was registered again");
    assertEquals(List.of(), r.instances("greeter"));
  }

  /**
   * A heartbeat's re-registration that the agent is slow to answer holds up no other
   * registration's heartbeat: they shared one thread, so the other check went critical.
   */
  @Test
  void aSlowReRegistrationDelaysNoOtherHeartbeat() throws Exception {
    // longer than the test waits: the held request is still under way meanwhile
    ConsulRegistry r = registry(ConsulRegistry.builder().token(TOKEN)
        .requestTimeout(Duration.ofMinutes(1)));
    r.register(greeter("greeter-1"));
    r.register(greeter("greeter-2"));
    FakeConsul.Hold reRegister = consul.hold("PUT", "/v1/agent/service/register");
    consul.loseService("greeter-1");
    assertTrue(reRegister.awaitArrived(Duration.ofSeconds(15)), "no re-registration");

    String pass = "/v1/agent/check/pass/service:greeter-2";
    int before = consul.requests("PUT", pass).size();
    try {
      Await.until("greeter-2 heartbeated while greeter-1's re-registration is held",
          () -> consul.requests("PUT", pass).size() >= before + 3);
      assertEquals("passing", consul.checkStatus("service:greeter-2").orElseThrow());
    } finally {
      reRegister.release();
    }
    Await.until("greeter-1 back and passing", () -> consul.hasService("greeter-1")
        && consul.checkStatus("service:greeter-1").orElse("").equals("passing"));
  }

  /**
   * A register of a registered id that fails (agent briefly unavailable) leaves the registration
   * the agent still has alive: its heartbeat goes on (it was cancelled before the write).
   */
  @Test
  void aFailedReRegistrationKeepsThePreviousRegistrationAlive() throws Exception {
    ConsulRegistry r = registry();
    r.register(greeter("greeter-1"));
    String pass = "/v1/agent/check/pass/service:greeter-1";
    Await.until("first heartbeat", () -> consul.requests("PUT", pass).size() >= 2);
    consul.outage(true);
    assertThrows(Exception.class, () -> r.register(greeter("greeter-1")
        .withMetadata(Map.of("zone", "b"))));
    consul.outage(false);
    int before = consul.requests("PUT", pass).size();
    Await.until("the previous registration is still heartbeated",
        () -> consul.requests("PUT", pass).size() >= before + 3);
    assertTrue(consul.hasService("greeter-1"));
    assertEquals("passing", consul.checkStatus("service:greeter-1").orElse(""));
    assertEquals(List.of(greeter("greeter-1")), r.instances("greeter"));
  }

  @Test
  void heartbeatRetriesThroughAnOutageAndReRegistersAfterBeingReaped() throws Exception {
    ConsulRegistry r = registry();
    r.register(greeter("greeter-1"));
    consul.outage(true);
    // TTL (1 s) expires, then DeregisterCriticalServiceAfter (2 s) reaps the service
    Await.until("reaped during the outage", () -> !consul.hasService("greeter-1"));
    int failedBeats = consul.requests("PUT", "/v1/agent/check/").size();
    Await.until("heartbeat keeps retrying", () ->
        consul.requests("PUT", "/v1/agent/check/").size() >= failedBeats + 2);
    consul.outage(false);
    Await.until("back and passing", () -> consul.hasService("greeter-1")
        && consul.checkStatus("service:greeter-1").orElse("").equals("passing"));
    assertEquals(List.of(greeter("greeter-1")), r.instances("greeter"));
  }

  @Test
  void watchDeliversTheFullListOnEveryChange() throws Exception {
    ConsulRegistry r = registry();
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable w = r.watch("greeter", seen::add)) {
      Await.until("first (empty) list", () -> seen.size() == 1);
      assertEquals(List.of(), seen.get(0));
      r.register(greeter("greeter-1"));
      Await.until("one instance", () -> last(seen).equals(List.of(greeter("greeter-1"))));
      r.register(greeter("greeter-2"));
      Await.until("two instances", () -> last(seen).size() == 2);
      r.deregister(greeter("greeter-1"));
      Await.until("back to one", () -> last(seen).equals(List.of(greeter("greeter-2"))));
    }
  }

  @Test
  void watchersOfOneNameShareOneLongPoll() throws Exception {
    ConsulRegistry r = registry();
    r.register(greeter("greeter-1"));
    List<List<ServiceInstance>> a = new CopyOnWriteArrayList<>();
    List<List<ServiceInstance>> b = new CopyOnWriteArrayList<>();
    AutoCloseable wa = r.watch("greeter", a::add);
    AutoCloseable wb = r.watch("greeter", b::add);
    Await.until("both see the instance", () -> !a.isEmpty() && !b.isEmpty());
    assertEquals(List.of(greeter("greeter-1")), b.get(0));
    assertEquals(1, watchThreads("greeter"));
    wa.close();
    r.register(greeter("greeter-2"));
    Await.until("the remaining watcher sees the change", () -> last(b).size() == 2);
    assertEquals(1, a.size(), "a closed watch gets nothing more");
    wb.close();
    Await.until("the loop ends with its last watcher", () -> watchThreads("greeter") == 0);
  }

  @Test
  void closingWithoutDeregisteringLetsTheTtlExpireAndWatchersDropTheInstance()
      throws Exception {
    ConsulRegistry app = registry();
    ConsulRegistry client = registry();
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    app.register(greeter("greeter-1"));
    try (AutoCloseable w = client.watch("greeter", seen::add)) {
      Await.until("instance visible", () -> !seen.isEmpty()
          && last(seen).equals(List.of(greeter("greeter-1"))));
      app.close(); // a crash, as far as Consul can tell: no deregister, no more heartbeats
      Await.until("watchers drop it once the TTL expired", () -> last(seen).isEmpty());
      assertEquals("critical", consul.checkStatus("service:greeter-1").orElse("gone"));
      Await.until("agent reaps it after DeregisterCriticalServiceAfter",
          () -> !consul.hasService("greeter-1"));
    }
    assertEquals(0, consul.requests("PUT", "/v1/agent/service/deregister").size());
  }

  @Test
  void discoveryReadsTheConfiguredDatacenter() throws Exception {
    registry().register(greeter("greeter-1"));
    ConsulRegistry dc1 = registry(ConsulRegistry.builder().token(TOKEN).datacenter("dc1"));
    assertEquals(List.of(greeter("greeter-1")), dc1.instances("greeter"));
    assertEquals("dc1", last(consul.requests("GET", "/v1/health/service/")).query().get("dc"));

    ConsulRegistry dc2 = registry(ConsulRegistry.builder().token(TOKEN).datacenter("dc2"));
    IOException e = assertThrows(IOException.class, () -> dc2.instances("greeter"));
    assertTrue(e.getMessage().contains("No path to datacenter"), e.getMessage());
  }

  @Test
  void idsAreEscapedInPaths() throws Exception {
    ConsulRegistry r = registry();
    ServiceInstance odd = greeter("host a/1");
    r.register(odd);
    assertTrue(consul.hasService("host a/1"));
    assertEquals("passing", consul.checkStatus("service:host a/1").orElseThrow());
    r.deregister(odd);
    assertFalse(consul.hasService("host a/1"));
  }

  @Test
  void anHttpCheckOnTheAppsReadinessTakesItOutOfDiscovery() throws Exception {
    AtomicInteger ready = new AtomicInteger(200);
    HttpServer app = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext("/health/ready", ex -> {
      ex.sendResponseHeaders(ready.get(), -1);
      ex.close();
    });
    app.start();
    try {
      URI readiness = URI.create("http://127.0.0.1:" + app.getAddress().getPort()
          + "/health/ready");
      ConsulRegistry r = registry(ConsulRegistry.builder().token(TOKEN)
          .httpCheck(readiness, Duration.ofMillis(200)));
      r.register(greeter("greeter-1"));
      JsonNode check = consul.registrationBody("greeter-1").orElseThrow().get("Checks").get(1);
      assertEquals(readiness.toString(), check.get("HTTP").asText());
      assertEquals("200ms", check.get("Interval").asText());
      Await.until("HTTP check passing", () -> consul.checkStatus("service:greeter-1:http")
          .orElse("").equals("passing"));
      assertEquals(List.of(greeter("greeter-1")), r.instances("greeter"));

      ready.set(503); // draining: the TTL heartbeat still passes, the instance must still go
      Await.until("out of passing instances", () -> {
        try {
          return r.instances("greeter").isEmpty();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      assertEquals("passing", consul.checkStatus("service:greeter-1").orElseThrow());
    } finally {
      app.stop(0);
    }
  }

  private static long watchThreads(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals("phalanx-consul-watch-" + name)).count();
  }

  private static <T> T last(List<T> list) {
    return list.get(list.size() - 1);
  }
}
