package io.phalanx.registry.etcd.internal;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One bidirectional etcd stream (Watch, LeaseKeepAlive) as its owners need it: opened with a
 * valid auth token, every answer to {@code response}, and its end, however it comes (an error
 * or etcd completing it), once to {@code broken} — with a rejected token dropped first, so the
 * owner's next open authenticates again. {@link WatchStream} and {@link KeepAliveStream} give it
 * their requests' types.
 *
 * <p>Threading: the callbacks are called on gRPC's threads, one call at a time, possibly once
 * more after {@link #cancel}. {@link #send} must not be called concurrently with itself.
 *
 * @param <Q> the requests sent
 * @param <R> the responses received
 */
final class EtcdStream<Q, R> {

  private final StreamObserver<Q> requests;

  /**
   * Opens the stream; fetches an auth token first if needed (blocking, throws if that fails).
   *
   * @param name the stream's kind in the error of an end by etcd, e.g. {@code "watch"}
   * @param call starts the gRPC call, e.g. {@code WatchGrpc.newStub(channel)::watch}
   */
  EtcdStream(EtcdConnection conn, String name,
      Function<StreamObserver<R>, StreamObserver<Q>> call, Consumer<R> response,
      Consumer<Throwable> broken) {
    conn.ensureToken();
    this.requests = call.apply(new StreamObserver<>() {
      @Override
      public void onNext(R r) {
        response.accept(r);
      }

      @Override
      public void onError(Throwable t) {
        conn.onStreamFailure(t);
        broken.accept(t);
      }

      @Override
      public void onCompleted() {
        broken.accept(Status.UNAVAILABLE
            .withDescription("etcd closed the " + name + " stream").asException());
      }
    });
  }

  /** Sends one request; throws if the stream cannot take it any more. */
  void send(Q request) {
    requests.onNext(request);
  }

  /** Ends the stream; {@code why} goes to gRPC as the cancellation's message. */
  void cancel(String why) {
    if (requests instanceof ClientCallStreamObserver<?> c) {
      c.cancel(why, null);
    } else {
      requests.onCompleted();
    }
  }
}
