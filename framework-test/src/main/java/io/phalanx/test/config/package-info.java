/**
 * The contract test suite of the {@link io.phalanx.core.config.ConfigSource} SPI, which every
 * adapter (etcd, Consul KV) extends with its own store.
 */
package io.phalanx.test.config;
