package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Transport.peerIdentity()} on the HTTP server: the verified client certificate of a
 * mutual-TLS connection, over HTTP/1.1 and HTTP/2 (where the TLS handler sits on the connection,
 * not on the stream channel that serves the request).
 */
class PeerIdentityTest {
  @TempDir
  static Path dir;
  static Path serverKeys;
  static Path clientKeys;
  private HttpServer server;

  @BeforeAll
  static void keys() throws Exception {
    serverKeys = TestKeys.localhost(dir, "server");
    clientKeys = TestKeys.generate(dir, "billing", "billing,O=Acme",
        "dns:billing.internal,ip:10.1.2.3,uri:spiffe://acme.test/ns/prod/sa/billing");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private static HttpServer start(HttpServer.Builder b) throws Exception {
    HttpServer s = b.host("127.0.0.1").port(0).routes(r -> r.get("/peer", (ctx, req) ->
        HttpResponse.text(ctx.transport().peerIdentity()
            .map(p -> p.subject() + "|" + p.dnsNames() + "|" + p.ipAddresses() + "|" + p.uris()
                + "|" + p.chain().size() + "|" + ((HttpRequest) req).protocol())
            .orElse("none|" + ((HttpRequest) req).protocol())))).build();
    s.start();
    return s;
  }

  private static HttpClient client(Path keys, HttpClient.Version version) throws Exception {
    TrustManagerFactory trust = TestKeys.trustManagers(serverKeys);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(keys == null ? null : TestKeys.keyManagers(keys).getKeyManagers(),
        trust.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).version(version).build();
  }

  private String get(HttpClient client, String scheme) throws Exception {
    URI uri = URI.create(scheme + "://localhost:" + server.endpoint().getPort() + "/peer");
    java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(10)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  @Test
  void handlerSeesTheClientCertificateSubjectAndSansOverHttp1AndHttp2() throws Exception {
    server = start(HttpServer.builder().mtls(TestKeys.keyManagers(serverKeys),
        TestKeys.trustManagers(clientKeys)));
    String expected = "CN=billing,O=Acme|[billing.internal]|[10.1.2.3]"
        + "|[spiffe://acme.test/ns/prod/sa/billing]|1|";
    assertEquals(expected + "HTTP/1.1",
        get(client(clientKeys, HttpClient.Version.HTTP_1_1), "https"));
    assertEquals(expected + "HTTP/2", get(client(clientKeys, HttpClient.Version.HTTP_2), "https"));
  }

  @Test
  void noIdentityWithoutAClientCertificate() throws Exception {
    server = start(HttpServer.builder().tls(TestKeys.keyManagers(serverKeys)));
    for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2)) {
      // the client has a certificate, but a server without client auth never asks for it
      assertTrue(get(client(clientKeys, v), "https").startsWith("none|HTTP/"));
    }
    server.stop(Duration.ZERO);
    server = start(HttpServer.builder());
    assertEquals("none|HTTP/1.1", get(HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1).build(), "http"));
  }
}
