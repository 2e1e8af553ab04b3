package io.phalanx.registry.etcd;

import io.phalanx.core.config.ConfigSource;
import io.phalanx.test.RefusedPort;
import io.phalanx.test.config.ConfigSourceContractTest;
import io.phalanx.test.etcd.EtcdExtension;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The config source SPI contract, run against a real etcd. */
class EtcdConfigSourceContractTest extends ConfigSourceContractTest {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  private RawEtcd raw;
  private RefusedPort nowhere;

  @BeforeEach
  void connect() {
    raw = new RawEtcd(etcd.endpoint());
  }

  @AfterEach
  void disconnect() throws Exception {
    raw.close();
    if (nowhere != null) {
      nowhere.close();
    }
  }

  @Override
  protected ConfigSource source(String prefix) {
    return EtcdConfigSource.builder().endpoints(etcd.endpoint()).prefix(prefix).build();
  }

  @Override
  protected void put(String key, String value) {
    raw.put(key, value);
  }

  @Override
  protected void delete(String key) {
    raw.delete(key);
  }

  @Override
  protected ConfigSource unreachableSource() throws Exception {
    nowhere = RefusedPort.open(); // held until the test ends
    return EtcdConfigSource.builder().endpoints(URI.create("http://127.0.0.1:" + nowhere.port()))
        .prefix("/config/nowhere/")
        .dialTimeout(Duration.ofMillis(500)).requestTimeout(Duration.ofMillis(500)).build();
  }
}
