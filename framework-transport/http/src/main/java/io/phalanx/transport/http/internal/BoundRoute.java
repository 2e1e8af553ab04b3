package io.phalanx.transport.http.internal;

import io.phalanx.core.Handler;

/**
 * A route with its middleware chain assembled at start.
 *
 * @param chain app middleware, then server middleware, then the route's handler
 * @param timeoutNanos the route's request timeout
 */
record BoundRoute(RouteSpec spec, String template, String operation, Handler chain,
    boolean inline, long timeoutNanos) {}
