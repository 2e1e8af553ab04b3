package io.phalanx.core.execution;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Executors that run handlers off the network event loops.
 *
 * <p>{@link #defaultExecutor()} gives a virtual thread per request when the JVM has virtual threads
 * (JDK 21+), found at run time so the jars stay Java 17 bytecode, and otherwise a bounded pool of
 * platform threads with a bounded queue. A full pool rejects with
 * {@link java.util.concurrent.RejectedExecutionException}, which servers answer with 503.
 *
 * <p>The system property {@code phalanx.executor} overrides the choice: {@code virtual} or
 * {@code platform}.
 */
public final class HandlerExecutors {
  /** Default number of platform threads in the bounded pool. */
  public static final int DEFAULT_THREADS = Math.max(32, Runtime.getRuntime().availableProcessors() * 16);
  /** Default number of queued requests beyond the busy threads. */
  public static final int DEFAULT_QUEUE = 1024;

  private HandlerExecutors() {}

  /** Virtual threads where available, else {@link #bounded(int, int)} with the defaults. */
  public static ExecutorService defaultExecutor() {
    String forced = System.getProperty("phalanx.executor", "");
    if (!"platform".equalsIgnoreCase(forced)) {
      Optional<ExecutorService> virtual = virtualThreads();
      if (virtual.isPresent()) {
        return virtual.get();
      }
    }
    return bounded(DEFAULT_THREADS, DEFAULT_QUEUE);
  }

  /** Whether this JVM can create virtual threads. */
  public static boolean virtualThreadsAvailable() {
    return VirtualThreads.FACTORY != null;
  }

  /**
   * Whether {@code thread} is a virtual thread; always false on a JVM without them. Cheap enough
   * for a request path (a constant method handle, inlined by the JIT).
   */
  public static boolean isVirtual(Thread thread) {
    if (VirtualThreads.IS_VIRTUAL == null) {
      return false;
    }
    try {
      return (boolean) VirtualThreads.IS_VIRTUAL.invokeExact(thread);
    } catch (Throwable t) {
      return false;
    }
  }

  /** A new thread per task on virtual threads, if the JVM has them. */
  public static Optional<ExecutorService> virtualThreads() {
    if (VirtualThreads.FACTORY == null) {
      return Optional.empty();
    }
    try {
      return Optional.of((ExecutorService) VirtualThreads.NEW_EXECUTOR.invoke(VirtualThreads.FACTORY));
    } catch (Throwable t) {
      return Optional.empty();
    }
  }

  /**
   * A pool of {@code threads} daemon platform threads with room for {@code queue} waiting tasks;
   * more than that is rejected rather than queued without bound.
   */
  public static ExecutorService bounded(int threads, int queue) {
    if (threads < 1 || queue < 0) {
      throw new IllegalArgumentException("threads must be >= 1 and queue >= 0 (got " + threads
          + ", " + queue + ")");
    }
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        queue == 0 ? new java.util.concurrent.SynchronousQueue<>() : new ArrayBlockingQueue<>(queue),
        daemonThreads("phalanx-handler-"), new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** A factory of daemon platform threads named {@code prefix + n}. */
  public static ThreadFactory daemonThreads(String prefix) {
    AtomicLong n = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Looked up once; null handles mean the JVM has no virtual threads. */
  private static final class VirtualThreads {
    static final ThreadFactory FACTORY;
    static final MethodHandle NEW_EXECUTOR;
    static final MethodHandle IS_VIRTUAL;

    static {
      ThreadFactory factory = null;
      MethodHandle newExecutor = null;
      MethodHandle isVirtual = null;
      try {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Class<?> builder = Class.forName("java.lang.Thread$Builder");
        Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
        Object b = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual))
            .invoke();
        b = lookup.findVirtual(builder, "name",
            MethodType.methodType(builder, String.class, long.class)).invoke(b, "phalanx-vt-", 1L);
        factory = (ThreadFactory) lookup.findVirtual(builder, "factory",
            MethodType.methodType(ThreadFactory.class)).invoke(b);
        newExecutor = lookup.findStatic(java.util.concurrent.Executors.class,
            "newThreadPerTaskExecutor",
            MethodType.methodType(ExecutorService.class, ThreadFactory.class));
        isVirtual = lookup.findVirtual(Thread.class, "isVirtual",
            MethodType.methodType(boolean.class));
      } catch (Throwable t) {
        factory = null;
        newExecutor = null;
        isVirtual = null;
      }
      FACTORY = factory;
      NEW_EXECUTOR = newExecutor;
      IS_VIRTUAL = isVirtual;
    }
  }
}
