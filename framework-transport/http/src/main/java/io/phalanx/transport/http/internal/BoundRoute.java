package io.phalanx.transport.http.internal;

import io.phalanx.core.Handler;
import io.phalanx.transport.http.ErrorEncoder;

/**
 * A route with its middleware chain assembled at start.
 *
 * @param chain app middleware, then server middleware, then the route's handler
 * @param timeoutNanos the route's request timeout
 * @param maxContentLength the route's body limit, the server's unless the route set its own
 * @param errorEncoder writes the route's errors: the server's, or the route's own falling back
 *     to the server's where it returns null
 */
record BoundRoute(RouteSpec spec, String template, String operation, Handler chain,
    boolean inline, long timeoutNanos, int maxContentLength, ErrorEncoder errorEncoder) {

  /** {@code own} where it answers, else {@code server}; just {@code server} without one. */
  static ErrorEncoder errorEncoder(ErrorEncoder own, ErrorEncoder server) {
    if (own == null) {
      return server;
    }
    return new ErrorEncoder() {
      @Override
      public io.phalanx.transport.http.HttpResponse encode(
          io.phalanx.core.error.ServiceException error) {
        io.phalanx.transport.http.HttpResponse r = own.encode(error);
        return r != null ? r : server.encode(error);
      }

      @Override
      public String toString() {
        return own + " (else " + server + ")";
      }
    };
  }
}
