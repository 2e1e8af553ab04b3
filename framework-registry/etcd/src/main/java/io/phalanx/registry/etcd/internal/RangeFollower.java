package io.phalanx.registry.etcd.internal;

import io.phalanx.registry.etcd.api.Event;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.api.WatchCreateRequest;
import io.phalanx.registry.etcd.api.WatchResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * Keeps an owner's copy of a key range in step with etcd: reads the range and hands over its
 * key-values, watches from the next revision and hands over each response's events. When the
 * stream breaks, etcd cancels the watcher or has compacted the revision it should start from, it
 * tells the owner and, after a capped exponential backoff, starts over with a fresh read. Unlike
 * {@link ServiceWatch} it does not resume at the last revision: a fresh read of a few keys is
 * cheap and needs no special case for compaction.
 *
 * <p>The configuration and election watches use it; they differ only in what they keep and
 * deliver.
 *
 * <p>Threading: every {@link Owner} call runs with this follower's lock held and in order, so
 * owner state touched only from those calls needs no lock of its own; the calls must not block
 * (owners hand deliveries to an executor). Reads run on the scheduler (not under the lock:
 * {@link #close()} must not wait for a read that may take the request timeout), watch responses
 * on gRPC's threads. After {@link #close()} returns no owner call starts.
 */
final class RangeFollower {

  /** What the follower tells the range's owner; called with the follower's lock held. */
  interface Owner {
    /** A fresh read: the range now holds exactly {@code kvs}. */
    void reset(List<KeyValue> kvs);

    /** One watch response's events, in revision order. */
    void apply(List<Event> events);

    /** Following stopped for {@code what}; it starts over in {@code retryMillis}. */
    void failed(String what, Throwable cause, long retryMillis);
  }

  private final EtcdConnection conn;
  private final Supplier<RangeResponse> read;
  private final LongFunction<WatchCreateRequest> watchFrom;
  private final ScheduledExecutorService scheduler;
  private final Backoff backoff;
  private final Owner owner;

  private WatchStream stream;
  private ScheduledFuture<?> retry;
  private boolean closed;

  /**
   * @param read reads the whole range (on the scheduler)
   * @param watchFrom the watch request for the range from a revision
   */
  RangeFollower(EtcdConnection conn, Supplier<RangeResponse> read,
      LongFunction<WatchCreateRequest> watchFrom, ScheduledExecutorService scheduler,
      Duration backoffInitial, Duration backoffMax, Owner owner) {
    this.conn = conn;
    this.read = read;
    this.watchFrom = watchFrom;
    this.scheduler = scheduler;
    this.backoff = new Backoff(backoffInitial, backoffMax);
    this.owner = owner;
  }

  /** Starts reading in the background. */
  synchronized void start() {
    retry = scheduler.schedule(this::attempt, 0, TimeUnit.MILLISECONDS);
  }

  /** Stops; idempotent. No owner call starts after it returns. */
  synchronized void close() {
    closed = true;
    if (retry != null) {
      retry.cancel(false);
    }
    stopStream();
  }

  /** Reads the range, hands it over and opens the watch from the next revision. */
  private void attempt() {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    // after a failure grpc may be backing off its reconnects for far longer than we do
    conn.resetConnectBackoff();
    RangeResponse r;
    try {
      r = read.get();
    } catch (RuntimeException e) {
      synchronized (this) {
        retryLater("cannot read", e);
      }
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      owner.reset(r.getKvsList());
      try {
        stream = WatchStream.open(conn, watchFrom.apply(r.getHeader().getRevision() + 1),
            this::onResponse, this::onBroken);
      } catch (RuntimeException e) {
        retryLater("cannot watch", e);
      }
    }
  }

  private synchronized void onResponse(WatchStream s, WatchResponse r) {
    if (s != stream || closed) {
      return;
    }
    if (r.getCompactRevision() > 0) {
      retryLater("the watch fell behind compaction", new IllegalStateException(
          "etcd compacted revision " + r.getCompactRevision()));
      return;
    }
    if (r.getCanceled()) {
      retryLater("etcd cancelled the watch", new IllegalStateException(r.getCancelReason()));
      return;
    }
    if (r.getCreated()) {
      backoff.reset(); // read and watch both work again
      return;
    }
    if (r.getEventsCount() == 0) {
      return; // a progress notification
    }
    owner.apply(r.getEventsList());
  }

  private synchronized void onBroken(WatchStream s, Throwable cause) {
    if (s == stream && !closed) {
      retryLater("the watch stream broke", cause);
    }
  }

  /** Tells the owner and schedules a fresh start; holds the lock. */
  private void retryLater(String what, Throwable cause) {
    if (closed) {
      return;
    }
    stopStream();
    long delay = backoff.nextDelayMillis();
    owner.failed(what, cause, delay);
    try {
      retry = scheduler.schedule(this::attempt, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException shutDown) {
      // the owner's scheduler is closing
    }
  }

  private void stopStream() {
    WatchStream s = stream;
    stream = null; // callbacks still in flight for s find another stream and are ignored
    if (s != null) {
      s.cancel();
    }
  }
}
