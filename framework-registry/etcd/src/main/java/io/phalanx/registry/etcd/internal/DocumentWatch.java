package io.phalanx.registry.etcd.internal;

import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.registry.etcd.api.Event;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.RangeResponse;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the configuration documents in a {@link KeyRange} for one
 * {@link ConfigSource.Listener}: delivers the documents of each read and, after every watch
 * response with events, the complete list again (PUT replaces a document, DELETE removes it).
 * Reading, watching and starting over after a failure are {@link RangeFollower}'s; each failure
 * goes to {@link ConfigSource.Listener#failed}, and the fresh read after it is delivered.
 *
 * <p>Threading: the documents are touched only from the follower's calls, under its lock.
 * Listener calls go through one {@link SerialExecutor}, so they never overlap and arrive in order.
 * Each call checks {@code closed} when it runs, and {@link #close()} waits until the executor has
 * passed every call queued before it, so no call runs or starts after {@code close()} returns
 * (unless the listener itself closes the watch: it cannot wait for its own call to end).
 */
public final class DocumentWatch implements ConfigSource.Watch {

  private static final Logger log = LoggerFactory.getLogger(DocumentWatch.class);

  private final String description;
  private final SerialExecutor calls;
  private final ConfigSource.Listener listener;
  private final RangeFollower follower;

  private final TreeMap<String, ConfigDocument> current = new TreeMap<>();
  // volatile: read by listener calls
  private volatile boolean closed;
  private volatile Thread delivering;

  /**
   * @param description names the source in failures, e.g. {@code etcd /config/ at http://…}
   * @param callbacks runs listener calls (through a serial executor of this watch)
   */
  public DocumentWatch(EtcdConnection conn, KeyRange range, String description,
      ScheduledExecutorService scheduler, Executor callbacks, ConfigSource.Listener listener,
      Duration backoffInitial, Duration backoffMax) {
    this.description = description;
    this.calls = new SerialExecutor(callbacks);
    this.listener = listener;
    this.follower = new RangeFollower(conn,
        () -> conn.unary(KVGrpc.newBlockingStub(conn.channel()), s -> s.range(range.rangeRequest())),
        range::watchFrom, scheduler, backoffInitial, backoffMax, new Documents());
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
  public void start() {
    follower.start();
  }

  /**
   * Stops the watch; idempotent. Returns once no listener call is running and none will start;
   * waits for a running call to finish (not when called from the listener itself).
   */
  @Override
  public void close() {
    closed = true;
    follower.close();
    if (Thread.currentThread() != delivering) {
      awaitQueuedCalls();
    }
  }

  /** Keeps the documents as the follower reports the range. */
  private final class Documents implements RangeFollower.Owner {
    @Override
    public void reset(List<KeyValue> kvs) {
      current.clear();
      for (KeyValue kv : kvs) {
        ConfigDocument d = document(kv);
        current.put(d.key(), d);
      }
      deliverDocuments();
    }

    @Override
    public void apply(List<Event> events) {
      for (Event e : events) {
        if (e.getType() == Event.EventType.DELETE) {
          current.remove(e.getKv().getKey().toStringUtf8());
        } else {
          ConfigDocument d = document(e.getKv());
          current.put(d.key(), d);
        }
      }
      deliverDocuments();
    }

    @Override
    public void failed(String what, Throwable cause, long retryMillis) {
      ConfigException failure = new ConfigException(description + ": " + what + ": "
          + Reason.of(cause) + "; retrying in " + retryMillis + " ms", cause);
      log.debug("{}", failure.getMessage());
      calls.execute(() -> call(() -> listener.failed(failure)));
    }
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

  private static ConfigDocument document(KeyValue kv) {
    return ConfigDocument.of(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8());
  }
}
