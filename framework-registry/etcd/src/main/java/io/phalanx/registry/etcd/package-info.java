/**
 * Service registry on etcd v3, wire-compatible with Kratos' etcd registry:
 * {@link io.phalanx.registry.etcd.EtcdRegistry} registers instances under leases kept alive in
 * the background and discovers them with one shared etcd watch per service.
 */
package io.phalanx.registry.etcd;
