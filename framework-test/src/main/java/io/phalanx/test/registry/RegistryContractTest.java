package io.phalanx.test.registry;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of the registry SPI ({@link Registrar} + {@link Discovery}) that every adapter
 * must pass. An adapter's test extends this class and supplies its clients:
 *
 * <pre>{@code
 * class EtcdRegistryContractTest extends RegistryContractTest {
 *   EtcdRegistry registry;
 *   @BeforeEach void connect() { registry = EtcdRegistry.create(etcd.endpoint()); }
 *   @Override protected Registrar registrar() { return registry; }
 *   @Override protected Discovery discovery() { return registry; }
 *   @Override protected void closeClients() { registry.close(); }
 * }
 * }</pre>
 *
 * <p>What it checks: registered instances appear in {@link Discovery#instances} with every field
 * intact (id, name, version, metadata, {@code http://} and {@code grpc://} endpoints), deregistered
 * ones disappear; a watch first receives the current list (also when empty) and then the full list
 * after every change, never a delta, one call at a time; services do not mix; several instances of
 * one service coexist; registering an id again replaces it; a closed watch gets no more calls;
 * deregistering twice, or something never registered, is not an error.
 *
 * <p>Adapters are eventually consistent: every expectation is polled until it holds, for up to
 * {@link #eventually()}. Watches may coalesce changes (a watch need not see every intermediate
 * list) but each list it gets must be complete. Metadata may carry extra keys an adapter adds for
 * itself; the keys registered must come back unchanged. Endpoints are compared as a set.
 *
 * <p>Each test uses service names of its own (with a random suffix), so a real registry shared by
 * tests, runs or other suites does not interfere. Instances a test registered are deregistered and
 * watches it opened are closed after it, before {@link #closeClients()}.
 *
 * <p>Threading: the tests call the clients from the test thread and assert on callbacks from the
 * adapter's threads; {@link #registrar()} and {@link #discovery()} may be called many times per
 * test and must return the same clients each time (create them in a {@code @BeforeEach} or
 * lazily).
 */
@Timeout(120)
public abstract class RegistryContractTest {

  private final List<Registered> registered = Collections.synchronizedList(new ArrayList<>());
  private final List<AutoCloseable> openWatches = Collections.synchronizedList(new ArrayList<>());
  private String prefix;

  /** The registrar under test. */
  protected abstract Registrar registrar() throws Exception;

  /** A discovery client for the same registry. */
  protected abstract Discovery discovery() throws Exception;

  /**
   * A second, independent discovery client (another connection) to show that what one client
   * registers is visible to others; empty (the default) skips that test.
   */
  protected Optional<Discovery> otherDiscovery() throws Exception {
    return Optional.empty();
  }

  /** Closes the clients after each test; by default nothing. */
  protected void closeClients() throws Exception {}

  /** How long an expectation may take to hold; default 15 s. */
  protected Duration eventually() {
    return Duration.ofSeconds(15);
  }

  // ---------------------------------------------------------------- tests

  @Test
  public void registeredInstanceIsListedWithEveryFieldIntact() throws Exception {
    String svc = service("greeter");
    ServiceInstance a = new ServiceInstance(id("a"), svc, "v1.2.0",
        Map.of("weight", "10", "zone", "eu-1", "build-sha", "0a1b2c"),
        List.of(URI.create("http://127.0.0.1:18000"), URI.create("grpc://127.0.0.1:19000")));
    register(a);

    List<ServiceInstance> list = awaitInstances(discovery(), svc, l -> ids(l).equals(ids(a)));
    assertSameInstance(a, list.get(0));
    assertEquals(Optional.of(URI.create("grpc://127.0.0.1:19000")),
        list.get(0).endpoint("grpc"));
  }

  @Test
  public void deregisteredInstanceIsGone() throws Exception {
    String svc = service("orders");
    ServiceInstance a = instance(svc, "a", 18001);
    ServiceInstance b = instance(svc, "b", 18002);
    register(a);
    register(b);
    awaitInstances(discovery(), svc, l -> ids(l).equals(ids(a, b)));

    registrar().deregister(a);
    awaitInstances(discovery(), svc, l -> ids(l).equals(ids(b)));
    registrar().deregister(b);
    awaitInstances(discovery(), svc, List::isEmpty);
  }

  @Test
  public void unknownServiceHasNoInstances() throws Exception {
    assertEquals(List.of(), discovery().instances(service("nobody")));
  }

  @Test
  public void severalInstancesOfOneServiceCoexist() throws Exception {
    String svc = service("catalog");
    ServiceInstance a = instance(svc, "a", 18011);
    ServiceInstance b = instance(svc, "b", 18012);
    ServiceInstance c = instance(svc, "c", 18013);
    register(a);
    register(b);
    register(c);
    List<ServiceInstance> list =
        awaitInstances(discovery(), svc, l -> ids(l).equals(ids(a, b, c)));
    for (ServiceInstance expected : List.of(a, b, c)) {
      assertSameInstance(expected, byId(list, expected.id()));
    }
  }

  @Test
  public void servicesDoNotMix() throws Exception {
    String one = service("one");
    String two = service("two");
    // A name that extends another (as a key prefix would) must not leak into its watch.
    String oneLonger = one + "-extra";
    ServiceInstance a = instance(one, "a", 18021);
    ServiceInstance b = instance(two, "b", 18022);
    ServiceInstance c = instance(oneLonger, "c", 18023);
    Recorder watchOne = watch(one);
    register(a);
    register(b);
    register(c);
    awaitInstances(discovery(), one, l -> ids(l).equals(ids(a)));
    awaitInstances(discovery(), two, l -> ids(l).equals(ids(b)));
    awaitInstances(discovery(), oneLonger, l -> ids(l).equals(ids(c)));
    watchOne.awaitLatest(l -> ids(l).equals(ids(a)));
    for (List<ServiceInstance> l : watchOne.lists()) {
      for (ServiceInstance i : l) {
        assertEquals(one, i.name(), "watch of " + one + " received " + i);
      }
    }
  }

  @Test
  public void registeringTheSameIdAgainReplacesIt() throws Exception {
    String svc = service("payments");
    ServiceInstance v1 = new ServiceInstance(id("a"), svc, "v1",
        Map.of("color", "blue"), List.of(URI.create("http://127.0.0.1:18031")));
    register(v1);
    awaitInstances(discovery(), svc, l -> l.size() == 1 && "v1".equals(l.get(0).version()));

    ServiceInstance v2 = new ServiceInstance(v1.id(), svc, "v2",
        Map.of("color", "green"), List.of(URI.create("http://127.0.0.1:18032")));
    register(v2);
    List<ServiceInstance> list = awaitInstances(discovery(), svc,
        l -> l.size() == 1 && "v2".equals(l.get(0).version())
            && "green".equals(l.get(0).metadata().get("color")));
    assertSameInstance(v2, list.get(0));
  }

  @Test
  public void watchStartsWithTheCurrentListThenGetsFullListsOnEveryChange() throws Exception {
    String svc = service("inventory");
    ServiceInstance a = instance(svc, "a", 18041);
    ServiceInstance b = instance(svc, "b", 18042);
    register(a);
    awaitInstances(discovery(), svc, l -> ids(l).equals(ids(a)));

    Recorder w = watch(svc);
    List<ServiceInstance> first = w.awaitFirst();
    assertEquals(ids(a), ids(first), "the first call carries the current list");
    assertSameInstance(a, first.get(0));

    register(b);
    w.awaitLatest(l -> ids(l).equals(ids(a, b)));
    int beforeRemoval = w.lists().size();

    registrar().deregister(a);
    w.awaitLatest(l -> ids(l).equals(ids(b)));

    // Full lists, never deltas: until a was removed, every list still had a in it.
    List<List<ServiceInstance>> lists = w.lists();
    for (List<ServiceInstance> l : lists.subList(0, beforeRemoval)) {
      assertTrue(ids(l).contains(a.id()), "a list before a's removal lacks a: " + ids(l));
    }
    w.assertSerialized();
  }

  @Test
  public void watchOfAnEmptyServiceStartsWithAnEmptyList() throws Exception {
    String svc = service("empty");
    Recorder w = watch(svc);
    assertEquals(List.of(), w.awaitFirst());

    ServiceInstance a = instance(svc, "a", 18051);
    register(a);
    w.awaitLatest(l -> ids(l).equals(ids(a)));
    registrar().deregister(a);
    w.awaitLatest(List::isEmpty);
    w.assertSerialized();
  }

  @Test
  public void closedWatchGetsNoMoreCalls() throws Exception {
    String svc = service("closing");
    Recorder closed = watch(svc);
    closed.awaitFirst();
    Recorder control = watch(svc);
    control.awaitFirst();

    ServiceInstance a = instance(svc, "a", 18061);
    register(a);
    closed.awaitLatest(l -> ids(l).equals(ids(a)));
    control.awaitLatest(l -> ids(l).equals(ids(a)));

    closed.handle.close();
    int calls = closed.lists().size();
    ServiceInstance b = instance(svc, "b", 18062);
    register(b);
    registrar().deregister(a);
    // Once the control watch has seen both changes, a live watch would have seen them too.
    control.awaitLatest(l -> ids(l).equals(ids(b)));
    assertEquals(calls, closed.lists().size(), "calls after close: " + closed.lists());
    assertDoesNotThrow(closed.handle::close, "closing a watch twice");
  }

  @Test
  public void deregisterIsIdempotent() throws Exception {
    String svc = service("idem");
    ServiceInstance a = instance(svc, "a", 18071);
    register(a);
    awaitInstances(discovery(), svc, l -> ids(l).equals(ids(a)));
    registrar().deregister(a);
    registrar().deregister(a);
    awaitInstances(discovery(), svc, List::isEmpty);
    assertDoesNotThrow(() -> registrar().deregister(instance(svc, "never", 18072)));
    assertDoesNotThrow(() -> registrar().deregister(instance(service("never"), "x", 18073)));
  }

  @Test
  public void anotherClientSeesWhatThisOneRegistered() throws Exception {
    Optional<Discovery> other = otherDiscovery();
    org.junit.jupiter.api.Assumptions.assumeTrue(other.isPresent(),
        "no second discovery client supplied");
    String svc = service("shared");
    Recorder w = record(svc, other.get());
    assertEquals(List.of(), w.awaitFirst());
    ServiceInstance a = instance(svc, "a", 18081);
    register(a);
    List<ServiceInstance> list = awaitInstances(other.get(), svc, l -> ids(l).equals(ids(a)));
    assertSameInstance(a, list.get(0));
    w.awaitLatest(l -> ids(l).equals(ids(a)));
    registrar().deregister(a);
    awaitInstances(other.get(), svc, List::isEmpty);
    w.awaitLatest(List::isEmpty);
  }

  // ---------------------------------------------------------------- support

  @AfterEach
  public void cleanUpRegistryContract() throws Exception {
    try {
      synchronized (openWatches) {
        for (AutoCloseable w : openWatches) {
          try {
            w.close();
          } catch (Exception e) {
            // the test's own assertion, if any, has already reported the failure
          }
        }
        openWatches.clear();
      }
      synchronized (registered) {
        for (Registered r : registered) {
          try {
            r.registrar.deregister(r.instance);
          } catch (Exception e) {
            // best effort: unique service names keep leftovers from disturbing other tests
          }
        }
        registered.clear();
      }
    } finally {
      closeClients();
    }
  }

  /** Registers {@code instance} with {@link #registrar()} and deregisters it after the test. */
  protected final void register(ServiceInstance instance) throws Exception {
    Registrar r = registrar();
    registered.add(new Registered(r, instance));
    r.register(instance);
  }

  /** A service name unique to this test: {@code contract-<base>-<random>}. */
  protected final String service(String base) {
    if (prefix == null) {
      prefix = "contract-" + UUID.randomUUID().toString().substring(0, 8);
    }
    return prefix + "-" + base;
  }

  /** An instance with an {@code http://} and a {@code grpc://} endpoint on loopback. */
  protected final ServiceInstance instance(String service, String idSuffix, int port) {
    Map<String, String> md = new LinkedHashMap<>();
    md.put("weight", "1");
    md.put("instance", idSuffix);
    return new ServiceInstance(id(idSuffix), service, "v1.0.0", md,
        List.of(URI.create("http://127.0.0.1:" + port),
            URI.create("grpc://127.0.0.1:" + (port + 1000))));
  }

  private String id(String suffix) {
    return service("id") + "-" + suffix;
  }

  /** Polls {@code discovery.instances(service)} until {@code condition} holds. */
  protected final List<ServiceInstance> awaitInstances(Discovery discovery, String service,
      Predicate<List<ServiceInstance>> condition) throws Exception {
    long deadline = System.nanoTime() + eventually().toNanos();
    List<ServiceInstance> last;
    while (true) {
      last = discovery.instances(service);
      assertNotNull(last, "instances() returned null");
      if (condition.test(last)) {
        return last;
      }
      if (System.nanoTime() > deadline) {
        fail("instances(" + service + ") did not reach the expected state within "
            + eventually() + "; last: " + last);
      }
      Thread.sleep(25);
    }
  }

  /** Opens a watch on {@link #discovery()}, closed after the test. */
  protected final Recorder watch(String service) throws Exception {
    return record(service, discovery());
  }

  private Recorder record(String service, Discovery discovery) throws Exception {
    Recorder r = new Recorder(service, eventually());
    r.handle = discovery.watch(service, r);
    assertNotNull(r.handle, "watch() returned null");
    openWatches.add(r.handle);
    return r;
  }

  private static ServiceInstance byId(List<ServiceInstance> list, String id) {
    return list.stream().filter(i -> i.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no instance " + id + " in " + list));
  }

  private static Set<String> ids(List<ServiceInstance> list) {
    return list.stream().map(ServiceInstance::id).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> ids(ServiceInstance... instances) {
    return ids(List.of(instances));
  }

  /** Equal id, name and version, the registered metadata present, the same endpoint set. */
  protected static void assertSameInstance(ServiceInstance expected, ServiceInstance actual) {
    assertEquals(expected.id(), actual.id(), "id");
    assertEquals(expected.name(), actual.name(), "name of " + expected.id());
    assertEquals(expected.version(), actual.version(), "version of " + expected.id());
    for (Map.Entry<String, String> e : expected.metadata().entrySet()) {
      assertEquals(e.getValue(), actual.metadata().get(e.getKey()),
          "metadata '" + e.getKey() + "' of " + expected.id() + ": " + actual.metadata());
    }
    assertEquals(new TreeSet<>(expected.endpoints()), new TreeSet<>(actual.endpoints()),
        "endpoints of " + expected.id());
  }

  private record Registered(Registrar registrar, ServiceInstance instance) {}

  /** Records what a watch delivers and checks that calls never overlap. */
  protected static final class Recorder implements Consumer<List<ServiceInstance>> {
    private final String service;
    private final Duration eventually;
    private final List<List<ServiceInstance>> lists = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile String overlap;
    AutoCloseable handle;

    Recorder(String service, Duration eventually) {
      this.service = service;
      this.eventually = eventually;
    }

    @Override
    public void accept(List<ServiceInstance> list) {
      if (inFlight.incrementAndGet() != 1) {
        overlap = "two calls at once for the watch of " + service;
      }
      try {
        if (list == null) {
          overlap = "a null list for the watch of " + service;
          return;
        }
        synchronized (this) {
          lists.add(List.copyOf(list));
          notifyAll();
        }
      } finally {
        inFlight.decrementAndGet();
      }
    }

    /** Everything received so far, oldest first. */
    public synchronized List<List<ServiceInstance>> lists() {
      return List.copyOf(lists);
    }

    /** Waits for the first call and returns its list. */
    public synchronized List<ServiceInstance> awaitFirst() throws InterruptedException {
      awaitUntil(() -> !lists.isEmpty(), "no first call");
      return lists.get(0);
    }

    /** Waits until the latest list received satisfies {@code condition}, and returns it. */
    public synchronized List<ServiceInstance> awaitLatest(
        Predicate<List<ServiceInstance>> condition) throws InterruptedException {
      awaitUntil(() -> !lists.isEmpty() && condition.test(lists.get(lists.size() - 1)),
          "the latest list did not reach the expected state");
      return lists.get(lists.size() - 1);
    }

    /** Fails if two calls ever overlapped or a call carried null. */
    public void assertSerialized() {
      assertFalse(overlap != null, overlap);
    }

    private void awaitUntil(java.util.function.BooleanSupplier done, String what)
        throws InterruptedException {
      long deadline = System.nanoTime() + eventually.toNanos();
      while (!done.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("watch of " + service + ": " + what + " within " + eventually + "; received: "
              + lists);
        }
        wait(Math.max(1, Math.min(100, left / 1_000_000)));
      }
      assertSerialized();
    }
  }
}
