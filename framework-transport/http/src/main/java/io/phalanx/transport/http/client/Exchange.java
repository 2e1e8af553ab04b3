package io.phalanx.transport.http.client;

import io.netty.channel.Channel;
import io.netty.channel.pool.ChannelPool;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The network half of one call: which pooled channel it holds and the future the caller waits on.
 * Exactly one of response, failure or timeout settles it; whoever wins returns the channel to the
 * pool (closed unless it can carry another request).
 *
 * <p>Threading: settled from event loops and, on interrupt, from the calling thread; the atomic
 * flags make settling and releasing happen once.
 */
final class Exchange {
  static final AttributeKey<Exchange> KEY = AttributeKey.valueOf("phalanx.http.exchange");

  final CompletableFuture<HttpClientResponse> result = new CompletableFuture<>();
  private final ChannelPool pool;
  private final AtomicBoolean settled = new AtomicBoolean();
  private final AtomicBoolean released = new AtomicBoolean();
  private volatile Channel channel;
  private volatile ScheduledFuture<?> timer;

  Exchange(ChannelPool pool) {
    this.pool = pool;
  }

  void timer(ScheduledFuture<?> timer) {
    this.timer = timer;
    if (settled.get()) {
      timer.cancel(false);
    }
  }

  boolean isSettled() {
    return settled.get();
  }

  /**
   * Binds the acquired channel; returns false (and gives the channel back) when the call was
   * already settled, e.g. the deadline passed while waiting for a free connection.
   */
  boolean attach(Channel ch) {
    channel = ch;
    ch.attr(KEY).set(this);
    if (settled.get()) {
      ch.attr(KEY).set(null);
      release(ch, false);
      return false;
    }
    return true;
  }

  /** The reply arrived; the channel goes back to the pool first, so the next call can reuse it. */
  void succeed(Channel ch, HttpClientResponse response, boolean keepAlive) {
    if (!settled.compareAndSet(false, true)) {
      return;
    }
    cancelTimer();
    ch.attr(KEY).set(null);
    if (!keepAlive) {
      ch.close();
    }
    if (released.compareAndSet(false, true)) {
      pool.release(ch).addListener(f -> result.complete(response));
    } else {
      result.complete(response);
    }
  }

  /** Fails the call; a channel in the middle of an exchange cannot be reused, so it is closed. */
  void fail(Throwable error) {
    if (!settled.compareAndSet(false, true)) {
      return;
    }
    cancelTimer();
    Channel ch = channel;
    if (ch != null) {
      ch.attr(KEY).set(null);
      release(ch, true);
    }
    result.completeExceptionally(error);
  }

  private void release(Channel ch, boolean close) {
    if (released.compareAndSet(false, true)) {
      if (close) {
        ch.close();
      }
      pool.release(ch);
    }
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
  }
}
