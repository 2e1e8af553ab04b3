package io.phalanx.test.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.core.config.Configs;
import io.phalanx.core.config.LiveConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link ConfigSource} that every adapter must pass. An adapter's test extends
 * this class, says how to write and delete a key in its store and how to make a source over a
 * prefix:
 *
 * <pre>{@code
 * class EtcdConfigSourceContractTest extends ConfigSourceContractTest {
 *   @Override protected ConfigSource source(String prefix) { return EtcdConfigSource.builder(...).prefix(prefix).build(); }
 *   @Override protected void put(String key, String value) { ... }
 *   @Override protected void delete(String key) { ... }
 *   @Override protected ConfigSource unreachableSource() { ... }
 * }
 * }</pre>
 *
 * <p>What it checks: {@link ConfigSource#load()} returns every document under the prefix, sorted
 * by key, with its text intact and its format from the key's extension, and nothing from a
 * neighbouring prefix; an empty prefix loads as an empty list; a watch first delivers the current
 * documents, then complete lists after a put, an update and a delete, never a delta, one call at a
 * time; a closed watch gets no more calls; an unreachable store fails {@code load()} with a
 * {@link ConfigException} that names the source; and end to end, a {@link LiveConfig} over the
 * source sees a changed value and calls the observer of that key only.
 *
 * <p>Stores are eventually consistent: expectations are polled for up to {@link #eventually()}.
 * Each test works under a prefix of its own (random suffix), so a shared store does not interfere.
 */
@Timeout(120)
public abstract class ConfigSourceContractTest {

  private final List<AutoCloseable> opened = Collections.synchronizedList(new ArrayList<>());
  private String prefix;

  /**
   * A source over every key that starts with {@code prefix} (which ends with {@code /}). Called
   * once or twice per test; the suite closes every source it got after the test.
   */
  protected abstract ConfigSource source(String prefix) throws Exception;

  /** Writes {@code value} at {@code key} in the store, creating or replacing it. */
  protected abstract void put(String key, String value) throws Exception;

  /** Removes {@code key} from the store. */
  protected abstract void delete(String key) throws Exception;

  /** A source pointed at an address where nothing listens, with a short timeout. */
  protected abstract ConfigSource unreachableSource() throws Exception;

  /** How long a write may take to become visible. */
  protected Duration eventually() {
    return Duration.ofSeconds(15);
  }

  @BeforeEach
  void newPrefix() {
    prefix = "phalanx-contract/" + UUID.randomUUID().toString().substring(0, 8) + "/";
  }

  @AfterEach
  void closeOpened() throws Exception {
    // the latest first: watches and live configs before the sources they came from
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
    opened.clear();
  }

  /** {@link #source} for this test, closed after it (watches first: they were opened later). */
  private ConfigSource open(String prefix) throws Exception {
    ConfigSource s = source(prefix);
    opened.add(s);
    return s;
  }

  /** The prefix of the running test; keys of its documents start with it. */
  protected final String prefix() {
    return prefix;
  }

  @Test
  void loadReturnsEveryDocumentUnderThePrefixSortedWithItsFormat() throws Exception {
    put(prefix + "b.json", "{\"b\":{\"n\":2}}");
    put(prefix + "a.conf", "a { n = 1, s = \"ü ✓\" }");
    put(prefix + "c", "c.n = 3");
    put(prefix + "d.properties", "d.n=4");
    put(prefix.substring(0, prefix.length() - 1) + "-neighbour/x.conf", "x = 1");
    ConfigSource source = open(prefix);

    List<ConfigDocument> docs = awaitLoad(source, d -> d.size() == 4);

    assertEquals(List.of(prefix + "a.conf", prefix + "b.json", prefix + "c",
        prefix + "d.properties"), docs.stream().map(ConfigDocument::key).toList());
    assertEquals(List.of("conf", "json", "conf", "properties"),
        docs.stream().map(ConfigDocument::format).toList());
    assertEquals("a { n = 1, s = \"ü ✓\" }", docs.get(0).content());
    assertEquals("{\"b\":{\"n\":2}}", docs.get(1).content());
    assertTrue(source.description() != null && !source.description().isBlank(),
        "description names the source");
  }

  @Test
  void emptyPrefixLoadsAsAnEmptyList() throws Exception {
    assertEquals(List.of(), open(prefix).load());
  }

  @Test
  void watchDeliversTheCurrentDocumentsThenCompleteListsAfterEachChange() throws Exception {
    put(prefix + "app.conf", "v = 1");
    ConfigSource source = open(prefix);
    Recorder rec = new Recorder();
    ConfigSource.Watch watch = source.watch(rec);
    opened.add(watch);

    rec.await(d -> d.equals(List.of(ConfigDocument.of(prefix + "app.conf", "v = 1"))),
        "the documents as they were when the watch started");

    put(prefix + "extra.json", "{\"w\":2}");
    rec.await(d -> d.equals(List.of(ConfigDocument.of(prefix + "app.conf", "v = 1"),
        ConfigDocument.of(prefix + "extra.json", "{\"w\":2}"))), "a complete list after a put");

    put(prefix + "app.conf", "v = 3");
    rec.await(d -> d.equals(List.of(ConfigDocument.of(prefix + "app.conf", "v = 3"),
        ConfigDocument.of(prefix + "extra.json", "{\"w\":2}"))), "a complete list after an update");

    delete(prefix + "extra.json");
    rec.await(d -> d.equals(List.of(ConfigDocument.of(prefix + "app.conf", "v = 3"))),
        "a complete list after a delete");
    assertEquals(0, rec.overlaps.get(), "calls must not overlap");
  }

  @Test
  void watchOfAnEmptyPrefixStartsWithAnEmptyList() throws Exception {
    Recorder rec = new Recorder();
    opened.add(open(prefix).watch(rec));
    rec.await(List::isEmpty, "an empty first list");
    put(prefix + "late.conf", "late = true");
    rec.await(d -> d.size() == 1 && d.get(0).key().equals(prefix + "late.conf"),
        "the first document");
  }

  @Test
  void closedWatchGetsNoMoreCalls() throws Exception {
    put(prefix + "app.conf", "v = 1");
    Recorder rec = new Recorder();
    ConfigSource.Watch watch = open(prefix).watch(rec);
    rec.await(d -> d.size() == 1, "the first list");
    watch.close();
    watch.close();
    int seen = rec.lists.size();

    put(prefix + "app.conf", "v = 2");
    // a second, open watch proves the change has propagated before the closed one is checked
    Recorder probe = new Recorder();
    opened.add(open(prefix).watch(probe));
    probe.await(d -> d.equals(List.of(ConfigDocument.of(prefix + "app.conf", "v = 2"))),
        "the change, on another watch");
    Thread.sleep(300);
    assertEquals(seen, rec.lists.size(), "calls after close: " + rec.lists);
  }

  @Test
  void unreachableStoreFailsLoadNamingTheSource() throws Exception {
    ConfigSource source = unreachableSource();
    opened.add(source);
    ConfigException e = assertThrows(ConfigException.class, source::load);
    assertTrue(e.getMessage().contains(source.description()),
        "message names the source: " + e.getMessage());
  }

  @Test
  void liveConfigSeesAChangedValueAndCallsOnlyThatKeysObserver() throws Exception {
    put(prefix + "app.conf", "feature { greeting = hello, limit = 5 }\nother = 1");
    LiveConfig live = Configs.builder().source(open(prefix)).watch();
    opened.add(live);
    assertEquals("hello", live.current().getString("feature.greeting"));

    List<AppConfig> featureChanges = new CopyOnWriteArrayList<>();
    List<AppConfig> otherChanges = new CopyOnWriteArrayList<>();
    live.observe("feature", featureChanges::add);
    live.observe("other", otherChanges::add);

    put(prefix + "app.conf", "feature { greeting = bonjour, limit = 5 }\nother = 1");
    long deadline = System.nanoTime() + eventually().toNanos();
    while (featureChanges.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, featureChanges.size(), "one call for the changed subtree");
    assertEquals("bonjour", featureChanges.get(0).getString("feature.greeting"));
    assertEquals("bonjour", live.current().getString("feature.greeting"));
    assertEquals(List.of(), otherChanges, "an unchanged key's observer is not called");
  }

  private List<ConfigDocument> awaitLoad(ConfigSource source, Predicate<List<ConfigDocument>> ok)
      throws Exception {
    long deadline = System.nanoTime() + eventually().toNanos();
    List<ConfigDocument> last = source.load();
    while (!ok.test(last)) {
      if (System.nanoTime() > deadline) {
        fail("load() never matched; last: " + last);
      }
      Thread.sleep(50);
      last = source.load();
    }
    return last;
  }

  /** Records every list a watch delivers and whether two calls ever overlapped. */
  private final class Recorder implements ConfigSource.Listener {
    final List<List<ConfigDocument>> lists = new CopyOnWriteArrayList<>();
    final AtomicInteger overlaps = new AtomicInteger();
    private final AtomicInteger inside = new AtomicInteger();

    @Override
    public void documents(List<ConfigDocument> documents) {
      if (inside.incrementAndGet() > 1) {
        overlaps.incrementAndGet();
      }
      lists.add(List.copyOf(documents));
      inside.decrementAndGet();
    }

    @Override
    public void failed(Throwable error) {
      // reported while the source retries; the contract's stores stay up
    }

    void await(Predicate<List<ConfigDocument>> ok, String what) throws InterruptedException {
      long deadline = System.nanoTime() + eventually().toNanos();
      while (System.nanoTime() < deadline) {
        if (!lists.isEmpty() && ok.test(lists.get(lists.size() - 1))) {
          return;
        }
        Thread.sleep(20);
      }
      fail("expected " + what + "; lists received: " + lists);
    }
  }
}
