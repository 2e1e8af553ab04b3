package io.phalanx.registry.etcd;

import com.google.protobuf.ByteString;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.internal.LeaderWatch;
import io.phalanx.registry.etcd.internal.Reason;
import io.phalanx.registry.etcd.internal.RevisionQueue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Leader election on an etcd key prefix for an {@link EtcdSession}; the same recipe as Go's
 * {@code concurrency.Election}, so Go and Java candidates on the same prefix string take part in
 * one election. Get one with {@link EtcdSession#election(String)}.
 *
 * <pre>{@code
 * EtcdElection election = session.election("/election/scheduler");
 * election.campaign("10.0.0.5:9000");        // blocks until this session leads
 * session.lost().thenRun(this::stopLeading); // leadership ends with the session
 * ...
 * election.resign();
 *
 * try (AutoCloseable o = election.observe(leader -> log.info("leader now {}", leader))) { ... }
 * }</pre>
 *
 * <p>How: a candidate creates {@code prefix/<its lease id in hex>} with its value under its
 * session's lease; the key with the smallest create revision leads, the others wait in that order
 * (each watching only the key just ahead of it). {@link #proclaim} rewrites the leader's value
 * only while its key is still the one it created; {@link #resign()} deletes it, as do a closed
 * session (its lease is revoked) and an expired one.
 *
 * <p><b>Session loss</b> ends leadership: {@link #isLeader()} turns false and
 * {@link EtcdSession#lost()} completes — stop acting as leader then. A leader cut off from etcd
 * learns of it only when its TTL has passed, the moment another candidate may take over.
 *
 * <p>Threading: thread-safe. {@link #campaign} blocks the caller's thread; one campaign at a time
 * per election object (interrupt the campaigning thread to give up). Observers run on a thread of
 * their observation, one call at a time.
 */
public final class EtcdElection {

  /**
   * A leader as stored in etcd.
   *
   * @param key the leader's key, {@code prefix/<lease id in hex>}
   * @param value what the leader proclaimed
   * @param createRevision when the key was created; differs between two terms of the same session
   */
  public record Leader(String key, String value, long createRevision) {}

  private enum State { IDLE, CAMPAIGNING, LEADING }

  private final EtcdSession session;
  private final String prefix;
  private final RevisionQueue queue;
  private final ByteString key;
  private State state = State.IDLE;
  private long revision;

  EtcdElection(EtcdSession session, String prefix, RevisionQueue queue) {
    this.session = session;
    this.prefix = prefix;
    this.queue = queue;
    this.key = queue.keyOf(session.leaseId());
  }

  /**
   * Becomes a candidate with {@code value} and blocks until this session leads.
   *
   * @throws InterruptedException the thread was interrupted while waiting (the candidacy is
   *     withdrawn: no key is left behind)
   * @throws EtcdException the session is lost, or etcd failed to take the request
   * @throws IllegalStateException this election already campaigns or leads, or the session is
   *     closed
   */
  public void campaign(String value) throws InterruptedException, EtcdException {
    campaign(value, false, 0);
  }

  /**
   * As {@link #campaign(String)}, waiting at most {@code timeout}.
   *
   * @return whether this session leads; false when the time ran out (candidacy withdrawn)
   */
  public boolean campaign(String value, Duration timeout)
      throws InterruptedException, EtcdException {
    return campaign(value, true, System.nanoTime() + Math.max(0, timeout.toNanos()));
  }

  private boolean campaign(String value, boolean timed, long deadline)
      throws InterruptedException, EtcdException {
    Objects.requireNonNull(value, "value");
    session.ensureUsable();
    synchronized (this) {
      if (state != State.IDLE) {
        throw new IllegalStateException(this + " already " + (state == State.LEADING
            ? "leads" : "campaigns") + "; resign first");
      }
      state = State.CAMPAIGNING;
    }
    ByteString v = utf8(value);
    long rev = 0;
    boolean leading = false;
    try {
      RevisionQueue.Position p;
      try {
        p = queue.join(key, v, session.leaseId());
        rev = p.createRevision();
        if (!p.value().equals(v) && !queue.putIf(key, rev, v, session.leaseId())) {
          throw new EtcdException("the key of " + this + " vanished while campaigning", null);
        }
      } catch (RuntimeException e) {
        throw failure("cannot campaign in", e);
      }
      if (!p.first()) {
        RevisionQueue.Outcome o;
        Optional<KeyValue> mine;
        try {
          o = queue.awaitFirst(rev, timed, deadline, session.lease());
          if (o == RevisionQueue.Outcome.TIMED_OUT) {
            return false;
          }
          if (o == RevisionQueue.Outcome.SESSION_LOST) {
            throw session.lostException();
          }
          mine = queue.get(key);
        } catch (RuntimeException e) {
          throw failure("cannot wait in", e);
        }
        if (mine.isEmpty() || mine.get().getCreateRevision() != rev) {
          throw new EtcdException("lost the candidacy in " + this
              + " while waiting: the session's lease ended", null);
        }
      }
      synchronized (this) {
        revision = rev;
        state = State.LEADING;
      }
      leading = true;
      return true;
    } finally {
      if (!leading) {
        withdraw(rev);
      }
    }
  }

  private void withdraw(long rev) {
    synchronized (this) {
      state = State.IDLE;
    }
    if (session.isClosed() || session.isLost()) {
      return;
    }
    try {
      if (rev != 0) {
        queue.deleteIf(key, rev);
      } else {
        queue.delete(key); // the Txn may have been applied without us seeing its answer
      }
    } catch (RuntimeException e) {
      // the key goes with the session's lease
    }
  }

  /**
   * Replaces the leader's value, without a new election; observers see the change.
   *
   * @throws IllegalStateException this session does not lead (never campaigned, resigned, or
   *     leadership lost with the session or the key)
   * @throws EtcdException etcd failed to take the request
   */
  public void proclaim(String value) throws EtcdException {
    Objects.requireNonNull(value, "value");
    long rev;
    synchronized (this) {
      if (state != State.LEADING || session.isLost()) {
        throw new IllegalStateException(this + ": not the leader");
      }
      rev = revision;
    }
    boolean still;
    try {
      still = queue.putIf(key, rev, utf8(value), session.leaseId());
    } catch (RuntimeException e) {
      throw failure("cannot proclaim in", e);
    }
    if (!still) {
      synchronized (this) {
        if (revision == rev) {
          state = State.IDLE;
        }
      }
      throw new IllegalStateException(this + ": no longer the leader (its key is gone)");
    }
  }

  /**
   * Gives up leadership by deleting this session's key (only the one it created), so the next
   * candidate leads. A no-op unless this session leads.
   *
   * @throws EtcdException etcd could not be reached: the key stays until the session's lease ends
   *     (leadership counts as given up here)
   */
  public void resign() throws EtcdException {
    long rev;
    synchronized (this) {
      if (state != State.LEADING) {
        return;
      }
      state = State.IDLE;
      rev = revision;
    }
    if (session.isClosed() || session.isLost()) {
      return;
    }
    try {
      queue.deleteIf(key, rev);
    } catch (RuntimeException e) {
      throw failure("cannot resign from", e);
    }
  }

  /** Whether this session leads: campaign won, not resigned, session not lost or closed. */
  public synchronized boolean isLeader() {
    return state == State.LEADING && !session.isLost();
  }

  /**
   * The current leader, read from etcd: the key under the prefix with the smallest create
   * revision, whoever wrote it (Go or Java); empty when nobody campaigns.
   *
   * @throws EtcdException etcd failed to answer
   */
  public Optional<Leader> leader() throws EtcdException {
    session.ensureOpen();
    try {
      return queue.first().map(EtcdElection::leaderOf);
    } catch (RuntimeException e) {
      throw failure("cannot read the leader of", e);
    }
  }

  /**
   * Follows the leader in the background: {@code observer} gets the current leader (or none)
   * first, then every change of leader or of its value (not every intermediate one if they come
   * fast: always the latest). Calls come from one thread of this observation, one at a time; after
   * a broken connection it reads again and reports only a real change. Never fails for an
   * unreachable etcd: it keeps trying with capped exponential backoff.
   *
   * @return closes the observation; once {@code close()} returns no call runs or starts (unless
   *     called from the observer). Closing the session closes it too.
   * @throws IllegalStateException the session is closed
   */
  public AutoCloseable observe(Consumer<Optional<Leader>> observer) {
    Objects.requireNonNull(observer, "observer");
    LeaderWatch w = new LeaderWatch(session.connection(), queue,
        kv -> observer.accept(kv.map(EtcdElection::leaderOf)), EtcdSession.backoffInitial(),
        EtcdSession.backoffMax());
    session.track(w);
    w.start();
    return () -> {
      w.close();
      session.untrack(w);
    };
  }

  /** This session's key: {@code prefix + "/" + <lease id in lower-case hex>}. */
  public String key() {
    return key.toStringUtf8();
  }

  /** The prefix as given to {@link EtcdSession#election(String)}. */
  public String prefix() {
    return prefix;
  }

  @Override
  public String toString() {
    return "etcd election " + prefix + " (as " + key() + ")";
  }

  private EtcdException failure(String what, RuntimeException e) {
    return new EtcdException(what + " " + this + " at " + session.connection().endpoints() + ": "
        + Reason.of(e), e);
  }

  private static Leader leaderOf(KeyValue kv) {
    return new Leader(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8(),
        kv.getCreateRevision());
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }
}
