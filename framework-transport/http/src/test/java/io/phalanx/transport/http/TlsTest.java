package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mTLS with keys made by the JDK's keytool (see {@link TestKeys}). */
class TlsTest {
  private static final char[] PASS = TestKeys.PASSWORD;
  @TempDir static Path dir;
  private static Path serverKeys;
  private static Path clientKeys;
  private HttpServer server;

  @BeforeAll
  static void keys() throws Exception {
    serverKeys = TestKeys.localhost(dir, "server");
    clientKeys = TestKeys.localhost(dir, "client");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private static SSLContext clientContext(Path keys) throws Exception {
    TrustManagerFactory tmf = TestKeys.trustManagers(serverKeys);
    KeyManagerFactory kmf = keys == null ? null : TestKeys.keyManagers(keys);
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

  /** The read-header timeout holds for HTTP/2 over TLS too (see Http2Test for cleartext). */
  @Test
  void anIncompleteHeaderBlockOverTlsEndsTheConnectionAfterTheReadHeaderTimeout()
      throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .tls(ServerTls.fromKeyStore(serverKeys, PASS)).readHeaderTimeout(Duration.ofMillis(300))
        .routes(r -> r.get("/proto", (ctx, req) -> ((HttpRequest) req).protocol())).build();
    server.start();
    try (RawH2 c = RawH2.tls(server.endpoint().getPort(), clientContext(null))) {
      byte[] block = c.headerBlock(new DefaultHttp2Headers().method("GET").path("/proto")
          .scheme("https").authority("localhost"));
      c.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, Arrays.copyOf(block, 1));
      RawH2.Frame goAway = c.next(RawH2.GOAWAY);
      assertNotNull(goAway, "closed without GOAWAY");
      assertEquals(RawH2.ENHANCE_YOUR_CALM, goAway.errorCode());
      assertNull(c.read(), "a frame after the GOAWAY instead of the close");
    }
  }
}
