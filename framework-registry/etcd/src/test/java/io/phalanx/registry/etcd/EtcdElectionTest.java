package io.phalanx.registry.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.phalanx.registry.etcd.EtcdElection.Leader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link EtcdElection} against a real etcd. */
@Timeout(60)
class EtcdElectionTest extends ContenderTest {

  @Override
  String root() {
    return "/election";
  }

  @Test
  void theFirstCandidateLeadsAndTheNextOneAfterItResigns() throws Exception {
    EtcdSession s1 = session();
    EtcdElection e1 = s1.election(prefix);
    EtcdElection e2 = session().election(prefix);
    assertEquals(Optional.empty(), e1.leader());
    e1.campaign("one");
    assertTrue(e1.isLeader());
    String k1 = prefix + "/" + Long.toHexString(s1.leaseId());
    assertEquals(k1, e1.key());
    assertEquals("one", raw.get(k1).orElseThrow().getValue().toStringUtf8());
    assertEquals(s1.leaseId(), raw.get(k1).orElseThrow().getLease());
    assertEquals(Optional.of("one"), e2.leader().map(Leader::value));
    assertEquals(Optional.of(k1), e2.leader().map(Leader::key));
    assertThrows(IllegalStateException.class, () -> e1.campaign("again"));

    CountDownLatch elected = new CountDownLatch(1);
    start(() -> {
      e2.campaign("two");
      elected.countDown();
    });
    await(() -> keys().size() == 2);
    assertEquals(1, elected.getCount(), "the second candidate waits");
    assertFalse(e2.isLeader());
    e1.resign();
    assertFalse(e1.isLeader());
    assertTrue(elected.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    assertTrue(e2.isLeader());
    assertEquals(Optional.of("two"), e1.leader().map(Leader::value));
    assertEquals(List.of(e2.key()), keys());
    e1.resign(); // not leading: a no-op
    assertEquals(List.of(e2.key()), keys());
  }

  @Test
  void theNextCandidateLeadsWhenTheLeadersSessionCloses() throws Exception {
    EtcdSession s1 = session();
    EtcdElection e1 = s1.election(prefix);
    EtcdElection e2 = session().election(prefix);
    e1.campaign("one");
    CountDownLatch elected = new CountDownLatch(1);
    start(() -> {
      e2.campaign("two");
      elected.countDown();
    });
    await(() -> keys().size() == 2);
    s1.close();
    assertTrue(elected.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    assertFalse(e1.isLeader());
    assertTrue(e2.isLeader());
    assertThrows(IllegalStateException.class, () -> e1.proclaim("zombie"));
  }

  @Test
  void proclaimChangesTheValueOnlyForTheLeader() throws Exception {
    EtcdElection e1 = session().election(prefix);
    EtcdSession s2 = session();
    EtcdElection e2 = s2.election(prefix);
    assertThrows(IllegalStateException.class, () -> e2.proclaim("never campaigned"));

    Recorder rec = new Recorder();
    cleanup.add(e2.observe(rec));
    rec.await(Optional::isEmpty);
    e1.campaign("v1");
    rec.await(l -> l.map(Leader::value).equals(Optional.of("v1")));
    e1.proclaim("v2");
    rec.await(l -> l.map(Leader::value).equals(Optional.of("v2")));
    assertEquals("v2", raw.get(e1.key()).orElseThrow().getValue().toStringUtf8());

    // a waiting candidate is not the leader either
    Attempt campaign = attempt(() -> e2.campaign("b"));
    await(() -> keys().size() == 2);
    assertThrows(IllegalStateException.class, () -> e2.proclaim("usurper"));
    assertEquals("v2", raw.get(e1.key()).orElseThrow().getValue().toStringUtf8());

    // interrupting the campaign withdraws the candidacy
    campaign.thread().interrupt();
    assertInstanceOf(InterruptedException.class,
        campaign.outcome().get(20, TimeUnit.SECONDS));
    assertEquals(List.of(e1.key()), keys());

    // a leader whose key was deleted behind its back is told so
    raw.delete(e1.key());
    assertThrows(IllegalStateException.class, () -> e1.proclaim("v3"));
    assertFalse(e1.isLeader());
    assertTrue(raw.get(e1.key()).isEmpty(), "proclaim must not recreate the key");
  }

  @Test
  void observeSeesTheSequenceOfLeadersOnOneThread() throws Exception {
    EtcdSession s1 = session();
    EtcdSession s2 = session();
    EtcdElection e1 = s1.election(prefix);
    EtcdElection e2 = s2.election(prefix);
    Recorder rec = new Recorder();
    cleanup.add(session().election(prefix).observe(rec));
    rec.await(Optional::isEmpty);

    e1.campaign("a");
    rec.await(l -> l.map(Leader::value).equals(Optional.of("a")));
    CountDownLatch elected = new CountDownLatch(1);
    start(() -> {
      e2.campaign("b");
      elected.countDown();
    });
    await(() -> keys().size() == 2);
    e1.resign();
    assertTrue(elected.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    rec.await(l -> l.map(Leader::value).equals(Optional.of("b")));
    CountDownLatch again = new CountDownLatch(1);
    start(() -> {
      e1.campaign("a again"); // a new term of the same session: a later create revision
      again.countDown();
    });
    await(() -> keys().size() == 2);
    s2.close();
    assertTrue(again.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    rec.await(l -> l.map(Leader::value).equals(Optional.of("a again")));
    e1.resign();
    rec.await(Optional::isEmpty);

    List<Optional<String>> values = rec.values();
    assertEquals(List.of(Optional.empty(), Optional.of("a"), Optional.of("b"),
        Optional.of("a again"), Optional.empty()), values);
    assertEquals(1, rec.threads().size(), "one thread: " + rec.threads());
  }

  @Test
  void aGoCandidateAheadOfUsLeadsUntilItsKeyGoes() throws Exception {
    long goLease = raw.grant(30);
    String goKey = prefix + "/" + Long.toHexString(goLease);
    raw.put(goKey, "go-leader", goLease); // what Go's Election.Campaign writes
    EtcdElection e = session().election(prefix);
    assertEquals(Optional.of(goKey), e.leader().map(Leader::key));
    assertFalse(e.campaign("java", Duration.ofMillis(200)));
    assertEquals(List.of(goKey), keys(), "candidacy withdrawn after the timeout");
    CountDownLatch elected = new CountDownLatch(1);
    start(() -> {
      e.campaign("java");
      elected.countDown();
    });
    await(() -> keys().size() == 2);
    raw.revoke(goLease); // the Go process died and its lease ran out
    assertTrue(elected.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    assertEquals(Optional.of("java"), e.leader().map(Leader::value));
  }

  @Test
  void closingAnObservationStopsItsCalls() throws Exception {
    EtcdSession s = session();
    EtcdElection e = s.election(prefix);
    Recorder rec = new Recorder();
    AutoCloseable o = e.observe(rec);
    rec.await(Optional::isEmpty);
    o.close();
    int seen = rec.values().size();
    e.campaign("x");
    // another observer sees the change; the closed one must not
    Recorder other = new Recorder();
    cleanup.add(e.observe(other));
    other.await(l -> l.isPresent());
    assertEquals(seen, rec.values().size());
    // one key per session and prefix: a lock there would be the same key
    assertThrows(IllegalArgumentException.class, () -> s.lock(prefix));
  }

  // ------------------------------------------------------------------ support

  /** Collects observer calls and the threads they came from. */
  static final class Recorder implements Consumer<Optional<Leader>> {
    private final List<Optional<Leader>> calls = new ArrayList<>();
    private final Set<String> threads = new HashSet<>();

    @Override
    public synchronized void accept(Optional<Leader> l) {
      calls.add(l);
      threads.add(Thread.currentThread().getName());
      notifyAll();
    }

    synchronized List<Optional<String>> values() {
      return calls.stream().map(o -> o.map(Leader::value)).toList();
    }

    synchronized Set<String> threads() {
      return Set.copyOf(threads);
    }

    /** Waits until the latest call matches. */
    synchronized void await(Predicate<Optional<Leader>> cond) throws InterruptedException {
      long deadline = System.nanoTime() + EVENTUALLY.toNanos();
      while (calls.isEmpty() || !cond.test(calls.get(calls.size() - 1))) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("observer never matched; received " + calls);
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }
  }
}
