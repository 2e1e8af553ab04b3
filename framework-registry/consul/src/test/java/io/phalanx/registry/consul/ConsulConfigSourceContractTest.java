package io.phalanx.registry.consul;

import io.phalanx.core.config.ConfigSource;
import io.phalanx.test.RefusedPort;
import io.phalanx.test.config.ConfigSourceContractTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The config source SPI contract, run against the fake Consul agent's KV store (no real agent
 * can be installed here; see the module README). Writes go through the agent's HTTP API with
 * the ACL token, as {@code consul kv put} would.
 */
class ConsulConfigSourceContractTest extends ConfigSourceContractTest {
  private static final String TOKEN = "contract-token";

  private FakeConsul consul;
  private final List<ConsulConfigSource> sources = new CopyOnWriteArrayList<>();
  private RefusedPort nowhere;

  @BeforeEach
  void startAgent() throws Exception {
    consul = FakeConsul.startWithAcl(TOKEN);
  }

  @AfterEach
  void stopAgent() throws Exception {
    sources.forEach(ConsulConfigSource::close);
    consul.close();
    if (nowhere != null) {
      nowhere.close();
    }
  }

  @Override
  protected ConfigSource source(String prefix) {
    // a short wait so the tests also cross long polls that time out with nothing changed
    ConsulConfigSource s = ConsulConfigSource.builder().address(consul.address()).token(TOKEN)
        .prefix(prefix).wait(Duration.ofSeconds(2)).minQueryInterval(Duration.ofMillis(20))
        .build();
    sources.add(s);
    return s;
  }

  @Override
  protected void put(String key, String value) throws Exception {
    consul.putKv(key, value);
  }

  @Override
  protected void delete(String key) throws Exception {
    consul.deleteKv(key);
  }

  @Override
  protected ConfigSource unreachableSource() throws Exception {
    nowhere = RefusedPort.open(); // held until the test ends: connecting there is refused
    ConsulConfigSource s = ConsulConfigSource.builder().address("127.0.0.1:" + nowhere.port())
        .prefix("config/unreachable/").requestTimeout(Duration.ofMillis(500)).build();
    sources.add(s);
    return s;
  }
}
