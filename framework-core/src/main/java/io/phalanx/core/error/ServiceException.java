package io.phalanx.core.error;

import io.phalanx.core.internal.JsonStrings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The one error type of Phalanx, shaped as Kratos' {@code errors.Error}: an HTTP-style
 * {@code code}, a stable machine-readable {@code reason} in UPPER_SNAKE case, a human
 * {@code message} and string {@code metadata}. Transports map it to an HTTP status with the JSON
 * body {@code {"code":404,"reason":"USER_NOT_FOUND","message":"…","metadata":{…}}} and to a gRPC
 * status with a {@code google.rpc.ErrorInfo} detail, and back on the client side.
 *
 * <p>Immutable: {@code withX} methods return copies. Two errors are "the same error" for
 * {@link #is} when code and reason match, whatever the message.
 */
public final class ServiceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String reason;
  private final Map<String, String> metadata;

  public ServiceException(int code, String reason, String message) {
    this(code, reason, message, Map.of(), null);
  }

  public ServiceException(int code, String reason, String message, Map<String, String> metadata,
      Throwable cause) {
    super(message == null ? "" : message, cause, true, false);
    if (code < 0 || code > 999) {
      throw new IllegalArgumentException("code must be an HTTP-style status 0..999: " + code);
    }
    this.code = code;
    this.reason = reason == null ? "" : reason;
    this.metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
  }

  /** HTTP-style status code, e.g. 404. */
  public int code() {
    return code;
  }

  /** Machine-readable reason, e.g. {@code USER_NOT_FOUND}; empty if none was given. */
  public String reason() {
    return reason;
  }

  /** Human-readable message, safe to show to the caller. */
  @Override
  public String getMessage() {
    return super.getMessage();
  }

  /** Same as {@link #getMessage()}, named like the other accessors. */
  public String message() {
    return super.getMessage();
  }

  /** Extra key/value details sent to the caller. */
  public Map<String, String> metadata() {
    return metadata;
  }

  public ServiceException withMessage(String message) {
    return new ServiceException(code, reason, message, metadata, getCause());
  }

  public ServiceException withMetadata(Map<String, String> metadata) {
    return new ServiceException(code, reason, getMessage(), metadata, getCause());
  }

  /** A copy with {@code key=value} added to the metadata. */
  public ServiceException withMetadata(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(metadata);
    copy.put(key, value);
    return new ServiceException(code, reason, getMessage(), copy, getCause());
  }

  /** A copy recording {@code cause} for logs; the cause is never sent to the caller. */
  public ServiceException withCause(Throwable cause) {
    return new ServiceException(code, reason, getMessage(), metadata, cause);
  }

  /** Whether {@code other} has the same code and reason. */
  public boolean is(ServiceException other) {
    return other != null && code == other.code && reason.equals(other.reason);
  }

  /**
   * The error as the Kratos-compatible JSON object. All four fields are always present, as Kratos
   * v2's encoder writes them.
   */
  public String toJson() {
    StringBuilder sb = new StringBuilder(64 + getMessage().length());
    sb.append("{\"code\":").append(code).append(",\"reason\":");
    JsonStrings.quote(sb, reason);
    sb.append(",\"message\":");
    JsonStrings.quote(sb, getMessage());
    sb.append(",\"metadata\":");
    return JsonStrings.object(sb, metadata).append('}').toString();
  }

  @Override
  public String toString() {
    return "ServiceException{code=" + code + ", reason=" + reason + ", message=" + getMessage()
        + (metadata.isEmpty() ? "" : ", metadata=" + metadata) + "}";
  }
}
