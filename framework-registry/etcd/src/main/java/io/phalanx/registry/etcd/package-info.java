/**
 * etcd v3 for Phalanx, wire-compatible with Kratos' etcd contrib packages:
 * {@link io.phalanx.registry.etcd.EtcdRegistry} registers instances under leases kept alive in
 * the background and discovers them with one shared etcd watch per service;
 * {@link io.phalanx.registry.etcd.EtcdConfigSource} reads configuration documents from a key or a
 * key prefix and follows their changes. {@link io.phalanx.registry.etcd.EtcdSession} keeps a
 * lease alive on which {@link io.phalanx.registry.etcd.EtcdLock distributed locks} and
 * {@link io.phalanx.registry.etcd.EtcdElection leader elections} are held, with the key layout of
 * etcd's Go {@code concurrency} package, so Go and Java processes lock and elect together.
 */
package io.phalanx.registry.etcd;
