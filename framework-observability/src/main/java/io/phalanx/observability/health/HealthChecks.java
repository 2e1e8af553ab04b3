package io.phalanx.observability.health;

import io.phalanx.core.health.CheckResult;
import io.phalanx.core.health.HealthCheck;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * Ready-made {@link HealthCheck}s about the JVM itself. Stateless; safe from any thread.
 */
public final class HealthChecks {
  private HealthChecks() {}

  /**
   * A liveness check that fails while platform threads are deadlocked (on monitors or
   * {@code java.util.concurrent} locks). A deadlock never resolves on its own, so "restart me" is
   * the right answer; the detail names the threads and the locks they wait for.
   * {@code health.addLiveness("deadlocks", HealthChecks.noDeadlocks())}.
   */
  public static HealthCheck noDeadlocks() {
    return () -> {
      ThreadMXBean bean = ManagementFactory.getThreadMXBean();
      long[] ids = bean.isSynchronizerUsageSupported() ? bean.findDeadlockedThreads()
          : bean.findMonitorDeadlockedThreads();
      if (ids == null || ids.length == 0) {
        return CheckResult.up();
      }
      List<String> names = new ArrayList<>();
      for (ThreadInfo t : bean.getThreadInfo(ids)) {
        if (t != null) {
          names.add("\"" + t.getThreadName() + "\" waits for " + t.getLockName()
              + " held by \"" + t.getLockOwnerName() + "\"");
        }
      }
      return CheckResult.down(ids.length + " threads deadlocked: " + String.join("; ", names));
    };
  }
}
