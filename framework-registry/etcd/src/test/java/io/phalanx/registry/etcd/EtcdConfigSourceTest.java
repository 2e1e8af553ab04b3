package io.phalanx.registry.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.test.etcd.EtcdExtension;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the config source contract does not cover, against a real etcd: one-key mode, recovery
 * after an etcd restart and after a partition during which the keys changed and etcd compacted,
 * configuration from {@code config.etcd}, and the close guarantees.
 */
@Timeout(120)
class EtcdConfigSourceTest {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  private static final Duration EVENTUALLY = Duration.ofSeconds(30);
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private RawEtcd raw;
  private String dir;

  @BeforeEach
  void setUp() {
    raw = new RawEtcd(etcd.endpoint());
    dir = "/config-" + UUID.randomUUID().toString().substring(0, 8) + "/";
  }

  @AfterEach
  void tearDown() throws Exception {
    Collections.reverse(cleanup);
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    raw.close();
  }

  private EtcdConfigSource source(EtcdConfigSource.Builder b) {
    EtcdConfigSource s = b.requestTimeout(Duration.ofSeconds(2))
        .dialTimeout(Duration.ofSeconds(1)).build();
    cleanup.add(s);
    return s;
  }

  private EtcdConfigSource prefixSource(URI endpoint) {
    return source(EtcdConfigSource.builder().endpoints(endpoint).prefix(dir));
  }

  @Test
  void describesItselfByPrefixAndEndpoints() {
    EtcdConfigSource s = source(EtcdConfigSource.builder()
        .endpoints("127.0.0.1:2379", "http://10.0.0.2:2379").prefix("/config/greeter/"));
    assertEquals("etcd /config/greeter/ at http://127.0.0.1:2379, http://10.0.0.2:2379",
        s.description());
  }

  @Test
  void keyModeReadsAndFollowsExactlyThatKey() throws Exception {
    String key = dir + "greeter.conf";
    raw.put(key, "greeting = hello");
    raw.put(key + ".bak", "greeting = old");
    raw.put(dir + "greeter.confx", "greeting = other");
    EtcdConfigSource s = source(EtcdConfigSource.builder().endpoints(etcd.endpoint()).key(key));

    assertEquals(List.of(ConfigDocument.of(key, "greeting = hello")), s.load());

    Recorder rec = watch(s);
    rec.await(d -> d.equals(List.of(ConfigDocument.of(key, "greeting = hello"))), "the key");
    raw.put(key + ".bak", "greeting = older");
    raw.put(key, "greeting = bonjour");
    rec.await(d -> d.equals(List.of(ConfigDocument.of(key, "greeting = bonjour"))), "the update");
    raw.delete(key);
    rec.await(List::isEmpty, "nothing after the delete");
    assertTrue(rec.lists.stream().flatMap(List::stream).allMatch(d -> d.key().equals(key)),
        "only the exact key: " + rec.lists);
  }

  @Test
  void watchReportsAnEtcdRestartAndGoesOnAfterIt() throws Exception {
    raw.put(dir + "app.conf", "v = 1");
    Recorder rec = watch(prefixSource(etcd.endpoint()));
    rec.await(d -> d.equals(List.of(ConfigDocument.of(dir + "app.conf", "v = 1"))), "v = 1");

    etcd.kill();
    await(() -> !rec.failures.isEmpty(), "a failure reported while etcd is down");
    assertTrue(rec.failures.get(0) instanceof ConfigException
        && rec.failures.get(0).getMessage().contains("etcd " + dir + " at "),
        "the failure names the source: " + rec.failures.get(0));
    etcd.start();

    raw.close();
    raw = new RawEtcd(etcd.endpoint());
    raw.put(dir + "app.conf", "v = 2");
    rec.await(d -> d.equals(List.of(ConfigDocument.of(dir + "app.conf", "v = 2"))),
        "the change made after the restart");
  }

  @Test
  void afterAPartitionAFreshReadDeliversWhatChangedMeanwhileEvenIfCompacted() throws Exception {
    try (TcpProxy proxy = new TcpProxy(etcd.endpoint())) {
      raw.put(dir + "a.conf", "a = 1");
      raw.put(dir + "b.conf", "b = 1");
      Recorder rec = watch(prefixSource(proxy.endpoint()));
      rec.await(d -> d.size() == 2, "both documents");

      proxy.cut();
      await(() -> !rec.failures.isEmpty(), "the broken stream reported");
      raw.put(dir + "a.conf", "a = 2");
      raw.delete(dir + "b.conf");
      raw.put(dir + "c.json", "{\"c\":1}");
      raw.compact(raw.revision());
      int before = rec.lists.size();
      proxy.heal();

      List<ConfigDocument> expected = List.of(ConfigDocument.of(dir + "a.conf", "a = 2"),
          ConfigDocument.of(dir + "c.json", "{\"c\":1}"));
      rec.await(expected::equals, "the state after the partition, from a fresh read");
      assertEquals(expected, rec.lists.get(before),
          "the first list after the partition is complete, not a sequence of deltas");
      raw.put(dir + "d.conf", "d = 1");
      rec.await(d -> d.size() == 3, "and it watches on");
    }
  }

  @Test
  void isConfiguredFromConfigEtcdKeys() {
    raw.put(dir + "app.conf", "x = 1");
    AppConfig config = AppConfig.of(ConfigFactory.parseString("config.etcd { endpoints = \""
        + etcd.endpoint() + "\", prefix = \"" + dir + "\", request-timeout = 2s }"));
    EtcdConfigSource s = EtcdConfigSource.builder(config).build();
    cleanup.add(s);
    assertEquals("etcd " + dir + " at " + etcd.endpoint(), s.description());
    assertEquals(List.of(ConfigDocument.of(dir + "app.conf", "x = 1")), s.load());

    AppConfig oneKey = AppConfig.of(ConfigFactory.parseString("config.etcd { endpoints = [\""
        + etcd.endpoint() + "\"], key = \"" + dir + "app.conf\" }"));
    EtcdConfigSource k = EtcdConfigSource.builder(oneKey).build();
    cleanup.add(k);
    assertEquals(List.of(ConfigDocument.of(dir + "app.conf", "x = 1")), k.load());
  }

  @Test
  void buildWithoutKeyOrPrefixOrEndpointsFailsNamingTheConfigKey() {
    IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class,
        () -> EtcdConfigSource.builder().endpoints(etcd.endpoint()).build());
    assertTrue(noKey.getMessage().contains("config.etcd.prefix"), noKey.getMessage());
    IllegalArgumentException noEndpoint = assertThrows(IllegalArgumentException.class,
        () -> EtcdConfigSource.builder().prefix(dir).build());
    assertTrue(noEndpoint.getMessage().contains("config.etcd.endpoints"),
        noEndpoint.getMessage());
  }

  @Test
  void aListenerMayCloseItsOwnWatch() throws Exception {
    raw.put(dir + "app.conf", "v = 1");
    EtcdConfigSource s = prefixSource(etcd.endpoint());
    List<List<ConfigDocument>> calls = new CopyOnWriteArrayList<>();
    ConfigSource.Watch[] self = new ConfigSource.Watch[1];
    CountDownLatch started = new CountDownLatch(1);
    self[0] = s.watch(new ConfigSource.Listener() {
      @Override
      public void documents(List<ConfigDocument> documents) {
        calls.add(documents);
        awaitQuietly(started);
        self[0].close(); // on the delivering thread: must neither deadlock nor wait for itself
      }

      @Override
      public void failed(Throwable error) {}
    });
    started.countDown();
    await(() -> calls.size() == 1, "the first list");

    raw.put(dir + "app.conf", "v = 2");
    Recorder probe = watch(s);
    probe.await(d -> d.equals(List.of(ConfigDocument.of(dir + "app.conf", "v = 2"))),
        "the change, on another watch of the same source");
    assertEquals(1, calls.size(), "calls after the listener closed its watch: " + calls);
  }

  @Test
  void closeReturnsOnlyAfterARunningListenerCallEnded() throws Exception {
    raw.put(dir + "app.conf", "v = 1");
    EtcdConfigSource s = prefixSource(etcd.endpoint());
    CountDownLatch inCall = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> order = new CopyOnWriteArrayList<>();
    ConfigSource.Watch w = s.watch(new ConfigSource.Listener() {
      @Override
      public void documents(List<ConfigDocument> documents) {
        inCall.countDown();
        awaitQuietly(release);
        order.add("call ended");
      }

      @Override
      public void failed(Throwable error) {}
    });
    inCall.await();
    Thread closer = new Thread(() -> {
      w.close();
      order.add("close returned");
    });
    closer.start();
    // polling the state, not sleeping: close() must be parked waiting for the call
    await(() -> closer.getState() == Thread.State.WAITING, "close() waiting");
    release.countDown();
    closer.join();
    assertEquals(List.of("call ended", "close returned"), order);
  }

  @Test
  void closingTheSourceEndsItsWatchesAndRefusesFurtherUse() throws Exception {
    raw.put(dir + "app.conf", "v = 1");
    EtcdConfigSource s = prefixSource(etcd.endpoint());
    Recorder rec = new Recorder();
    ConfigSource.Watch w = s.watch(rec);
    rec.await(d -> d.size() == 1, "the first list");
    s.close();
    int seen = rec.lists.size();

    raw.put(dir + "app.conf", "v = 2");
    Recorder probe = watch(prefixSource(etcd.endpoint()));
    probe.await(d -> d.equals(List.of(ConfigDocument.of(dir + "app.conf", "v = 2"))),
        "the change, on another source");
    assertEquals(seen, rec.lists.size(), "calls after close: " + rec.lists);
    assertThrows(IllegalStateException.class, s::load);
    assertThrows(IllegalStateException.class, () -> s.watch(new Recorder()));
    w.close(); // still harmless
    s.close();
  }

  // ------------------------------------------------------------------ support

  private Recorder watch(ConfigSource s) {
    Recorder rec = new Recorder();
    cleanup.add(s.watch(rec));
    return rec;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void await(BooleanSupplier cond, String what) throws InterruptedException {
    await(cond, () -> what);
  }

  private static void await(BooleanSupplier cond, Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within " + EVENTUALLY + ": " + what.get());
      }
      Thread.sleep(20);
    }
  }

  /** Collects a watch's lists and failures. */
  static final class Recorder implements ConfigSource.Listener {
    final List<List<ConfigDocument>> lists = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();

    @Override
    public void documents(List<ConfigDocument> documents) {
      lists.add(List.copyOf(documents));
    }

    @Override
    public void failed(Throwable error) {
      failures.add(error);
    }

    /** Waits until the latest list matches. */
    void await(Predicate<List<ConfigDocument>> ok, String what) throws InterruptedException {
      EtcdConfigSourceTest.await(() -> !lists.isEmpty() && ok.test(lists.get(lists.size() - 1)),
          () -> what + "; lists received: " + lists);
    }
  }
}
