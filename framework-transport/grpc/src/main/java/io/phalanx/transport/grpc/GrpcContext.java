package io.phalanx.transport.grpc;

import io.phalanx.core.Context;
import io.phalanx.transport.grpc.internal.CallContexts;
import java.util.Optional;

/**
 * The Phalanx {@link Context} of the gRPC call the current thread is serving.
 *
 * <p>grpc-java service methods have no context parameter, so the server bridge attaches the
 * context (after middleware ran, with whatever attributes it added) to grpc-java's own
 * {@link io.grpc.Context} while it calls into the service. It is therefore visible on the thread
 * that runs a service method or stream-observer callback, not on threads the service starts
 * itself: hand the context over explicitly there.
 */
public final class GrpcContext {
  private GrpcContext() {}

  /** The current call's context, if the thread is serving one. */
  public static Optional<Context> find() {
    return Optional.ofNullable(CallContexts.KEY.get());
  }

  /**
   * The current call's context.
   *
   * @throws IllegalStateException outside a gRPC service call
   */
  public static Context current() {
    Context ctx = CallContexts.KEY.get();
    if (ctx == null) {
      throw new IllegalStateException("not inside a Phalanx gRPC call (GrpcContext is only set "
          + "on the thread running a service method)");
    }
    return ctx;
  }
}
