package io.phalanx.registry.etcd;

import com.google.protobuf.ByteString;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.internal.Reason;
import io.phalanx.registry.etcd.internal.RevisionQueue;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A distributed mutex on an etcd key prefix, held by an {@link EtcdSession}; the same recipe as
 * Go's {@code concurrency.Mutex}, so a Go service locking the same prefix string excludes us and
 * we exclude it. Get one with {@link EtcdSession#lock(String)}.
 *
 * <pre>{@code
 * EtcdLock lock = session.lock("/locks/billing");
 * lock.lock();
 * try {
 *   ...
 * } finally {
 *   lock.unlock();
 * }
 * }</pre>
 *
 * <p>How: a contender creates {@code prefix/<its lease id in hex>} (value empty) under its
 * session's lease; the key with the smallest create revision holds the lock, the others wait in
 * that order (first come, first served), each watching only for the deletion of the key just
 * ahead of it. {@link #unlock()} deletes the key; so do a closed session (its lease is revoked)
 * and an expired one (etcd drops the lease's keys), which is how a crashed holder's lock is
 * released.
 *
 * <p><b>Not reentrant</b>: {@code lock()} by the thread that holds the lock throws
 * {@link IllegalStateException} (in etcd both would be the same key; a second lock() could only
 * deadlock or lie). Other threads of this process that use the same object wait their turn before
 * joining the etcd queue, so the lock also excludes threads of one session; they wait for the
 * holder's {@link #unlock()}, or for the session to end (lost or closed), when they fail as a
 * call on an ended session does. The lock belongs to the session rather than to a thread: any
 * thread may {@link #unlock()} it.
 *
 * <p><b>Session loss</b>: once the session is lost (see {@link EtcdSession#lost()}) the key is
 * gone and another process may hold the lock; {@link #isHeld()} turns false and the session's
 * {@code lost()} completes: stop the guarded work then. etcd locks are leases, not proofs: a
 * holder cut off from etcd learns of the loss only when its TTL has passed, the moment another
 * contender can take the lock. Guard writes elsewhere with a fencing check if that matters (the
 * key's create revision, {@link #revision()}, grows with every holder).
 *
 * <p>Waiting survives etcd hiccups: failed reads and broken watches are retried with backoff until
 * the lock is taken, the timeout passes, the thread is interrupted or the session is lost. A
 * contender that gives up (timeout, interrupt, failure) deletes its key again.
 *
 * <p>Threading: thread-safe; the blocking methods run on the caller's thread.
 */
public final class EtcdLock {

  private final EtcdSession session;
  private final String prefix;
  private final RevisionQueue queue;
  private final ByteString key;
  // local exclusion between the threads of this process that use this object
  private final Semaphore local = new Semaphore(1, true);
  private volatile Thread owner;
  private volatile long revision;
  private volatile boolean held;

  EtcdLock(EtcdSession session, String prefix, RevisionQueue queue) {
    this.session = session;
    this.prefix = prefix;
    this.queue = queue;
    this.key = queue.keyOf(session.leaseId());
    session.lease().whenLost(this::openLocalGate);
  }

  /**
   * Once the session has ended, threads of this process waiting for the local permit must not
   * wait for a holder that may never call {@link #unlock()}: the permits are made plentiful, so
   * each waiter gets one and fails in {@code session.ensureUsable()} like any later call. No
   * exclusion is lost, since nothing can be taken on an ended session.
   */
  private void openLocalGate() {
    local.release(Integer.MAX_VALUE / 2);
  }

  /**
   * Takes the lock, waiting as long as it takes.
   *
   * @throws InterruptedException the thread was interrupted while waiting (no key is left behind)
   * @throws EtcdException the session is lost, or etcd failed to take the request
   * @throws IllegalStateException the calling thread holds the lock already, or the session is
   *     closed
   */
  public void lock() throws InterruptedException, EtcdException {
    session.ensureUsable();
    checkNotOwner();
    local.acquire();
    acquireInEtcd(false, 0, false);
  }

  /**
   * Takes the lock if nobody holds it or waits for it; never waits for another holder (it still
   * makes a round trip to etcd).
   *
   * @return whether the lock is now held
   * @throws EtcdException the session is lost, or etcd failed to take the request
   */
  public boolean tryLock() throws EtcdException {
    session.ensureUsable();
    checkNotOwner();
    if (!local.tryAcquire()) {
      return false;
    }
    try {
      return acquireInEtcd(false, 0, true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EtcdException("interrupted while trying " + this, e);
    }
  }

  /**
   * Takes the lock, waiting at most {@code timeout} (give or take one etcd request timeout).
   *
   * @return whether the lock is now held; false when the time ran out (no key is left behind)
   * @throws InterruptedException the thread was interrupted while waiting
   * @throws EtcdException the session is lost, or etcd failed to take the request
   */
  public boolean lock(Duration timeout) throws InterruptedException, EtcdException {
    session.ensureUsable();
    checkNotOwner();
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    if (!local.tryAcquire(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)) {
      return false;
    }
    return acquireInEtcd(true, deadline, false);
  }

  /**
   * Releases the lock by deleting its key. After the session was closed or lost there is nothing
   * left to delete and this only updates the local state.
   *
   * @throws IllegalStateException the lock is not held through this object
   * @throws EtcdException etcd could not be reached: the key stays until the session's lease
   *     ends (close the session to be sure); the lock counts as released here
   */
  public void unlock() throws EtcdException {
    synchronized (this) {
      if (!held) {
        throw new IllegalStateException(this + " is not held");
      }
      held = false;
      owner = null;
    }
    try {
      if (!session.isClosed() && !session.isLost()) {
        queue.delete(key);
      }
    } catch (RuntimeException e) {
      throw new EtcdException("cannot release " + this + " in etcd: " + Reason.of(e)
          + "; the key is removed when the session's lease ends", e);
    } finally {
      local.release();
    }
  }

  /**
   * Whether this session holds the lock: taken and not released, and the session not lost or
   * closed. It does not ask etcd, so a lock key deleted by hand goes unnoticed.
   */
  public boolean isHeld() {
    return held && !session.isLost();
  }

  /** The lock's etcd key: {@code prefix + "/" + <lease id in lower-case hex>}. */
  public String key() {
    return key.toStringUtf8();
  }

  /** The prefix as given to {@link EtcdSession#lock(String)}. */
  public String prefix() {
    return prefix;
  }

  /**
   * The create revision of the key while held (0 otherwise): it grows with every holder, so it
   * can serve as a fencing token.
   */
  public long revision() {
    return held ? revision : 0;
  }

  @Override
  public String toString() {
    return "etcd lock " + key();
  }

  private void checkNotOwner() {
    if (owner == Thread.currentThread()) {
      throw new IllegalStateException(this + " is already held by this thread; EtcdLock is not "
          + "reentrant");
    }
  }

  /** The etcd part; the local permit is taken and is given back unless the lock is taken. */
  private boolean acquireInEtcd(boolean timed, long deadline, boolean noWait)
      throws InterruptedException, EtcdException {
    boolean taken = false;
    try {
      session.ensureUsable();
      long lease = session.leaseId();
      RevisionQueue.Position p;
      try {
        p = queue.join(key, ByteString.EMPTY, lease);
      } catch (RuntimeException e) {
        throw failure("cannot join", e);
      }
      if (!p.first()) {
        if (noWait) {
          return false;
        }
        RevisionQueue.Outcome o;
        try {
          o = queue.awaitFirst(p.createRevision(), timed, deadline, session.lease());
        } catch (RuntimeException e) {
          throw failure("cannot wait for", e);
        }
        if (o == RevisionQueue.Outcome.TIMED_OUT) {
          return false;
        }
        if (o == RevisionQueue.Outcome.SESSION_LOST) {
          throw session.lostException();
        }
        // our key may have gone with the lease while we waited: then we hold nothing
        Optional<KeyValue> mine;
        try {
          mine = queue.get(key);
        } catch (RuntimeException e) {
          throw failure("cannot check", e);
        }
        if (mine.isEmpty() || mine.get().getCreateRevision() != p.createRevision()) {
          throw new EtcdException("lost the place in the queue of " + this
              + " while waiting: the session's lease ended", null);
        }
      }
      synchronized (this) {
        revision = p.createRevision();
        owner = Thread.currentThread();
        held = true;
      }
      taken = true;
      return true;
    } finally {
      if (!taken) {
        leaveQuietly();
        local.release();
      }
    }
  }

  private EtcdException failure(String what, RuntimeException e) {
    return new EtcdException(what + " " + this + " at " + session.connection().endpoints() + ": "
        + Reason.of(e), e);
  }

  private void leaveQuietly() {
    if (session.isClosed() || session.isLost()) {
      return; // the lease took the key with it
    }
    try {
      queue.delete(key);
    } catch (RuntimeException e) {
      // the key goes with the session's lease
    }
  }
}
