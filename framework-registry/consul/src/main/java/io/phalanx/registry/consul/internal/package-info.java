/**
 * Consul adapter internals: the HTTP calls ({@link io.phalanx.registry.consul.internal.ConsulHttp}),
 * Kratos' wire format ({@link io.phalanx.registry.consul.internal.KratosFormat}), the TTL
 * heartbeat and the blocking-query watch loop. Not API; may change in any release.
 */
package io.phalanx.registry.consul.internal;
