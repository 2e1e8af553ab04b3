package io.phalanx.transport.http.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.error.ServiceException;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.core.selector.Balancer;
import io.phalanx.core.selector.NodeFilter;
import io.phalanx.transport.http.HttpServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code discovery:///svc} over real Phalanx HTTP servers registered in an in-memory registry. */
class DiscoveryTargetTest {
  private final InMemoryRegistry registry = new InMemoryRegistry();
  private final List<HttpServer> servers = new ArrayList<>();
  private final Map<String, ServiceInstance> instances = new HashMap<>();

  @AfterEach
  void stopAll() {
    servers.forEach(s -> s.stop(Duration.ZERO));
  }

  private ServiceInstance start(String id, String version) throws Exception {
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(r -> r.get("/who", (ctx, req) -> id)).build();
    server.start();
    servers.add(server);
    ServiceInstance i = new ServiceInstance(id, "svc", version, Map.of(),
        List.of(java.net.URI.create("grpc://127.0.0.1:1"), server.endpoint()));
    instances.put(id, i);
    registry.register(i);
    return i;
  }

  private static Map<String, Integer> calls(HttpClient client, int n) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      seen.merge(client.get("/who", String.class), 1, Integer::sum);
    }
    return seen;
  }

  /** Calls until {@code ok} holds for a whole round of 12 calls (discovery is asynchronous). */
  private static void awaitRound(HttpClient client, Predicate<Map<String, Integer>> ok)
      throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Map<String, Integer> last = Map.of();
    while (System.nanoTime() < end) {
      last = calls(client, 12);
      if (ok.test(last)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("never reached; last round " + last);
  }

  @Test
  void spreadsFollowsTheRegistryEjectsDeadNodesAndSurvivesAnEmptyRegistry() throws Exception {
    start("a", "v1");
    start("b", "v1");
    start("c", "v1");
    try (HttpClient client = HttpClient.builder().target("discovery:///svc")
        .discovery(flickering).balancer(Balancer.roundRobin()).timeout(Duration.ofSeconds(5)).build()) {
      assertEquals("discovery:///svc", client.endpoint());
      // the first call waits for the first discovery result; round-robin spreads evenly
      Map<String, Integer> first = calls(client, 30);
      assertEquals(Map.of("a", 10, "b", 10, "c", 10), first);

      registry.deregister(instances.get("b"));
      awaitRound(client, m -> !m.containsKey("b"));
      assertFalse(calls(client, 30).containsKey("b"), "a deregistered node gets no calls");

      start("d", "v1");
      awaitRound(client, m -> m.keySet().equals(Set.of("a", "c", "d")));

      // a crashes without deregistering: refused connections eject it after 5 failures in a row
      servers.get(0).stop(Duration.ZERO);
      int failures = 0;
      for (int i = 0; i < 60 && failures < 5; i++) {
        try {
          client.get("/who", String.class);
        } catch (ServiceException e) {
          assertEquals(503, e.code(), e.toString());
          failures++;
        }
      }
      assertEquals(5, failures);
      Map<String, Integer> after = calls(client, 30);
      assertEquals(Map.of("c", 15, "d", 15), after, "no call fails once a is ejected");

      // the registry briefly knows nothing: calls keep going to the last known nodes
      blackout.set(true);
      registry.deregister(instances.get("a"));
      Thread.sleep(300);
      assertEquals(Map.of("c", 15, "d", 15), calls(client, 30));
      blackout.set(false);
      registry.deregister(instances.get("c"));
      awaitRound(client, m -> m.keySet().equals(Set.of("d")));
    }
  }

  /** Wraps the registry; while {@link #blackout} is set, every update it passes on is empty. */
  private final java.util.concurrent.atomic.AtomicBoolean blackout =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final Discovery flickering = new Discovery() {
    @Override
    public List<ServiceInstance> instances(String name) {
      return blackout.get() ? List.of() : registry.instances(name);
    }

    @Override
    public AutoCloseable watch(String name, Consumer<List<ServiceInstance>> onChange) {
      return registry.watch(name, list -> onChange.accept(blackout.get() ? List.of() : list));
    }
  };

  @Test
  void p2cUsesEveryNodeAndFiltersApply() throws Exception {
    start("a", "v1");
    start("b", "v2");
    start("c", "v2");
    try (HttpClient client = HttpClient.builder().target("discovery:///svc").discovery(registry)
        .nodeFilter(NodeFilter.version("v2")).build()) {
      Map<String, Integer> seen = calls(client, 200);
      assertFalse(seen.containsKey("a"), seen.toString());
      // P2C probes a node it has no statistics for before trusting the other's
      assertTrue(seen.getOrDefault("b", 0) > 0 && seen.getOrDefault("c", 0) > 0,
          seen.toString());
    }
  }

  @Test
  void noInstanceIs503NoAvailableNodeAndAMissingDiscoveryIsAnError() {
    assertThrows(IllegalStateException.class,
        () -> HttpClient.builder().target("discovery:///svc").build());
    assertThrows(IllegalArgumentException.class,
        () -> HttpClient.builder().target("discovery:///a/b"));
    try (HttpClient client = HttpClient.builder().target("discovery:///nobody")
        .discovery(registry).timeout(Duration.ofMillis(300)).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> client.get("/who", String.class));
      assertEquals(503, e.code());
      assertEquals("NO_AVAILABLE_NODE", e.reason());
    }
  }
}
