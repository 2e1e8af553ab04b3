package io.phalanx.core.selector;

import static io.phalanx.core.selector.Nodes.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.error.ServiceException;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.core.registry.ServiceInstance;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SelectorTest {
  private final Nodes.ManualTicker ticker = new Nodes.ManualTicker();
  private static final ServiceException UNAVAILABLE =
      new ServiceException(503, "UNAVAILABLE", "connection refused");

  private Selector.Builder builder() {
    return Selector.builder().balancer(Balancer.roundRobin()).ticker(ticker);
  }

  @Test
  void noNodeIs503NoAvailableNode() {
    Selector s = builder().initialWait(Duration.ofMillis(1)).build();
    ServiceException e = assertThrows(ServiceException.class, () -> s.select(null));
    assertEquals(503, e.code());
    assertEquals("NO_AVAILABLE_NODE", e.reason());
    s.update(List.of());
    e = assertThrows(ServiceException.class, () -> s.select(null));
    assertEquals("NO_AVAILABLE_NODE", e.reason());
  }

  @Test
  void statisticsSurviveDiscoveryUpdates() {
    Selector s = builder().build();
    s.update(List.of(node("a"), node("b")));
    NodeStats a = s.stats().get(0);
    Selection sel = s.select(null);
    assertEquals("a", sel.node().endpoint().getHost());
    ticker.advanceMillis(40);
    sel.done(null);
    assertEquals(40e6, a.latencyNanos(), 1);
    // a new list with a, re-published with new metadata, plus c; b vanished
    s.update(List.of(node("c"), node("a", 7)));
    assertEquals(List.of("c", "a"), Nodes.hosts(s.nodes()));
    NodeStats a2 = s.stats().get(1);
    assertSame(a, a2);
    assertEquals(7, a2.node().weight());
    assertEquals(40e6, a2.latencyNanos(), 1);
    assertEquals(1, a2.calls());
    // b's statistics are gone: when it comes back it starts afresh
    s.update(List.of(node("a"), node("b")));
    assertEquals(0, s.stats().get(1).calls());
  }

  @Test
  void filtersNarrowTheCandidates() {
    ServiceInstance v1 = Nodes.instance("1", "v1", Map.of("zone", "x"), "http://one:80");
    ServiceInstance v2 = Nodes.instance("2", "v2", Map.of("zone", "y"), "http://two:80");
    ServiceInstance v2b = Nodes.instance("3", "v2", Map.of("zone", "x"), "http://three:80");
    Selector s = builder().filter(NodeFilter.version("v2"), NodeFilter.metadata("zone", "x"))
        .build();
    s.updateInstances(List.of(v1, v2, v2b));
    for (int i = 0; i < 5; i++) {
      assertEquals("three", s.select(null).node().endpoint().getHost());
    }
    Selector none = builder().filter(NodeFilter.version("v9")).build();
    none.updateInstances(List.of(v1, v2));
    ServiceException e = assertThrows(ServiceException.class, () -> none.select(null));
    assertTrue(e.message().contains("filters"), e.message());
  }

  @Test
  void endpointsAreChosenByScheme() {
    ServiceInstance both = Nodes.instance("1", "v1", Map.of(), "http://h:8000", "grpc://h:9000");
    ServiceInstance grpcOnly = Nodes.instance("2", "v1", Map.of(), "grpc://g:9000");
    Selector http = builder().schemes("http", "https").build();
    http.updateInstances(List.of(both, grpcOnly));
    assertEquals(List.of("http://h:8000"),
        http.nodes().stream().map(n -> n.endpoint().toString()).toList());
    Selector grpc = builder().schemes("grpc").build();
    grpc.updateInstances(List.of(both, grpcOnly));
    assertEquals(List.of("grpc://h:9000", "grpc://g:9000"),
        grpc.nodes().stream().map(n -> n.endpoint().toString()).toList());
  }

  @Test
  void consecutiveFailuresEjectWithGrowingBackoffAndTheNodeRecovers() {
    Selector s = builder().outlierEjection(new OutlierEjection(3, Duration.ofSeconds(10),
        Duration.ofSeconds(25))).build();
    s.update(List.of(node("a"), node("bad")));
    NodeStats bad = s.stats().get(1);
    failUntilEjected(s);
    assertTrue(bad.ejected(ticker.getAsLong()));
    assertEquals(1, bad.ejections());
    // while ejected every call goes to a
    for (int i = 0; i < 10; i++) {
      Selection sel = s.select(null);
      assertEquals("a", sel.node().endpoint().getHost());
      sel.done(null);
    }
    ticker.advanceMillis(10_001);
    assertFalse(bad.ejected(ticker.getAsLong()), "back after the first backoff");
    failUntilEjected(s);
    assertEquals(2, bad.ejections());
    ticker.advanceMillis(10_001);
    assertTrue(bad.ejected(ticker.getAsLong()), "second ejection lasts 20 s");
    ticker.advanceMillis(10_000);
    assertFalse(bad.ejected(ticker.getAsLong()));
    failUntilEjected(s);
    ticker.advanceMillis(24_999);
    assertTrue(bad.ejected(ticker.getAsLong()), "capped at 25 s, not 40");
    ticker.advanceMillis(2);
    assertFalse(bad.ejected(ticker.getAsLong()));
    // it recovers: successes now, and after a quiet period the backoff starts over
    for (int i = 0; i < 4; i++) {
      Selection sel = s.select(null);
      sel.done(null);
    }
    ticker.advanceMillis(26_000);
    s.select(null).done(null);
    s.select(null).done(null);
    assertEquals(0, bad.ejections());
  }

  private void failUntilEjected(Selector s) {
    NodeStats bad = s.stats().get(1);
    for (int i = 0; i < 20 && !bad.ejected(ticker.getAsLong()); i++) {
      Selection sel = s.select(null);
      sel.done(sel.node().endpoint().getHost().equals("bad") ? new ConnectException("refused")
          : null);
    }
    assertTrue(bad.ejected(ticker.getAsLong()));
  }

  @Test
  void theLastHealthyNodeIsNeverEjected() {
    Selector s = builder().outlierEjection(new OutlierEjection(2, Duration.ofSeconds(10),
        Duration.ofSeconds(10))).build();
    s.update(List.of(node("a"), node("b")));
    for (int i = 0; i < 20; i++) {
      s.select(null).done(UNAVAILABLE);
    }
    long now = ticker.getAsLong();
    long ejected = s.stats().stream().filter(st -> st.ejected(now)).count();
    assertEquals(1, ejected, "one of two ejected, the other kept");
    assertEquals(20, s.stats().get(0).calls() + s.stats().get(1).calls());
  }

  @Test
  void clientErrorsDoNotCountAgainstTheNode() {
    Selector s = builder().outlierEjection(new OutlierEjection(2, Duration.ofSeconds(10),
        Duration.ofSeconds(10))).build();
    s.update(List.of(node("a"), node("b")));
    for (int i = 0; i < 20; i++) {
      s.select(null).done(new ServiceException(404, "NOT_FOUND", "no such user"));
    }
    assertEquals(0, s.stats().stream().filter(st -> st.ejected(ticker.getAsLong())).count());
    assertEquals(0, s.stats().get(0).failures());
    assertTrue(Selector.isNodeFailure(new IOException("reset")));
    assertTrue(Selector.isNodeFailure(new ServiceException(504, "DEADLINE_EXCEEDED", "")));
    assertFalse(Selector.isNodeFailure(new ServiceException(500, "", "bug")));
  }

  @Test
  void doneCountsOnce() {
    Selector s = builder().build();
    s.update(List.of(node("a")));
    Selection sel = s.select(null);
    sel.done(null);
    sel.done(null);
    assertEquals(1, s.stats().get(0).calls());
    assertEquals(1, s.stats().get(0).inflight());
  }

  @Test
  void aThrowingFailureClassifierStillEndsTheCallAndTheDefaultDecides() {
    Selector s = builder().failureClassifier(e -> {
      throw new IllegalStateException("classifier bug");
    }).outlierEjection(OutlierEjection.disabled()).build();
    s.update(List.of(node("a")));
    Selection reset = s.select(null);
    Selection notFound = s.select(null);
    assertEquals(3, s.stats().get(0).inflight());
    reset.done(new IOException("reset"));
    notFound.done(new ServiceException(404, "NOT_FOUND", "no such user"));
    NodeStats a = s.stats().get(0);
    assertEquals(1, a.inflight(), "both calls left the node's in-flight count");
    assertEquals(2, a.calls());
    assertEquals(1, a.failures(), "classified by Selector.isNodeFailure instead");
  }

  @Test
  void aFailureClassifierThrowingAnErrorStillEndsTheCall() {
    Selector s = builder().failureClassifier(e -> {
      throw new StackOverflowError();
    }).build();
    s.update(List.of(node("a")));
    Selection sel = s.select(null);
    // an Error is not ours to swallow, but the node must not keep the call in flight
    assertThrows(StackOverflowError.class, () -> sel.done(new IOException("reset")));
    assertEquals(1, s.stats().get(0).inflight());
    assertEquals(1, s.stats().get(0).calls());
  }

  @Test
  void aThrowingBalancerDoneStillEndsTheCall() {
    Balancer rr = Balancer.roundRobin();
    Balancer throwing = new Balancer() {
      @Override
      public NodeStats pick(List<NodeStats> candidates, long now) {
        return rr.pick(candidates, now);
      }

      @Override
      public void done(NodeStats node, long latencyNanos, boolean failed) {
        throw new IllegalStateException("balancer bug");
      }
    };
    Selector s = builder().balancer(throwing).build();
    s.update(List.of(node("a")));
    s.select(null).done(new IOException("reset"));
    assertEquals(1, s.stats().get(0).inflight());
    assertEquals(1, s.stats().get(0).failures());
  }

  @Test
  void aChoiceCountsNothingUntilStartedAndEachStartOnce() {
    Selector s = builder().build();
    s.update(List.of(node("a")));
    Choice dropped = s.choose(null, null);
    assertEquals("a", dropped.node().endpoint().getHost());
    assertEquals(1, s.stats().get(0).inflight(), "a choice never started leaves nothing in flight");
    Choice used = s.choose(null, null);
    Selection first = used.start();
    Selection second = used.start();
    assertEquals(3, s.stats().get(0).inflight());
    first.done(null);
    second.done(null);
    assertEquals(1, s.stats().get(0).inflight());
    assertEquals(2, s.stats().get(0).calls());
  }

  @Test
  void emptyUpdatesAreRefusedWhileNodesAreKnown() throws Exception {
    InMemoryRegistry registry = new InMemoryRegistry();
    ServiceInstance one = new ServiceInstance("1", "svc", "v1", Map.of(),
        List.of(java.net.URI.create("http://one:80")));
    registry.register(one);
    try (Selector s = Selector.builder().discovery(registry, "svc").build()) {
      assertEquals("one", s.select(null).node().endpoint().getHost());
      registry.deregister(one);
      // the in-memory registry delivers asynchronously: give the empty list time to arrive
      Thread.sleep(200);
      assertEquals("one", s.select(null).node().endpoint().getHost());
      ServiceInstance two = new ServiceInstance("2", "svc", "v1", Map.of(),
          List.of(java.net.URI.create("http://two:80")));
      registry.register(two);
      awaitHosts(s, List.of("two"));
    }
  }

  @Test
  void aDiscoveryThatCannotBeWatchedIsRetried() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    // The watch is opened on the selector's retry thread and closed on this one.
    Set<AutoCloseable> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Discovery flaky = new Discovery() {
      @Override
      public List<ServiceInstance> instances(String serviceName) {
        return List.of();
      }

      @Override
      public AutoCloseable watch(String name, Consumer<List<ServiceInstance>> onChange)
          throws Exception {
        if (attempts.incrementAndGet() < 3) {
          throw new IOException("registry unreachable");
        }
        onChange.accept(List.of(Nodes.instance("1", "v1", Map.of(), "http://late:80")));
        AutoCloseable[] c = new AutoCloseable[1];
        c[0] = () -> open.remove(c[0]);
        open.add(c[0]);
        return c[0];
      }
    };
    Selector s = Selector.builder().discovery(flaky, "svc").initialWait(Duration.ofSeconds(10))
        .build();
    // 1 s + 2 s of retry backoff; the first call waits for the first list
    assertEquals("late", s.select(null).node().endpoint().getHost());
    assertEquals(3, attempts.get());
    s.close();
    // onChange runs inside watch(), so select() can return before the retry thread has handed
    // the handle over; a close() in that window closes the handle when it arrives.
    long giveUp = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!open.isEmpty() && System.nanoTime() < giveUp) {
      Thread.sleep(10);
    }
    assertTrue(open.isEmpty(), "watch closed with the selector");
  }

  private static void awaitHosts(Selector s, List<String> hosts) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!Nodes.hosts(s.nodes()).equals(hosts) && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertEquals(hosts, Nodes.hosts(s.nodes()));
  }
}
