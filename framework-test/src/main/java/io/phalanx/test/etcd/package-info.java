/**
 * A JUnit 5 extension that runs a real, throwaway etcd server ({@link
 * io.phalanx.test.etcd.EtcdExtension}) so registry and config adapters are tested against etcd
 * itself, not a mock. It only launches the {@code etcd} binary and polls its {@code /health}
 * endpoint; it carries no etcd client, so this module stays free of gRPC.
 */
package io.phalanx.test.etcd;
