package io.phalanx.registry.etcd.internal;

import io.phalanx.registry.etcd.api.LeaseGrantRequest;
import io.phalanx.registry.etcd.api.LeaseGrantResponse;
import io.phalanx.registry.etcd.api.LeaseGrpc;
import io.phalanx.registry.etcd.api.LeaseKeepAliveResponse;
import io.phalanx.registry.etcd.api.LeaseRevokeRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease of a lock/election session, as etcd's Go {@code concurrency.Session} keeps it: granted
 * once, renewed every TTL/3 on a {@link KeepAliveStream}, and never replaced. Unlike
 * {@link LeaseKeeper} it does not recover a lost lease — every key written under it (lock and
 * election keys) is gone with it, so the session is over and {@link #lost()} completes.
 *
 * <p>The lease counts as lost when etcd answers a renewal with TTL 0 (expired or revoked), or
 * when the time etcd promised with the last answered renewal has passed. That promise is counted
 * from when the renewal was <em>sent</em>, so we give up no later than etcd does. A broken
 * keep-alive stream alone is not a loss: it is reopened with capped exponential backoff while the
 * lease may still live (the loss is then detected by the clock).
 *
 * <p>Threading: all state is guarded by {@code this}; gRPC callbacks and scheduled ticks take the
 * lock. {@link #lost()} is completed on the scheduler thread, outside the lock.
 */
public final class SessionLease {

  private static final Logger log = LoggerFactory.getLogger(SessionLease.class);

  private enum State { NEW, ALIVE, LOST, CLOSED }

  private final EtcdConnection conn;
  private final ScheduledExecutorService scheduler;
  private final long ttlSeconds;
  private final Backoff backoff;
  private final CompletableFuture<String> lost = new CompletableFuture<>();
  // send times of the renewals not yet answered, oldest first (answers come in order)
  private final ArrayDeque<Long> pending = new ArrayDeque<>();
  private final Set<Runnable> lostListeners = new LinkedHashSet<>();
  private State state = State.NEW;
  private long leaseId;
  private long expiresNanos;
  private KeepAliveStream stream;
  private ScheduledFuture<?> ticker;
  private ScheduledFuture<?> reopen;

  public SessionLease(EtcdConnection conn, ScheduledExecutorService scheduler, Duration ttl,
      Duration backoffInitial, Duration backoffMax) {
    this.conn = conn;
    this.scheduler = scheduler;
    this.ttlSeconds = Math.max(1, ttl.toSeconds());
    this.backoff = new Backoff(backoffInitial, backoffMax);
    lost.whenComplete((reason, failure) -> {
      List<Runnable> listeners;
      synchronized (lostListeners) {
        listeners = new ArrayList<>(lostListeners);
        lostListeners.clear();
      }
      listeners.forEach(Runnable::run);
    });
  }

  /** Grants the lease and starts renewing it; throws if etcd cannot be reached. */
  public synchronized void start() {
    if (state != State.NEW) {
      throw new IllegalStateException("already started");
    }
    long sent = System.nanoTime();
    LeaseGrantResponse g = conn.unary(LeaseGrpc.newBlockingStub(conn.channel()),
        s -> s.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).build()));
    if (!g.getError().isEmpty()) {
      throw new IllegalStateException("etcd refused a lease: " + g.getError());
    }
    leaseId = g.getID();
    expiresNanos = sent + TimeUnit.SECONDS.toNanos(g.getTTL());
    state = State.ALIVE;
    try {
      stream = KeepAliveStream.open(conn, this::onResponse, this::onBroken);
    } catch (RuntimeException e) {
      scheduleReopen(); // the lease exists; keep trying while it lives
    }
    long periodMillis = Math.max(100, g.getTTL() * 1000 / 3);
    ticker = scheduler.scheduleAtFixedRate(this::tick, periodMillis, periodMillis,
        TimeUnit.MILLISECONDS);
  }

  public synchronized long id() {
    return leaseId;
  }

  /** The TTL asked for, in seconds. */
  public long ttlSeconds() {
    return ttlSeconds;
  }

  /**
   * Completes with the reason once the lease is gone: expired, revoked, not renewed in time, or
   * revoked by {@link #close()}. Never completes exceptionally.
   */
  public CompletableFuture<String> lost() {
    return lost;
  }

  /**
   * Runs {@code listener} once when {@link #lost()} completes (at once if it has); returns what
   * removes it again, so that short waits do not pile up listeners on a long session.
   */
  public Runnable whenLost(Runnable listener) {
    synchronized (lostListeners) {
      if (!lost.isDone()) {
        lostListeners.add(listener);
        return () -> {
          synchronized (lostListeners) {
            lostListeners.remove(listener);
          }
        };
      }
    }
    listener.run();
    return () -> {};
  }

  /** Whether the lease is known to be gone (or was closed). */
  public boolean isLost() {
    return lost.isDone();
  }

  /** Stops renewing and revokes the lease (best effort: if etcd is away, the TTL ends it). */
  public void close() {
    long lease;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
      stop();
      lease = leaseId; // also when we gave up on it: etcd may still hold it
    }
    if (lease != 0) {
      try {
        conn.unary(LeaseGrpc.newBlockingStub(conn.channel()),
            s -> s.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease).build()));
      } catch (RuntimeException e) {
        log.debug("revoking lease {} failed: {}", Long.toHexString(lease),
            LeaseKeeper.describe(e));
      }
    }
    lost.complete("session closed");
  }

  private synchronized void tick() {
    if (state != State.ALIVE) {
      return;
    }
    long now = System.nanoTime();
    if (now - expiresNanos >= 0) {
      lose("no keep-alive answer before the lease's " + ttlSeconds + " s TTL ran out");
      return;
    }
    if (stream == null) {
      return; // being reopened
    }
    try {
      stream.renew(leaseId);
      pending.add(now);
    } catch (RuntimeException e) {
      dropStream();
      scheduleReopen();
    }
  }

  private synchronized void onResponse(KeepAliveStream s, LeaseKeepAliveResponse r) {
    if (s != stream || state != State.ALIVE) {
      return;
    }
    Long sent = pending.poll();
    if (r.getTTL() <= 0) {
      lose("etcd reports lease " + Long.toHexString(leaseId) + " expired or revoked");
      return;
    }
    if (sent != null) {
      expiresNanos = Math.max(expiresNanos, sent + TimeUnit.SECONDS.toNanos(r.getTTL()));
    }
    backoff.reset();
  }

  private synchronized void onBroken(KeepAliveStream s, Throwable cause) {
    if (s != stream || state != State.ALIVE) {
      return;
    }
    log.debug("keep-alive of session lease {} broke: {}", Long.toHexString(leaseId),
        LeaseKeeper.describe(cause));
    dropStream();
    scheduleReopen();
  }

  private void scheduleReopen() {
    reopen = scheduler.schedule(this::reopen, backoff.nextDelayMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void reopen() {
    if (state != State.ALIVE || stream != null) {
      return;
    }
    conn.resetConnectBackoff();
    try {
      stream = KeepAliveStream.open(conn, this::onResponse, this::onBroken);
      tick(); // renew at once: time may be short
    } catch (RuntimeException e) {
      scheduleReopen();
    }
  }

  /** Holds the lock. */
  private void lose(String reason) {
    state = State.LOST;
    stop();
    log.warn("etcd session lease {} lost ({}); its locks and leaderships are gone",
        Long.toHexString(leaseId), reason);
    try {
      scheduler.execute(() -> lost.complete(reason));
    } catch (RejectedExecutionException closing) {
      lost.complete(reason);
    }
  }

  private void stop() {
    if (ticker != null) {
      ticker.cancel(false);
    }
    if (reopen != null) {
      reopen.cancel(false);
    }
    dropStream();
  }

  private void dropStream() {
    KeepAliveStream s = stream;
    stream = null;
    pending.clear();
    if (s != null) {
      s.cancel();
    }
  }
}
