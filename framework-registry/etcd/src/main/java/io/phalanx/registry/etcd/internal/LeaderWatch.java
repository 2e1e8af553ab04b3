package io.phalanx.registry.etcd.internal;

import com.google.protobuf.ByteString;
import io.phalanx.registry.etcd.api.Event;
import io.phalanx.registry.etcd.api.KeyValue;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows who leads an election: keeps the keys of the {@link RevisionQueue} by create revision as
 * {@link RangeFollower} reports them and, whenever the first key (the leader) or its value
 * changed, hands it to the observer — first the current leader (or none). After a failure the
 * follower starts over with a fresh read; the observer then hears only of a real change.
 *
 * <p>Threading: the keys are touched only from the follower's calls, under its lock. Reads and
 * observer calls run on one daemon thread of this watch, so the observer is called on one thread,
 * one call at a time, in order. After {@link #close()} returns no call runs or starts (unless the
 * observer itself closes the watch: it cannot wait for its own call).
 */
public final class LeaderWatch implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LeaderWatch.class);

  private final RevisionQueue queue;
  private final Consumer<Optional<KeyValue>> observer;
  private final ScheduledThreadPoolExecutor worker;
  private final RangeFollower follower;

  private final Map<ByteString, KeyValue> byKey = new HashMap<>();
  private final TreeMap<Long, KeyValue> byRevision = new TreeMap<>();
  private boolean delivered;
  private KeyValue last;
  private volatile boolean closed;
  private volatile Thread workerThread;

  public LeaderWatch(EtcdConnection conn, RevisionQueue queue,
      Consumer<Optional<KeyValue>> observer, Duration backoffInitial, Duration backoffMax) {
    this.queue = queue;
    this.observer = observer;
    DaemonThreadFactory threads = new DaemonThreadFactory("election-observe");
    this.worker = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = threads.newThread(r);
      workerThread = t;
      return t;
    });
    worker.setRemoveOnCancelPolicy(true);
    worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // no retry after close()
    this.follower = new RangeFollower(conn, queue::all, queue::watchFrom, worker, backoffInitial,
        backoffMax, new Keys());
  }

  /** Starts reading in the background. */
  public void start() {
    follower.start();
  }

  /** Stops; idempotent. Waits for a running observer call unless called from it. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    follower.close();
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

  /** Keeps the queue's keys as the follower reports them. */
  private final class Keys implements RangeFollower.Owner {
    @Override
    public void reset(List<KeyValue> kvs) {
      byKey.clear();
      byRevision.clear();
      kvs.forEach(LeaderWatch.this::put);
      deliverIfChanged();
    }

    @Override
    public void apply(List<Event> events) {
      for (Event e : events) {
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

    @Override
    public void failed(String what, Throwable cause, long retryMillis) {
      log.debug("election observer on {}: {}{}; retrying in {} ms", queue, what,
          cause == null ? "" : ": " + Reason.of(cause), retryMillis);
    }
  }

  private void put(KeyValue kv) {
    KeyValue old = byKey.put(kv.getKey(), kv);
    if (old != null) {
      byRevision.remove(old.getCreateRevision());
    }
    byRevision.put(kv.getCreateRevision(), kv);
  }

  /** From the follower's calls. */
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
}
