package io.phalanx.transport.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.internal.SentAsUnknown;
import java.util.Map;

/**
 * Maps {@link ServiceException} to a gRPC status and back, as Kratos v2 does: the status code
 * comes from the HTTP-style code through the table below, the message is the status description,
 * and reason and metadata travel in a {@code google.rpc.ErrorInfo} detail (domain empty) inside
 * {@code grpc-status-details-bin}.
 *
 * <p>HTTP → gRPC: 200 OK, 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
 * 404 NOT_FOUND, 409 ABORTED, 412 FAILED_PRECONDITION, 429 RESOURCE_EXHAUSTED, 499 CANCELLED,
 * 500 INTERNAL, 501 UNIMPLEMENTED, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, anything else UNKNOWN.
 * gRPC → HTTP: the inverse, plus ALREADY_EXISTS 409, OUT_OF_RANGE 400, DATA_LOSS 500,
 * UNKNOWN 500 and FAILED_PRECONDITION 400 (Kratos v2.9.2; v3 says 412). The table is lossy on
 * purpose, to stay wire-compatible with Kratos: a 412 comes back as 400, a 418 as 500.
 *
 * <p>An error is never sent as OK: a {@link ServiceException} whose code maps to OK (200) goes
 * out as UNKNOWN, with its message, reason and metadata, and comes back as a 500. A client
 * cannot tell an OK status from success (a unary call would end without a reply, a stream as if
 * complete). Kratos ends up with UNKNOWN too, by accident: grpc-go refuses details on an OK
 * status, so the error has no status and grpc-go sends it as UNKNOWN with the error's text as
 * message and no {@code ErrorInfo}. grpc-java fails a unary call closed with OK and no reply
 * (INTERNAL, and the client sees the stream reset) and lets a stream closed with OK pass as a
 * success.
 *
 * <p>Stateless and thread-safe.
 */
public final class GrpcErrors {
  private GrpcErrors() {}

  /** The gRPC code for an HTTP-style code. */
  public static Status.Code toGrpcCode(int httpCode) {
    switch (httpCode) {
      case 200: return Status.Code.OK;
      case 400: return Status.Code.INVALID_ARGUMENT;
      case 401: return Status.Code.UNAUTHENTICATED;
      case 403: return Status.Code.PERMISSION_DENIED;
      case 404: return Status.Code.NOT_FOUND;
      case 409: return Status.Code.ABORTED;
      case 412: return Status.Code.FAILED_PRECONDITION;
      case 429: return Status.Code.RESOURCE_EXHAUSTED;
      case 499: return Status.Code.CANCELLED;
      case 500: return Status.Code.INTERNAL;
      case 501: return Status.Code.UNIMPLEMENTED;
      case 503: return Status.Code.UNAVAILABLE;
      case 504: return Status.Code.DEADLINE_EXCEEDED;
      default: return Status.Code.UNKNOWN;
    }
  }

  /** The HTTP-style code for a gRPC code. */
  public static int toHttpCode(Status.Code code) {
    switch (code) {
      case OK: return 200;
      case CANCELLED: return 499;
      case INVALID_ARGUMENT: return 400;
      case DEADLINE_EXCEEDED: return 504;
      case NOT_FOUND: return 404;
      case ALREADY_EXISTS: return 409;
      case PERMISSION_DENIED: return 403;
      case UNAUTHENTICATED: return 401;
      case RESOURCE_EXHAUSTED: return 429;
      case FAILED_PRECONDITION: return 400;
      case ABORTED: return 409;
      case OUT_OF_RANGE: return 400;
      case UNIMPLEMENTED: return 501;
      case UNAVAILABLE: return 503;
      case UNKNOWN:
      case INTERNAL:
      case DATA_LOSS:
      default: return 500;
    }
  }

  /**
   * The status exception for {@code error}: its status carries code and message, its trailers
   * the {@code ErrorInfo} detail. The code is never OK (see the class comment): 200 becomes
   * UNKNOWN.
   */
  public static StatusRuntimeException toStatusException(ServiceException error) {
    return toStatusException(error, new Metadata());
  }

  /** As {@link #toStatusException(ServiceException)}, adding to existing {@code trailers}. */
  public static StatusRuntimeException toStatusException(ServiceException error, Metadata trailers) {
    ErrorInfo info = ErrorInfo.newBuilder()
        .setReason(error.reason())
        .putAllMetadata(error.metadata())
        .build();
    Status.Code code = SentAsUnknown.marks(error) ? Status.Code.UNKNOWN
        : toGrpcCode(error.code());
    com.google.rpc.Status proto = com.google.rpc.Status.newBuilder()
        .setCode((code == Status.Code.OK ? Status.Code.UNKNOWN : code).value())
        .setMessage(error.message())
        .addDetails(Any.pack(info))
        .build();
    return StatusProto.toStatusRuntimeException(proto, trailers);
  }

  /**
   * {@code error} as a gRPC client reads it back, for the server to record the error its client
   * gets: unchanged when its code has a gRPC status of its own; else (a code the table has no row
   * for, such as 418, or 200) it goes out as UNKNOWN and reads back as 500, so it becomes a 500
   * with the same reason, message and metadata, which {@link #toStatusException} still sends as
   * UNKNOWN, and whose cause's cause is {@code error}. A status the table reads back with another
   * code (FAILED_PRECONDITION, 412, read as 400 by Kratos v2) keeps its code: the status sent is
   * its own.
   */
  public static ServiceException asSent(ServiceException error) {
    Status.Code code = toGrpcCode(error.code());
    if (code != Status.Code.UNKNOWN && code != Status.Code.OK) {
      return error;
    }
    return new ServiceException(500, error.reason(), error.message(), error.metadata(),
        new SentAsUnknown(error.code(), error));
  }

  /**
   * The service exception a failed call stands for: code from the status code, message from the
   * description, reason and metadata from an {@code ErrorInfo} detail when the trailers carry
   * one (else reason empty, as in Kratos).
   */
  public static ServiceException fromStatus(Status status, Metadata trailers) {
    String reason = "";
    Map<String, String> metadata = Map.of();
    com.google.rpc.Status proto = details(status, trailers);
    if (proto != null) {
      for (Any detail : proto.getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          try {
            ErrorInfo info = detail.unpack(ErrorInfo.class);
            reason = info.getReason();
            metadata = info.getMetadataMap();
          } catch (InvalidProtocolBufferException e) {
            // a corrupt detail leaves the reason empty; the code and message still hold
          }
          break;
        }
      }
    }
    String message = status.getDescription() == null ? "" : status.getDescription();
    return new ServiceException(toHttpCode(status.getCode()), reason, message, metadata,
        status.getCause());
  }

  /**
   * The rich status in {@code trailers}, or null. A proxy or interceptor that changed the code
   * but kept {@code grpc-status-details-bin} makes grpc's parser throw; the status alone then
   * stands, rather than an exception escaping a call listener (which left the call unfinished).
   */
  private static com.google.rpc.Status details(Status status, Metadata trailers) {
    if (trailers == null) {
      return null;
    }
    try {
      return StatusProto.fromStatusAndTrailers(status, trailers);
    } catch (IllegalArgumentException mismatchedOrCorrupt) {
      return null;
    }
  }

  /**
   * Any throwable as a service exception: gRPC status exceptions through {@link #fromStatus},
   * everything else through {@link Errors#from} (unknown exceptions become a 500 whose message
   * does not reveal the original one).
   */
  public static ServiceException from(Throwable t) {
    if (t instanceof StatusRuntimeException sre) {
      return fromStatus(sre.getStatus(), sre.getTrailers());
    }
    if (t instanceof StatusException se) {
      return fromStatus(se.getStatus(), se.getTrailers());
    }
    return Errors.from(t);
  }
}
