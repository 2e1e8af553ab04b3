package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mTLS with keys made by the JDK's keytool; works on JDK 17 and later. */
class TlsTest {
  private static final char[] PASS = "changeit".toCharArray();
  @TempDir static Path dir;
  private static Path serverKeys;
  private static Path clientKeys;
  private HttpServer server;

  @BeforeAll
  static void keys() throws Exception {
    serverKeys = keytool("server");
    clientKeys = keytool("client");
  }

  private static Path keytool(String name) throws Exception {
    Path store = dir.resolve(name + ".p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool")
        .toString(), "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit",
        "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    return store;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private static SSLContext clientContext(Path keys) throws Exception {
    KeyStore trust = KeyStore.getInstance(serverKeys.toFile(), PASS);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (keys != null) {
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(KeyStore.getInstance(keys.toFile(), PASS), PASS);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  private URI start(ServerTls tls) throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).tls(tls)
        .routes(r -> r.get("/proto", (ctx, req) -> ((HttpRequest) req).protocol())).build();
    server.start();
    assertEquals("https", server.endpoint().getScheme());
    return URI.create("https://localhost:" + server.endpoint().getPort());
  }

  @Test
  void tlsNegotiatesH2AndHttp11() throws Exception {
    URI base = start(ServerTls.fromKeyStore(serverKeys, PASS));
    for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_2, HttpClient.Version.HTTP_1_1)) {
      HttpClient client = HttpClient.newBuilder().version(v).sslContext(clientContext(null))
          .build();
      var resp = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/proto"))
          .header("Accept", "text/plain").build(), BodyHandlers.ofString());
      assertEquals(200, resp.statusCode());
      assertEquals(v, resp.version());
      assertEquals(v == HttpClient.Version.HTTP_2 ? "HTTP/2" : "HTTP/1.1", resp.body());
    }
  }

  @Test
  void mtlsRequiresATrustedClientCertificate() throws Exception {
    URI base = start(ServerTls.fromKeyStore(serverKeys, PASS).withClientAuth(clientKeys, PASS));
    HttpClient withCert = HttpClient.newBuilder().sslContext(clientContext(clientKeys)).build();
    var resp = withCert.send(java.net.http.HttpRequest.newBuilder(base.resolve("/proto"))
        .header("Accept", "text/plain").build(), BodyHandlers.ofString());
    assertEquals(200, resp.statusCode());

    HttpClient noCert = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .sslContext(clientContext(null)).build();
    assertThrows(IOException.class, () -> noCert.send(java.net.http.HttpRequest.newBuilder(
        base.resolve("/proto")).build(), BodyHandlers.ofString()));
  }
}
