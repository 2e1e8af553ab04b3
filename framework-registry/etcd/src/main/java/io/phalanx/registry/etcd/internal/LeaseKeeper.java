package io.phalanx.registry.etcd.internal;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.phalanx.registry.etcd.api.Compare;
import io.phalanx.registry.etcd.api.DeleteRangeRequest;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.LeaseGrantRequest;
import io.phalanx.registry.etcd.api.LeaseGrpc;
import io.phalanx.registry.etcd.api.LeaseKeepAliveResponse;
import io.phalanx.registry.etcd.api.LeaseRevokeRequest;
import io.phalanx.registry.etcd.api.LeaseRevokeResponse;
import io.phalanx.registry.etcd.api.PutRequest;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.api.RequestOp;
import io.phalanx.registry.etcd.api.TxnRequest;
import io.phalanx.registry.etcd.api.TxnResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one registration: a key written under a lease that a {@code LeaseKeepAlive} stream renews
 * every TTL/3. Unlike Kratos (which gives up after five retries) it never gives up: when the lease
 * is lost (etcd says TTL 0, the stream breaks, or no renewal is acknowledged within a TTL, as in a
 * partition) it grants a new lease and writes the key again, with capped exponential backoff,
 * until that works or the registration is closed. Each loss and each recovery is logged once.
 *
 * <p>The key itself is checked after each answered renewal: one deleted while its lease lives on
 * ({@code etcdctl del}; Kratos does not notice and the instance is gone from discovery for good)
 * is written back under the same lease, logged at WARN. A key found under another lease belongs
 * to a newer registration of the same instance id and is left alone. The read and the write are
 * asynchronous calls: on a slow etcd, a blocking call would hold a thread of the scheduler that
 * sends every registration's renewals for up to a request timeout.
 *
 * <p>Threading: all state is guarded by {@code this}; gRPC callbacks and scheduled ticks take the
 * lock, and nothing blocks while holding it but {@link #start} and recovery attempts (which run
 * on the recovery executor, while this keeper has no renewals to send). A generation counter
 * makes callbacks of an abandoned stream harmless.
 */
public final class LeaseKeeper {

  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

  private enum State { REGISTERED, RECOVERING, CLOSED }

  /** What {@link #stopForGood} answers when it was stopped already; etcd's lease ids are > 0. */
  private static final long CLOSED_BEFORE = -1;

  private final EtcdConnection conn;
  private final ScheduledExecutorService scheduler;
  private final Executor recoveries;
  private final ByteString key;
  private final ByteString value;
  private final long ttlSeconds;
  private final Backoff backoff;

  private State state = State.RECOVERING;
  private long leaseId;
  private int generation;
  private long lastAckNanos;
  private KeepAliveStream requests;
  private ScheduledFuture<?> ticker;
  private ScheduledFuture<?> retry;
  /**
   * A key check (its read, then any write-back) is under way: one at a time, however fast
   * renewals are answered.
   */
  private boolean checking;
  /** The write-back on the wire, if any: a deregistration deletes only after it is answered. */
  private CompletableFuture<TxnResponse> writeBack;
  /** The key was found deleted and is not back yet (logged once per disappearance). */
  private boolean keyMissing;

  /**
   * @param scheduler sends the renewals; nothing run there waits for etcd
   * @param recoveries runs re-registrations, which wait for etcd's answers
   */
  public LeaseKeeper(EtcdConnection conn, ScheduledExecutorService scheduler,
      Executor recoveries, ByteString key, ByteString value, Duration ttl,
      Duration backoffInitial, Duration backoffMax) {
    this.conn = conn;
    this.scheduler = scheduler;
    this.recoveries = recoveries;
    this.key = key;
    this.value = value;
    this.ttlSeconds = Math.max(1, ttl.toSeconds());
    this.backoff = new Backoff(backoffInitial, backoffMax);
  }

  /**
   * Grants a lease, writes the key and starts the keep-alive; throws if etcd cannot be reached
   * (the caller's {@code register} then fails, nothing keeps running).
   */
  public synchronized void start() {
    writeUnderNewLease();
    state = State.REGISTERED;
  }

  /** The current lease, 0 before {@link #start}. */
  public synchronized long leaseId() {
    return leaseId;
  }

  /**
   * Stops keeping the lease alive. With {@code withdraw}, also deletes the key if it is still
   * under this keeper's lease, and revokes the lease (deregistration; throws if etcd refuses);
   * without, the key lives until the lease TTL runs out (a closed client). A key under another
   * lease belongs to a newer registration of the same instance id (a restarted process that
   * registered before the old one finished stopping) and is left alone.
   */
  public void close(boolean withdraw) {
    long lease;
    CompletableFuture<TxnResponse> pendingWrite;
    synchronized (this) {
      lease = stopForGood();
      // none starts after stopForGood: the write is started under the lock, in state REGISTERED
      pendingWrite = writeBack;
    }
    if (withdraw && lease != 0 && lease != CLOSED_BEFORE) {
      if (pendingWrite != null) {
        // the delete must reach etcd after the write-back, or the write-back would undo it; the
        // write ends by its deadline at the latest
        pendingWrite.handle((r, e) -> null).join();
      }
      TxnRequest deleteIfOurs = TxnRequest.newBuilder()
          .addCompare(Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.LEASE)
              .setResult(Compare.CompareResult.EQUAL).setLease(lease))
          .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(
              DeleteRangeRequest.newBuilder().setKey(key)))
          .build();
      conn.unary(KVGrpc.newBlockingStub(conn.channel()), s -> s.txn(deleteIfOurs));
      revokeQuietly(lease);
    }
  }

  /**
   * Abandons the current lease without deleting the key: used when a newer registration took
   * the key over.
   */
  public void abandon() {
    long lease = stopForGood();
    if (lease != CLOSED_BEFORE) {
      // the key now belongs to the newer lease, so revoking this one removes nothing
      revokeInBackground(lease);
    }
  }

  /**
   * Ends all keeping (renewals, recovery, key checks); the lease held then (0 if none), or
   * {@link #CLOSED_BEFORE}. Takes the lock a key check writes under, so no write follows it.
   */
  private synchronized long stopForGood() {
    if (state == State.CLOSED) {
      return CLOSED_BEFORE;
    }
    state = State.CLOSED;
    stopStream();
    if (retry != null) {
      retry.cancel(false);
    }
    return leaseId;
  }

  private void writeUnderNewLease() {
    long lease = conn.unary(LeaseGrpc.newBlockingStub(conn.channel()),
        s -> s.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).build())).getID();
    try {
      conn.unary(KVGrpc.newBlockingStub(conn.channel()), s -> s.put(
          PutRequest.newBuilder().setKey(key).setValue(value).setLease(lease).build()));
    } catch (RuntimeException e) {
      revokeQuietly(lease);
      throw e;
    }
    long old = leaseId;
    leaseId = lease;
    keyMissing = false;
    openKeepAlive();
    if (old != 0 && old != lease) {
      // the key moved to the new lease; the old one (if etcd still has it) holds nothing of ours
      revokeInBackground(old);
    }
  }

  private void openKeepAlive() {
    int gen = ++generation;
    lastAckNanos = System.nanoTime();
    requests = KeepAliveStream.open(conn, (stream, r) -> onAck(gen, r),
        (stream, t) -> lost(gen, "keep-alive stream failed: " + describe(t)));
    long periodMillis = Math.max(100, ttlSeconds * 1000 / 3);
    ticker = scheduler.scheduleAtFixedRate(() -> tick(gen), 0, periodMillis,
        TimeUnit.MILLISECONDS);
  }

  private synchronized void tick(int gen) {
    if (gen != generation || state != State.REGISTERED) {
      return;
    }
    if (System.nanoTime() - lastAckNanos > TimeUnit.SECONDS.toNanos(ttlSeconds)) {
      lost(gen, "no keep-alive answer within the " + ttlSeconds + " s TTL");
      return;
    }
    try {
      requests.renew(leaseId);
    } catch (RuntimeException e) {
      lost(gen, "cannot send keep-alive: " + e);
    }
  }

  private synchronized void onAck(int gen, LeaseKeepAliveResponse r) {
    if (gen != generation || state != State.REGISTERED) {
      return;
    }
    if (r.getTTL() <= 0) {
      lost(gen, "etcd reports lease " + Long.toHexString(leaseId) + " expired");
      return;
    }
    lastAckNanos = System.nanoTime();
    if (!checking) {
      checking = true;
      checkKey(gen);
    }
  }

  /**
   * Reads the key; {@link #onKeyRead} writes it back, under the current lease, if it is gone
   * while the lease lives. Called under the lock with {@link #checking} set; whatever ends the
   * check clears it.
   */
  private void checkKey(int gen) {
    RangeRequest read = RangeRequest.newBuilder().setKey(key).setKeysOnly(true).build();
    CompletableFuture<RangeResponse> answer = conn.unaryAsync(KVGrpc.newStub(conn.channel()),
        (s, observer) -> s.range(read, observer));
    answer.whenComplete((r, failure) -> onKeyRead(gen, r, failure));
  }

  private synchronized void onKeyRead(int gen, RangeResponse r, Throwable failure) {
    if (failure != null) {
      // etcd away: the keep-alive notices on its own, and the next answer checks again
      log.debug("checking etcd key {} failed: {}", key.toStringUtf8(), describe(failure));
      checking = false;
      return;
    }
    if (gen != generation || state != State.REGISTERED) {
      checking = false;
      return;
    }
    if (r.getKvsCount() > 0) {
      // ours, or a newer registration's under its own lease
      keyMissing = false;
      checking = false;
      return;
    }
    restoreKey(gen);
  }

  /**
   * Starts the write-back, under the lock and in state REGISTERED, so that a {@link #close}
   * (which takes the lock, then waits for {@link #writeBack} before deleting) deletes after it,
   * never before it: a deregistered key is not put back.
   */
  private void restoreKey(int gen) {
    long lease = leaseId;
    if (!keyMissing) {
      keyMissing = true;
      log.warn("etcd key {} was deleted while its lease {} lives (by hand?); writing it back",
          key.toStringUtf8(), Long.toHexString(lease));
    }
    // only if still absent: a newer registration may have written it meanwhile
    TxnRequest putIfAbsent = TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(key)
            .setTarget(Compare.CompareTarget.CREATE).setResult(Compare.CompareResult.EQUAL)
            .setCreateRevision(0))
        .addSuccess(RequestOp.newBuilder().setRequestPut(
            PutRequest.newBuilder().setKey(key).setValue(value).setLease(lease)))
        .build();
    CompletableFuture<TxnResponse> write = conn.unaryAsync(KVGrpc.newStub(conn.channel()),
        (s, observer) -> s.txn(putIfAbsent, observer));
    writeBack = write;
    write.whenComplete((r, failure) -> onWrittenBack(gen, lease, write, r, failure));
  }

  private synchronized void onWrittenBack(int gen, long lease,
      CompletableFuture<TxnResponse> write, TxnResponse r, Throwable failure) {
    checking = false;
    if (writeBack == write) {
      writeBack = null;
    }
    if (failure == null) {
      if (gen == generation) {
        keyMissing = false;
      }
      if (r.getSucceeded()) {
        log.info("etcd key {} written back under lease {}", key.toStringUtf8(),
            Long.toHexString(lease));
      }
    } else if (Status.fromThrowable(failure).getCode() == Status.Code.NOT_FOUND) {
      // "requested lease not found": the lease went with the key
      lost(gen, "lease " + Long.toHexString(lease) + " gone with its key");
    } else {
      log.debug("writing etcd key {} back failed: {}; retried after the next renewal",
          key.toStringUtf8(), describe(failure));
    }
  }

  private synchronized void lost(int gen, String reason) {
    if (gen != generation || state != State.REGISTERED) {
      return;
    }
    state = State.RECOVERING;
    stopStream();
    log.warn("etcd registration {} lost ({}); re-registering in the background until it works",
        key.toStringUtf8(), reason);
    backoff.reset();
    scheduleAttempt();
  }

  private void scheduleAttempt() {
    // an attempt waits for etcd (up to two request timeouts when it is slow): not on the
    // scheduler, where it would hold up the renewals of every other registration
    retry = scheduler.schedule(() -> recoveries.execute(this::attempt),
        backoff.nextDelayMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void attempt() {
    if (state != State.RECOVERING) {
      return;
    }
    conn.resetConnectBackoff();
    try {
      writeUnderNewLease();
      state = State.REGISTERED;
      log.info("etcd registration {} restored after {} attempt(s)", key.toStringUtf8(),
          backoff.attempts());
      backoff.reset();
    } catch (RuntimeException e) {
      log.debug("re-registering {} failed: {}", key.toStringUtf8(), describe(e));
      stopStream();
      scheduleAttempt();
    }
  }

  private void stopStream() {
    generation++;
    if (ticker != null) {
      ticker.cancel(false);
      ticker = null;
    }
    KeepAliveStream r = requests;
    requests = null;
    if (r != null) {
      r.cancel();
    }
  }

  /** Revokes {@code lease} without waiting for etcd's answer, which changes nothing here. */
  private void revokeInBackground(long lease) {
    if (lease == 0) {
      return;
    }
    LeaseRevokeRequest revoke = LeaseRevokeRequest.newBuilder().setID(lease).build();
    CompletableFuture<LeaseRevokeResponse> answer = conn.unaryAsync(
        LeaseGrpc.newStub(conn.channel()), (s, observer) -> s.leaseRevoke(revoke, observer));
    answer.whenComplete((r, failure) -> {
      if (failure != null) {
        // lease not found or etcd away: the TTL removes it anyway
        log.debug("revoking lease {} failed: {}", Long.toHexString(lease), describe(failure));
      }
    });
  }

  private void revokeQuietly(long lease) {
    if (lease == 0) {
      return;
    }
    try {
      conn.unary(LeaseGrpc.newBlockingStub(conn.channel()),
          s -> s.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease).build()));
    } catch (RuntimeException e) {
      // lease not found or etcd away: the TTL removes it anyway
      log.debug("revoking lease {} failed: {}", Long.toHexString(lease), describe(e));
    }
  }

  static String describe(Throwable t) {
    Status s = Status.fromThrowable(t);
    return s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription());
  }
}
