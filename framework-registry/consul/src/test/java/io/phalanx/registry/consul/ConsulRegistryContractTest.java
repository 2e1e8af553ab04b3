package io.phalanx.registry.consul;

import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.test.registry.RegistryContractTest;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;

/**
 * The registry SPI contract, run against the fake Consul agent (no real agent can be installed
 * here; see the module README). A second registry object with its own HTTP client and watch
 * loops plays the "other client".
 */
class ConsulRegistryContractTest extends RegistryContractTest {
  private FakeConsul consul;
  private ConsulRegistry registry;
  private ConsulRegistry other;

  @BeforeEach
  void connect() throws Exception {
    consul = FakeConsul.startWithAcl("contract-token");
    registry = newRegistry();
    other = newRegistry();
  }

  private ConsulRegistry newRegistry() {
    // a short wait so the tests also cross long polls that time out with nothing changed
    return ConsulRegistry.builder().address(consul.address()).token("contract-token")
        .wait(Duration.ofSeconds(2)).minQueryInterval(Duration.ofMillis(20)).build();
  }

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
    return Optional.of(other);
  }

  @Override
  protected void closeClients() {
    registry.close();
    other.close();
    consul.close();
  }
}
