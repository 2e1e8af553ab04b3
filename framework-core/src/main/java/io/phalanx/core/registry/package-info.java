/**
 * The registry SPI: {@link io.phalanx.core.registry.ServiceInstance},
 * {@link io.phalanx.core.registry.Registrar} and {@link io.phalanx.core.registry.Discovery}.
 * Adapters (etcd, Consul, in-memory) implement them; every adapter passes the same contract tests.
 */
package io.phalanx.core.registry;
