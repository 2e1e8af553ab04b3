package io.phalanx.observability.admin.internal;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of every platform thread from {@link ThreadMXBean}: state, the lock each waits for
 * and its owner, the monitors and synchronizers each holds, full stacks, and the deadlocked
 * threads (monitor and {@code java.util.concurrent} lock cycles). The JVM analog of Go's
 * {@code /debug/pprof/goroutine?debug=2}.
 *
 * <p>Virtual threads are not listed: {@code ThreadMXBean} only sees platform threads (their
 * carriers show up); use {@code jcmd <pid> Thread.dump_to_file} for those.
 *
 * <p>Safe from any thread; each call takes a new snapshot (a safepoint, cheap but not free).
 */
public final class ThreadDump {
  private final ThreadMXBean bean;
  private final List<ThreadInfo> threads;
  private final List<ThreadInfo> deadlocked;

  private ThreadDump(ThreadMXBean bean, List<ThreadInfo> threads, List<ThreadInfo> deadlocked) {
    this.bean = bean;
    this.threads = threads;
    this.deadlocked = deadlocked;
  }

  /** Takes a snapshot now. */
  public static ThreadDump capture() {
    ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    boolean monitors = bean.isObjectMonitorUsageSupported();
    boolean synchronizers = bean.isSynchronizerUsageSupported();
    // Deadlocks first: one never resolves itself, so the threads dumped afterwards show every
    // deadlocked thread blocked. The other order can report a deadlock that formed after the
    // dump, next to threads listed as not yet blocked.
    long[] ids = synchronizers ? bean.findDeadlockedThreads() : bean.findMonitorDeadlockedThreads();
    List<ThreadInfo> all = new ArrayList<>();
    for (ThreadInfo t : bean.dumpAllThreads(monitors, synchronizers)) {
      if (t != null) {
        all.add(t);
      }
    }
    List<ThreadInfo> dead = new ArrayList<>();
    if (ids != null) {
      for (ThreadInfo t : bean.getThreadInfo(ids, monitors, synchronizers)) {
        if (t != null) {
          dead.add(t);
        }
      }
    }
    return new ThreadDump(bean, all, dead);
  }

  /** The ids of the threads caught in a deadlock; empty when there is none. */
  public List<Long> deadlockedIds() {
    List<Long> ids = new ArrayList<>();
    for (ThreadInfo t : deadlocked) {
      ids.add(t.getThreadId());
    }
    return ids;
  }

  /** The dump as a JSON-ready map. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("threadCount", bean.getThreadCount());
    m.put("daemonThreadCount", bean.getDaemonThreadCount());
    m.put("peakThreadCount", bean.getPeakThreadCount());
    List<Object> dead = new ArrayList<>();
    for (ThreadInfo t : deadlocked) {
      dead.add(summary(t));
    }
    m.put("deadlocked", dead);
    List<Object> all = new ArrayList<>();
    for (ThreadInfo t : threads) {
      Map<String, Object> one = summary(t);
      one.put("daemon", t.isDaemon());
      one.put("priority", t.getPriority());
      one.put("inNative", t.isInNative());
      one.put("blockedCount", t.getBlockedCount());
      one.put("waitedCount", t.getWaitedCount());
      List<String> stack = new ArrayList<>();
      for (StackTraceElement e : t.getStackTrace()) {
        stack.add(e.toString());
      }
      one.put("stack", stack);
      List<Object> held = new ArrayList<>();
      for (MonitorInfo mi : t.getLockedMonitors()) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("lock", lockName(mi));
        h.put("frame", mi.getLockedStackDepth());
        held.add(h);
      }
      one.put("lockedMonitors", held);
      List<String> syncs = new ArrayList<>();
      for (LockInfo li : t.getLockedSynchronizers()) {
        syncs.add(lockName(li));
      }
      one.put("lockedSynchronizers", syncs);
      all.add(one);
    }
    m.put("threads", all);
    return m;
  }

  /** The dump as text in the spirit of {@code jstack}, deadlocks first. */
  public String toText() {
    StringBuilder sb = new StringBuilder(16 * 1024);
    sb.append("threads: ").append(bean.getThreadCount()).append(" live, ")
        .append(bean.getDaemonThreadCount()).append(" daemon, ")
        .append(bean.getPeakThreadCount()).append(" peak\n");
    if (!deadlocked.isEmpty()) {
      sb.append("\nDEADLOCK between ").append(deadlocked.size()).append(" threads:\n");
      for (ThreadInfo t : deadlocked) {
        sb.append("  \"").append(t.getThreadName()).append("\" #").append(t.getThreadId())
            .append(" waits for ").append(t.getLockName()).append(" held by \"")
            .append(t.getLockOwnerName()).append("\" #").append(t.getLockOwnerId()).append('\n');
      }
    }
    for (ThreadInfo t : threads) {
      sb.append("\n\"").append(t.getThreadName()).append("\" #").append(t.getThreadId())
          .append(t.isDaemon() ? " daemon" : "").append(" prio=").append(t.getPriority())
          .append(' ').append(t.getThreadState());
      if (t.getLockName() != null) {
        sb.append(" on ").append(t.getLockName());
        if (t.getLockOwnerName() != null) {
          sb.append(" owned by \"").append(t.getLockOwnerName()).append("\" #")
              .append(t.getLockOwnerId());
        }
      }
      sb.append('\n');
      StackTraceElement[] stack = t.getStackTrace();
      MonitorInfo[] monitors = t.getLockedMonitors();
      for (int i = 0; i < stack.length; i++) {
        sb.append("    at ").append(stack[i]).append('\n');
        for (MonitorInfo mi : monitors) {
          if (mi.getLockedStackDepth() == i) {
            sb.append("    - locked ").append(lockName(mi)).append('\n');
          }
        }
      }
      LockInfo[] syncs = t.getLockedSynchronizers();
      if (syncs.length > 0) {
        sb.append("    locked synchronizers: ").append(Arrays.stream(syncs)
            .map(ThreadDump::lockName).toList()).append('\n');
      }
    }
    return sb.toString();
  }

  private static Map<String, Object> summary(ThreadInfo t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", t.getThreadId());
    m.put("name", t.getThreadName());
    m.put("state", t.getThreadState().name());
    m.put("lockName", t.getLockName());
    m.put("lockOwnerId", t.getLockOwnerId() < 0 ? null : t.getLockOwnerId());
    m.put("lockOwnerName", t.getLockOwnerName());
    return m;
  }

  private static String lockName(LockInfo l) {
    return l.getClassName() + "@" + Integer.toHexString(l.getIdentityHashCode());
  }
}
