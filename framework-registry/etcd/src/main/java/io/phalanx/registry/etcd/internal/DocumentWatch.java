package io.phalanx.registry.etcd.internal;

import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.registry.etcd.api.Event;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.api.WatchResponse;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the configuration documents in a {@link KeyRange} for one
 * {@link ConfigSource.Listener}: reads the range, delivers the documents, watches from the next
 * revision and, after every watch response with events, delivers the complete list again (PUT
 * replaces a document, DELETE removes it).
 *
 * <p>When the stream breaks, etcd cancels the watcher or has compacted the revision it should
 * start from, the failure goes to {@link ConfigSource.Listener#failed} and, after a capped
 * exponential backoff, everything starts over with a fresh read, which is delivered. Unlike
 * {@link ServiceWatch} it does not resume at the last revision: a fresh read of a few documents
 * is cheap, and it needs no special case for compaction.
 *
 * <p>Threading: state is guarded by {@code this}. Reads and retries run on the scheduler, watch
 * responses on gRPC's threads; listener calls go through one {@link SerialExecutor}, so they never
 * overlap and arrive in order. Each call checks {@code closed} when it runs, and {@link #close()}
 * waits until the executor has passed every call queued before it, so no call runs or starts
 * after {@code close()} returns (unless the listener itself closes the watch: it cannot wait for
 * its own call to end).
 */
public final class DocumentWatch implements ConfigSource.Watch {

  private static final Logger log = LoggerFactory.getLogger(DocumentWatch.class);

  private final EtcdConnection conn;
  private final KeyRange range;
  private final String description;
  private final ScheduledExecutorService scheduler;
  private final SerialExecutor calls;
  private final ConfigSource.Listener listener;
  private final Backoff backoff;

  private final TreeMap<String, ConfigDocument> current = new TreeMap<>();
  private WatchStream stream;
  private ScheduledFuture<?> retry;
  // volatile: also read by listener calls, which do not take the lock
  private volatile boolean closed;
  private volatile Thread delivering;

  /**
   * @param description names the source in failures, e.g. {@code etcd /config/ at http://…}
   * @param callbacks runs listener calls (through a serial executor of this watch)
   */
  public DocumentWatch(EtcdConnection conn, KeyRange range, String description,
      ScheduledExecutorService scheduler, Executor callbacks, ConfigSource.Listener listener,
      Duration backoffInitial, Duration backoffMax) {
    this.conn = conn;
    this.range = range;
    this.description = description;
    this.scheduler = scheduler;
    this.calls = new SerialExecutor(callbacks);
    this.listener = listener;
    this.backoff = new Backoff(backoffInitial, backoffMax);
  }

  /** The documents of a range read, sorted by key; values are decoded as UTF-8. */
  public static List<ConfigDocument> documents(RangeResponse r) {
    TreeMap<String, ConfigDocument> sorted = new TreeMap<>();
    for (KeyValue kv : r.getKvsList()) {
      ConfigDocument d = document(kv);
      sorted.put(d.key(), d);
    }
    return List.copyOf(sorted.values());
  }

  /** Starts reading in the background; failures go to the listener, never to the caller. */
  public synchronized void start() {
    retry = scheduler.schedule(this::attempt, 0, TimeUnit.MILLISECONDS);
  }

  /**
   * Stops the watch; idempotent. Returns once no listener call is running and none will start;
   * waits for a running call to finish (not when called from the listener itself).
   */
  @Override
  public void close() {
    synchronized (this) {
      if (!closed) {
        closed = true;
        if (retry != null) {
          retry.cancel(false);
        }
        stopStream();
      }
    }
    if (Thread.currentThread() != delivering) {
      awaitQueuedCalls();
    }
  }

  /** Reads the range, delivers it and opens the watch from the next revision. */
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
      // not under the lock: close() must not wait for a read that may take the request timeout
      r = conn.unary(KVGrpc.newBlockingStub(conn.channel()), s -> s.range(range.rangeRequest()));
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
      current.clear();
      for (KeyValue kv : r.getKvsList()) {
        ConfigDocument d = document(kv);
        current.put(d.key(), d);
      }
      deliverDocuments();
      try {
        stream = WatchStream.open(conn, range.watchFrom(r.getHeader().getRevision() + 1),
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
    for (Event e : r.getEventsList()) {
      if (e.getType() == Event.EventType.DELETE) {
        current.remove(e.getKv().getKey().toStringUtf8());
      } else {
        ConfigDocument d = document(e.getKv());
        current.put(d.key(), d);
      }
    }
    deliverDocuments();
  }

  private synchronized void onBroken(WatchStream s, Throwable cause) {
    if (s == stream && !closed) {
      retryLater("the watch stream broke", cause);
    }
  }

  /** Reports {@code cause} to the listener and schedules a fresh start; holds the lock. */
  private void retryLater(String what, Throwable cause) {
    if (closed) {
      return;
    }
    stopStream();
    long delay = backoff.nextDelayMillis();
    ConfigException failure = new ConfigException(description + ": " + what + ": "
        + Reason.of(cause) + "; retrying in " + delay + " ms", cause);
    log.debug("{}", failure.getMessage());
    calls.execute(() -> call(() -> listener.failed(failure)));
    retry = scheduler.schedule(this::attempt, delay, TimeUnit.MILLISECONDS);
  }

  private void deliverDocuments() {
    List<ConfigDocument> list = List.copyOf(current.values());
    calls.execute(() -> call(() -> listener.documents(list)));
  }

  /** Runs one listener call on the serial executor, unless the watch is closed by then. */
  private void call(Runnable listenerCall) {
    if (closed) {
      return;
    }
    delivering = Thread.currentThread();
    try {
      listenerCall.run();
    } finally {
      delivering = null;
    }
  }

  /** Waits until the serial executor has run (or skipped) every call queued so far. */
  private void awaitQueuedCalls() {
    CompletableFuture<Void> passed = new CompletableFuture<>();
    try {
      calls.execute(() -> passed.complete(null));
    } catch (RejectedExecutionException poolShutDown) {
      return; // the source is closed: its pool runs nothing any more
    }
    boolean interrupted = false;
    while (true) {
      try {
        passed.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // finish the promise of close(); keep the interrupt for the caller
      } catch (ExecutionException cannotHappen) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void stopStream() {
    WatchStream s = stream;
    stream = null; // callbacks still in flight for s find another stream and are ignored
    if (s != null) {
      s.cancel();
    }
  }

  private static ConfigDocument document(KeyValue kv) {
    return ConfigDocument.of(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8());
  }
}
