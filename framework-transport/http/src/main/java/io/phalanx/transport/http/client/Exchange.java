package io.phalanx.transport.http.client;

import io.netty.channel.Channel;
import io.netty.channel.pool.ChannelPool;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The network half of one call: which pooled channel it holds and the future the caller waits on.
 * Exactly one of response, failure or timeout settles it; whoever wins returns the channel to the
 * pool (closed unless it can carry another request).
 *
 * <p><b>Stale connections.</b> A keep-alive connection can be closed by the server while it sits
 * idle in the pool, and the close can cross the next request on the wire. A call that fails on a
 * connection taken from the pool before any response byte arrived is therefore sent once more, on
 * a newly opened connection ({@link #lost}):
 * <ul>
 *   <li>if the write of the request failed, for every method: the server cannot have seen a
 *       complete request, so it cannot have acted on it;
 *   <li>if the request was completely written, only for idempotent methods (RFC 9110 §9.2.2: GET,
 *       HEAD, OPTIONS, TRACE, PUT, DELETE). A server that closed its idle connection never saw the
 *       request either, but the client cannot tell that close from a server that read the request,
 *       ran the handler and then died or dropped the connection (a crash, or a graceful stop whose
 *       grace ran out mid-request) — repeating a POST then could apply it twice.
 * </ul>
 * The loss of the connection can be seen before the outcome of the write: Netty may run a write's
 * listeners as a later task on the event loop, after the read that finds the connection closed.
 * So a non-idempotent call whose write is still unsettled waits for it: a failed write retries, a
 * successful one fails the call.
 * A call retries at most once, within its original deadline; a failure on a fresh connection is
 * never retried.
 *
 * <p>Threading: settled from event loops and, on interrupt or the client's close, from that
 * thread; the atomic
 * flags make settling, retrying and releasing happen once. Attempt state (the write's outcome,
 * {@code responseStarted}, a loss waiting for the write) is written and read on the attempt
 * channel's event loop.
 */
final class Exchange {
  static final AttributeKey<Exchange> KEY = AttributeKey.valueOf("phalanx.http.exchange");
  /** Set on a channel the first time the pool hands it out; present = it sat in the pool. */
  static final AttributeKey<Boolean> POOLED = AttributeKey.valueOf("phalanx.http.pooled");
  private static final Set<String> IDEMPOTENT =
      Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  final CompletableFuture<HttpClientResponse> result = new CompletableFuture<>();
  private final boolean idempotent;
  private final Supplier<FullHttpRequest> request;
  private final AtomicBoolean settled = new AtomicBoolean();
  private final AtomicBoolean retried = new AtomicBoolean();
  private volatile Attempt attempt;
  private volatile ScheduledFuture<?> timer;
  private volatile Runnable retry;

  /**
   * @param request builds the Netty request for one attempt (each write consumes one, and the
   *     deadline header is computed at that moment)
   */
  Exchange(String method, Supplier<FullHttpRequest> request) {
    this.idempotent = IDEMPOTENT.contains(method);
    this.request = request;
  }

  /** One channel's try at the call. */
  private static final class Attempt {
    /** Where the channel came from, and goes back to. */
    final ChannelPool pool;
    final Channel channel;
    final boolean reused;
    final AtomicBoolean released = new AtomicBoolean();
    /** The write's listener ran; until then a loss of a non-idempotent call waits for it. */
    volatile boolean writeSettled;
    volatile boolean written;
    /**
     * The request's write, set before it starts: its state is exact on the event loop, while
     * writeDone may run as a later task (when the write began on another thread) — after the
     * reply was read.
     */
    volatile io.netty.util.concurrent.Future<Void> write;
    volatile boolean responseStarted;
    /** The connection's loss, seen while the write was unsettled. */
    Throwable lostWhileWriting;

    Attempt(ChannelPool pool, Channel channel, boolean reused) {
      this.pool = pool;
      this.channel = channel;
      this.reused = reused;
    }
  }

  void timer(ScheduledFuture<?> timer) {
    this.timer = timer;
    if (settled.get()) {
      timer.cancel(false);
    }
  }

  /** How to send again on a fresh connection; set once by the connector before the first send. */
  void onRetry(Runnable retry) {
    this.retry = retry;
  }

  boolean isSettled() {
    return settled.get();
  }

  FullHttpRequest newRequest() {
    return request.get();
  }

  /**
   * Binds the acquired channel; returns false (and gives the channel back) when the call was
   * already settled, e.g. the deadline passed while waiting for a free connection.
   *
   * @param pool where {@code ch} came from, and goes back to (a retry may use another pool of
   *     the same host)
   * @param reused whether the channel came out of the pool's idle set (and may be stale)
   */
  boolean attach(ChannelPool pool, Channel ch, boolean reused) {
    Attempt a = new Attempt(pool, ch, reused);
    attempt = a;
    ch.attr(KEY).set(this);
    if (settled.get()) {
      ch.attr(KEY).set(null);
      release(a, false);
      return false;
    }
    return true;
  }

  /**
   * The write of the request on {@code ch} settled.
   *
   * @param failure null when the whole request reached the socket; else why the write failed
   */
  void writeDone(Channel ch, Throwable failure) {
    Attempt a = attempt;
    if (a == null || a.channel != ch) {
      return;
    }
    a.writeSettled = true;
    if (failure != null) {
      retryOrFail(a, failure, false);
      return;
    }
    a.written = true;
    if (a.lostWhileWriting != null) {
      retryOrFail(a, a.lostWhileWriting, true);
    }
  }

  /** The write of the request on {@code ch} is {@code write}; called before it starts. */
  void writing(Channel ch, io.netty.util.concurrent.Future<Void> write) {
    Attempt a = attempt;
    if (a != null && a.channel == ch) {
      a.write = write;
    }
  }

  private static boolean wholeRequestWritten(Attempt a) {
    io.netty.util.concurrent.Future<Void> w = a.write;
    return a.written || w != null && w.isSuccess();
  }

  /** A byte of the response arrived: from now on the attempt is never repeated. */
  void responseStarted(Channel ch) {
    Attempt a = attempt;
    if (a != null && a.channel == ch) {
      a.responseStarted = true;
    }
  }

  /**
   * The attempt on {@code ch} failed at the connection level (reset, close, bad response): retry
   * once when the rules in the class comment allow it, else fail with {@code error}.
   */
  void lost(Channel ch, Throwable error) {
    Attempt a = attempt;
    if (a == null || a.channel != ch) {
      return; // an attempt already given up
    }
    if (!idempotent && !a.writeSettled) {
      if (a.lostWhileWriting == null) {
        a.lostWhileWriting = error; // writeDone decides
      }
      return;
    }
    retryOrFail(a, error, a.written);
  }

  private void retryOrFail(Attempt a, Throwable error, boolean completeRequestSent) {
    Runnable again = retry;
    if (again != null && a.reused && !a.responseStarted && (idempotent || !completeRequestSent)
        && !settled.get() && retried.compareAndSet(false, true)) {
      attempt = null;
      a.channel.attr(KEY).set(null);
      release(a, true);
      again.run();
      return;
    }
    fail(error);
  }

  /**
   * The reply arrived: the channel goes back to the pool, then the caller has the reply, without
   * waiting for the pool to confirm the release.
   */
  void succeed(Channel ch, HttpClientResponse response, boolean keepAlive) {
    if (!settled.compareAndSet(false, true)) {
      return;
    }
    cancelTimer();
    ch.attr(KEY).set(null);
    Attempt a = attempt;
    // A reply that came before the whole request was written (a server refusing a large body
    // early) leaves the rest of the request in flight: the server would read it as the next one.
    if (!keepAlive || a == null || a.channel != ch || !wholeRequestWritten(a)) {
      ch.close();
    }
    // The caller is not made to wait for the pool's confirmation of the release: that runs on the
    // pool's event loop, which a closing client may have stopped, and the call would never end.
    // Released before completing all the same: on this event loop the channel is back among the
    // idle ones when release returns, so the caller's next call finds it.
    try {
      if (a != null && a.channel == ch && a.released.compareAndSet(false, true)) {
        a.pool.release(ch);
      }
    } finally {
      result.complete(response);
    }
  }

  /** Fails the call; a channel in the middle of an exchange cannot be reused, so it is closed. */
  void fail(Throwable error) {
    if (!settled.compareAndSet(false, true)) {
      return;
    }
    cancelTimer();
    Attempt a = attempt;
    try {
      if (a != null) {
        a.channel.attr(KEY).set(null);
        release(a, true);
      }
    } finally {
      result.completeExceptionally(error);
    }
  }

  private void release(Attempt a, boolean close) {
    if (a.released.compareAndSet(false, true)) {
      if (close) {
        a.channel.close();
      }
      a.pool.release(a.channel);
    }
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
  }
}
