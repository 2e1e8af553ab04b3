package io.phalanx.transport.grpc;

import io.phalanx.core.Context;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.ServiceException;

/**
 * Sees each message of a streaming call, and its end. Middleware runs once per streaming call;
 * a hook added to the call's {@link GrpcStream} (by middleware, or through {@link #asMiddleware})
 * covers what happens afterwards.
 *
 * <p>Threading: received messages are reported on the thread delivering them (the server's
 * handler executor, or grpc-java's client callback executor), sent messages on the thread that
 * sends them; the two may run concurrently, so hooks must be thread-safe. Hooks must not block.
 */
public interface StreamMessageHook {

  /**
   * A message arrived from the peer. Returns the message to deliver (normally {@code message}
   * itself, else one of the same type). Throwing ends the call with the error.
   */
  default Object onReceive(Context ctx, Object message) throws Exception {
    return message;
  }

  /** A message is about to be sent to the peer; same contract as {@link #onReceive}. */
  default Object onSend(Context ctx, Object message) throws Exception {
    return message;
  }

  /** The call ended: {@code error} is null on success. Exceptions thrown here are ignored. */
  default void onClose(Context ctx, ServiceException error) {}

  /** Middleware that adds this hook to every streaming call and leaves unary calls alone. */
  default Middleware asMiddleware() {
    StreamMessageHook hook = this;
    return next -> (ctx, request) -> {
      if (request instanceof GrpcStream stream) {
        stream.addHook(hook);
      }
      return next.handle(ctx, request);
    };
  }
}
