package io.phalanx.transport.http.internal;

import io.phalanx.core.Handler;

/**
 * A route with its middleware chain assembled at start.
 *
 * @param chain app middleware, then server middleware, then the route's handler
 * @param timeoutNanos the route's request timeout
 * @param maxContentLength the route's body limit, the server's unless the route set its own
 */
record BoundRoute(RouteSpec spec, String template, String operation, Handler chain,
    boolean inline, long timeoutNanos, int maxContentLength) {}
