package io.phalanx.transport.http.internal;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.util.concurrent.ScheduledFuture;
import io.phalanx.core.Context;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One request handed to the executor, racing its deadline. Whichever finishes first (the handler,
 * or the deadline timer on the event loop) answers; when the deadline wins, the handler's thread
 * is interrupted so that blocking calls stop early, and its late result is dropped.
 */
final class Exchange implements Runnable {
  private static final AtomicIntegerFieldUpdater<Exchange> STATE =
      AtomicIntegerFieldUpdater.newUpdater(Exchange.class, "state");

  private final ServerRuntime rt;
  private final BoundRoute route;
  private final Context ctx;
  private final ServerHttpTransport transport;
  private final NettyRequest request;
  private final Object outcome;
  private final boolean head;
  private final EventLoop loop;
  private final ResponseSink sink;
  private volatile int state; // 0 running or queued, 1 answered
  private Thread runner; // guarded by this
  private ScheduledFuture<?> timer; // event loop only

  Exchange(ServerRuntime rt, BoundRoute route, Context ctx, ServerHttpTransport transport,
      NettyRequest request, Object outcome, boolean head, EventLoop loop, ResponseSink sink) {
    this.rt = rt;
    this.route = route;
    this.ctx = ctx;
    this.transport = transport;
    this.request = request;
    this.outcome = outcome;
    this.head = head;
    this.loop = loop;
    this.sink = sink;
  }

  /** Called on the event loop. */
  void submit(long timeoutNanos) {
    timer = loop.schedule(this::expire, timeoutNanos, TimeUnit.NANOSECONDS);
    try {
      rt.executor().execute(this);
    } catch (RejectedExecutionException e) {
      if (STATE.compareAndSet(this, 0, 1)) {
        timer.cancel(false);
        sink.complete(Responses.error(Errors.from(e), null, head));
      }
    }
  }

  @Override
  public void run() {
    if (state != 0) {
      return; // expired while queued
    }
    synchronized (this) {
      runner = Thread.currentThread();
    }
    FullHttpResponse response;
    try {
      response = rt.invoke(route, ctx, transport, request, outcome, head);
    } finally {
      synchronized (this) {
        runner = null;
      }
      Thread.interrupted(); // an expiry interrupt must not leak into the pool's next task
    }
    if (STATE.compareAndSet(this, 0, 1)) {
      loop.execute(() -> {
        timer.cancel(false);
        sink.complete(response);
      });
    } else {
      response.release();
    }
  }

  private void expire() {
    if (STATE.compareAndSet(this, 0, 1)) {
      synchronized (this) {
        if (runner != null) {
          runner.interrupt();
        }
      }
      sink.complete(Responses.error(new ServiceException(504, "DEADLINE_EXCEEDED",
          "deadline exceeded for " + transport.operation()), null, head));
    }
  }
}
