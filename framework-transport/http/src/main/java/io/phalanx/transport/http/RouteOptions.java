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
 */
public record RouteOptions(boolean runsInline, Duration timeout, String operation) {
  private static final RouteOptions DEFAULTS = new RouteOptions(false, null);
  private static final RouteOptions INLINE = new RouteOptions(true, null);

  public RouteOptions {
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("route timeout must be positive: " + timeout);
    }
    if (operation != null && operation.isBlank()) {
      throw new IllegalArgumentException("route operation must not be blank");
    }
  }

  /** Options with the default operation name. */
  public RouteOptions(boolean runsInline, Duration timeout) {
    this(runsInline, timeout, null);
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
    return new RouteOptions(runsInline, timeout, operation);
  }

  public RouteOptions withTimeout(Duration timeout) {
    return new RouteOptions(runsInline, Objects.requireNonNull(timeout, "timeout"), operation);
  }

  /** A copy whose routes report {@code operation} instead of {@code METHOD template}. */
  public RouteOptions withOperation(String operation) {
    return new RouteOptions(runsInline, timeout, Objects.requireNonNull(operation, "operation"));
  }
}
