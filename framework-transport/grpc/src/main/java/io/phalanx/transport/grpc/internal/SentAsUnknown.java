package io.phalanx.transport.grpc.internal;

import io.phalanx.core.error.ServiceException;

/**
 * The cause that marks a 500 made of an error sent as UNKNOWN (see {@link
 * io.phalanx.transport.grpc.GrpcErrors#asSent}): the status to send for it is UNKNOWN, not the
 * INTERNAL of a 500 of its own. Holds the error it was made of. Not thrown; no stack trace.
 */
public final class SentAsUnknown extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int originalCode;

  /**
   * @param originalCode the code thrown, one without a gRPC status of its own
   * @param original the error with that code, or the 500 made of it that lost its mark
   */
  public SentAsUnknown(int originalCode, Throwable original) {
    super("sent as UNKNOWN: " + originalCode + " has no gRPC status of its own", original,
        false, false);
    this.originalCode = originalCode;
  }

  /** The code thrown, which the 500 stands for. */
  public int originalCode() {
    return originalCode;
  }

  /** Whether {@code error} is to go out as UNKNOWN for this mark. */
  public static boolean marks(ServiceException error) {
    return error.getCause() instanceof SentAsUnknown;
  }
}
