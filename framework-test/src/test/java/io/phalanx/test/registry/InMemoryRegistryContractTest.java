package io.phalanx.test.registry;

import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.core.registry.Registrar;
import java.util.Optional;

/** The in-memory registry against the SPI contract; it is its own second client. */
class InMemoryRegistryContractTest extends RegistryContractTest {
  private final InMemoryRegistry registry = new InMemoryRegistry();

  @Override
  protected Registrar registrar() {
    return registry;
  }

  @Override
  protected Discovery discovery() {
    return registry;
  }

  @Override
  protected Optional<Discovery> otherDiscovery() {
    return Optional.of(registry);
  }
}
