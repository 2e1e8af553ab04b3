package io.phalanx.registry.etcd;

import io.phalanx.core.config.AppConfig;
import io.phalanx.registry.etcd.internal.DaemonThreadFactory;
import io.phalanx.registry.etcd.internal.EtcdConnection;
import io.phalanx.registry.etcd.internal.LeaderWatch;
import io.phalanx.registry.etcd.internal.Reason;
import io.phalanx.registry.etcd.internal.RevisionQueue;
import io.phalanx.registry.etcd.internal.SessionLease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * A lease in etcd kept alive in the background — the equivalent of Go's
 * {@code concurrency.Session} — on which {@link EtcdLock locks} and {@link EtcdElection
 * elections} are held. Everything a session holds lives in etcd as keys attached to its lease, so
 * when the lease ends (expired, revoked, or {@link #close()}) every lock and leadership of the
 * session is released at once, also when this process dies.
 *
 * <pre>{@code
 * try (EtcdSession session = EtcdSession.builder()
 *     .endpoints("http://etcd-1:2379", "http://etcd-2:2379")
 *     .ttl(Duration.ofSeconds(10))
 *     .build()) {
 *   session.lost().thenRun(() -> stopWork());   // lease gone: locks are no longer held
 *   EtcdLock lock = session.lock("/locks/billing");
 *   lock.lock();
 *   try { ... } finally { lock.unlock(); }
 * }
 * }</pre>
 *
 * <p>The lease is renewed every TTL/3. A broken keep-alive stream is reopened (capped exponential
 * backoff) as long as the lease may still live; the session is <em>lost</em> when etcd reports the
 * lease expired or revoked, or when the TTL granted by the last answered renewal has passed
 * (counted from when that renewal was sent, so we never believe in a lease etcd already dropped).
 * A lost session is never renewed: {@link #lost()} completes, {@link EtcdLock#isHeld()} and
 * {@link EtcdElection#isLeader()} turn false, waiting calls fail with {@link EtcdException}. Build
 * a new session to carry on.
 *
 * <p>Threading: thread-safe. The keep-alive runs on one daemon thread of the session; blocking
 * calls ({@code lock}, {@code campaign}) run on the caller's thread.
 */
public final class EtcdSession implements AutoCloseable {

  private static final Duration BACKOFF_INITIAL = Duration.ofMillis(100);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(10);

  private final EtcdConnection conn;
  private final ScheduledThreadPoolExecutor scheduler;
  private final SessionLease lease;
  private final Duration ttl;
  private final Map<String, Object> byPrefix = new HashMap<>();
  private final Set<LeaderWatch> observations = new HashSet<>();
  private boolean closed;

  private EtcdSession(EtcdConnection conn, Duration ttl) throws EtcdException {
    this.conn = conn;
    this.ttl = ttl;
    this.scheduler = new ScheduledThreadPoolExecutor(1, new DaemonThreadFactory("session"));
    scheduler.setRemoveOnCancelPolicy(true);
    Duration reopenMax = ttl.dividedBy(3).compareTo(BACKOFF_MAX) < 0 ? ttl.dividedBy(3)
        : BACKOFF_MAX;
    this.lease = new SessionLease(conn, scheduler, ttl, BACKOFF_INITIAL, reopenMax);
    try {
      lease.start();
    } catch (RuntimeException e) {
      scheduler.shutdownNow();
      conn.close();
      throw new EtcdException("cannot create an etcd session (lease) at " + conn.endpoints()
          + ": " + Reason.of(e), e);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder preset from the config under {@code concurrency.etcd}: {@code endpoints} (a list
   * or a comma-separated string), {@code ttl}, {@code username}, {@code password},
   * {@code dial-timeout}, {@code request-timeout}, {@code tls.ca-file}.
   */
  public static Builder builder(AppConfig config) {
    Builder b = builder();
    b.connection.read(config);
    config.findDuration(Builder.CONFIG_PATH + ".ttl").ifPresent(b::ttl);
    return b;
  }

  /** The session's lease; its keys are {@code prefix/<lease id in lower-case hex>}. */
  public long leaseId() {
    return lease.id();
  }

  /** The TTL asked for (etcd may grant more: it has a minimum TTL). */
  public Duration ttl() {
    return ttl;
  }

  /**
   * A future that completes, with the reason, once the session's lease is gone: expired,
   * revoked, not renewed within its TTL, or revoked by {@link #close()}. From then on nothing the
   * session held is held. It completes on a thread of the session (actions attached without an
   * executor run there: keep them short) and never exceptionally; each call returns a new future,
   * so completing it has no effect on the session.
   */
  public CompletableFuture<String> lost() {
    return lease.lost().copy();
  }

  /** Whether the lease is gone (lost, or the session closed). */
  public boolean isLost() {
    return lease.isLost();
  }

  /**
   * The lock on {@code prefix} for this session; the same object for the same prefix. Its key is
   * {@code prefix + "/" + <lease hex>}, exactly as Go's {@code concurrency.NewMutex(s, prefix)},
   * so Go and Java contenders on the same prefix string exclude each other.
   *
   * @throws IllegalArgumentException if this session uses {@code prefix} for an election
   * @throws IllegalStateException after {@link #close()}
   */
  public EtcdLock lock(String prefix) {
    return (EtcdLock) member(prefix, true);
  }

  /**
   * The election on {@code prefix} for this session; the same object for the same prefix. Keys
   * as for {@link #lock}, compatible with Go's {@code concurrency.NewElection(s, prefix)}.
   *
   * @throws IllegalArgumentException if this session uses {@code prefix} for a lock
   * @throws IllegalStateException after {@link #close()}
   */
  public EtcdElection election(String prefix) {
    return (EtcdElection) member(prefix, false);
  }

  private synchronized Object member(String prefix, boolean lock) {
    ensureOpen();
    if (prefix == null || prefix.isEmpty()) {
      throw new IllegalArgumentException("the lock/election prefix must not be empty");
    }
    Object m = byPrefix.get(prefix);
    if (m == null) {
      // as Go: the prefix always gets a "/", even when it ends with one
      RevisionQueue queue = new RevisionQueue(conn, prefix + "/", BACKOFF_INITIAL, BACKOFF_MAX);
      m = lock ? new EtcdLock(this, prefix, queue) : new EtcdElection(this, prefix, queue);
      byPrefix.put(prefix, m);
    }
    if (lock != (m instanceof EtcdLock)) {
      throw new IllegalArgumentException("this session already uses " + prefix + " as "
          + (lock ? "an election" : "a lock") + " (both would share one key)");
    }
    return m;
  }

  /**
   * Revokes the lease — deleting every key of the session, so its locks are released and its
   * leaderships resigned — ends observations and closes the connection; idempotent. Blocked
   * {@code lock}/{@code campaign} calls fail with {@link EtcdException}. If etcd cannot be
   * reached, the keys go when the lease's TTL runs out.
   */
  @Override
  public void close() {
    List<LeaderWatch> open;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      open = new ArrayList<>(observations);
      observations.clear();
    }
    open.forEach(LeaderWatch::close);
    lease.close();
    scheduler.shutdownNow();
    conn.close();
  }

  @Override
  public String toString() {
    return "etcd session " + Long.toHexString(lease.id()) + " at " + conn.endpoints();
  }

  // ------------------------------------------------------------------ for EtcdLock / EtcdElection

  SessionLease lease() {
    return lease;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** Throws for a closed session (the caller's mistake) or a lost one (etcd's verdict). */
  void ensureUsable() throws EtcdException {
    ensureOpen();
    if (lease.isLost()) {
      throw lostException();
    }
  }

  EtcdException lostException() {
    String reason = lease.lost().getNow("unknown");
    return new EtcdException("etcd session " + Long.toHexString(lease.id()) + " is lost ("
        + reason + "); create a new session", null);
  }

  synchronized void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  synchronized void track(LeaderWatch w) {
    ensureOpen();
    observations.add(w);
  }

  synchronized void untrack(LeaderWatch w) {
    observations.remove(w);
  }

  EtcdConnection connection() {
    return conn;
  }

  static Duration backoffInitial() {
    return BACKOFF_INITIAL;
  }

  static Duration backoffMax() {
    return BACKOFF_MAX;
  }

  /** Settings of an {@link EtcdSession}; not thread-safe. */
  public static final class Builder extends EtcdClientBuilder<Builder> {
    private static final String CONFIG_PATH = "concurrency.etcd";

    private Duration ttl = Duration.ofSeconds(60);

    private Builder() {
      super(CONFIG_PATH);
    }

    /**
     * Lease TTL, whole seconds, at least 1 s; default 60 s as Go's session. How long locks
     * outlive a crashed process, and at most how long a partitioned holder may go on believing
     * it holds a lock another process already took. Renewed every TTL/3.
     */
    public Builder ttl(Duration ttl) {
      if (ttl.toSeconds() < 1) {
        throw new IllegalArgumentException("ttl must be at least 1 s, got " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /**
     * Connects and grants the lease.
     *
     * @throws EtcdException naming the endpoints if etcd cannot be reached
     */
    public EtcdSession build() throws EtcdException {
      Objects.requireNonNull(ttl, "ttl");
      return new EtcdSession(connection.connect(), ttl);
    }
  }
}
