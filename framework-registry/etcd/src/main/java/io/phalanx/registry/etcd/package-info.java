/**
 * etcd v3 for Phalanx, wire-compatible with Kratos' etcd contrib packages:
 * {@link io.phalanx.registry.etcd.EtcdRegistry} registers instances under leases kept alive in
 * the background and discovers them with one shared etcd watch per service;
 * {@link io.phalanx.registry.etcd.EtcdConfigSource} reads configuration documents from a key or a
 * key prefix and follows their changes.
 */
package io.phalanx.registry.etcd;
