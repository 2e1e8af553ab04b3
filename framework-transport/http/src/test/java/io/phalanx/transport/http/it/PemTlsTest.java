package io.phalanx.transport.http.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.phalanx.core.PeerIdentity;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.ServerTls;
import io.phalanx.transport.http.client.ClientTls;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.test.tls.TestCertificates;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS and mutual TLS configured from PEM files, as cert-manager and openssl hand them out (CA,
 * server and client certificates made by openssl, see {@link TestCertificates}).
 */
class PemTlsTest {
  private static TestCertificates certs;
  private HttpServer server;

  @BeforeAll
  static void generate() {
    certs = TestCertificates.generate();
  }

  @AfterAll
  static void delete() throws Exception {
    certs.delete();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private String start(ServerTls tls) throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).tls(tls)
        .routes(r -> r.get("/who", (ctx, req) -> ctx.transport().peerIdentity()
            .map(PeerIdentity::subject).orElse("anonymous")))
        .build();
    server.start();
    return "https://localhost:" + server.endpoint().getPort();
  }

  @Test
  void serverKeyAndClientTrustFromPem() throws Exception {
    String base = start(ServerTls.fromPem(certs.certFile(), certs.keyFile()));
    try (HttpClient c = HttpClient.builder().target(base)
        .tls(ClientTls.trustingPem(certs.caFile())).timeout(Duration.ofSeconds(10)).build()) {
      assertEquals("anonymous", c.get("/who", String.class));
    }
  }

  @Test
  void mutualTlsFromPemOnBothSides() throws Exception {
    String base = start(ServerTls.fromPem(certs.certFile(), certs.keyFile())
        .withClientAuthPem(certs.caFile()));
    try (HttpClient c = HttpClient.builder().target(base)
        .tls(ClientTls.trustingPem(certs.caFile())
            .withClientCertificatePem(certs.clientCertFile(), certs.clientKeyFile()))
        .timeout(Duration.ofSeconds(10)).build()) {
      assertEquals("CN=phalanx test client", c.get("/who", String.class));
    }
    try (HttpClient anonymous = HttpClient.builder().target(base)
        .tls(ClientTls.trustingPem(certs.caFile())).timeout(Duration.ofSeconds(10)).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> anonymous.get("/who", String.class));
      assertEquals(503, e.code(), "no client certificate: refused in the handshake; " + e);
    }
  }
}
