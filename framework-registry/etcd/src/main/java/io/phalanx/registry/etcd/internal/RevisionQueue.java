package io.phalanx.registry.etcd.internal;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.phalanx.registry.etcd.api.Compare;
import io.phalanx.registry.etcd.api.DeleteRangeRequest;
import io.phalanx.registry.etcd.api.Event;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.PutRequest;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.api.RequestOp;
import io.phalanx.registry.etcd.api.TxnRequest;
import io.phalanx.registry.etcd.api.TxnResponse;
import io.phalanx.registry.etcd.api.WatchCreateRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The keys under one prefix ordered by create revision: the recipe behind etcd's Go
 * {@code concurrency.Mutex} and {@code Election}, on plain KV, Txn and Watch calls (not etcd's
 * v3lock/v3election services), so that Go and Java contenders on the same prefix share one
 * queue.
 *
 * <p>A contender joins with the key {@code prefix + <lease id in lower-case hex>} under its
 * session's lease; whoever has the smallest create revision is first (holds the lock, leads). A
 * waiter watches only for the deletion of the key just ahead of it (the greatest create revision
 * below its own), and looks again after each deletion until none is ahead: no thundering herd.
 *
 * <p>Threading: stateless apart from its settings; the blocking calls run on the caller's thread
 * and any number of threads may use one queue.
 */
public final class RevisionQueue {

  /** How a wait ended. */
  public enum Outcome {
    /** No key ahead any more. */
    FIRST,
    /** The deadline passed first. */
    TIMED_OUT,
    /** The session's lease was lost first. */
    SESSION_LOST
  }

  /**
   * Where a contender stands after {@link #join}.
   *
   * @param createRevision the create revision of its key
   * @param value the key's value now
   * @param first whether no key under the prefix was created before it
   */
  public record Position(long createRevision, ByteString value, boolean first) {}

  private final EtcdConnection conn;
  private final ByteString prefix;
  private final ByteString prefixEnd;
  private final Duration retryInitial;
  private final Duration retryMax;

  /**
   * @param prefix the queue's prefix including its trailing {@code /} (not empty)
   * @param retryInitial first pause after a failed read or watch while waiting
   */
  public RevisionQueue(EtcdConnection conn, String prefix, Duration retryInitial,
      Duration retryMax) {
    if (prefix == null || prefix.isEmpty()) {
      throw new IllegalArgumentException("an etcd prefix must not be empty");
    }
    this.conn = conn;
    this.prefix = ByteString.copyFrom(prefix, StandardCharsets.UTF_8);
    this.prefixEnd = EtcdConnection.prefixEnd(this.prefix);
    this.retryInitial = retryInitial;
    this.retryMax = retryMax;
  }

  /** The key of a session: {@code prefix + Long.toHexString(lease)}, as Go's {@code %x}. */
  public ByteString keyOf(long lease) {
    return prefix.concat(ByteString.copyFrom(Long.toHexString(lease), StandardCharsets.UTF_8));
  }

  /**
   * In one Txn: creates {@code key} with {@code value} under {@code lease} unless it exists (then
   * reads it), and reads the first key of the queue.
   */
  public Position join(ByteString key, ByteString value, long lease)
      throws InterruptedException {
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.CREATE)
            .setResult(Compare.CompareResult.EQUAL).setCreateRevision(0))
        .addSuccess(RequestOp.newBuilder().setRequestPut(
            PutRequest.newBuilder().setKey(key).setValue(value).setLease(lease)))
        .addSuccess(RequestOp.newBuilder().setRequestRange(firstRequest()))
        .addFailure(RequestOp.newBuilder().setRequestRange(
            RangeRequest.newBuilder().setKey(key)))
        .addFailure(RequestOp.newBuilder().setRequestRange(firstRequest()))
        .build();
    TxnResponse r = call(() -> conn.unary(KVGrpc.newBlockingStub(conn.channel()),
        s -> s.txn(txn)));
    long mine;
    ByteString current;
    if (r.getSucceeded()) {
      mine = r.getHeader().getRevision();
      current = value;
    } else {
      RangeResponse own = r.getResponses(0).getResponseRange();
      if (own.getKvsCount() == 0) {
        throw new IllegalStateException("etcd answered neither put nor key for " + str(key));
      }
      mine = own.getKvs(0).getCreateRevision();
      current = own.getKvs(0).getValue();
    }
    RangeResponse owner = r.getResponses(1).getResponseRange();
    boolean first = owner.getKvsCount() == 0 || owner.getKvs(0).getCreateRevision() == mine;
    return new Position(mine, current, first);
  }

  /**
   * Blocks until no key of the queue has a create revision below {@code revision}, the deadline
   * passes or the session's lease is lost. Failed reads and broken watches are retried with
   * capped exponential backoff: only the session's loss ends the wait for good.
   *
   * @param deadlineNanos a {@link System#nanoTime()} value; ignored unless {@code timed}
   * @throws InterruptedException the caller's thread was interrupted (the interrupt is consumed)
   */
  public Outcome awaitFirst(long revision, boolean timed, long deadlineNanos,
      SessionLease session) throws InterruptedException {
    Waiter waiter = new Waiter();
    Runnable unregister = session.whenLost(waiter::sessionLost);
    Backoff backoff = new Backoff(retryInitial, retryMax);
    try {
      while (true) {
        if (waiter.isSessionLost()) {
          return Outcome.SESSION_LOST;
        }
        if (timed && System.nanoTime() - deadlineNanos >= 0) {
          return Outcome.TIMED_OUT;
        }
        RangeResponse ahead;
        try {
          ahead = call(() -> conn.unary(KVGrpc.newBlockingStub(conn.channel()),
              s -> s.range(RangeRequest.newBuilder().setKey(prefix).setRangeEnd(prefixEnd)
                  .setMaxCreateRevision(revision - 1)
                  .setSortTarget(RangeRequest.SortTarget.CREATE)
                  .setSortOrder(RangeRequest.SortOrder.DESCEND).setLimit(1)
                  .setKeysOnly(true).build())));
        } catch (StatusRuntimeException e) {
          waiter.pause(backoff.nextDelayMillis(), timed, deadlineNanos);
          continue;
        }
        if (ahead.getKvsCount() == 0) {
          return Outcome.FIRST;
        }
        ByteString key = ahead.getKvs(0).getKey();
        int round = waiter.nextRound();
        WatchStream stream;
        try {
          stream = call(() -> WatchStream.open(conn, WatchCreateRequest.newBuilder()
              .setKey(key).setStartRevision(ahead.getHeader().getRevision() + 1)
              .addFilters(WatchCreateRequest.FilterType.NOPUT).build(),
              (s, r) -> {
                if (r.getCompactRevision() > 0 || r.getCanceled()) {
                  waiter.changed(round, true); // look again (and back off)
                } else if (r.getEventsList().stream()
                    .anyMatch(e -> e.getType() == Event.EventType.DELETE)) {
                  waiter.changed(round, false);
                }
              },
              (s, cause) -> waiter.changed(round, true)));
        } catch (StatusRuntimeException e) {
          waiter.pause(backoff.nextDelayMillis(), timed, deadlineNanos);
          continue;
        }
        try {
          if (waiter.awaitChange(round, timed, deadlineNanos)) {
            waiter.pause(backoff.nextDelayMillis(), timed, deadlineNanos);
          } else {
            backoff.reset();
          }
        } finally {
          stream.cancel();
        }
      }
    } finally {
      unregister.run();
    }
  }

  /** The key, if it exists. */
  public Optional<KeyValue> get(ByteString key) throws InterruptedException {
    RangeResponse r = call(() -> conn.unary(KVGrpc.newBlockingStub(conn.channel()),
        s -> s.range(RangeRequest.newBuilder().setKey(key).build())));
    return r.getKvsCount() == 0 ? Optional.empty() : Optional.of(r.getKvs(0));
  }

  /** The first key of the queue (smallest create revision), if any. */
  public Optional<KeyValue> first() {
    RangeResponse r = conn.unary(KVGrpc.newBlockingStub(conn.channel()),
        s -> s.range(firstRequest()));
    return r.getKvsCount() == 0 ? Optional.empty() : Optional.of(r.getKvs(0));
  }

  /** Every key of the queue, with the revision they were read at. */
  public RangeResponse all() {
    return conn.unary(KVGrpc.newBlockingStub(conn.channel()),
        s -> s.range(RangeRequest.newBuilder().setKey(prefix).setRangeEnd(prefixEnd).build()));
  }

  /** Watches the whole queue from {@code revision} on. */
  public WatchCreateRequest watchFrom(long revision) {
    return WatchCreateRequest.newBuilder().setKey(prefix).setRangeEnd(prefixEnd)
        .setStartRevision(revision).build();
  }

  /**
   * Deletes {@code key} (whatever its revision). Runs even in an interrupted thread (the flag is
   * kept): releasing must not be cancelled by the interrupt that made the caller give up.
   */
  public void delete(ByteString key) {
    uninterrupted(() -> conn.unary(KVGrpc.newBlockingStub(conn.channel()),
        s -> s.deleteRange(DeleteRangeRequest.newBuilder().setKey(key).build())));
  }

  /**
   * Deletes {@code key} if it still has {@code createRevision}; false if it had not. Runs even in
   * an interrupted thread, as {@link #delete}.
   */
  public boolean deleteIf(ByteString key, long createRevision) {
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompare(sameCreation(key, createRevision))
        .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(
            DeleteRangeRequest.newBuilder().setKey(key)))
        .build();
    return uninterrupted(() -> conn.unary(KVGrpc.newBlockingStub(conn.channel()),
        s -> s.txn(txn))).getSucceeded();
  }

  /**
   * Replaces the value of {@code key} (keeping it under {@code lease}) if it still has
   * {@code createRevision}; false if it had not (deleted, or deleted and created again). Runs
   * even in an interrupted thread, as {@link #delete}.
   */
  public boolean putIf(ByteString key, long createRevision, ByteString value, long lease) {
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompare(sameCreation(key, createRevision))
        .addSuccess(RequestOp.newBuilder().setRequestPut(
            PutRequest.newBuilder().setKey(key).setValue(value).setLease(lease)))
        .build();
    return uninterrupted(() -> conn.unary(KVGrpc.newBlockingStub(conn.channel()),
        s -> s.txn(txn))).getSucceeded();
  }

  @Override
  public String toString() {
    return prefix.toStringUtf8();
  }

  private RangeRequest firstRequest() {
    return RangeRequest.newBuilder().setKey(prefix).setRangeEnd(prefixEnd)
        .setSortTarget(RangeRequest.SortTarget.CREATE)
        .setSortOrder(RangeRequest.SortOrder.ASCEND).setLimit(1).build();
  }

  private static Compare sameCreation(ByteString key, long createRevision) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.CREATE)
        .setResult(Compare.CompareResult.EQUAL).setCreateRevision(createRevision).build();
  }

  private static String str(ByteString b) {
    return b.toStringUtf8();
  }

  /** A call that may block; turns an interrupt (before or during it) into InterruptedException. */
  private static <T> T call(java.util.function.Supplier<T> call) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    try {
      return call.get();
    } catch (RuntimeException e) {
      // grpc's blocking stubs cancel the call on interrupt and re-set the flag
      if (Thread.interrupted()) {
        InterruptedException ie = new InterruptedException();
        ie.initCause(e);
        throw ie;
      }
      throw e;
    }
  }

  /** Runs a short call with the interrupt flag cleared, and sets it again afterwards. */
  private static <T> T uninterrupted(java.util.function.Supplier<T> call) {
    boolean interrupted = Thread.interrupted();
    try {
      return call.get();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** What one wait is waiting for; a monitor shared with the watch and the session callbacks. */
  private static final class Waiter {
    private int round;
    private boolean changed;
    private boolean failed;
    private boolean sessionLost;

    synchronized int nextRound() {
      changed = false;
      failed = false;
      return ++round;
    }

    synchronized void changed(int r, boolean failure) {
      if (r == round && !changed) {
        changed = true;
        failed = failure;
        notifyAll();
      }
    }

    synchronized void sessionLost() {
      sessionLost = true;
      notifyAll();
    }

    synchronized boolean isSessionLost() {
      return sessionLost;
    }

    /** Waits for the round's change (returns whether it was a failure), loss or deadline. */
    synchronized boolean awaitChange(int r, boolean timed, long deadlineNanos)
        throws InterruptedException {
      while (!changed && !sessionLost) {
        if (timed) {
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } else {
          wait();
        }
      }
      return changed && failed;
    }

    /** Sleeps before a retry; wakes early for the session's loss or the deadline. */
    synchronized void pause(long millis, boolean timed, long deadlineNanos)
        throws InterruptedException {
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      if (timed && deadlineNanos - until < 0) {
        until = deadlineNanos;
      }
      while (!sessionLost) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }
}
