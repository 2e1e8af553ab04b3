package io.phalanx.observability.admin.internal;

import io.phalanx.core.AppInfo;
import io.phalanx.core.config.AppConfig;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.RuntimeMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The process's vital statistics as one JSON-ready document, the JVM analog of Go's expvar
 * ({@code /debug/vars}): build (the app's identity), runtime, memory, GC, threads, class loading
 * and the effective configuration with secrets redacted.
 *
 * <p>Deliberately left out: JVM input arguments and system properties, which routinely carry
 * credentials ({@code -Ddb.password=…}) under names no redaction rule can be trusted to catch.
 *
 * <p>Stateless; safe from any thread.
 */
public final class RuntimeVars {
  private RuntimeVars() {}

  /** Reads every value now. {@code config} may be null (no config section). */
  public static Map<String, Object> capture(AppInfo app, AppConfig config) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> build = new LinkedHashMap<>();
    build.put("name", app.name());
    build.put("version", app.version());
    build.put("id", app.id());
    build.put("metadata", new java.util.TreeMap<>(app.metadata()));
    m.put("build", build);

    RuntimeMXBean rt = ManagementFactory.getRuntimeMXBean();
    Map<String, Object> runtime = new LinkedHashMap<>();
    runtime.put("vmName", rt.getVmName());
    runtime.put("vmVendor", rt.getVmVendor());
    runtime.put("vmVersion", rt.getVmVersion());
    runtime.put("javaVersion", Runtime.version().toString());
    runtime.put("pid", ProcessHandle.current().pid());
    runtime.put("startTime", Instant.ofEpochMilli(rt.getStartTime()).toString());
    runtime.put("uptimeMs", rt.getUptime());
    runtime.put("availableProcessors", Runtime.getRuntime().availableProcessors());
    m.put("runtime", runtime);

    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("heap", usage(mem.getHeapMemoryUsage()));
    memory.put("nonHeap", usage(mem.getNonHeapMemoryUsage()));
    memory.put("objectsPendingFinalization", mem.getObjectPendingFinalizationCount());
    Map<String, Object> pools = new LinkedHashMap<>();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage u = p.getUsage();
      if (u != null) {
        Map<String, Object> pool = usage(u);
        pool.put("type", p.getType().name());
        pools.put(p.getName(), pool);
      }
    }
    memory.put("pools", pools);
    m.put("memory", memory);

    Map<String, Object> gc = new LinkedHashMap<>();
    for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("collections", g.getCollectionCount());
      one.put("timeMs", g.getCollectionTime());
      gc.put(g.getName(), one);
    }
    m.put("gc", gc);

    ThreadMXBean th = ManagementFactory.getThreadMXBean();
    Map<String, Object> threads = new LinkedHashMap<>();
    threads.put("live", th.getThreadCount());
    threads.put("daemon", th.getDaemonThreadCount());
    threads.put("peak", th.getPeakThreadCount());
    threads.put("totalStarted", th.getTotalStartedThreadCount());
    m.put("threads", threads);

    ClassLoadingMXBean cl = ManagementFactory.getClassLoadingMXBean();
    Map<String, Object> classes = new LinkedHashMap<>();
    classes.put("loaded", cl.getLoadedClassCount());
    classes.put("totalLoaded", cl.getTotalLoadedClassCount());
    classes.put("unloaded", cl.getUnloadedClassCount());
    m.put("classes", classes);

    if (config != null) {
      Map<String, Object> cfg = new LinkedHashMap<>();
      cfg.put("profile", config.profile().orElse(null));
      cfg.put("sources", config.sources());
      cfg.put("values", config.toRedactedMap());
      m.put("config", cfg);
    }
    return m;
  }

  private static Map<String, Object> usage(MemoryUsage u) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("init", u.getInit());
    m.put("used", u.getUsed());
    m.put("committed", u.getCommitted());
    m.put("max", u.getMax());
    return m;
  }
}
