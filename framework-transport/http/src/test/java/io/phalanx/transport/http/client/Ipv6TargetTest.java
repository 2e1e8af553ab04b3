package io.phalanx.transport.http.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpsExchange;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.transport.http.TestKeys;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Targets whose host is an IPv6 literal ({@code http://[::1]:8000}, and discovered endpoints
 * spelled so): the brackets belong to the URI and the Host header, never to what TLS sees as the
 * peer's name. Skipped where the machine has no IPv6 loopback.
 */
class Ipv6TargetTest {
  private static InetAddress loopback6;
  @TempDir static Path dir;

  @BeforeAll
  static void ipv6Loopback() throws IOException {
    loopback6 = InetAddress.getByName("::1");
    boolean bindable;
    try (ServerSocket probe = new ServerSocket(0, 1, loopback6)) {
      bindable = true;
    } catch (IOException e) {
      bindable = false;
    }
    assumeTrue(bindable, "no IPv6 loopback on this machine");
  }

  /** Replies with the Host header the server received. */
  private static TestServer hostEcho(SSLContext tls) throws IOException {
    return new TestServer(loopback6, tls).route("/host", (ex, body) ->
        TestServer.reply(ex, 200, "text/plain", ex.getRequestHeaders().getFirst("Host")));
  }

  @Test
  void theHostHeaderOfAnIpv6LiteralTargetKeepsItsBrackets() throws Exception {
    try (TestServer server = hostEcho(null);
        HttpClient c = HttpClient.builder().target("http://[::1]:" + server.port())
            .timeout(Duration.ofSeconds(5)).build()) {
      assertEquals("[::1]:" + server.port(), c.get("/host", String.class));
    }
  }

  @Test
  void aDiscoveredIpv6EndpointIsCalledWithABracketedHost() throws Exception {
    InMemoryRegistry registry = new InMemoryRegistry();
    try (TestServer server = hostEcho(null)) {
      registry.register(new ServiceInstance("v6", "svc", "v1", Map.of(),
          List.of(URI.create("http://[::1]:" + server.port()))));
      try (HttpClient c = HttpClient.builder().target("discovery:///svc").discovery(registry)
          .timeout(Duration.ofSeconds(5)).build()) {
        assertEquals("[::1]:" + server.port(), c.get("/host", String.class));
      }
    }
  }

  @Test
  void httpsToAnIpv6LiteralSendsNoSniAndVerifiesTheIpAddressName() throws Exception {
    Path keys = TestKeys.generate(dir, "v6", "ipv6 loopback", "ip:::1");
    try (TestServer server = new TestServer(loopback6, serverContext(keys))
            .route("/sni", (ex, body) -> TestServer.reply(ex, 200, "text/plain",
                requestedServerNames((HttpsExchange) ex)));
        HttpClient c = HttpClient.builder().target("https://[::1]:" + server.port())
            .tls(ClientTls.trusting(TestKeys.trustManagers(keys)))
            .timeout(Duration.ofSeconds(10)).build()) {
      // RFC 6066 section 3: a literal IPv4 or IPv6 address is not permitted in a server name.
      assertEquals("[]", c.get("/sni", String.class));
    }
  }

  @Test
  void httpsToAnIpv6LiteralRefusesACertificateWithoutThatAddress() throws Exception {
    Path keys = TestKeys.localhost(dir, "v4only"); // localhost and 127.0.0.1, not ::1
    try (TestServer server = new TestServer(loopback6, serverContext(keys))
            .route("/sni", (ex, body) -> TestServer.reply(ex, 200, "text/plain", "reached"));
        HttpClient c = HttpClient.builder().target("https://[::1]:" + server.port())
            .tls(ClientTls.trusting(TestKeys.trustManagers(keys)))
            .timeout(Duration.ofSeconds(10)).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> c.get("/sni", String.class));
      assertEquals(503, e.code(), e.toString());
      assertEquals("UNAVAILABLE", e.reason(), e.toString());
    }
  }

  private static SSLContext serverContext(Path keys) throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(TestKeys.keyManagers(keys).getKeyManagers(), null, null);
    return ssl;
  }

  private static String requestedServerNames(HttpsExchange ex) {
    return ((ExtendedSSLSession) ex.getSSLSession()).getRequestedServerNames().stream()
        .map(Object::toString).collect(Collectors.joining(", ", "[", "]"));
  }
}
