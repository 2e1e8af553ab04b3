package io.phalanx.transport.grpc.internal;

import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor grpc-java gets in place of an application's one that may refuse work (a bounded
 * pool, one shut down). grpc-java does not handle a refusal: the exception escapes into Netty,
 * which resets the stream with INTERNAL_ERROR, and the server's middleware never hears of the call.
 * Here a refused task runs at once on the thread that handed it over (the connection's event
 * loop, as with grpc-java's direct executor), marked as refused, so that {@link ServerBridge}
 * sheds the calls it starts or continues: answered UNAVAILABLE without running the chain or the
 * service, and told to the middleware that listen for refusals, as the HTTP server does with a
 * request its full pool refuses. grpc-java's own tasks (a call's end, a cancel) still run.
 *
 * <p>Thread-safe. Tasks the pool takes cost one call more; asking whether the current thread
 * sheds costs a volatile read while none does.
 */
public final class ShedExecutor implements Executor {
  private final Executor pool;
  /** The threads running a refused task, with the answer for the calls it touches. */
  private final Map<Thread, ServiceException> shedding = new ConcurrentHashMap<>();
  private final AtomicInteger sheddingCount = new AtomicInteger();

  public ShedExecutor(Executor pool) {
    this.pool = pool;
  }

  @Override
  public void execute(Runnable task) {
    try {
      pool.execute(task);
      return;
    } catch (RejectedExecutionException refused) {
      runShed(task, refused);
    }
  }

  private void runShed(Runnable task, RejectedExecutionException refused) {
    Thread t = Thread.currentThread();
    // a refused task handing over another one on this thread runs it inside: marked already
    boolean outermost = shedding.putIfAbsent(t, Errors.from(refused)) == null;
    if (outermost) {
      sheddingCount.incrementAndGet();
    }
    try {
      task.run();
    } finally {
      if (outermost) {
        shedding.remove(t);
        sheddingCount.decrementAndGet();
      }
    }
  }

  /**
   * The answer (503 OVERLOADED) for a call the current thread starts or continues when it runs a
   * task the pool refused; null otherwise. Any thread.
   */
  public ServiceException refusedHere() {
    return sheddingCount.get() == 0 ? null : shedding.get(Thread.currentThread());
  }
}
