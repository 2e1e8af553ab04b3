package io.phalanx.registry.etcd.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads named {@code phalanx-etcd-<role>-<n>}: a forgotten client must not keep the JVM
 * alive, and thread dumps should say whose threads they are. Thread-safe.
 */
public final class DaemonThreadFactory implements ThreadFactory {

  private final String prefix;
  private final AtomicInteger count = new AtomicInteger();

  public DaemonThreadFactory(String role) {
    this.prefix = "phalanx-etcd-" + role + "-";
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t = new Thread(r, prefix + count.incrementAndGet());
    t.setDaemon(true);
    return t;
  }
}
