package io.phalanx.transport.grpc.internal;

import io.phalanx.core.Context;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** Where the Phalanx context of a call lives inside grpc-java's {@link io.grpc.Context}. */
public final class CallContexts {
  /** Read by {@link io.phalanx.transport.grpc.GrpcContext}; set only by the server bridge. */
  public static final io.grpc.Context.Key<Context> KEY = io.grpc.Context.key("phalanx.context");

  /** Call option carrying the Phalanx context a client call is made with. */
  public static final io.grpc.CallOptions.Key<Context> CALL_OPTION =
      io.grpc.CallOptions.Key.create("phalanx.context");

  private CallContexts() {}

  static Instant toInstant(io.grpc.Deadline deadline) {
    if (deadline == null) {
      return null;
    }
    return Instant.now().plusNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS));
  }

  static io.grpc.Deadline toDeadline(Instant instant) {
    long nanos = java.time.Duration.between(Instant.now(), instant).toNanos();
    return io.grpc.Deadline.after(nanos, TimeUnit.NANOSECONDS);
  }
}
