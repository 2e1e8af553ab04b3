package io.phalanx.observability.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds the process-wide meters: JVM memory, GC, threads, class loading, CPU (processor),
 * uptime, open file descriptors, and Netty's shared allocator ({@code ByteBufAllocator.DEFAULT},
 * what the Phalanx transports allocate from).
 *
 * <p>{@code PooledByteBufAllocator.DEFAULT} is not bound unless it is that shared allocator: Netty
 * 4.2 defaults to the adaptive allocator, grpc-java makes its own pooled instance, and reading the
 * pooled default would build its arenas and thread caches for nothing (measurable at start-up).
 *
 * <p>Netty event-loop pending tasks are not bound: the transports keep their event loop groups
 * private, and reaching them would couple this module to their internals.
 *
 * <p>Bind once per registry; {@link #close()} stops the GC listener. Not thread-safe.
 */
public final class JvmMetrics implements MeterBinder, AutoCloseable {
  private final List<AutoCloseable> closeables = new ArrayList<>();

  private JvmMetrics() {}

  public static JvmMetrics create() {
    return new JvmMetrics();
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    closeables.add(gc);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    ByteBufAllocator shared = ByteBufAllocator.DEFAULT;
    if (shared instanceof ByteBufAllocatorMetricProvider p) {
      new NettyAllocatorMetrics(p).bindTo(registry);
    }
  }

  @Override
  public void close() {
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception ignored) {
        // JvmGcMetrics.close only unregisters notification listeners
      }
    }
    closeables.clear();
  }
}
