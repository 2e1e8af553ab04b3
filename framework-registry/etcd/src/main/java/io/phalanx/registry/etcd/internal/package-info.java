/**
 * The etcd client behind {@link io.phalanx.registry.etcd.EtcdRegistry}: connection with fail-over
 * and auth, the lease keeper that holds a registration, the shared per-service watch, and the
 * Kratos JSON codec. Not a public API.
 */
package io.phalanx.registry.etcd.internal;
