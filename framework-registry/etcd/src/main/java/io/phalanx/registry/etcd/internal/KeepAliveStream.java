package io.phalanx.registry.etcd.internal;

import io.phalanx.registry.etcd.api.LeaseGrpc;
import io.phalanx.registry.etcd.api.LeaseKeepAliveRequest;
import io.phalanx.registry.etcd.api.LeaseKeepAliveResponse;
import java.util.function.BiConsumer;

/**
 * One etcd {@code LeaseKeepAlive} stream: each {@link #renew} asks etcd to restart a lease's TTL,
 * each answer carries the TTL granted (0 when etcd no longer knows the lease). Used by
 * {@link LeaseKeeper} (registrations) and {@link SessionLease} (lock/election sessions), which
 * differ in what they do when a lease is lost. As with {@link WatchStream}, the owner keeps the
 * current stream in a field and compares identity in the callbacks, so callbacks of a stream that
 * was cancelled or replaced meanwhile are ignored.
 *
 * <p>Threading: the callbacks are called on gRPC's threads, one call at a time per stream,
 * possibly once more after {@link #cancel()}. {@link #renew} must not be called concurrently with
 * itself (owners call it under their lock).
 */
public final class KeepAliveStream {

  private final EtcdStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse> stream;

  private KeepAliveStream(EtcdConnection conn,
      BiConsumer<KeepAliveStream, LeaseKeepAliveResponse> response,
      BiConsumer<KeepAliveStream, Throwable> broken) {
    this.stream = new EtcdStream<>(conn, "keep-alive",
        LeaseGrpc.newStub(conn.channel())::leaseKeepAlive,
        r -> response.accept(this, r), t -> broken.accept(this, t));
  }

  /**
   * Opens a stream; fetches an auth token first if needed (blocking, throws if that fails).
   * {@code response} gets etcd's answer to each renewal, {@code broken} the end of the stream (an
   * error, or etcd completing it). Call it under the lock the callbacks take and store the result
   * before releasing that lock.
   */
  public static KeepAliveStream open(EtcdConnection conn,
      BiConsumer<KeepAliveStream, LeaseKeepAliveResponse> response,
      BiConsumer<KeepAliveStream, Throwable> broken) {
    return new KeepAliveStream(conn, response, broken);
  }

  /** Sends one renewal of {@code leaseId}; throws if the stream cannot take it any more. */
  public void renew(long leaseId) {
    stream.send(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
  }

  /** Ends the stream. */
  public void cancel() {
    stream.cancel("keep-alive no longer needed");
  }
}
