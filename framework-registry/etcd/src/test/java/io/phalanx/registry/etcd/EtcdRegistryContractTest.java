package io.phalanx.registry.etcd;

import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.test.etcd.EtcdExtension;
import io.phalanx.test.registry.RegistryContractTest;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The registry SPI contract, run against a real etcd. */
class EtcdRegistryContractTest extends RegistryContractTest {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  private EtcdRegistry registry;
  private EtcdRegistry other;

  @BeforeEach
  void connect() {
    registry = EtcdRegistry.create(etcd.endpoint());
    other = EtcdRegistry.create(etcd.endpoint());
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
  }
}
