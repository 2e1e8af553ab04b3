/**
 * The registry SPI contract suite: {@link io.phalanx.test.registry.RegistryContractTest}, which
 * every {@link io.phalanx.core.registry.Registrar} / {@link io.phalanx.core.registry.Discovery}
 * adapter's tests extend.
 */
package io.phalanx.test.registry;
