package io.phalanx.registry.etcd.internal;

import com.google.protobuf.ByteString;
import io.phalanx.registry.etcd.api.Event;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.api.WatchResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows who leads an election: reads every key of the {@link RevisionQueue}, watches the queue
 * from the next revision, keeps the keys by create revision and, whenever the first key (the
 * leader) or its value changed, hands it to the observer — first the current leader (or none).
 * After a broken stream, a cancelled watcher or a compacted revision it starts over with a fresh
 * read after a capped exponential backoff; the observer then hears only of a real change.
 *
 * <p>Threading: state is guarded by {@code this}; watch responses arrive on gRPC's threads. Reads
 * and observer calls run on one daemon thread of this watch, so the observer is called on one
 * thread, one call at a time, in order. After {@link #close()} returns no call runs or starts
 * (unless the observer itself closes the watch: it cannot wait for its own call).
 */
public final class LeaderWatch implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LeaderWatch.class);

  private final EtcdConnection conn;
  private final RevisionQueue queue;
  private final Consumer<Optional<KeyValue>> observer;
  private final Backoff backoff;
  private final ScheduledThreadPoolExecutor worker;

  private final Map<ByteString, KeyValue> byKey = new HashMap<>();
  private final TreeMap<Long, KeyValue> byRevision = new TreeMap<>();
  private boolean delivered;
  private KeyValue last;
  private WatchStream stream;
  private ScheduledFuture<?> retry;
  private volatile boolean closed;
  private volatile Thread workerThread;

  public LeaderWatch(EtcdConnection conn, RevisionQueue queue,
      Consumer<Optional<KeyValue>> observer, Duration backoffInitial, Duration backoffMax) {
    this.conn = conn;
    this.queue = queue;
    this.observer = observer;
    this.backoff = new Backoff(backoffInitial, backoffMax);
    DaemonThreadFactory threads = new DaemonThreadFactory("election-observe");
    this.worker = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = threads.newThread(r);
      workerThread = t;
      return t;
    });
    worker.setRemoveOnCancelPolicy(true);
    worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // no retry after close()
  }

  /** Starts reading in the background. */
  public synchronized void start() {
    retry = worker.schedule(this::attempt, 0, TimeUnit.MILLISECONDS);
  }

  /** Stops; idempotent. Waits for a running observer call unless called from it. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (retry != null) {
        retry.cancel(false);
      }
      stopStream();
    }
    worker.shutdown();
    if (Thread.currentThread() != workerThread) {
      boolean interrupted = false;
      while (true) {
        try {
          if (worker.awaitTermination(1, TimeUnit.MINUTES)) {
            break;
          }
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void attempt() {
    if (closed) {
      return;
    }
    conn.resetConnectBackoff();
    RangeResponse r;
    try {
      r = queue.all();
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
      byKey.clear();
      byRevision.clear();
      r.getKvsList().forEach(this::put);
      deliverIfChanged();
      try {
        stream = WatchStream.open(conn, queue.watchFrom(r.getHeader().getRevision() + 1),
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
      retryLater("the watch fell behind compaction", null);
      return;
    }
    if (r.getCanceled()) {
      retryLater("etcd cancelled the watch: " + r.getCancelReason(), null);
      return;
    }
    if (r.getCreated()) {
      backoff.reset();
      return;
    }
    if (r.getEventsCount() == 0) {
      return;
    }
    for (Event e : r.getEventsList()) {
      if (e.getType() == Event.EventType.DELETE) {
        KeyValue gone = byKey.remove(e.getKv().getKey());
        if (gone != null) {
          byRevision.remove(gone.getCreateRevision());
        }
      } else {
        put(e.getKv());
      }
    }
    deliverIfChanged();
  }

  private synchronized void onBroken(WatchStream s, Throwable cause) {
    if (s == stream && !closed) {
      retryLater("the watch stream broke", cause);
    }
  }

  private void put(KeyValue kv) {
    KeyValue old = byKey.put(kv.getKey(), kv);
    if (old != null) {
      byRevision.remove(old.getCreateRevision());
    }
    byRevision.put(kv.getCreateRevision(), kv);
  }

  /** Holds the lock. */
  private void deliverIfChanged() {
    KeyValue leader = byRevision.isEmpty() ? null : byRevision.firstEntry().getValue();
    if (delivered && same(leader, last)) {
      return;
    }
    delivered = true;
    last = leader;
    Optional<KeyValue> value = Optional.ofNullable(leader);
    try {
      worker.execute(() -> {
        if (closed) {
          return;
        }
        try {
          observer.accept(value);
        } catch (RuntimeException e) {
          log.warn("an election observer threw; it stays subscribed", e);
        }
      });
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  private static boolean same(KeyValue a, KeyValue b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.getKey().equals(b.getKey()) && a.getCreateRevision() == b.getCreateRevision()
        && a.getValue().equals(b.getValue());
  }

  /** Holds the lock. */
  private void retryLater(String what, Throwable cause) {
    if (closed) {
      return;
    }
    stopStream();
    long delay = backoff.nextDelayMillis();
    log.debug("election observer on {}: {}{}; retrying in {} ms", queue, what,
        cause == null ? "" : ": " + Reason.of(cause), delay);
    try {
      retry = worker.schedule(this::attempt, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  private void stopStream() {
    WatchStream s = stream;
    stream = null;
    if (s != null) {
      s.cancel();
    }
  }
}
