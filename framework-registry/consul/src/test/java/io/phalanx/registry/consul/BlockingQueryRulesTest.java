package io.phalanx.registry.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client rules Consul documents for blocking queries ("Implementation details" of the
 * blocking-queries page), checked on the requests the fake agent received.
 */
@SuppressWarnings("try") // watch handles are held open by try-with-resources on purpose
class BlockingQueryRulesTest {
  private static final String HEALTH = "/v1/health/service/greeter";

  private FakeConsul consul;
  private ConsulRegistry registry;

  @BeforeEach
  void start() throws Exception {
    consul = FakeConsul.start();
  }

  @AfterEach
  void stop() {
    if (registry != null) {
      registry.close();
    }
    consul.close();
  }

  private ConsulRegistry registry(Duration wait, Duration minInterval) {
    registry = ConsulRegistry.builder().address(consul.address()).ttl(Duration.ofSeconds(5))
        .wait(wait).minQueryInterval(minInterval).build();
    return registry;
  }

  private static ServiceInstance greeter(String id) {
    return new ServiceInstance(id, "greeter", "v1", Map.of(),
        List.of(URI.create("grpc://127.0.0.1:9000")));
  }

  private List<FakeConsul.Request> polls() {
    return consul.requests("GET", HEALTH);
  }

  @Test
  void waitsWithTheLastIndexAndTheConfiguredWait() throws Exception {
    ConsulRegistry r = registry(Duration.ofMillis(1500), Duration.ofMillis(10));
    r.register(greeter("g-1"));
    try (AutoCloseable w = r.watch("greeter", l -> { })) {
      Await.until("a blocking poll", () -> polls().size() >= 2);
      List<FakeConsul.Request> p = polls();
      assertFalse(p.get(0).query().containsKey("index"), "the first query must not block");
      assertEquals("1500ms", p.get(1).query().get("wait"));
      assertTrue(Long.parseLong(p.get(1).query().get("index")) > 100, p.get(1).toString());
      assertTrue(p.get(1).query().containsKey("passing"));
    }
  }

  @Test
  void anUnchangedAnswerIsNotPassedOn() throws Exception {
    ConsulRegistry r = registry(Duration.ofMillis(200), Duration.ofMillis(10));
    r.register(greeter("g-1"));
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable w = r.watch("greeter", seen::add)) {
      Await.until("first list", () -> seen.size() == 1);
      int before = polls().size();
      // each poll times out after 200 ms with the same index and the same list
      Await.until("three more polls", () -> polls().size() >= before + 3);
      assertEquals(1, seen.size(), seen.toString());
    }
  }

  @Test
  void anIndexGoingBackwardsResetsTheLoop() throws Exception {
    ConsulRegistry r = registry(Duration.ofMillis(800), Duration.ofMillis(10));
    r.register(greeter("g-1"));
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable w = r.watch("greeter", seen::add)) {
      Await.until("first list", () -> seen.size() == 1);
      Await.until("a blocking poll is out", () -> polls().stream()
          .anyMatch(q -> q.query().containsKey("index")));
      int before = polls().size();
      consul.rewindIndex(5); // snapshot restore: the index the client holds is in the future

      // the poll in flight times out and reports index 5; keeping its old index (or taking 5)
      // would block on a state the agent may never reach; the rule resets to 0, then to 1
      Await.until("a poll with index 1 after the rewind", () -> {
        List<FakeConsul.Request> p = polls();
        return p.subList(before, p.size()).stream()
            .anyMatch(q -> "1".equals(q.query().get("index")));
      });

      r.register(greeter("g-2")); // index 6: visible although it is below the old index
      Await.until("the new instance", () -> seen.get(seen.size() - 1).size() == 2);
    }
  }

  @Test
  void indexZeroIsTreatedAsOneAndPollsAreRateLimited() throws Exception {
    consul.zeroIndexBug(true);
    Duration min = Duration.ofMillis(150);
    ConsulRegistry r = registry(Duration.ofSeconds(5), min);
    long watchStarted = System.nanoTime();
    try (AutoCloseable w = r.watch("greeter", l -> { })) {
      // with index 0 every blocking query returns at once: only the rate limit stops a spin
      Await.until("several polls", () -> polls().size() >= 6);
      List<FakeConsul.Request> p = polls();
      for (FakeConsul.Request q : p.subList(1, p.size())) {
        assertEquals("1", q.query().get("index"), q.toString());
      }
      // Reads start at least min apart, so the k-th poll cannot arrive before k · min after the
      // watch began; a loaded machine only delays them. (Gaps between arrivals would not do:
      // one delayed request makes the next gap look short.)
      for (int k = 1; k < p.size(); k++) {
        long sinceStart = p.get(k).nanos() - watchStarted;
        assertTrue(sinceStart >= k * min.toNanos(), "poll " + k + " arrived "
            + sinceStart / 1_000_000 + " ms after the watch began");
      }
    }
  }

  @Test
  void errorsBackOffAndTheWatchRecovers() throws Exception {
    ConsulRegistry r = registry(Duration.ofSeconds(5), Duration.ofMillis(1));
    consul.outage(true);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable w = r.watch("greeter", seen::add)) {
      Await.until("a few failing polls", () -> polls().size() >= 3);
      Thread.sleep(1500);
      // with a 1 ms rate limit and no backoff this would be hundreds of requests
      assertTrue(polls().size() <= 8, polls().size() + " polls during the outage");
      assertTrue(seen.isEmpty(), "nothing known yet, nothing delivered");
      consul.outage(false);
      r.register(greeter("g-1"));
      Await.until("recovers and sees the instance", () -> !seen.isEmpty()
          && seen.get(seen.size() - 1).equals(List.of(greeter("g-1"))));
    }
  }
}
