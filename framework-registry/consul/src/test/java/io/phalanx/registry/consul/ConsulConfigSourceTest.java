package io.phalanx.registry.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.ConfigSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the contract does not check: the Consul specifics of {@link ConsulConfigSource} (ACL
 * token, datacenter, 404, folder placeholders) and the blocking-query rules of its watch, on the
 * requests the fake agent received.
 */
class ConsulConfigSourceTest {
  private static final String TOKEN = "kv-reader-token";
  private static final String PREFIX = "config/greeter/";
  private static final String KV = "/v1/kv/" + PREFIX;

  private FakeConsul consul;
  private final List<ConsulConfigSource> sources = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    consul = FakeConsul.startWithAcl(TOKEN);
  }

  @AfterEach
  void stop() {
    sources.forEach(ConsulConfigSource::close);
    consul.close();
  }

  private ConsulConfigSource source(ConsulConfigSource.Builder b) {
    ConsulConfigSource s = b.address(consul.address()).prefix(PREFIX)
        .wait(Duration.ofMillis(800)).minQueryInterval(Duration.ofMillis(10)).build();
    sources.add(s);
    return s;
  }

  private ConsulConfigSource source() {
    return source(ConsulConfigSource.builder().token(TOKEN));
  }

  private List<FakeConsul.Request> polls() {
    return consul.requests("GET", KV);
  }

  private static ConfigDocument doc(String name, String text) {
    return ConfigDocument.of(PREFIX + name, text);
  }

  @Test
  void describesTheFolderAndTheAgent() {
    ConsulConfigSource s = ConsulConfigSource.builder().prefix("/config/greeter/").build();
    assertEquals("consul KV config/greeter/ at 127.0.0.1:8500", s.description(),
        "a leading slash is dropped, as Consul's clients do");
    assertEquals("consul KV config/greeter/ at https://consul.local:8501 dc dc2",
        ConsulConfigSource.builder().address("https://consul.local:8501").datacenter("dc2")
            .prefix(PREFIX).build().description());
    assertThrows(IllegalStateException.class, () -> ConsulConfigSource.builder().build());
    assertThrows(IllegalArgumentException.class,
        () -> ConsulConfigSource.builder().prefix("/"));
  }

  @Test
  void sendsTheTokenAndTheDatacenter() throws Exception {
    consul.putKv(PREFIX + "app.conf", "a = 1");
    ConsulConfigSource s = source(ConsulConfigSource.builder().token(TOKEN)
        .datacenter(FakeConsul.DC));
    assertEquals(List.of(doc("app.conf", "a = 1")), s.load());
    FakeConsul.Request r = polls().get(0);
    assertEquals(TOKEN, r.token());
    assertEquals(FakeConsul.DC, r.query().get("dc"));
    assertTrue(r.query().containsKey("recurse"), r.toString());
    assertTrue(!r.query().containsKey("token"), "the token goes in the header, not the URL");
  }

  @Test
  void refusalsAndForeignDatacentersFailLoadNamingTheSourceAndTheCause() {
    ConsulConfigSource noToken = source(ConsulConfigSource.builder());
    ConfigException e = assertThrows(ConfigException.class, noToken::load);
    assertTrue(e.getMessage().contains(noToken.description()), e.getMessage());
    assertTrue(e.getMessage().contains("403"), e.getMessage());

    ConsulConfigSource dc2 = source(ConsulConfigSource.builder().token(TOKEN).datacenter("dc2"));
    ConfigException e2 = assertThrows(ConfigException.class, dc2::load);
    assertTrue(e2.getMessage().contains(dc2.description()), e2.getMessage());
    assertTrue(e2.getMessage().contains("No path to datacenter"), e2.getMessage());
  }

  @Test
  void aFolderWithoutKeysIs404AndLoadsAsAnEmptyList() throws Exception {
    consul.putKv("config/other/x.conf", "x = 1"); // moves the KV table's index past 1
    ConsulConfigSource s = source();
    assertEquals(List.of(), s.load());

    Recorder rec = new Recorder();
    s.watch(rec);
    Await.until("an empty first list", () -> rec.lists.size() == 1);
    Await.until("a blocking poll", () -> polls().size() >= 3);
    // the 404 carried an index; blocking on it (rather than on 1, which returns at once) is
    // what keeps the watch of an empty folder from polling in a loop
    long tableIndex = Long.parseLong(polls().get(2).query().get("index"));
    assertTrue(tableIndex > 1, polls().get(2).toString());

    consul.putKv(PREFIX + "late.conf", "late = true");
    Await.until("the first document", () -> rec.lastIs(List.of(
        doc("late.conf", "late = true"))));
  }

  @Test
  void folderPlaceholdersAreSkippedAndEmptyValuesAreEmptyDocuments() throws Exception {
    consul.putKv(PREFIX, "");
    consul.putKv(PREFIX + "sub/", "");
    consul.putKv(PREFIX + "z.properties", "");
    consul.putKv(PREFIX + "sub/b.json", "{\"b\":1}");
    consul.putKv(PREFIX + "a.conf", "a = 1");
    assertEquals(List.of(doc("a.conf", "a = 1"), doc("sub/b.json", "{\"b\":1}"),
        doc("z.properties", "")), source().load());
  }

  @Test
  void theWatchBlocksWithTheLastIndexAndTheConfiguredWait() throws Exception {
    consul.putKv(PREFIX + "app.conf", "v = 1");
    Recorder rec = new Recorder();
    source().watch(rec);
    Await.until("a blocking poll", () -> polls().size() >= 2);
    List<FakeConsul.Request> p = polls();
    assertTrue(!p.get(0).query().containsKey("index"), "the first query must not block");
    assertEquals("800ms", p.get(1).query().get("wait"));
    long index = Long.parseLong(p.get(1).query().get("index"));
    assertTrue(index > 100, p.get(1).toString());
    assertEquals(TOKEN, p.get(1).token());

    // polls that time out with nothing changed are not passed on
    Await.until("two more polls", () -> polls().size() >= 4);
    assertEquals(List.of(List.of(doc("app.conf", "v = 1"))), rec.lists);
  }

  @Test
  void anIndexGoingBackwardsResetsTheWatch() throws Exception {
    consul.putKv(PREFIX + "app.conf", "v = 1");
    Recorder rec = new Recorder();
    source().watch(rec);
    Await.until("first list", () -> rec.lists.size() == 1);
    Await.until("a blocking poll is out", () -> polls().stream()
        .anyMatch(q -> q.query().containsKey("index")));
    int before = polls().size();
    consul.rewindIndex(5); // snapshot restore: the index the watch holds is in the future

    // the poll in flight times out and reports index 5; the rule resets to 0, then to 1
    Await.until("a poll with index 1 after the rewind", () -> {
      List<FakeConsul.Request> p = polls();
      return p.subList(before, p.size()).stream()
          .anyMatch(q -> "1".equals(q.query().get("index")));
    });

    consul.putKv(PREFIX + "app.conf", "v = 2"); // index 6: seen although below the old index
    Await.until("the change", () -> rec.lastIs(List.of(doc("app.conf", "v = 2"))));
  }

  @Test
  void indexZeroIsTreatedAsOne() throws Exception {
    consul.zeroIndexBug(true);
    Recorder rec = new Recorder();
    source().watch(rec);
    Await.until("several polls", () -> polls().size() >= 4);
    List<FakeConsul.Request> p = polls();
    for (FakeConsul.Request q : p.subList(1, p.size())) {
      assertEquals("1", q.query().get("index"), q.toString());
    }
    assertEquals(List.of(List.of()), rec.lists, "answers that changed nothing are not passed on");
  }

  @Test
  void aServerErrorIsReportedThenTheWatchRecoversAndDeliversAgain() throws Exception {
    consul.putKv(PREFIX + "app.conf", "v = 1");
    ConsulConfigSource s = source();
    Recorder rec = new Recorder();
    s.watch(rec);
    Await.until("first list", () -> rec.lists.size() == 1);

    consul.outage(true);
    Await.until("a failure reported", () -> !rec.failures.isEmpty());
    ConfigException failure = assertInstanceOf(ConfigException.class, rec.failures.get(0));
    assertTrue(failure.getMessage().contains(s.description()), failure.getMessage());
    assertTrue(failure.getMessage().contains("No cluster leader"), failure.getMessage());
    int listsBefore = rec.lists.size();

    consul.outage(false);
    // after a failure the next list is delivered even though it did not change: the listener
    // learns that the source is back
    Await.until("a list after the outage", () -> rec.lists.size() > listsBefore);
    assertTrue(rec.lastIs(List.of(doc("app.conf", "v = 1"))), rec.lists.toString());

    consul.putKv(PREFIX + "app.conf", "v = 2");
    Await.until("the change after recovery", () -> rec.lastIs(
        List.of(doc("app.conf", "v = 2"))));
    assertEquals(0, rec.overlaps.get(), "calls must not overlap");
  }

  @Test
  void aListenerThatThrowsKeepsReceiving() throws Exception {
    consul.putKv(PREFIX + "app.conf", "v = 1");
    Recorder rec = new Recorder();
    source().watch(new ConfigSource.Listener() {
      @Override
      public void documents(List<ConfigDocument> documents) {
        rec.documents(documents);
        throw new IllegalStateException("a bug in the listener");
      }

      @Override
      public void failed(Throwable error) {
        rec.failed(error);
      }
    });
    Await.until("first list", () -> rec.lists.size() == 1);
    consul.putKv(PREFIX + "app.conf", "v = 2");
    Await.until("the change", () -> rec.lastIs(List.of(doc("app.conf", "v = 2"))));
    assertEquals(List.of(), rec.failures, "a listener's bug is not a failure of the source");
  }

  @Test
  void closingTheSourceClosesItsWatches() throws Exception {
    consul.putKv(PREFIX + "app.conf", "v = 1");
    ConsulConfigSource s = source();
    Recorder rec = new Recorder();
    s.watch(rec);
    Await.until("first list", () -> rec.lists.size() == 1);
    s.close();
    s.close();
    assertThrows(IllegalStateException.class, () -> s.watch(new Recorder()));
    assertThrows(IllegalStateException.class, s::load);

    consul.putKv(PREFIX + "app.conf", "v = 2");
    // an open watch on another source proves the change has propagated
    Recorder probe = new Recorder();
    source().watch(probe);
    Await.until("the change, on another watch",
        () -> probe.lastIs(List.of(doc("app.conf", "v = 2"))));
    assertEquals(1, rec.lists.size(), "calls after close: " + rec.lists);
  }

  /** Records lists and failures, and whether two calls ever overlapped. */
  private static final class Recorder implements ConfigSource.Listener {
    final List<List<ConfigDocument>> lists = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    final AtomicInteger overlaps = new AtomicInteger();
    private final AtomicInteger inside = new AtomicInteger();

    @Override
    public void documents(List<ConfigDocument> documents) {
      enter();
      lists.add(List.copyOf(documents));
      inside.decrementAndGet();
    }

    @Override
    public void failed(Throwable error) {
      enter();
      failures.add(error);
      inside.decrementAndGet();
    }

    private void enter() {
      if (inside.incrementAndGet() > 1) {
        overlaps.incrementAndGet();
      }
    }

    /** Whether the latest list delivered is {@code expected}. */
    boolean lastIs(List<ConfigDocument> expected) {
      return !lists.isEmpty() && lists.get(lists.size() - 1).equals(expected);
    }
  }
}
