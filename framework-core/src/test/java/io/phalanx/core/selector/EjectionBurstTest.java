package io.phalanx.core.selector;

import static io.phalanx.core.selector.Nodes.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * NodeStats.end decides "eject" under the node's lock, Selector.ejectUnlessLast ejects later under
 * the selector's lock, and nothing re-checks ejected() in between: failures that end concurrently
 * (all in-flight calls of a crashed node fail at once) each eject the node, doubling the
 * ejection time per extra racer and inflating the ejection count.
 */
class EjectionBurstTest {

  @Test
  void concurrentFailuresEjectTheNodeOnce() throws Exception {
    Nodes.ManualTicker ticker = new Nodes.ManualTicker();
    AtomicBoolean block = new AtomicBoolean();
    CountDownLatch inFilter = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    NodeFilter blocking = nodes -> {
      if (block.get()) {
        inFilter.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return nodes;
    };
    Selector s = Selector.builder().balancer(Balancer.roundRobin()).ticker(ticker)
        .filter(blocking)
        .outlierEjection(new OutlierEjection(1, Duration.ofSeconds(10), Duration.ofMinutes(5)))
        .build();
    s.update(List.of(node("a"), node("b")));
    NodeStats a = s.stats().get(0);
    Selection s1 = s.select(null, n -> n.endpoint().getHost().equals("a"));
    Selection s2 = s.select(null, n -> n.endpoint().getHost().equals("a"));

    // an update in progress holds the selector's update lock (any discovery update does)
    block.set(true);
    Thread updater = new Thread(() -> s.update(List.of(node("a"), node("b"))));
    updater.start();
    inFilter.await();

    Thread t1 = new Thread(() -> s1.done(new IOException("reset")));
    t1.start();
    awaitBlocked(t1);
    Thread t2 = new Thread(() -> s2.done(new IOException("reset")));
    t2.start();
    awaitBlocked(t2);
    release.countDown();
    updater.join();
    t1.join();
    t2.join();

    assertEquals(1, a.ejections(), "one failure burst must eject once");
    ticker.advanceMillis(10_001);
    assertFalse(a.ejected(1_000_000_000L + 10_001_000_000L),
        "the first ejection lasts baseEjection (10 s)");
  }

  private static void awaitBlocked(Thread t) throws InterruptedException {
    while (t.getState() != Thread.State.BLOCKED) {
      if (!t.isAlive()) {
        throw new AssertionError("thread ended instead of blocking");
      }
      Thread.sleep(1);
    }
  }
}
