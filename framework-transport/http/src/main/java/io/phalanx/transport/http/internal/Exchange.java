package io.phalanx.transport.http.internal;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.util.concurrent.ScheduledFuture;
import io.phalanx.core.Context;
import io.phalanx.core.Metadata;
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
  /** Marks a {@link DispatchBatch.Group} that no longer collects responses. */
  static final Exchange CLOSED = new Exchange(null, null, null, null, null, null, false, null,
      null, null);

  private final ServerRuntime rt;
  private final BoundRoute route;
  private final Context ctx;
  private final ServerHttpTransport transport;
  private final NettyRequest request;
  private final Object outcome;
  private final boolean head;
  private final EventLoop loop;
  private final ResponseSink sink;
  /** CORS headers for the errors answered here (the handler's reply metadata may be in use). */
  private final Metadata corsHeaders;
  /** Running or queued; answered when the handler's reply is. */
  private static final int OPEN = 0;
  /** Answered by the deadline (504) or the executor's refusal (503). */
  private static final int ANSWERED = 1;
  /** The handler returned in time: its reply is the answer, whatever the clock says now. */
  private static final int CLAIMED = 2;
  private volatile int state;
  private Thread runner; // guarded by this
  private ScheduledFuture<?> timer; // event loop only
  /** Set before the exchange is started when it was dispatched with others; else null. */
  DispatchBatch.Group group;
  /** Link in the group's list of finished exchanges. */
  Exchange nextDone;
  /** The handler's response, published to the event loop by the task that delivers it. */
  private FullHttpResponse response;

  Exchange(ServerRuntime rt, BoundRoute route, Context ctx, ServerHttpTransport transport,
      NettyRequest request, Object outcome, boolean head, EventLoop loop, ResponseSink sink,
      Metadata corsHeaders) {
    this.rt = rt;
    this.corsHeaders = corsHeaders;
    this.route = route;
    this.ctx = ctx;
    this.transport = transport;
    this.request = request;
    this.outcome = outcome;
    this.head = head;
    this.loop = loop;
    this.sink = sink;
    if (request != null) {
      request.exchange = this;
    }
  }

  /**
   * Called where the handler returns or throws, inside the middleware: true when its reply is the
   * answer. False when the deadline answered first: the chain must then end with the
   * {@link #deadlineExceeded} that went out, so that the middleware records that and not what the
   * handler did after it.
   */
  boolean claim() {
    // CLAIMED already: a middleware called the handler again (a retry, a fallback) in time
    return STATE.compareAndSet(this, OPEN, CLAIMED) || state == CLAIMED;
  }

  ServiceException deadlineExceeded() {
    return new ServiceException(504, "DEADLINE_EXCEEDED",
        "deadline exceeded for " + transport.operation());
  }

  /** Called on the event loop: arms the deadline and starts the handler. */
  void submit(long timeoutNanos) {
    arm(timeoutNanos);
    start(rt.executor());
  }

  /** Called on the event loop, before {@link #start}. */
  void arm(long timeoutNanos) {
    // none for a request already past its deadline: its 504 is the outcome the chain ends with,
    // so that the middleware records it; a timer firing at once would answer around the chain
    if (timeoutNanos > 0) {
      timer = loop.schedule(this::expire, timeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Hands the exchange to the executor; any thread. */
  void start(java.util.concurrent.Executor executor) {
    try {
      executor.execute(this);
    } catch (RejectedExecutionException e) {
      rejected(e);
    }
  }

  /**
   * The executor refused the exchange (full, or shut down): answered 503 unless already answered
   * by its deadline. Called at most once, before the exchange ever ran.
   * The chain does not run for it (refusing sheds load), so the middleware that count requests
   * are told as {@link io.phalanx.core.RefusalListener}s.
   */
  void rejected(RejectedExecutionException e) {
    if (STATE.compareAndSet(this, OPEN, ANSWERED)) {
      ServiceException refusal = Errors.from(e);
      rt.refused(route, ctx, request, refusal);
      response = Responses.error(route.errorEncoder(), refusal, corsHeaders, head);
      if (loop.inEventLoop()) {
        deliver();
      } else {
        loop.execute(this::deliver);
      }
    } else {
      // never started, so the deadline answered it (504) while it waited to be handed over (a
      // batch in the pool's queue): told here, as run() tells one taken out of the queue late
      rt.refused(route, ctx, request, deadlineExceeded());
    }
  }

  /** On the event loop: writes the response the handler (or a rejection) produced. */
  void deliver() {
    if (timer != null) {
      timer.cancel(false);
    }
    sink.complete(response);
  }

  @Override
  public void run() {
    if (state != OPEN) {
      // expired while queued: answered 504 by the timer, and the chain never runs for it
      rt.refused(route, ctx, request, deadlineExceeded());
      return;
    }
    synchronized (this) {
      runner = Thread.currentThread();
    }
    FullHttpResponse reply;
    try {
      reply = rt.invoke(route, ctx, transport, request, outcome, head);
    } finally {
      synchronized (this) {
        runner = null;
      }
      Thread.interrupted(); // an expiry interrupt must not leak into the pool's next task
    }
    // A stream's producer runs on this thread, after the handler: a thread of its own could be
    // refused (a full pool) after the middleware recorded the handler's reply as what was sent
    StreamedBody.Start stream = reply instanceof StreamedBody.Start s && !s.submitted ? s : null;
    if (stream != null) {
      stream.submitted = true;
    }
    if (state == CLAIMED || STATE.compareAndSet(this, OPEN, ANSWERED)) {
      response = reply;
      DispatchBatch.Group g = group;
      if (g == null || !g.offer(this)) {
        loop.execute(this::deliver);
      }
      if (stream != null) {
        stream.stream.run(); // waits for the connection to write the head
      }
    } else {
      reply.release();
    }
  }

  private void expire() {
    if (STATE.compareAndSet(this, OPEN, ANSWERED)) {
      synchronized (this) {
        if (runner != null) {
          runner.interrupt();
        }
      }
      sink.complete(Responses.error(route.errorEncoder(), deadlineExceeded(), corsHeaders,
          head));
    }
  }
}
