package io.phalanx.transport.http.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The bounded connection pool of one {@code scheme://host:port}, which retires itself once it has
 * no open connection (idle or leased) and no acquire under way, pending ones included. With
 * discovery churn every instance brings a new port, so pools that were kept forever would add up
 * without bound.
 *
 * <p>Every acquire is preceded by {@link #retain()}, which fails once the pool is retired: the
 * caller then drops it from its map and makes the host a new one. The hold ends when the acquire
 * fails or the channel it gave is released. Holders and open connections share one atomic word,
 * so retiring (both zero) and retaining can never both succeed: no acquire ever reaches a retired
 * pool. A connection is only opened by an acquire, that is under a hold, so the count of
 * connections can never rise from zero on its own.
 *
 * <p>Retiring closes nothing: every channel the pool made is closed by then and no acquire waits.
 *
 * <p>Threading: thread-safe; channel callbacks run on the event loops.
 */
final class HostPool implements ChannelPool {
  private static final long HOLDER = 1L << 32;
  private static final long CONNECTION = 1L;
  private static final long RETIRED = -1L;

  private final FixedChannelPool pool;
  private final Consumer<HostPool> retired;
  /** Holders in the high 32 bits, open connections in the low 32; {@link #RETIRED} at the end. */
  private final AtomicLong state = new AtomicLong();

  /**
   * @param bootstrap connects to the host
   * @param pipeline sets up a new channel's pipeline
   * @param maxConnections the pool's bound; acquires beyond it wait
   * @param retired told once, when the pool retires
   */
  HostPool(Bootstrap bootstrap, Consumer<Channel> pipeline, int maxConnections,
      Consumer<HostPool> retired) {
    this.retired = retired;
    this.pool = new FixedChannelPool(bootstrap, new AbstractChannelPoolHandler() {
      @Override
      public void channelCreated(Channel ch) {
        pipeline.accept(ch);
        state.addAndGet(CONNECTION);
        ch.closeFuture().addListener(f -> drop(CONNECTION));
      }
    }, ChannelHealthChecker.ACTIVE, null, -1, maxConnections, Integer.MAX_VALUE, true, true);
  }

  /** Takes a hold for one acquire; false once the pool is retired (use the host's new one). */
  boolean retain() {
    for (;;) {
      long s = state.get();
      if (s == RETIRED) {
        return false;
      }
      if (state.compareAndSet(s, s + HOLDER)) {
        return true;
      }
    }
  }

  /** A channel for a holder ({@link #retain()} first); a failed acquire ends the hold. */
  @Override
  public Future<Channel> acquire() {
    return watchAcquire(pool.acquire());
  }

  /** As {@link #acquire()}. */
  @Override
  public Future<Channel> acquire(Promise<Channel> promise) {
    return watchAcquire(pool.acquire(promise));
  }

  private Future<Channel> watchAcquire(Future<Channel> acquire) {
    acquire.addListener(f -> {
      if (!f.isSuccess()) {
        drop(HOLDER);
      }
    });
    return acquire;
  }

  /** Gives back a channel {@link #acquire()} gave; the hold ends once the pool has it back. */
  @Override
  public Future<Void> release(Channel channel) {
    return release(channel, channel.eventLoop().newPromise());
  }

  @Override
  public Future<Void> release(Channel channel, Promise<Void> promise) {
    // success or not (a closed channel is refused): the channel is no longer this holder's
    promise.addListener(f -> drop(HOLDER));
    return pool.release(channel, promise);
  }

  /** Closes the idle connections and fails waiting acquires (the client is closing). */
  @Override
  public void close() {
    pool.close();
  }

  private void drop(long unit) {
    if (state.addAndGet(-unit) == 0 && state.compareAndSet(0, RETIRED)) {
      retired.accept(this);
    }
  }
}
