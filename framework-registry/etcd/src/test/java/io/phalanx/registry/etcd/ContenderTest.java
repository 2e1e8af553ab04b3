package io.phalanx.registry.etcd;

import static org.junit.jupiter.api.Assertions.fail;

import io.phalanx.test.etcd.EtcdExtension;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the lock and election suites share: a real etcd, a fresh prefix per test, sessions and
 * contender threads that are closed and interrupted after each test, and a raw client to look at
 * the keys the contenders wrote.
 */
abstract class ContenderTest {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  static final Duration EVENTUALLY = Duration.ofSeconds(20);
  final List<AutoCloseable> cleanup = new ArrayList<>();
  final List<Thread> threads = new ArrayList<>();
  RawEtcd raw;
  String prefix;

  /** The first segment of each test's prefix, e.g. {@code /locks}. */
  abstract String root();

  @BeforeEach
  void setUp() {
    raw = new RawEtcd(etcd.endpoint());
    prefix = root() + "/" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void tearDown() throws Exception {
    threads.forEach(Thread::interrupt);
    Collections.reverse(cleanup);
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    raw.close();
  }

  /** A session closed after the test. */
  EtcdSession session(URI endpoint, Duration ttl) throws EtcdException {
    EtcdSession s = EtcdSession.builder().endpoints(endpoint).ttl(ttl)
        .requestTimeout(Duration.ofSeconds(2)).dialTimeout(Duration.ofSeconds(1)).build();
    cleanup.add(s);
    return s;
  }

  EtcdSession session() throws EtcdException {
    return session(etcd.endpoint(), Duration.ofSeconds(30));
  }

  /** The keys under this test's prefix, oldest first. */
  List<String> keys() {
    return raw.under(prefix + "/").stream().map(kv -> kv.getKey().toStringUtf8()).toList();
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body} on a daemon thread, interrupted after the test. */
  void start(Body body) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (InterruptedException e) {
        // test over
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    t.setDaemon(true);
    t.start();
    threads.add(t);
  }

  /** A contender's call running on its own thread, and how it ended (null: it returned). */
  record Attempt(Thread thread, CompletableFuture<Throwable> outcome) {}

  /** Runs {@code body} on a thread, interrupted after the test, recording how it ended. */
  Attempt attempt(Body body) {
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        body.run();
        outcome.complete(null);
      } catch (Throwable e) {
        outcome.complete(e);
      }
    });
    t.start();
    threads.add(t);
    return new Attempt(t, outcome);
  }

  static void await(BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("condition not met within " + EVENTUALLY);
      }
      Thread.sleep(20);
    }
  }
}
