package io.phalanx.transport.http;

import java.time.Duration;
import java.util.Objects;

/**
 * Per-route options.
 *
 * @param runsInline run the handler (and the middleware) on the Netty event loop instead of the
 *     executor. Only for handlers that never block: a blocking inline handler stalls every
 *     connection on that loop. Saves a thread hand-off per request; the request deadline is not
 *     enforced for inline routes (nothing could interrupt them without blocking the loop).
 * @param timeout replaces the server's request timeout for this route; null keeps the server's
 * @param operation the route's {@link io.phalanx.core.Transport#operation() operation name};
 *     null for the default {@code METHOD template}. Lets a route that stands for another
 *     operation (a transcoded gRPC method, {@code /pkg.Service/Method}) report that name, so
 *     metrics and {@link io.phalanx.core.OperationMatcher}s see one name whatever the transport.
 * @param maxContentLength the largest request body this route accepts, in bytes (after
 *     decompression), replacing the server's {@code maxContentLength} in either direction (an
 *     upload route above it, a small-JSON route below); 0 keeps the server's. Checked when the
 *     headers arrive, so an oversized body is refused with 413 before it is read.
 * @param errorEncoder writes the errors answered on this route instead of the server's
 *     {@link HttpServer.Builder#errorEncoder encoder}: those its handler or middleware throw and
 *     those the server answers by itself once the request is known to be this route's (its
 *     deadline's 504, 503 when the executor refuses it, 413 for a body over the limit, 408 for a
 *     body too slow, 400 for a bad {@code grpc-timeout}). For routes whose clients read errors
 *     in another protocol than Kratos' JSON (gRPC-Web reads a {@code grpc-status}). It may return
 *     null to leave an error to the server's encoder. Called on the threads the server's encoder
 *     is called on (see {@link ErrorEncoder}); null for the server's.
 */
public record RouteOptions(boolean runsInline, Duration timeout, String operation,
    int maxContentLength, ErrorEncoder errorEncoder) {
  private static final RouteOptions DEFAULTS = new RouteOptions(false, null);
  private static final RouteOptions INLINE = new RouteOptions(true, null);

  public RouteOptions {
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("route timeout must be positive: " + timeout);
    }
    if (operation != null && operation.isBlank()) {
      throw new IllegalArgumentException("route operation must not be blank");
    }
    if (maxContentLength < 0) {
      throw new IllegalArgumentException("route maxContentLength must be >= 0 (0: the "
          + "server's): " + maxContentLength);
    }
  }

  /** Options with the server's error encoder. */
  public RouteOptions(boolean runsInline, Duration timeout, String operation,
      int maxContentLength) {
    this(runsInline, timeout, operation, maxContentLength, null);
  }

  /** Options with the server's body limit. */
  public RouteOptions(boolean runsInline, Duration timeout, String operation) {
    this(runsInline, timeout, operation, 0);
  }

  /** Options with the default operation name and the server's body limit. */
  public RouteOptions(boolean runsInline, Duration timeout) {
    this(runsInline, timeout, null, 0);
  }

  /** Executor dispatch, the server's timeout. */
  public static RouteOptions defaults() {
    return DEFAULTS;
  }

  /** Runs on the event loop; see {@link #runsInline}. */
  public static RouteOptions inline() {
    return INLINE;
  }

  public RouteOptions withInline(boolean runsInline) {
    return new RouteOptions(runsInline, timeout, operation, maxContentLength, errorEncoder);
  }

  public RouteOptions withTimeout(Duration timeout) {
    return new RouteOptions(runsInline, Objects.requireNonNull(timeout, "timeout"), operation,
        maxContentLength, errorEncoder);
  }

  /** A copy whose routes report {@code operation} instead of {@code METHOD template}. */
  public RouteOptions withOperation(String operation) {
    return new RouteOptions(runsInline, timeout, Objects.requireNonNull(operation, "operation"),
        maxContentLength, errorEncoder);
  }

  /** A copy whose routes write their errors with {@code encoder} (see {@link #errorEncoder}). */
  public RouteOptions withErrorEncoder(ErrorEncoder encoder) {
    return new RouteOptions(runsInline, timeout, operation, maxContentLength,
        Objects.requireNonNull(encoder, "encoder"));
  }

  /**
   * A copy whose routes accept request bodies of up to {@code bytes} (see
   * {@link #maxContentLength}).
   *
   * @throws IllegalArgumentException unless {@code bytes} is positive
   */
  public RouteOptions withMaxContentLength(int bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("maxContentLength must be positive: " + bytes);
    }
    return new RouteOptions(runsInline, timeout, operation, bytes, errorEncoder);
  }
}
