package io.phalanx.transport.http.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.ServerTls;
import io.phalanx.transport.http.TestKeys;
import io.phalanx.transport.http.client.ClientTls;
import io.phalanx.transport.http.client.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Phalanx client's {@link ClientTls} against the Phalanx server's TLS and mTLS. */
class TlsClientServerTest {
  private static final char[] PASS = TestKeys.PASSWORD;
  @TempDir static Path dir;
  private static Path serverKeys;
  private static Path clientKeys;
  private static Path strangerKeys;
  private static Path otherHostKeys;
  private HttpServer server;

  @BeforeAll
  static void keys() throws Exception {
    serverKeys = TestKeys.localhost(dir, "server");
    clientKeys = TestKeys.localhost(dir, "client");
    strangerKeys = TestKeys.localhost(dir, "stranger");
    otherHostKeys = TestKeys.generate(dir, "other", "other.example", "dns:other.example");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private int start(ServerTls tls) throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).tls(tls)
        .routes(r -> r.get("/proto", (ctx, req) -> ((HttpRequest) req).protocol())).build();
    server.start();
    return server.endpoint().getPort();
  }

  private static HttpClient client(String target, ClientTls tls) {
    return HttpClient.builder().target(target).tls(tls).timeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void tlsRoundTripVerifiesTheServersNameAndIp() throws Exception {
    int port = start(ServerTls.fromKeyStore(serverKeys, PASS));
    ClientTls tls = ClientTls.trusting(TestKeys.trustManagers(serverKeys));
    for (String target : new String[] {"https://localhost:" + port, "https://127.0.0.1:" + port}) {
      try (HttpClient c = client(target, tls)) {
        assertEquals("HTTP/1.1", c.get("/proto", String.class));
        assertEquals("HTTP/1.1", c.get("/proto", String.class));
      }
    }
  }

  @Test
  void aCertificateForAnotherHostIsRejected() throws Exception {
    int port = start(ServerTls.fromKeyStore(otherHostKeys, PASS));
    // Trusted, but issued to other.example: host-name verification must refuse it.
    try (HttpClient c = client("https://localhost:" + port,
        ClientTls.trusting(TestKeys.trustManagers(otherHostKeys)))) {
      assertUnavailable(assertThrows(ServiceException.class, () -> c.get("/proto", String.class)));
    }
  }

  @Test
  void anUntrustedServerIsRejected() throws Exception {
    int port = start(ServerTls.fromKeyStore(serverKeys, PASS));
    try (HttpClient c = client("https://localhost:" + port,
        ClientTls.trusting(TestKeys.trustManagers(strangerKeys)))) {
      assertUnavailable(assertThrows(ServiceException.class, () -> c.get("/proto", String.class)));
    }
  }

  @Test
  void mtlsAcceptsATrustedClientCertificate() throws Exception {
    int port = start(ServerTls.fromKeyStore(serverKeys, PASS).withClientAuth(clientKeys, PASS));
    ClientTls tls = ClientTls.trusting(TestKeys.trustManagers(serverKeys))
        .withClientCertificate(clientKeys, PASS);
    try (HttpClient c = client("https://localhost:" + port, tls)) {
      assertEquals("HTTP/1.1", c.get("/proto", String.class));
    }
  }

  @Test
  void mtlsRefusesAClientWithoutACertificate() throws Exception {
    int port = start(ServerTls.fromKeyStore(serverKeys, PASS).withClientAuth(clientKeys, PASS));
    try (HttpClient c = client("https://localhost:" + port,
        ClientTls.trusting(TestKeys.trustManagers(serverKeys)))) {
      assertUnavailable(assertThrows(ServiceException.class, () -> c.get("/proto", String.class)));
    }
  }

  @Test
  void mtlsRefusesAnUntrustedClientCertificate() throws Exception {
    int port = start(ServerTls.fromKeyStore(serverKeys, PASS).withClientAuth(clientKeys, PASS));
    ClientTls tls = ClientTls.trusting(TestKeys.trustManagers(serverKeys))
        .withClientCertificate(TestKeys.keyManagers(strangerKeys));
    try (HttpClient c = client("https://localhost:" + port, tls)) {
      assertUnavailable(assertThrows(ServiceException.class, () -> c.get("/proto", String.class)));
    }
  }

  private static void assertUnavailable(ServiceException e) {
    assertEquals(503, e.code(), e.toString());
    assertEquals("UNAVAILABLE", e.reason(), e.toString());
    assertTrue(!e.message().isEmpty(), e.toString());
  }
}
