/**
 * The etcd client behind {@link io.phalanx.registry.etcd.EtcdRegistry} and
 * {@link io.phalanx.registry.etcd.EtcdConfigSource}: connection settings and the connection with
 * fail-over and auth, watch streams, the lease keeper that holds a registration, the shared
 * per-service watch, the config document watch, the Kratos JSON codec, and for
 * {@link io.phalanx.registry.etcd.EtcdSession} the session lease, the create-revision queue behind
 * lock and election, and the leader watch. Not a public API.
 */
package io.phalanx.registry.etcd.internal;
