package io.phalanx.registry.etcd.internal;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.phalanx.registry.etcd.api.WatchCreateRequest;
import io.phalanx.registry.etcd.api.WatchGrpc;
import io.phalanx.registry.etcd.api.WatchRequest;
import io.phalanx.registry.etcd.api.WatchResponse;

/**
 * One etcd {@code Watch} stream carrying one watcher. Its owner keeps the current stream in a
 * field and compares identity in the callbacks: a callback of a stream that was cancelled or
 * replaced meanwhile finds a different stream there and is ignored.
 *
 * <p>Threading: the handler is called on gRPC's threads, one call at a time per stream, possibly
 * once more after {@link #cancel()} (hence the identity check).
 */
public final class WatchStream {

  /** Receives what happens to a stream. */
  public interface Handler {
    /** A response of the watcher: created, events, progress, compaction or cancellation. */
    void response(WatchStream stream, WatchResponse response);

    /** The stream ended: an error, or etcd completed it. */
    void broken(WatchStream stream, Throwable cause);
  }

  private final StreamObserver<WatchRequest> requests;

  private WatchStream(EtcdConnection conn, WatchCreateRequest create, Handler handler) {
    conn.ensureToken();
    this.requests = WatchGrpc.newStub(conn.channel()).watch(new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse r) {
        handler.response(WatchStream.this, r);
      }

      @Override
      public void onError(Throwable t) {
        conn.onStreamFailure(t);
        handler.broken(WatchStream.this, t);
      }

      @Override
      public void onCompleted() {
        handler.broken(WatchStream.this,
            Status.UNAVAILABLE.withDescription("etcd closed the watch stream").asException());
      }
    });
    requests.onNext(WatchRequest.newBuilder().setCreateRequest(create).build());
  }

  /**
   * Opens a stream and asks etcd to create the watcher; fetches an auth token first if needed
   * (blocking, throws if that fails). Failures of the stream itself go to the handler. Call it
   * under the lock the handler takes and store the result before releasing that lock, so that
   * the first callbacks already find this stream current.
   */
  public static WatchStream open(EtcdConnection conn, WatchCreateRequest create,
      Handler handler) {
    return new WatchStream(conn, create, handler);
  }

  /** Ends the stream; etcd drops the watcher with it. */
  public void cancel() {
    if (requests instanceof ClientCallStreamObserver<?> c) {
      c.cancel("watch no longer needed", null);
    } else {
      requests.onCompleted();
    }
  }
}
