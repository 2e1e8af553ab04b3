/**
 * Consul adapter internals: the HTTP calls ({@link io.phalanx.registry.consul.internal.ConsulHttp}),
 * the options both public builders share, Kratos' wire formats (service registrations in
 * {@link io.phalanx.registry.consul.internal.KratosFormat}, KV folders as config documents in
 * {@link io.phalanx.registry.consul.internal.KvFormat}), the TTL heartbeat, and the
 * blocking-query loop ({@link io.phalanx.registry.consul.internal.BlockingQuery}) under the
 * service and KV watches. Not API; may change in any release.
 */
package io.phalanx.registry.consul.internal;
