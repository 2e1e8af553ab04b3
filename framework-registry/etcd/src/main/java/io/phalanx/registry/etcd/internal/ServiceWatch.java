package io.phalanx.registry.etcd.internal;

import com.google.protobuf.ByteString;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.etcd.api.Event;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.api.WatchCreateRequest;
import io.phalanx.registry.etcd.api.WatchResponse;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one etcd watch of a service name, shared by all its listeners. It keeps the instances
 * under {@code {namespace}/{name}/} in memory, applies watch events to them and hands every
 * listener the full list after each change (never a delta).
 *
 * <p>Unlike Kratos, which re-reads the whole prefix on every event, events are applied
 * incrementally and the revision is tracked: after a broken stream (etcd restart, fail-over,
 * partition) the watch resumes at the last seen revision + 1 so no change is missed; if etcd
 * compacted that revision away, the prefix is read again and the watch continues from there.
 * Reconnects use capped exponential backoff forever; each loss and recovery is logged once.
 *
 * <p>Threading: state is guarded by {@code this}; listener calls go through one
 * {@link SerialExecutor}, so they never overlap and arrive in order.
 */
public final class ServiceWatch {

  private static final Logger log = LoggerFactory.getLogger(ServiceWatch.class);

  private enum State { WATCHING, RECOVERING, CLOSED }

  private final EtcdConnection conn;
  private final ScheduledExecutorService scheduler;
  private final Executor recoveries;
  private final InstanceCodec codec;
  private final String name;
  private final ByteString prefix;
  private final ByteString rangeEnd;
  private final Backoff backoff;
  private final SerialExecutor calls;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  private final TreeMap<String, ServiceInstance> current = new TreeMap<>();
  private List<ServiceInstance> delivered;
  private long revision;
  private State state = State.RECOVERING;
  private WatchStream stream;
  private ScheduledFuture<?> retry;
  private boolean reloadNeeded;

  /**
   * @param scheduler times the reconnects; nothing run there waits for etcd
   * @param recoveries runs the reconnects, which may read the service again (waiting for etcd)
   */
  public ServiceWatch(EtcdConnection conn, ScheduledExecutorService scheduler,
      Executor recoveries, Executor callbacks,
      InstanceCodec codec, String name, ByteString prefix, Duration backoffInitial,
      Duration backoffMax) {
    this.conn = conn;
    this.scheduler = scheduler;
    this.recoveries = recoveries;
    this.codec = codec;
    this.name = name;
    this.prefix = prefix;
    this.rangeEnd = EtcdConnection.prefixEnd(prefix);
    this.backoff = new Backoff(backoffInitial, backoffMax);
    this.calls = new SerialExecutor(callbacks);
  }

  /** Reads the current instances and opens the watch; throws if etcd cannot be reached. */
  public synchronized void start() {
    reload();
    openStream();
    state = State.WATCHING;
  }

  /**
   * Adds a listener; it is called with the current list first, then after every change. The
   * returned handle removes it (idempotent).
   */
  public synchronized Runnable addListener(Consumer<List<ServiceInstance>> onChange) {
    Listener l = new Listener(onChange);
    listeners.add(l);
    List<ServiceInstance> now = delivered;
    calls.execute(() -> l.call(now));
    return () -> {
      l.active = false;
      listeners.remove(l);
    };
  }

  public boolean hasListeners() {
    return !listeners.isEmpty();
  }

  /** Stops the watch stream; listeners get no more calls. */
  public synchronized void close() {
    state = State.CLOSED;
    for (Listener l : listeners) {
      l.active = false;
    }
    listeners.clear();
    if (retry != null) {
      retry.cancel(false);
    }
    stopStream();
  }

  private void reload() {
    RangeResponse r = conn.unary(KVGrpc.newBlockingStub(conn.channel()),
        s -> s.range(RangeRequest.newBuilder().setKey(prefix).setRangeEnd(rangeEnd).build()));
    current.clear();
    for (KeyValue kv : r.getKvsList()) {
      put(kv);
    }
    revision = r.getHeader().getRevision();
    deliver();
  }

  private void openStream() {
    stream = WatchStream.open(conn, WatchCreateRequest.newBuilder().setKey(prefix)
        .setRangeEnd(rangeEnd).setStartRevision(revision + 1).setProgressNotify(true).build(),
        this::onResponse, this::onBroken);
  }

  private synchronized void onBroken(WatchStream s, Throwable cause) {
    lost(s, "watch stream failed: " + LeaseKeeper.describe(cause));
  }

  private synchronized void onResponse(WatchStream s, WatchResponse r) {
    if (s != stream || state == State.CLOSED) {
      return;
    }
    if (r.getCompactRevision() > 0) {
      // the revision we wanted to resume from is gone: read everything again
      log.info("etcd watch of {} fell behind compaction (compacted at revision {}); "
          + "re-reading the service", name, r.getCompactRevision());
      reloadNeeded = true;
      stopStream();
      state = State.RECOVERING;
      backoff.reset();
      scheduleAttempt(0);
      return;
    }
    if (r.getCanceled()) {
      // etcd 3.4 cancels a watch whose JWT predates an auth change with "permission denied", a
      // reason that does not say "token": reconnecting with the same token would be cancelled
      // again, for good
      conn.forgetToken();
      lost(s, "etcd cancelled the watch: " + r.getCancelReason());
      return;
    }
    if (r.getCreated()) {
      if (state == State.RECOVERING) {
        log.info("etcd watch of {} restored, resuming at revision {}", name, revision + 1);
        state = State.WATCHING;
        backoff.reset();
      }
      return;
    }
    if (r.getEventsCount() == 0) {
      // progress notification: everything up to this revision has been sent
      revision = Math.max(revision, r.getHeader().getRevision());
      return;
    }
    for (Event e : r.getEventsList()) {
      KeyValue kv = e.getKv();
      if (e.getType() == Event.EventType.DELETE) {
        current.remove(kv.getKey().toStringUtf8());
      } else {
        put(kv);
      }
      revision = Math.max(revision, kv.getModRevision());
    }
    deliver();
  }

  private void put(KeyValue kv) {
    String key = kv.getKey().toStringUtf8();
    try {
      ServiceInstance i = codec.decode(kv.getValue().toByteArray());
      if (!i.name().equals(name)) {
        log.debug("ignoring {}: it names service {}", key, i.name());
        current.remove(key);
        return;
      }
      current.put(key, i);
    } catch (IllegalArgumentException e) {
      log.warn("ignoring etcd key {}: not a service instance ({})", key, e.getMessage());
      current.remove(key);
    }
  }

  private void deliver() {
    List<ServiceInstance> list = List.copyOf(current.values());
    if (list.equals(delivered)) {
      return; // e.g. a re-registration that wrote the same value under a new lease
    }
    delivered = list;
    for (Listener l : listeners) {
      calls.execute(() -> l.call(list));
    }
  }

  private void lost(WatchStream s, String reason) {
    if (s != stream || state == State.CLOSED) {
      return;
    }
    stopStream();
    if (state == State.WATCHING) {
      state = State.RECOVERING;
      backoff.reset();
      log.warn("etcd watch of {} lost ({}); reconnecting in the background", name, reason);
    }
    scheduleAttempt(backoff.nextDelayMillis());
  }

  /**
   * An attempt may read the whole service, waiting up to a request timeout on a slow etcd: not on
   * the scheduler, which sends the registry's lease renewals.
   */
  private void scheduleAttempt(long delayMillis) {
    retry = scheduler.schedule(() -> recoveries.execute(this::attempt), delayMillis,
        TimeUnit.MILLISECONDS);
  }

  private synchronized void attempt() {
    if (state != State.RECOVERING) {
      return;
    }
    conn.resetConnectBackoff();
    try {
      if (reloadNeeded) {
        reload();
        reloadNeeded = false;
      }
      openStream(); // "restored" is logged when etcd confirms the watch
    } catch (RuntimeException e) {
      log.debug("re-opening the watch of {} failed: {}", name, LeaseKeeper.describe(e));
      stopStream();
      scheduleAttempt(backoff.nextDelayMillis());
    }
  }

  private void stopStream() {
    WatchStream s = stream;
    stream = null; // callbacks still in flight for s find another stream and are ignored
    if (s != null) {
      s.cancel();
    }
  }

  private static final class Listener {
    private final Consumer<List<ServiceInstance>> onChange;
    volatile boolean active = true;

    Listener(Consumer<List<ServiceInstance>> onChange) {
      this.onChange = onChange;
    }

    void call(List<ServiceInstance> list) {
      if (active) {
        onChange.accept(list);
      }
    }
  }
}
