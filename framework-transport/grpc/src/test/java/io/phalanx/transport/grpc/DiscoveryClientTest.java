package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.core.selector.Balancer;
import io.phalanx.core.selector.NodeStats;
import io.phalanx.core.selector.Selector;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code discovery:///svc} over real gRPC servers registered in an in-memory registry. */
class DiscoveryClientTest {
  private final InMemoryRegistry registry = new InMemoryRegistry();
  private final List<GrpcServer> servers = new ArrayList<>();
  private final List<EchoService> services = new ArrayList<>();
  private final Map<String, ServiceInstance> instances = new HashMap<>();
  private final AtomicBoolean blackout = new AtomicBoolean();
  /** The registry, except that while {@link #blackout} is set every update is empty. */
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

  @AfterEach
  void stopAll() {
    servers.forEach(s -> s.stop(Duration.ZERO));
    services.forEach(EchoService::close);
  }

  private GrpcServer start(String id) throws Exception {
    EchoService svc = new EchoService(id);
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").service(svc).build();
    server.start();
    servers.add(server);
    services.add(svc);
    ServiceInstance i = new ServiceInstance(id, "svc", "v1", Map.of(),
        List.of(URI.create("http://127.0.0.1:1"), server.endpoint()));
    instances.put(id, i);
    registry.register(i);
    return server;
  }

  private static String call(GrpcClient client) {
    String text = EchoGrpc.newBlockingStub(client.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
        .unary(EchoRequest.newBuilder().setText("x").build()).getText();
    return text.substring(0, text.indexOf(':'));
  }

  private static Map<String, Integer> calls(GrpcClient client, int n) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      seen.merge(call(client), 1, Integer::sum);
    }
    return seen;
  }

  /** Calls until a round of 12 calls satisfies {@code ok} (discovery and connecting are async). */
  private static void awaitRound(GrpcClient client, Predicate<Map<String, Integer>> ok)
      throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Map<String, Integer> last = Map.of();
    while (System.nanoTime() < end) {
      try {
        last = calls(client, 12);
        if (ok.test(last)) {
          return;
        }
      } catch (StatusRuntimeException e) {
        last = Map.of(e.getStatus().toString(), 1);
      }
      Thread.sleep(20);
    }
    throw new AssertionError("never reached; last round " + last);
  }

  @Test
  void spreadsFollowsTheRegistrySkipsDeadNodesAndSurvivesAnEmptyRegistry() throws Exception {
    start("a");
    start("b");
    start("c");
    try (GrpcClient client = GrpcClient.builder("discovery:///svc").discovery(flickering)
        .balancer(Balancer.roundRobin()).build()) {
      awaitRound(client, m -> m.keySet().equals(Set.of("a", "b", "c")));
      assertEquals(Map.of("a", 10, "b", 10, "c", 10), calls(client, 30));

      registry.deregister(instances.get("b"));
      awaitRound(client, m -> !m.containsKey("b"));
      assertFalse(calls(client, 30).containsKey("b"), "a deregistered node gets no calls");

      start("d");
      awaitRound(client, m -> m.keySet().equals(Set.of("a", "c", "d")));

      // a crashes without deregistering: its sub-channel leaves READY and gets no more calls
      servers.get(0).stop(Duration.ZERO);
      awaitRound(client, m -> m.keySet().equals(Set.of("c", "d")));
      assertEquals(Map.of("c", 15, "d", 15), calls(client, 30));

      // the registry briefly knows nothing: the channel keeps the last addresses
      blackout.set(true);
      registry.deregister(instances.get("a"));
      Thread.sleep(300);
      assertEquals(Map.of("c", 15, "d", 15), calls(client, 30));
      blackout.set(false);
      registry.deregister(instances.get("c"));
      awaitRound(client, m -> m.keySet().equals(Set.of("d")));
    }
  }

  @Test
  void theSelectorGetsEveryCallsOutcomeAndP2cUsesAllNodes() throws Exception {
    start("a");
    start("b");
    start("c");
    try (GrpcClient client = GrpcClient.builder("discovery:///svc").discovery(registry).build()) {
      Selector selector = client.selector().orElseThrow();
      long before = selector.stats().stream().mapToLong(NodeStats::calls).sum();
      // the first call waits for resolution and a connection; P2C probes every node it knows
      // nothing about, so each gets calls (and a slow cold first call is not held against a
      // node beyond the 3 s after which it is probed again)
      Map<String, Integer> seen = calls(client, 300);
      assertEquals(Set.of("a", "b", "c"), seen.keySet(), seen + " " + selector.stats());
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
          EchoGrpc.newBlockingStub(client.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
              .unary(EchoRequest.newBuilder().setText("x").setMode("service-error").build()));
      assertTrue(e.getStatus().getCode() != Status.Code.OK);
      long after = selector.stats().stream().mapToLong(NodeStats::calls).sum();
      assertEquals(301, after - before, "each call reported back once: " + selector.stats());
      for (NodeStats s : selector.stats()) {
        assertEquals(1, s.inflight(), "no call left in flight: " + s);
      }
    }
  }

  @Test
  void noInstanceFailsFastAndDiscoveryIsRequired() {
    assertThrows(IllegalStateException.class,
        () -> GrpcClient.builder("discovery:///svc").build());
    try (GrpcClient client = GrpcClient.builder("discovery:///nobody").discovery(registry)
        .build()) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(client));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    }
  }
}
