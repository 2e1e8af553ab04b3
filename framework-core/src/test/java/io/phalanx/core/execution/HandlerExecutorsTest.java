package io.phalanx.core.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HandlerExecutorsTest {

  @Test
  void isVirtualTellsPlatformFromVirtualThreads() throws Exception {
    assertFalse(HandlerExecutors.isVirtual(Thread.currentThread()));
    var virtual = HandlerExecutors.virtualThreads();
    if (virtual.isEmpty()) {
      return; // JDK 17: nothing else to tell apart
    }
    ExecutorService vt = virtual.get();
    try {
      assertTrue(vt.submit(() -> HandlerExecutors.isVirtual(Thread.currentThread()))
          .get(10, TimeUnit.SECONDS));
    } finally {
      vt.shutdownNow();
    }
  }

  @Test
  void defaultUsesVirtualThreadsExactlyWhenTheJvmHasThem() throws Exception {
    boolean jvmHasThem = Runtime.version().feature() >= 21;
    assertEquals(jvmHasThem, HandlerExecutors.virtualThreadsAvailable());
    ExecutorService ex = HandlerExecutors.defaultExecutor();
    try {
      Future<Boolean> daemonOrVirtual = ex.submit(() -> {
        Thread t = Thread.currentThread();
        return jvmHasThem ? t.getName().startsWith("phalanx-vt-") : t.isDaemon();
      });
      assertTrue(daemonOrVirtual.get(10, TimeUnit.SECONDS));
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void boundedPoolRejectsInsteadOfQueueingForever() throws Exception {
    ExecutorService ex = HandlerExecutors.bounded(1, 1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    try {
      ex.execute(() -> {
        running.countDown();
        await(release);
      });
      assertTrue(running.await(10, TimeUnit.SECONDS));
      ex.execute(() -> await(release)); // queued
      assertThrows(RejectedExecutionException.class, () -> ex.execute(() -> { }));
    } finally {
      release.countDown();
      ex.shutdown();
      assertTrue(ex.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void rejectsNonsenseSizes() {
    assertThrows(IllegalArgumentException.class, () -> HandlerExecutors.bounded(0, 1));
    assertThrows(IllegalArgumentException.class, () -> HandlerExecutors.bounded(1, -1));
  }

  private static void await(CountDownLatch l) {
    try {
      l.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
