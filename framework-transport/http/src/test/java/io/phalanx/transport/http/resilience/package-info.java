/**
 * Resilience middleware of {@code io.phalanx.core.resilience} between the Phalanx HTTP client and
 * server over loopback sockets.
 */
package io.phalanx.transport.http.resilience;
