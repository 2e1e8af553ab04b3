package io.phalanx.registry.etcd;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.test.RefusedPort;
import io.phalanx.test.etcd.EtcdExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** etcd-specific behaviour against a real etcd: wire format, leases, failures, shared watches. */
@Timeout(120)
class EtcdRegistryTest {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  private static final Duration EVENTUALLY = Duration.ofSeconds(30);
  /**
   * Far above any answer of a local etcd, even on a loaded machine: no test here is about how
   * long etcd may take to answer (an unreachable or partitioned etcd fails calls at once, and
   * the tests of an etcd that does not answer set their own). With 2 s, the first call of a run
   * once failed while several builds shared the machine.
   */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration DIAL_TIMEOUT = Duration.ofSeconds(5);
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private RawEtcd raw;
  private String svc;

  @BeforeEach
  void setUp() {
    raw = new RawEtcd(etcd.endpoint());
    svc = "svc-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void tearDown() throws Exception {
    Collections.reverse(cleanup);
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    raw.close();
  }

  private EtcdRegistry registry(URI endpoint, Duration ttl) {
    EtcdRegistry r = EtcdRegistry.builder().endpoints(endpoint).ttl(ttl)
        .requestTimeout(REQUEST_TIMEOUT).dialTimeout(DIAL_TIMEOUT).build();
    cleanup.add(r);
    return r;
  }

  /** What a client of its own sees of the service, watching it from now on. */
  private Recorder watchFromAnotherClient() throws Exception {
    Recorder w = new Recorder();
    cleanup.add(registry(etcd.endpoint(), Duration.ofSeconds(15)).watch(svc, w));
    return w;
  }

  private ServiceInstance instance(String id, Map<String, String> md) {
    return new ServiceInstance(id, svc, "v1.0.0", md,
        List.of(URI.create("http://10.0.0.5:8000"), URI.create("grpc://10.0.0.5:9000")));
  }

  @Test
  void storesTheKratosJsonUnderNamespaceNameIdWithALease() throws Exception {
    EtcdRegistry r = registry(etcd.endpoint(), Duration.ofSeconds(15));
    r.register(instance("i-1", Map.of("weight", "100")));

    KeyValue kv = raw.get("/microservices/" + svc + "/i-1").orElseThrow();
    JsonNode json = new ObjectMapper().readTree(kv.getValue().toByteArray());
    List<String> fields = new ArrayList<>();
    json.fieldNames().forEachRemaining(fields::add);
    assertEquals(List.of("id", "name", "version", "metadata", "endpoints"), fields);
    assertEquals("i-1", json.get("id").asText());
    assertEquals(svc, json.get("name").asText());
    assertEquals("v1.0.0", json.get("version").asText());
    assertEquals("100", json.get("metadata").get("weight").asText());
    assertEquals("http://10.0.0.5:8000", json.get("endpoints").get(0).asText());
    assertEquals("grpc://10.0.0.5:9000", json.get("endpoints").get(1).asText());

    assertNotEquals(0, kv.getLease(), "the key must be attached to a lease");
    long ttl = raw.ttl(kv.getLease());
    assertTrue(ttl > 0 && ttl <= 15, "lease TTL " + ttl);

    r.register(instance("i-2", Map.of()));
    JsonNode empty = new ObjectMapper().readTree(
        raw.get("/microservices/" + svc + "/i-2").orElseThrow().getValue().toByteArray());
    assertTrue(empty.get("metadata").isObject() && empty.get("metadata").isEmpty(),
        "empty metadata is written as {}: " + empty);
  }

  @Test
  void readsWhatAKratosServiceWrote() throws Exception {
    // exactly what Go's json.Marshal of a Kratos ServiceInstance with nil metadata produces
    raw.put("/microservices/" + svc + "/go-1", "{\"id\":\"go-1\",\"name\":\"" + svc
        + "\",\"version\":\"v2\",\"metadata\":null,\"endpoints\":[\"grpc://10.1.1.1:9000\"]}");
    raw.put("/microservices/" + svc + "/junk", "not json");
    EtcdRegistry r = registry(etcd.endpoint(), Duration.ofSeconds(15));
    List<ServiceInstance> list = r.instances(svc);
    assertEquals(1, list.size(), list.toString());
    assertEquals(Map.of(), list.get(0).metadata());
    assertEquals(List.of(URI.create("grpc://10.1.1.1:9000")), list.get(0).endpoints());
    raw.delete("/microservices/" + svc + "/go-1");
    raw.delete("/microservices/" + svc + "/junk");
  }

  @Test
  void deregisterDeletesTheKeyAndRevokesTheLease() throws Exception {
    EtcdRegistry r = registry(etcd.endpoint(), Duration.ofSeconds(15));
    ServiceInstance i = instance("i-1", Map.of());
    r.register(i);
    long lease = raw.get(r.keyOf(i)).orElseThrow().getLease();
    r.deregister(i);
    assertTrue(raw.get(r.keyOf(i)).isEmpty());
    assertEquals(-1, raw.ttl(lease), "the lease is revoked");
  }

  @Test
  void keyExpiresWithTheLeaseWhenTheClientIsClosedWithoutDeregistering() throws Exception {
    Recorder w = watchFromAnotherClient();
    EtcdRegistry r = registry(etcd.endpoint(), Duration.ofSeconds(2));
    ServiceInstance i = instance("i-1", Map.of());
    r.register(i);
    w.await(l -> l.size() == 1);
    // kept alive well past the TTL while the client runs
    Thread.sleep(4_000);
    assertTrue(raw.get(r.keyOf(i)).isPresent(), "kept alive past its 2 s TTL");
    r.close();
    w.await(List::isEmpty);
    assertTrue(raw.get(r.keyOf(i)).isEmpty());
  }

  @Test
  void reRegistersAfterTheLeaseIsRevokedBehindItsBack() throws Exception {
    Recorder w = watchFromAnotherClient();
    EtcdRegistry r = registry(etcd.endpoint(), Duration.ofSeconds(3));
    ServiceInstance i = instance("i-1", Map.of());
    r.register(i);
    long lease = raw.get(r.keyOf(i)).orElseThrow().getLease();

    raw.revoke(lease);
    w.await(List::isEmpty);
    w.await(l -> l.size() == 1);
    long newLease = raw.get(r.keyOf(i)).orElseThrow().getLease();
    assertNotEquals(lease, newLease);
    assertTrue(raw.ttl(newLease) > 0);
  }

  @Test
  void putsItsKeyBackUnderTheSameLeaseWhenItIsDeletedByHand() throws Exception {
    Recorder w = watchFromAnotherClient();
    EtcdRegistry r = registry(etcd.endpoint(), Duration.ofSeconds(3));
    ServiceInstance i = instance("i-1", Map.of("weight", "7"));
    r.register(i);
    w.await(l -> ids(l).equals(List.of("i-1")));
    KeyValue before = raw.get(r.keyOf(i)).orElseThrow();

    raw.delete(r.keyOf(i)); // etcdctl del, while the lease lives on
    assertTrue(raw.ttl(before.getLease()) > 0);
    await(() -> raw.get(r.keyOf(i)).isPresent());
    KeyValue after = raw.get(r.keyOf(i)).orElseThrow();
    assertEquals(before.getLease(), after.getLease(), "back under the lease it had");
    assertEquals(before.getValue(), after.getValue());
    w.await(l -> ids(l).equals(List.of("i-1")));
    assertEquals(Map.of("weight", "7"), r.instances(svc).get(0).metadata());

    // deregistering still removes it for good
    r.deregister(i);
    w.await(List::isEmpty);
    assertTrue(raw.get(r.keyOf(i)).isEmpty());
  }

  /**
   * A key read back after a renewal that etcd does not answer for long (a slow etcd) does not
   * hold up the renewals of other registrations: there were as many such reads as the registry
   * has scheduler threads, and they held both, so no other lease was renewed (and it expired).
   */
  @Test
  void stalledKeyReadsDelayNoOtherRegistrationsRenewal() throws Exception {
    try (StallingEtcdFront front = new StallingEtcdFront(etcd.endpoint())) {
      EtcdRegistry r = slowEtcdRegistry(front);
      ServiceInstance a = instance("a", Map.of());
      ServiceInstance b = instance("b", Map.of());
      ServiceInstance c = instance("c", Map.of());
      front.stallReadsOf(r.keyOf(a));
      front.stallReadsOf(r.keyOf(b));
      r.register(a);
      r.register(b);
      await(() -> front.heldReadsOf(r.keyOf(a)) == 1 && front.heldReadsOf(r.keyOf(b)) == 1);
      r.register(c);

      long lease = raw.get(r.keyOf(c)).orElseThrow().getLease();
      awaitRenewals(front, lease, 3);
      assertTrue(raw.ttl(lease) > 0);
      assertTrue(raw.get(r.keyOf(a)).isPresent() && raw.get(r.keyOf(b)).isPresent());
      // one read at a time per registration, however many renewals were answered meanwhile
      assertEquals(1, front.heldReadsOf(r.keyOf(a)));
      assertEquals(1, front.heldReadsOf(r.keyOf(b)));
    }
  }

  /** As above, for the write-back of keys deleted by hand, which etcd does not answer for long. */
  @Test
  void stalledWriteBacksDelayNoOtherRegistrationsRenewal() throws Exception {
    try (StallingEtcdFront front = new StallingEtcdFront(etcd.endpoint())) {
      EtcdRegistry r = slowEtcdRegistry(front);
      ServiceInstance a = instance("a", Map.of());
      ServiceInstance b = instance("b", Map.of());
      ServiceInstance c = instance("c", Map.of());
      r.register(a);
      r.register(b);
      front.stallTxns();
      raw.delete(r.keyOf(a));
      raw.delete(r.keyOf(b));
      await(() -> front.heldTxns() == 2);
      r.register(c);

      long lease = raw.get(r.keyOf(c)).orElseThrow().getLease();
      awaitRenewals(front, lease, 3);
      assertTrue(raw.ttl(lease) > 0);
      assertEquals(2, front.heldTxns(), "one write-back at a time per registration");

      front.releaseTxns();
      await(() -> raw.get(r.keyOf(a)).isPresent() && raw.get(r.keyOf(b)).isPresent());
      // a deregister after the write-back still removes the key for good
      r.deregister(a);
      assertTrue(raw.get(r.keyOf(a)).isEmpty());
    }
  }

  /**
   * Re-registrations (a new lease, the key written again) that etcd is slow to answer, as many as
   * the registry has scheduler threads, do not hold up the renewals of other registrations.
   */
  @Test
  void stalledReRegistrationsDelayNoOtherRegistrationsRenewal() throws Exception {
    try (StallingEtcdFront front = new StallingEtcdFront(etcd.endpoint())) {
      EtcdRegistry r = slowEtcdRegistry(front);
      ServiceInstance a = instance("a", Map.of());
      ServiceInstance b = instance("b", Map.of());
      ServiceInstance c = instance("c", Map.of());
      r.register(a);
      r.register(b);
      r.register(c);
      front.stallGrants();
      raw.revoke(raw.get(r.keyOf(a)).orElseThrow().getLease());
      raw.revoke(raw.get(r.keyOf(b)).orElseThrow().getLease());
      await(() -> front.heldGrants() == 2);

      long lease = raw.get(r.keyOf(c)).orElseThrow().getLease();
      awaitRenewals(front, lease, 3);
      assertTrue(raw.ttl(lease) > 0);

      front.releaseGrants();
      await(() -> raw.get(r.keyOf(a)).isPresent() && raw.get(r.keyOf(b)).isPresent());
    }
  }

  /**
   * A register that etcd is slow to answer holds up the calls for that instance only: a watch's
   * first read and another instance's deregistration go ahead (they once waited for the
   * registry's lock, which the register held while it waited for etcd).
   */
  @Test
  void aRegisterEtcdIsSlowToAnswerHoldsUpNoOtherCall() throws Exception {
    try (StallingEtcdFront front = new StallingEtcdFront(etcd.endpoint())) {
      EtcdRegistry r = slowEtcdRegistry(front);
      ServiceInstance a = instance("a", Map.of());
      ServiceInstance b = instance("b", Map.of());
      r.register(b);
      front.stallGrants();
      CompletableFuture<Void> slow = inBackground(() -> {
        r.register(a);
        return null;
      });
      await(() -> front.heldGrants() == 1);

      Recorder w = new Recorder();
      cleanup.add(inBackground(() -> r.watch(svc, w)).get(EVENTUALLY.toSeconds(), SECONDS));
      w.await(l -> ids(l).equals(List.of("b")));
      inBackground(() -> {
        r.deregister(b);
        return null;
      }).get(EVENTUALLY.toSeconds(), SECONDS);
      w.await(List::isEmpty);
      assertFalse(slow.isDone(), "the register of a is still waiting for its lease");

      front.releaseGrants();
      slow.get(EVENTUALLY.toSeconds(), SECONDS);
      w.await(l -> ids(l).equals(List.of("a")));
    }
  }

  private static <T> CompletableFuture<T> inBackground(Callable<T> call) {
    CompletableFuture<T> f = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        f.complete(call.call());
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    }, "test-call");
    t.setDaemon(true);
    t.start();
    return f;
  }

  /**
   * Watches that fell behind compaction re-read their services; reads that etcd is slow to
   * answer, as many as the registry has scheduler threads, hold up neither its renewals nor a
   * re-registration (which once waited in the same queue as the re-reads).
   */
  @Test
  void stalledWatchReReadsDelayNoRenewalNorReRegistration() throws Exception {
    try (StallingEtcdFront front = new StallingEtcdFront(etcd.endpoint())) {
      EtcdRegistry r = slowEtcdRegistry(front);
      ServiceInstance c = instance("c", Map.of());
      r.register(c);
      List<String> prefixes = new ArrayList<>();
      for (String name : List.of(svc + "-x", svc + "-y")) {
        Recorder w = new Recorder();
        cleanup.add(r.watch(name, w));
        w.await(List::isEmpty);
        prefixes.add("/microservices/" + name + "/");
      }

      await(() -> front.openWatches() == 2);
      front.stallWatches();
      front.breakWatches();
      for (int n = 0; n < 3; n++) {
        raw.put("/unrelated/" + svc + "/" + n, "x"); // past the revision the watches resume at
      }
      raw.compact(raw.revision());
      prefixes.forEach(front::stallReadsOf);
      front.releaseWatches(); // both resume from a compacted revision: both read again
      await(() -> prefixes.stream().allMatch(p -> front.heldReadsOf(p) == 1));

      long lease = raw.get(r.keyOf(c)).orElseThrow().getLease();
      awaitRenewals(front, lease, 3);
      assertTrue(raw.ttl(lease) > 0);

      raw.revoke(lease); // the key goes with the lease; the registry registers c again
      await(() -> raw.get(r.keyOf(c)).map(kv -> kv.getLease() != lease).orElse(false));
      assertTrue(prefixes.stream().allMatch(p -> front.heldReadsOf(p) == 1), "reads still held");
    }
  }

  /**
   * A registry whose calls go through {@code front} and wait long for etcd's answers: longer than
   * the tests wait for renewals, so a stalled call is still under way while they wait.
   */
  private EtcdRegistry slowEtcdRegistry(StallingEtcdFront front) {
    EtcdRegistry r = EtcdRegistry.builder().endpoints(front.endpoint())
        .ttl(Duration.ofSeconds(3)).requestTimeout(Duration.ofMinutes(3))
        .dialTimeout(DIAL_TIMEOUT).build();
    cleanup.add(r);
    return r;
  }

  /** Waits until {@code lease} was renewed {@code times} more times through {@code front}. */
  private static void awaitRenewals(StallingEtcdFront front, long lease, int times)
      throws InterruptedException {
    int before = front.renewalsOf(lease);
    await(() -> front.renewalsOf(lease) >= before + times);
  }

  @Test
  void survivesAnEtcdRestartAndWatchersResume() throws Exception {
    Recorder w = watchFromAnotherClient();
    EtcdRegistry r = registry(etcd.endpoint(), Duration.ofSeconds(2));
    ServiceInstance a = instance("a", Map.of());
    r.register(a);
    w.await(l -> ids(l).equals(List.of("a")));
    long before = raw.get(r.keyOf(a)).orElseThrow().getLease();

    etcd.kill();
    Thread.sleep(3_000); // longer than the TTL: both clients are reconnecting with backoff
    etcd.start();

    // the broken keep-alive made the registrar write the key again under a new, live lease
    await(() -> raw.get(r.keyOf(a))
        .map(kv -> kv.getLease() != before && raw.ttl(kv.getLease()) > 0).orElse(false));
    long after = raw.get(r.keyOf(a)).orElseThrow().getLease();
    // the resumed watch sees changes made after the restart
    EtcdRegistry r2 = registry(etcd.endpoint(), Duration.ofSeconds(15));
    r2.register(instance("b", Map.of()));
    w.await(l -> ids(l).equals(List.of("a", "b")));
    Thread.sleep(5_000); // more than two TTLs: the new lease is kept alive
    assertEquals(after, raw.get(r.keyOf(a)).orElseThrow().getLease());
    assertTrue(raw.ttl(after) > 0);
  }

  @Test
  void partitionLongerThanTheTtlEndsWithTheInstanceBack() throws Exception {
    try (TcpProxy proxy = new TcpProxy(etcd.endpoint())) {
      Recorder w = watchFromAnotherClient();
      EtcdRegistry r = registry(proxy.endpoint(), Duration.ofSeconds(2));
      r.register(instance("a", Map.of()));
      w.await(l -> ids(l).equals(List.of("a")));

      proxy.cut();
      w.await(List::isEmpty); // the lease ran out during the partition
      proxy.heal();
      w.await(l -> ids(l).equals(List.of("a")));
    }
  }

  @Test
  void watchRecoversWhenItsRevisionWasCompactedWhileDisconnected() throws Exception {
    try (TcpProxy proxy = new TcpProxy(etcd.endpoint())) {
      EtcdRegistry owner = registry(etcd.endpoint(), Duration.ofSeconds(15));
      ServiceInstance a = instance("a", Map.of());
      ServiceInstance b = instance("b", Map.of());
      owner.register(a);
      EtcdRegistry watcher = registry(proxy.endpoint(), Duration.ofSeconds(15));
      Recorder w = new Recorder();
      cleanup.add(watcher.watch(svc, w));
      w.await(l -> ids(l).equals(List.of("a")));

      proxy.cut();
      owner.register(b);
      owner.deregister(a);
      for (int n = 0; n < 5; n++) {
        raw.put("/unrelated/" + svc + "/" + n, "x");
      }
      raw.compact(raw.revision());
      proxy.heal();

      w.await(l -> ids(l).equals(List.of("b")));
      // and it keeps watching from the new revision
      owner.register(a);
      w.await(l -> ids(l).equals(List.of("a", "b")));
    }
  }

  @Test
  void manyListenersShareOneEtcdWatch() throws Exception {
    EtcdRegistry r = registry(etcd.endpoint(), Duration.ofSeconds(15));
    double before = raw.metric("etcd_debugging_mvcc_watcher_total");
    List<Recorder> recorders = new ArrayList<>();
    List<AutoCloseable> handles = new ArrayList<>();
    for (int n = 0; n < 8; n++) {
      Recorder rec = new Recorder();
      recorders.add(rec);
      handles.add(r.watch(svc, rec));
    }
    assertEquals(1, r.openWatches());
    await(() -> metric("etcd_debugging_mvcc_watcher_total") == before + 1);

    r.register(instance("a", Map.of()));
    for (Recorder rec : recorders) {
      rec.await(l -> ids(l).equals(List.of("a")));
    }
    assertEquals(before + 1, raw.metric("etcd_debugging_mvcc_watcher_total"));

    for (AutoCloseable h : handles) {
      h.close();
    }
    assertEquals(0, r.openWatches());
    await(() -> metric("etcd_debugging_mvcc_watcher_total") == before);
  }

  @Test
  void registerFailsWithTheEndpointInTheMessageWhenEtcdIsUnreachable() throws Exception {
    try (RefusedPort port = RefusedPort.open()) {
      URI nowhere = URI.create("http://127.0.0.1:" + port.port());
      EtcdRegistry r = registry(nowhere, Duration.ofSeconds(15));
      EtcdException e = assertThrows(EtcdException.class,
          () -> r.register(instance("a", Map.of())));
      assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
    }
  }

  @Test
  void failsOverToTheNextEndpoint() throws Exception {
    try (RefusedPort port = RefusedPort.open()) {
      URI dead = URI.create("http://127.0.0.1:" + port.port());
      EtcdRegistry r = EtcdRegistry.builder().endpoints(dead, etcd.endpoint())
          .requestTimeout(REQUEST_TIMEOUT).build();
      cleanup.add(r);
      r.register(instance("a", Map.of()));
      assertEquals(List.of("a"), ids(r.instances(svc)));
    }
  }

  @Test
  void aMemberThatAcceptsButNeverAnswersIsPassedOver() throws Exception {
    List<Socket> held = new CopyOnWriteArrayList<>();
    try (ServerSocket hung = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        while (!hung.isClosed()) {
          try {
            held.add(hung.accept()); // accepted, never read nor answered: a wedged member
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      URI wedged = URI.create("http://127.0.0.1:" + hung.getLocalPort());
      // with pick_first every call timed out, however long the timeout: a generous one makes
      // the test no weaker, and a loaded machine's first answer can come late
      EtcdRegistry r = EtcdRegistry.builder().endpoints(wedged, etcd.endpoint())
          .requestTimeout(REQUEST_TIMEOUT).dialTimeout(Duration.ofSeconds(1)).build();
      cleanup.add(r);
      // pick_first stayed connecting to the first member: every call timed out
      r.register(instance("a", Map.of()));
      assertEquals(List.of("a"), ids(r.instances(svc)));
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void anOldProcessesDeregisterLeavesTheRegistrationOfItsSuccessor() throws Exception {
    // a restart with a fixed instance id (a host or pod name) that registered before the old
    // process finished stopping
    ServiceInstance i = instance("host-1", Map.of());
    EtcdRegistry oldProcess = registry(etcd.endpoint(), Duration.ofSeconds(2));
    EtcdRegistry newProcess = registry(etcd.endpoint(), Duration.ofSeconds(2));
    oldProcess.register(i);
    newProcess.register(i); // takes the key over under its own lease
    oldProcess.deregister(i);
    assertTrue(raw.get(newProcess.keyOf(i)).isPresent(), "the successor's registration was "
        + "deleted, and its keeper, whose lease lives on, would never put it back");
    newProcess.deregister(i);
    assertTrue(raw.get(newProcess.keyOf(i)).isEmpty(), "its own deregister still deletes it");
  }

  @Test
  void isConfiguredFromRegistryEtcdKeys() throws Exception {
    io.phalanx.core.config.AppConfig config = io.phalanx.core.config.AppConfig.of(
        com.typesafe.config.ConfigFactory.parseString("registry.etcd { endpoints = \""
            + etcd.endpoint() + "\", namespace = \"/phalanx-test/\", ttl = 7s }"));
    EtcdRegistry r = EtcdRegistry.builder(config).build();
    cleanup.add(r);
    assertEquals("/phalanx-test", r.namespace());
    ServiceInstance i = instance("a", Map.of());
    r.register(i);
    KeyValue kv = raw.get("/phalanx-test/" + svc + "/a").orElseThrow();
    long ttl = raw.ttl(kv.getLease());
    assertTrue(ttl > 0 && ttl <= 7, "ttl " + ttl);
    r.deregister(i);
  }

  // ------------------------------------------------------------------ support

  private double metric(String name) {
    try {
      return raw.metric(name);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> ids(List<ServiceInstance> l) {
    return l.stream().map(ServiceInstance::id).sorted().toList();
  }

  private static void await(BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (true) {
      try {
        if (cond.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        // etcd may still be coming up
      }
      if (System.nanoTime() > deadline) {
        fail("condition not met within " + EVENTUALLY);
      }
      Thread.sleep(50);
    }
  }

  /** Collects watch calls. */
  static final class Recorder implements java.util.function.Consumer<List<ServiceInstance>> {
    private final List<List<ServiceInstance>> lists = new ArrayList<>();

    @Override
    public synchronized void accept(List<ServiceInstance> l) {
      lists.add(l);
      notifyAll();
    }

    /** Waits until some list received from now on or the latest one matches. */
    synchronized void await(Predicate<List<ServiceInstance>> cond) throws InterruptedException {
      long deadline = System.nanoTime() + EVENTUALLY.toNanos();
      while (lists.isEmpty() || !cond.test(lists.get(lists.size() - 1))) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("watch never matched; received " + lists);
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }
  }
}
