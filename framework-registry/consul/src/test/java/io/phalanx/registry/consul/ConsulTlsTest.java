package io.phalanx.registry.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.test.tls.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent on https with a certificate from a test CA (Consul's {@code ports.https}). */
class ConsulTlsTest {
  private static TestCertificates certs;
  private FakeConsul consul;

  @BeforeAll
  static void certificates() {
    certs = TestCertificates.generate();
  }

  @AfterAll
  static void deleteCertificates() throws IOException {
    certs.delete();
  }

  @BeforeEach
  void start() throws IOException {
    consul = FakeConsul.startTls(certs.serverContext());
  }

  @AfterEach
  void stop() {
    consul.close();
  }

  private ConsulRegistry.Builder builder() {
    return ConsulRegistry.builder().address(consul.url())
        .ttl(Duration.ofSeconds(1)).wait(Duration.ofSeconds(2))
        .minQueryInterval(Duration.ofMillis(20)).requestTimeout(Duration.ofSeconds(5));
  }

  private static ServiceInstance greeter(String id) {
    return new ServiceInstance(id, "greeter", "v1", Map.of("zone", "a"),
        List.of(URI.create("grpc://127.0.0.1:9000")));
  }

  @Test
  @SuppressWarnings("try")
  void registersAndDiscoversOverHttps() throws Exception {
    assertTrue(consul.url().startsWith("https://"), consul.url());
    try (ConsulRegistry r = builder().sslContext(certs.clientContext()).build()) {
      AtomicReference<List<ServiceInstance>> latest = new AtomicReference<>();
      try (AutoCloseable w = r.watch("greeter", latest::set)) {
        ServiceInstance g = greeter("g-1");
        r.register(g);
        assertTrue(consul.hasService("g-1"));
        assertEquals(List.of(g), r.instances("greeter"));
        Await.until("the watch sees g-1", () -> List.of(g).equals(latest.get()));
        // heartbeats over https keep the 1 s TTL check passing
        Thread.sleep(2_500);
        assertEquals(List.of(g), r.instances("greeter"));
        r.deregister(g);
        assertFalse(consul.hasService("g-1"));
        Await.until("the watch sees nothing", () -> List.of().equals(latest.get()));
      }
    }
  }

  @Test
  void clientNotTrustingTheCaFailsNamingTheAddress() {
    // no sslContext: the JVM's default trust store does not know the test CA
    try (ConsulRegistry r = builder().build()) {
      IOException e = assertThrows(IOException.class, () -> r.register(greeter("g-2")));
      assertTrue(e.getMessage().contains(consul.url() + "/v1/agent/service/register"),
          e.getMessage());
      assertTrue(e.getCause() instanceof SSLHandshakeException, () -> "cause: " + e.getCause());
      IOException list = assertThrows(IOException.class, () -> r.instances("greeter"));
      assertTrue(list.getMessage().contains(consul.url()), list.getMessage());
      assertTrue(list.getCause() instanceof SSLException, () -> "cause: " + list.getCause());
    }
    assertFalse(consul.hasService("g-2"));
    assertTrue(consul.requests().isEmpty(), "no request got through the handshake");
  }

  @Test
  void theConfigSourceReadsKvOverHttpsWithTheGivenContext() throws Exception {
    consul.putKv("config/greeter/app.conf", "a = 1");
    ConsulConfigSource.Builder b = ConsulConfigSource.builder().address(consul.url())
        .prefix("config/greeter/").requestTimeout(Duration.ofSeconds(5));
    try (ConsulConfigSource trusting = b.sslContext(certs.clientContext()).build()) {
      assertEquals(List.of(ConfigDocument.of("config/greeter/app.conf", "a = 1")),
          trusting.load());
      assertTrue(trusting.description().contains(consul.url()), trusting.description());
    }
    try (ConsulConfigSource untrusting = b.sslContext(null).build()) {
      ConfigException e = assertThrows(ConfigException.class, untrusting::load);
      assertTrue(e.getMessage().contains(untrusting.description()), e.getMessage());
      assertTrue(e.getCause().getCause() instanceof SSLException,
          () -> "cause: " + e.getCause().getCause());
    }
  }
}
