package io.phalanx.transport.http.codec;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Where Jackson gets its encoding buffers: per thread on platform threads, from one shared pool on
 * virtual threads.
 *
 * <p>Why both: a platform thread (an event loop, a pooled handler thread) lives long, so keeping
 * its buffers in a thread-local costs nothing per message. A virtual thread lives for one request,
 * so a thread-local would mean fresh 8 KiB buffers for every message; there, a shared pool reuses
 * them at the price of a queue operation. Whether a thread is virtual is looked up once through
 * {@code Thread.isVirtual()} (JDK 21+); on JDK 17 every thread is a platform thread.
 *
 * <p>Thread-safe. Buffers taken from the shared pool are linked to it and go back to it when
 * Jackson releases them.
 */
final class JsonBufferPool implements RecyclerPool<BufferRecycler> {
  private static final long serialVersionUID = 1L;
  private static final MethodHandle IS_VIRTUAL = isVirtualHandle();

  private final transient RecyclerPool<BufferRecycler> perThread =
      JsonRecyclerPools.threadLocalPool();
  private final transient RecyclerPool<BufferRecycler> shared =
      JsonRecyclerPools.newConcurrentDequePool();

  @Override
  public BufferRecycler acquirePooled() {
    return onVirtualThread() ? shared.acquirePooled() : perThread.acquirePooled();
  }

  @Override
  public BufferRecycler acquireAndLinkPooled() {
    return onVirtualThread() ? shared.acquireAndLinkPooled() : perThread.acquireAndLinkPooled();
  }

  @Override
  public void releasePooled(BufferRecycler recycler) {
    // only recyclers linked to this pool itself come here (acquirePooled callers that release
    // explicitly): the shared pool is the one that keeps anything
    shared.releasePooled(recycler);
  }

  @Override
  public int pooledCount() {
    return shared.pooledCount();
  }

  @Override
  public boolean clear() {
    return shared.clear();
  }

  static boolean onVirtualThread() {
    if (IS_VIRTUAL == null) {
      return false;
    }
    try {
      return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
    } catch (Throwable t) {
      return false;
    }
  }

  private static MethodHandle isVirtualHandle() {
    try {
      return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
          MethodType.methodType(boolean.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null; // JDK 17: no virtual threads
    }
  }
}
