package io.phalanx.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class LiveConfigTest {

  private static Configs.Builder builder(ConfigSource... sources) {
    Configs.Builder b = TestResources.builder("layers");
    for (ConfigSource s : sources) {
      b.source(s);
    }
    return b;
  }

  @Test
  void remoteDocumentsSitAboveTheFilesAndBelowTheOverrides() {
    InMemoryConfigSource remote = new InMemoryConfigSource("a")
        .put("/cfg/app.conf", "server { host = remote-host, http.port = 7 }\nremote.only = yes");
    Properties sys = new Properties();
    sys.setProperty("server.http.port", "9");

    AppConfig c = builder(remote).systemProperties(sys).load();

    assertEquals("remote-host", c.getString("server.host"), "remote beats application.conf");
    assertEquals(9, c.getInt("server.http.port"), "a system property beats the remote value");
    assertEquals("ref", c.getString("server.name"), "objects merge key by key across layers");
    assertEquals("yes", c.getString("remote.only"));
  }

  @Test
  void laterDocumentsAndLaterSourcesWin() {
    InMemoryConfigSource first = new InMemoryConfigSource("first")
        .put("/cfg/a.conf", "k = a\nonly.a = 1")
        .put("/cfg/b.json", "{\"k\": \"b\"}");
    InMemoryConfigSource second = new InMemoryConfigSource("second")
        .put("/other/c.properties", "k=c");

    assertEquals("b", builder(first).load().getString("k"), "b.json sorts after a.conf");
    AppConfig both = builder(first, second).load();
    assertEquals("c", both.getString("k"), "the later source wins");
    assertEquals(1, both.getInt("only.a"));
  }

  @Test
  void remoteValuesTakePartInSubstitutions() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r")
        .put("/cfg/db.conf", "db { host = remote-db, url = \"jdbc:x://\"${db.host}\"/app\" }");
    assertEquals("jdbc:x://remote-db/app", builder(remote).load().getString("db.url"));
  }

  @Test
  void aBrokenDocumentFailsTheLoadNamingSourceKeyAndLine() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r")
        .put("/cfg/app.conf", "ok = 1\nbroken = {");
    ConfigException e = assertThrows(ConfigException.class, () -> builder(remote).load());
    assertTrue(e.getMessage().contains("memory r key /cfg/app.conf"), e.getMessage());
    assertTrue(e.getMessage().contains("/cfg/app.conf: 2"), "names the line: " + e.getMessage());
  }

  @Test
  void anUnknownFormatFailsNamingTheKey() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/app.yaml", "a: 1");
    ConfigException e = assertThrows(ConfigException.class, () -> builder(remote).load());
    assertTrue(e.getMessage().contains("/cfg/app.yaml") && e.getMessage().contains("'yaml'"),
        e.getMessage());
  }

  /** A stand-in for a YAML parser: "a.b: v" lines, one level of nesting per dot. */
  private static Map<String, Object> flatYaml(String text) {
    Map<String, Object> root = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("line '" + line + "': expected 'key: value'");
      }
      String[] path = line.substring(0, colon).trim().split("\\.");
      Map<String, Object> at = root;
      for (int i = 0; i < path.length - 1; i++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> next = (Map<String, Object>) at.computeIfAbsent(path[i],
            k -> new LinkedHashMap<String, Object>());
        at = next;
      }
      at.put(path[path.length - 1], line.substring(colon + 1).trim());
    }
    return root;
  }

  @Test
  void aRegisteredFormatReadsYamlAndYmlDocuments() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r")
        .put("/cfg/a.yaml", "server.host: yaml-host\nfeature.on: true")
        .put("/cfg/b.yml", "feature.limit: 7");
    AppConfig c = builder(remote).format("yaml", LiveConfigTest::flatYaml).load();
    assertEquals("yaml-host", c.getString("server.host"));
    assertTrue(c.getBoolean("feature.on"), "strings convert as in any other layer");
    assertEquals(7, c.getInt("feature.limit"));
    assertEquals("ref", c.getString("server.name"), "merged with the files below");
  }

  /** yml is yaml in a document's key, so it is yaml when a parser is registered too. */
  @Test
  void aFormatRegisteredAsYmlReadsYamlAndYmlDocuments() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r")
        .put("/cfg/a.yaml", "server.host: yaml-host")
        .put("/cfg/b.yml", "feature.limit: 7");
    AppConfig c = builder(remote).format("YML", LiveConfigTest::flatYaml).load();
    assertEquals("yaml-host", c.getString("server.host"));
    assertEquals(7, c.getInt("feature.limit"));
  }

  @Test
  void aFormatsParseErrorNamesSourceKeyAndFormat() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/a.yaml", "no colon");
    ConfigException e = assertThrows(ConfigException.class,
        () -> builder(remote).format("yaml", LiveConfigTest::flatYaml).load());
    assertTrue(e.getMessage().contains("memory r key /cfg/a.yaml (yaml)")
        && e.getMessage().contains("expected 'key: value'"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Configs.builder().format("json", LiveConfigTest::flatYaml));
  }

  @Test
  void anUnreachableSourceFailsTheLoad() {
    InMemoryConfigSource remote = new InMemoryConfigSource("down");
    remote.unreachable();
    ConfigException e = assertThrows(ConfigException.class, () -> builder(remote).load());
    assertTrue(e.getMessage().contains("memory down"), e.getMessage());
  }

  @Test
  void aMissingKeyNamesTheRemoteLayerAmongThePlacesSearched() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/a.conf", "x = 1");
    ConfigException e = assertThrows(ConfigException.class,
        () -> builder(remote).load().getString("not.there"));
    assertTrue(e.getMessage().contains("memory r (1 document)"), e.getMessage());
  }

  @Test
  void aChangeReplacesCurrentAndCallsTheObserversOfChangedKeysOnly() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r")
        .put("/cfg/app.conf", "feature { on = false, limit = 5 }\nother = 1");
    try (LiveConfig live = builder(remote).watch()) {
      List<AppConfig> feature = new ArrayList<>();
      List<AppConfig> leaf = new ArrayList<>();
      List<AppConfig> other = new ArrayList<>();
      List<AppConfig> any = new ArrayList<>();
      live.observe("feature", feature::add);
      live.observe("feature.limit", leaf::add);
      live.observe("other", other::add);
      live.observe("", any::add);

      remote.put("/cfg/app.conf", "feature { on = true, limit = 5 }\nother = 1");

      assertTrue(live.current().getBoolean("feature.on"));
      assertEquals(1, feature.size());
      assertTrue(feature.get(0).getBoolean("feature.on"));
      assertEquals(List.of(), leaf, "feature.limit did not change");
      assertEquals(List.of(), other);
      assertEquals(1, any.size());
    }
  }

  @Test
  void anAddedOrRemovedKeyIsAChange() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/a.conf", "x = 1");
    try (LiveConfig live = builder(remote).watch()) {
      List<AppConfig> seen = new ArrayList<>();
      live.observe("flag", seen::add);
      remote.put("/cfg/b.conf", "flag = on");
      assertEquals(1, seen.size());
      assertEquals("on", live.current().getString("flag"));
      remote.delete("/cfg/b.conf");
      assertEquals(2, seen.size());
      assertFalse(live.current().has("flag"), "a deleted key falls back to the lower layers");
    }
  }

  @Test
  void anInvalidChangeIsIgnoredAndTheNextValidOneApplies() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/a.conf", "x = 1");
    try (LiveConfig live = builder(remote).watch()) {
      List<AppConfig> seen = new ArrayList<>();
      live.observe("x", seen::add);

      remote.put("/cfg/a.conf", "x = {");
      assertEquals(1, live.current().getInt("x"), "a document that does not parse is ignored");
      remote.put("/cfg/a.conf", "x = ${nowhere}");
      assertEquals(1, live.current().getInt("x"), "an unresolvable substitution is ignored");
      assertEquals(List.of(), seen);

      remote.put("/cfg/a.conf", "x = 2");
      assertEquals(2, live.current().getInt("x"));
      assertEquals(1, seen.size());
    }
  }

  @Test
  void anOverriddenKeyDoesNotChangeWhenTheRemoteValueDoes() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/a.conf", "port = 1");
    Configs.Builder b = builder(remote).environment(Map.of("PHALANX_PORT", "42"));
    try (LiveConfig live = b.watch()) {
      List<AppConfig> seen = new ArrayList<>();
      live.observe("port", seen::add);
      remote.put("/cfg/a.conf", "port = 2");
      assertEquals(42, live.current().getInt("port"));
      assertEquals(List.of(), seen, "the environment still wins, so port did not change");
    }
  }

  @Test
  void aFailingObserverDoesNotStopTheOthersAndClosingAnObservationStopsIt() throws Exception {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/a.conf", "x = 1");
    try (LiveConfig live = builder(remote).watch()) {
      List<AppConfig> seen = new ArrayList<>();
      live.observe("x", c -> {
        throw new IllegalStateException("observer bug");
      });
      AutoCloseable observation = live.observe("x", seen::add);
      remote.put("/cfg/a.conf", "x = 2");
      assertEquals(1, seen.size());
      observation.close();
      remote.put("/cfg/a.conf", "x = 3");
      assertEquals(1, seen.size());
      assertEquals(3, live.current().getInt("x"));
    }
  }

  @Test
  void closeStopsFollowingClosesTheSourcesAndKeepsTheLastConfiguration() {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/a.conf", "x = 1");
    LiveConfig live = builder(remote).watch();
    assertEquals(1, remote.watchers());
    assertFalse(remote.closed());
    live.close();
    live.close();
    assertEquals(0, remote.watchers());
    assertTrue(remote.closed());
    remote.put("/cfg/a.conf", "x = 2");
    assertEquals(1, live.current().getInt("x"));
  }

  /** A source whose watch fails to close (its connection already broken, say). */
  private static final class WatchCloseFails implements ConfigSource {
    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public String description() {
      return "watch close fails";
    }

    @Override
    public List<ConfigDocument> load() {
      return List.of(ConfigDocument.of("/w.conf", "w = 1"));
    }

    @Override
    public Watch watch(Listener listener) {
      return () -> {
        throw new IllegalStateException("channel already shut down");
      };
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  /** A watch that fails to close is logged; the other watches and every source still close. */
  @Test
  void closeClosesEveryWatchAndSourceWhenOneWatchFailsToClose() {
    InMemoryConfigSource before = new InMemoryConfigSource("before").put("/a.conf", "a = 1");
    WatchCloseFails failing = new WatchCloseFails();
    InMemoryConfigSource after = new InMemoryConfigSource("after").put("/b.conf", "b = 2");
    LiveConfig live = builder(before, failing, after).watch();
    live.close();
    assertEquals(0, before.watchers());
    assertEquals(0, after.watchers(), "the watch after the failing one is still running");
    assertTrue(before.closed());
    assertTrue(failing.closed.get(), "the source whose watch failed to close was left open");
    assertTrue(after.closed());
    after.put("/b.conf", "b = 3");
    assertEquals(2, live.current().getInt("b"));
  }

  /** Nobody gets a LiveConfig to close when one source cannot be watched, so start closes. */
  @Test
  void aSourceThatCannotBeWatchedClosesTheWatchesAlreadyStarted() {
    InMemoryConfigSource first = new InMemoryConfigSource("first").put("/a.conf", "k = 1");
    InMemoryConfigSource second = new InMemoryConfigSource("second");
    ConfigSource closeFails = new ConfigSource() {
      @Override
      public String description() {
        return "close fails";
      }

      @Override
      public List<ConfigDocument> load() {
        return List.of();
      }

      @Override
      public Watch watch(Listener listener) {
        return () -> {
          throw new IllegalStateException("close fails: connection reset");
        };
      }
    };
    ConfigSource broken = new ConfigSource() {
      @Override
      public String description() {
        return "broken";
      }

      @Override
      public List<ConfigDocument> load() {
        return List.of();
      }

      @Override
      public Watch watch(Listener listener) {
        throw new ConfigException("broken cannot be watched: connection refused");
      }
    };
    ConfigException e = assertThrows(ConfigException.class,
        () -> builder(first, closeFails, second, broken).watch());
    assertEquals("broken cannot be watched: connection refused", e.getMessage());
    assertEquals(0, first.watchers(), "closing stopped at the watch whose close failed");
    assertEquals(0, second.watchers(), "the last watch started is still running");
    assertEquals(1, e.getSuppressed().length);
    assertEquals("close fails: connection reset", e.getSuppressed()[0].getMessage());
  }

  @Test
  void anInvalidObservedPathIsRejected() {
    try (LiveConfig live = builder().watch()) {
      assertThrows(ConfigException.class, () -> live.observe("a..b", c -> { }));
    }
  }

  @Test
  void theFormatComesFromTheKeysExtension() {
    assertEquals("json", ConfigDocument.of("/a/b.JSON", "{}").format());
    assertEquals("conf", ConfigDocument.of("/a/b", "").format());
    assertEquals("conf", ConfigDocument.of("/a.d/b", "").format(), "a dot in a folder is no extension");
    assertEquals("conf", ConfigDocument.of("/a/.hidden", "").format());
    assertEquals("yaml", ConfigDocument.of("cfg/app.yaml", "").format());
    assertEquals("yaml", ConfigDocument.of("cfg/app.yml", "").format());
  }
  /** A source whose watch's close waits for a delivery in progress, as the contract says. */
  private static final class DeliveringSource implements ConfigSource {
    private final String name;
    private final ReentrantLock delivering = new ReentrantLock();
    private volatile Listener listener;

    DeliveringSource(String name) {
      this.name = name;
    }

    /** Delivers one document from a thread of the source's own. */
    Thread deliver(String key, String content) {
      Thread t = new Thread(() -> {
        delivering.lock();
        try {
          Listener l = listener;
          if (l != null) {
            l.documents(List.of(ConfigDocument.of(key, content)));
          }
        } finally {
          delivering.unlock();
        }
      }, name + "-delivery");
      t.setDaemon(true);
      t.start();
      return t;
    }

    @Override
    public String description() {
      return "delivering " + name;
    }

    @Override
    public List<ConfigDocument> load() {
      return List.of();
    }

    @Override
    public Watch watch(Listener l) {
      listener = l;
      l.documents(List.of());
      return () -> {
        if (!delivering.isHeldByCurrentThread()) {
          delivering.lock(); // waits for a delivery in progress
          delivering.unlock();
        }
        listener = null;
      };
    }
  }

  /**
   * Reading current() and then calling observe() misses a change that lands in between; starting
   * from the value in force does not: a change arriving while the observer is first called waits,
   * and then reaches it.
   */
  @Test
  void observingFromTheCurrentValueMissesNoChangeThatLandsMeanwhile() throws Exception {
    DeliveringSource a = new DeliveringSource("a");
    LiveConfig live = builder(a).watch();
    List<String> seen = new CopyOnWriteArrayList<>();
    AtomicReference<Thread> delivery = new AtomicReference<>();
    live.observeFromCurrent("x", c -> {
      if (delivery.get() == null) {
        Thread t = a.deliver("/a.conf", "x = 2");
        delivery.set(t);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // the change either waits for this first call (BLOCKED) or, if it was not held back,
        // has been applied before the observer was registered (ended)
        while (t.getState() != Thread.State.BLOCKED && t.isAlive()
            && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
      }
      seen.add(c.findInt("x").map(String::valueOf).orElse("unset"));
    });
    delivery.get().join(TimeUnit.SECONDS.toMillis(20)); // liveness, not a latency bound
    assertFalse(delivery.get().isAlive());
    assertEquals(List.of("unset", "2"), seen, "the change that landed while observing began");
    assertEquals(2, live.current().getInt("x"));
    live.close();
  }

  @Test
  void observingFromTheCurrentValueCallsOnceNowThenOnChanges() throws Exception {
    InMemoryConfigSource remote = new InMemoryConfigSource("r").put("/cfg/a.conf", "x = 1");
    try (LiveConfig live = builder(remote).watch()) {
      List<Integer> seen = new ArrayList<>();
      AutoCloseable observation = live.observeFromCurrent("x", c -> seen.add(c.getInt("x")));
      assertEquals(List.of(1), seen, "called at once with the value in force");
      remote.put("/cfg/a.conf", "x = 1\ny = 5");
      remote.put("/cfg/a.conf", "x = 3");
      assertEquals(List.of(1, 3), seen);
      observation.close();
      remote.put("/cfg/a.conf", "x = 4");
      assertEquals(List.of(1, 3), seen);

      AtomicInteger calls = new AtomicInteger();
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> live.observeFromCurrent("x", c -> {
            calls.incrementAndGet();
            throw new IllegalStateException("cannot apply x");
          }));
      assertEquals("cannot apply x", e.getMessage());
      remote.put("/cfg/a.conf", "x = 5");
      assertEquals(1, calls.get(), "an observer whose first call failed is not registered");
      assertThrows(ConfigException.class, () -> live.observeFromCurrent("a..b", c -> { }));
    }
  }

  @Test
  void anObserverMayCloseWhileAnotherSourceIsDelivering() throws Exception {
    DeliveringSource a = new DeliveringSource("a");
    DeliveringSource b = new DeliveringSource("b");
    LiveConfig live = builder(a, b).watch();
    AtomicReference<Thread> fromB = new AtomicReference<>();
    List<String> observed = new CopyOnWriteArrayList<>();
    live.observe("from-a", c -> {
      // b delivers now and waits for the lock this delivery holds; then we close
      Thread t = b.deliver("/b.conf", "from-b = 1");
      fromB.set(t);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (t.getState() != Thread.State.BLOCKED && t.isAlive()
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      live.close();
      observed.add("closed");
    });
    live.observe("from-a", c -> observed.add("a second observer after the close"));
    Thread fromA = a.deliver("/a.conf", "from-a = 1");
    fromA.join(TimeUnit.SECONDS.toMillis(20)); // liveness, not a latency bound
    assertFalse(fromA.isAlive(), "closing from an observer deadlocked");
    fromB.get().join(TimeUnit.SECONDS.toMillis(20));
    assertFalse(fromB.get().isAlive());
    assertEquals(List.of("closed"), observed, "no observer runs after close()");
    assertFalse(live.current().has("from-b"), "nothing applied after close()");
  }
}
