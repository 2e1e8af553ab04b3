package io.phalanx.registry.etcd.internal;

import io.phalanx.registry.etcd.api.WatchCreateRequest;
import io.phalanx.registry.etcd.api.WatchGrpc;
import io.phalanx.registry.etcd.api.WatchRequest;
import io.phalanx.registry.etcd.api.WatchResponse;
import java.util.function.BiConsumer;

/**
 * One etcd {@code Watch} stream carrying one watcher. Its owner keeps the current stream in a
 * field and compares identity in the callbacks: a callback of a stream that was cancelled or
 * replaced meanwhile finds a different stream there and is ignored.
 *
 * <p>Threading: the callbacks are called on gRPC's threads, one call at a time per stream, possibly
 * once more after {@link #cancel()} (hence the identity check).
 */
public final class WatchStream {

  private final EtcdStream<WatchRequest, WatchResponse> stream;

  private WatchStream(EtcdConnection conn, WatchCreateRequest create,
      BiConsumer<WatchStream, WatchResponse> response, BiConsumer<WatchStream, Throwable> broken) {
    this.stream = new EtcdStream<>(conn, "watch", WatchGrpc.newStub(conn.channel())::watch,
        r -> response.accept(this, r), t -> broken.accept(this, t));
    stream.send(WatchRequest.newBuilder().setCreateRequest(create).build());
  }

  /**
   * Opens a stream and asks etcd to create the watcher; fetches an auth token first if needed
   * (blocking, throws if that fails). {@code response} gets every response of the watcher
   * (created, events, progress, compaction or cancellation); {@code broken} gets the end of the
   * stream (an error, or etcd completing it). Call it under the lock the callbacks take and store
   * the result before releasing that lock, so that the first callbacks already find this stream
   * current.
   */
  public static WatchStream open(EtcdConnection conn, WatchCreateRequest create,
      BiConsumer<WatchStream, WatchResponse> response, BiConsumer<WatchStream, Throwable> broken) {
    return new WatchStream(conn, create, response, broken);
  }

  /** Ends the stream; etcd drops the watcher with it. */
  public void cancel() {
    stream.cancel("watch no longer needed");
  }
}
