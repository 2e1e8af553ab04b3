package io.phalanx.registry.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.test.RefusedPort;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link EtcdSession} and {@link EtcdLock} against a real etcd. */
@Timeout(60)
class EtcdLockTest extends ContenderTest {

  @Override
  String root() {
    return "/locks";
  }

  @Test
  void keyIsPrefixSlashLeaseHexUnderTheSessionLeaseAsGosMutex() throws Exception {
    EtcdSession s = session();
    EtcdLock lock = s.lock(prefix);
    assertSame(lock, s.lock(prefix), "one lock object per session and prefix");
    lock.lock();
    String expected = prefix + "/" + Long.toHexString(s.leaseId());
    assertEquals(expected, lock.key());
    List<KeyValue> keys = raw.under(prefix + "/");
    assertEquals(1, keys.size(), keys.toString());
    KeyValue kv = keys.get(0);
    assertEquals(expected, kv.getKey().toStringUtf8());
    assertEquals("", kv.getValue().toStringUtf8(), "Go's Mutex writes an empty value");
    assertEquals(s.leaseId(), kv.getLease());
    assertEquals(kv.getCreateRevision(), lock.revision());
    assertTrue(lock.isHeld());
    lock.unlock();
    assertFalse(lock.isHeld());
    assertTrue(raw.under(prefix + "/").isEmpty(), "unlock deletes the key");

    // as Go's NewMutex, the "/" is appended even when the prefix ends with one
    EtcdLock slashed = s.lock(prefix + "/");
    slashed.lock();
    assertEquals(prefix + "//" + Long.toHexString(s.leaseId()), slashed.key());
    assertTrue(raw.get(slashed.key()).isPresent());
    slashed.unlock();
  }

  @Test
  void aGoStyleHolderExcludesUsUntilItsKeyIsDeleted() throws Exception {
    // exactly what Go's concurrency.Mutex writes: prefix/<lease hex>, empty value, its lease
    long goLease = raw.grant(30);
    String goKey = prefix + "/" + Long.toHexString(goLease);
    raw.put(goKey, "", goLease);
    EtcdLock lock = session().lock(prefix);
    assertFalse(lock.tryLock());
    assertFalse(lock.lock(Duration.ofMillis(200)));
    assertEquals(List.of(goKey), keys(), "no key left behind");

    CountDownLatch acquired = new CountDownLatch(1);
    start(() -> {
      lock.lock();
      acquired.countDown();
    });
    await(() -> keys().size() == 2);
    assertEquals(1, acquired.getCount());
    raw.delete(goKey); // Go's Unlock
    assertTrue(acquired.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    assertTrue(lock.isHeld());
    raw.revoke(goLease);
  }

  @Test
  void aSecondLockWaitsUntilTheFirstIsReleased() throws Exception {
    EtcdLock first = session().lock(prefix);
    EtcdLock second = session().lock(prefix);
    first.lock();
    CompletableFuture<Boolean> firstHeldWhenSecondGotIt = new CompletableFuture<>();
    start(() -> {
      second.lock();
      firstHeldWhenSecondGotIt.complete(first.isHeld());
    });
    await(() -> keys().size() == 2); // the second one is queued
    assertFalse(firstHeldWhenSecondGotIt.isDone(), "second must wait while the first holds");
    first.unlock();
    assertFalse(firstHeldWhenSecondGotIt.get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS),
        "the second got the lock while the first held it");
    assertTrue(second.isHeld());
    assertFalse(first.isHeld());
    assertEquals(List.of(second.key()), keys());
  }

  @Test
  void waitersGetTheLockInArrivalOrder() throws Exception {
    EtcdLock holder = session().lock(prefix);
    holder.lock();
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    // counted down after each unlock() returned, i.e. after that waiter's key was deleted
    CountDownLatch done = new CountDownLatch(3);
    for (String name : List.of("a", "b", "c")) {
      EtcdLock l = session().lock(prefix);
      int before = keys().size();
      start(() -> {
        l.lock();
        order.add(name);
        l.unlock();
        done.countDown();
      });
      await(() -> keys().size() == before + 1); // queued before the next one arrives
    }
    assertEquals(List.of(), order);
    holder.unlock();
    assertTrue(done.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    assertEquals(List.of("a", "b", "c"), order);
    assertEquals(List.of(), keys());
  }

  @Test
  void tryLockAndTimedLockFailWhileHeldAndLeaveNoKey() throws Exception {
    EtcdLock holder = session().lock(prefix);
    EtcdLock other = session().lock(prefix);
    holder.lock();
    assertFalse(other.tryLock());
    assertFalse(other.isHeld());
    assertEquals(List.of(holder.key()), keys());
    assertFalse(other.lock(Duration.ofMillis(300)));
    assertFalse(other.isHeld());
    assertEquals(List.of(holder.key()), keys());

    holder.unlock();
    assertTrue(other.tryLock());
    assertTrue(other.isHeld());
    other.unlock();
    assertTrue(other.lock(Duration.ofSeconds(5)));
    other.unlock();
  }

  @Test
  void anInterruptedWaiterThrowsAndLeavesNoKey() throws Exception {
    EtcdLock holder = session().lock(prefix);
    EtcdLock waiter = session().lock(prefix);
    holder.lock();
    Attempt waiting = attempt(() -> waiter.lock());
    await(() -> keys().size() == 2);
    waiting.thread().interrupt();
    assertInstanceOf(InterruptedException.class, waiting.outcome().get(20, TimeUnit.SECONDS));
    assertEquals(List.of(holder.key()), keys(), "the waiter's key is deleted");
    assertFalse(waiter.isHeld());
    // and the object is usable again
    holder.unlock();
    assertTrue(waiter.tryLock());
    waiter.unlock();
  }

  @Test
  void isNotReentrantButExcludesOtherThreadsOfTheSameSession() throws Exception {
    EtcdLock lock = session().lock(prefix);
    lock.lock();
    assertThrows(IllegalStateException.class, lock::lock);
    assertThrows(IllegalStateException.class, lock::tryLock);
    CountDownLatch acquired = new CountDownLatch(1);
    CountDownLatch released = new CountDownLatch(1);
    start(() -> {
      lock.lock();
      acquired.countDown();
      lock.unlock();
      released.countDown();
    });
    assertFalse(acquired.await(200, TimeUnit.MILLISECONDS), "another thread must wait");
    lock.unlock();
    assertTrue(released.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    assertEquals(0, acquired.getCount());
    assertThrows(IllegalStateException.class, lock::unlock, "not held any more");
  }

  @Test
  void closingTheHoldersSessionReleasesTheLockAndRevokesTheLease() throws Exception {
    EtcdSession s1 = session();
    EtcdLock first = s1.lock(prefix);
    EtcdLock second = session().lock(prefix);
    first.lock();
    CountDownLatch acquired = new CountDownLatch(1);
    start(() -> {
      second.lock();
      acquired.countDown();
    });
    await(() -> keys().size() == 2);
    s1.close();
    assertTrue(acquired.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    assertFalse(first.isHeld());
    assertTrue(s1.isLost());
    assertEquals("session closed", s1.lost().getNow(null));
    assertEquals(-1, raw.ttl(s1.leaseId()), "close() revokes the lease");
    first.unlock(); // nothing left to delete: only local state
    assertThrows(IllegalStateException.class, () -> s1.lock("/other"));
  }

  @Test
  void aRevokedLeaseReleasesTheLockAndTheHolderLearnsItLostIt() throws Exception {
    EtcdSession s1 = session(etcd.endpoint(), Duration.ofSeconds(3));
    EtcdLock first = s1.lock(prefix);
    EtcdLock second = session().lock(prefix);
    first.lock();
    CountDownLatch acquired = new CountDownLatch(1);
    start(() -> {
      second.lock();
      acquired.countDown();
    });
    await(() -> keys().size() == 2);
    raw.revoke(s1.leaseId());
    assertTrue(acquired.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    String reason = s1.lost().get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS);
    assertTrue(reason.contains("expired or revoked"), reason);
    assertFalse(first.isHeld());
    assertTrue(second.isHeld());
    EtcdException e = assertThrows(EtcdException.class, () -> first.lock());
    assertTrue(e.getMessage().contains("lost"), e.getMessage());
  }

  @Test
  void aPartitionedHoldersLeaseExpiresAndAnotherTakesTheLock() throws Exception {
    try (TcpProxy proxy = new TcpProxy(etcd.endpoint())) {
      EtcdSession s1 = session(proxy.endpoint(), Duration.ofSeconds(2));
      EtcdLock first = s1.lock(prefix);
      EtcdLock second = session().lock(prefix);
      first.lock();
      CountDownLatch acquired = new CountDownLatch(1);
      start(() -> {
        second.lock();
        acquired.countDown();
      });
      await(() -> keys().size() == 2);
      proxy.cut(); // no keep-alive reaches etcd any more
      assertTrue(acquired.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
      String reason = s1.lost().get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS);
      assertTrue(reason.contains("TTL"), reason);
      assertFalse(first.isHeld());
      assertTrue(second.isHeld());
    }
  }

  @Test
  void aWaiterWhoseSessionIsLostGivesUpWithAnEtcdException() throws Exception {
    EtcdLock holder = session().lock(prefix);
    EtcdSession s2 = session(etcd.endpoint(), Duration.ofSeconds(3));
    EtcdLock waiter = s2.lock(prefix);
    holder.lock();
    Attempt waiting = attempt(() -> waiter.lock());
    await(() -> keys().size() == 2);
    raw.revoke(s2.leaseId());
    Throwable e = waiting.outcome().get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS);
    assertInstanceOf(EtcdException.class, e);
    assertTrue(holder.isHeld());
    assertEquals(List.of(holder.key()), keys());
  }

  @Test
  void threadsWaitingBehindALocalHolderFailWhenTheSessionEndsWithoutAnUnlock() throws Exception {
    EtcdSession s1 = session(etcd.endpoint(), Duration.ofSeconds(3));
    EtcdLock lock = s1.lock(prefix);
    lock.lock(); // held by this thread, which never unlocks during the test
    Attempt untimed = attempt(() -> lock.lock());
    Attempt timed = attempt(() -> lock.lock(Duration.ofMinutes(5)));
    await(() -> parked(untimed) && parked(timed));
    raw.revoke(s1.leaseId());
    assertInstanceOf(EtcdException.class,
        untimed.outcome().get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
    Throwable e = timed.outcome().get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS);
    assertInstanceOf(EtcdException.class, e);
    assertTrue(e.getMessage().contains("lost"), e.getMessage());
    assertFalse(lock.isHeld());
    assertThrows(EtcdException.class, lock::tryLock, "an ended session takes nothing");
    lock.unlock(); // the holder's late unlock only updates local state
    assertTrue(keys().isEmpty());
  }

  @Test
  void closingTheSessionWakesLocalWaitersWithTheClosedSessionsError() throws Exception {
    EtcdSession s1 = session();
    EtcdLock lock = s1.lock(prefix);
    lock.lock();
    Attempt waiting = attempt(() -> lock.lock());
    await(() -> parked(waiting));
    s1.close();
    assertInstanceOf(IllegalStateException.class,
        waiting.outcome().get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
  }

  /** Whether the attempt's thread waits (for the local permit, in these tests). */
  private static boolean parked(Attempt a) {
    Thread.State st = a.thread().getState();
    return st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING;
  }

  @Test
  void keepsTheLeaseAlivePastItsTtlAndIsConfiguredFromConcurrencyEtcd() throws Exception {
    io.phalanx.core.config.AppConfig config = io.phalanx.core.config.AppConfig.of(
        com.typesafe.config.ConfigFactory.parseString("concurrency.etcd { endpoints = \""
            + etcd.endpoint() + "\", ttl = 2s }"));
    EtcdSession s = EtcdSession.builder(config).build();
    cleanup.add(s);
    assertEquals(Duration.ofSeconds(2), s.ttl());
    long ttl = raw.ttl(s.leaseId());
    assertTrue(ttl > 0 && ttl <= 2, "ttl " + ttl);
    long renewedAt = System.nanoTime();
    // renewed every TTL/3: still alive well past its TTL
    await(() -> System.nanoTime() - renewedAt > TimeUnit.SECONDS.toNanos(3));
    assertTrue(raw.ttl(s.leaseId()) > 0);
    assertFalse(s.isLost());
  }

  @Test
  void buildFailsWithTheEndpointWhenEtcdIsUnreachable() throws Exception {
    try (RefusedPort port = RefusedPort.open()) {
      URI nowhere = URI.create("http://127.0.0.1:" + port.port());
      EtcdException e = assertThrows(EtcdException.class, () -> session(nowhere,
          Duration.ofSeconds(5)));
      assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
      assertNotEquals(null, e.getCause());
    }
  }

  // ------------------------------------------------------------------ support

}
