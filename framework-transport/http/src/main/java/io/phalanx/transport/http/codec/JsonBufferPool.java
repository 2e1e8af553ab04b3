package io.phalanx.transport.http.codec;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import io.phalanx.core.execution.HandlerExecutors;

/**
 * Where Jackson gets its encoding buffers: per thread on platform threads, from one shared pool on
 * virtual threads.
 *
 * <p>Why both: a platform thread (an event loop, a pooled handler thread) lives long, so keeping
 * its buffers in a thread-local costs nothing per message. A virtual thread lives for one request,
 * so a thread-local would mean fresh 8 KiB buffers for every message; there, a shared pool reuses
 * them at the price of a queue operation. Whether a thread is virtual comes from
 * {@link HandlerExecutors#isVirtual} (always false on JDK 17).
 *
 * <p>Thread-safe. Buffers taken from the shared pool are linked to it and go back to it when
 * Jackson releases them.
 */
final class JsonBufferPool implements RecyclerPool<BufferRecycler> {
  private static final long serialVersionUID = 1L;

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
    return HandlerExecutors.isVirtual(Thread.currentThread());
  }
}
