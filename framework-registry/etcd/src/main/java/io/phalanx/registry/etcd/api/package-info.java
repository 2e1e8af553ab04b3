/**
 * Messages and gRPC stubs generated at build time from etcd's v3 API protos (rpc.proto, kv.proto,
 * auth.proto, vendored under {@code src/main/proto}). Not a public API of Phalanx: use
 * {@link io.phalanx.registry.etcd.EtcdRegistry} and {@link io.phalanx.registry.etcd.EtcdConfigSource}.
 */
package io.phalanx.registry.etcd.api;
