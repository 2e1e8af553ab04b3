package io.phalanx.test.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.phalanx.core.App;
import io.phalanx.core.Server;
import io.phalanx.core.StartContext;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PhalanxAppExtensionTest {
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  /** A real HTTP server on loopback (the JDK's), answering its own name on every path. */
  static final class NamedHttpServer implements Server {
    private final String text;
    private final int port;
    private HttpServer server;

    NamedHttpServer(String text, int port) {
      this.text = text;
      this.port = port;
    }

    @Override
    public void start(StartContext context) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
      server.createContext("/", exchange -> {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
    }

    @Override
    public void stop(Duration grace) {
      server.stop(0);
    }

    @Override
    public URI endpoint() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }
  }

  static App twoServers() {
    return App.builder("svc").stopGrace(Duration.ZERO)
        .server(new NamedHttpServer("service", 0))
        .server(new NamedHttpServer("admin", 0))
        .build();
  }

  static String get(URI uri) throws Exception {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  @Nested
  class InAStaticField {
    @RegisterExtension
    static PhalanxAppExtension app = PhalanxAppExtension.of(PhalanxAppExtensionTest::twoServers);

    @Test
    void theAppRunsAndAnswersOnItsFirstHttpEndpoint() throws Exception {
      assertEquals(App.State.RUNNING, app.app().state());
      assertEquals(2, app.endpoints().size());
      assertEquals("service", get(app.httpEndpoint().resolve("/x")));
      assertEquals("admin", get(app.endpoints().get(1).resolve("/x")));
      assertNotEquals(0, app.httpEndpoint().getPort());
    }

    @Test
    void aMissingSchemeNamesTheEndpointsThereAre() {
      IllegalStateException e = assertThrows(IllegalStateException.class, app::grpcEndpoint);
      assertTrue(e.getMessage().contains("has no grpc endpoint"), e.getMessage());
      assertTrue(e.getMessage().contains(app.httpEndpoint().toString()), e.getMessage());
    }
  }

  @Nested
  class InAnInstanceField {
    @RegisterExtension
    PhalanxAppExtension app = PhalanxAppExtension.of(PhalanxAppExtensionTest::twoServers);

    @Test
    void theAppRunsForTheTest() throws Exception {
      assertEquals("service", get(app.httpEndpoint()));
    }
  }

  @Test
  void afterAllStopsTheAppAndClosesItsPorts() throws Exception {
    PhalanxAppExtension ext = PhalanxAppExtension.of(PhalanxAppExtensionTest::twoServers);
    ext.beforeAll(null);
    App app = ext.app();
    URI http = ext.httpEndpoint();
    assertEquals("service", get(http));

    ext.afterAll(null);
    assertEquals(App.State.STOPPED, app.state());
    assertThrows(ConnectException.class, () -> CLIENT.send(HttpRequest.newBuilder(http).build(),
        HttpResponse.BodyHandlers.ofString()));
    assertThrows(IllegalStateException.class, ext::app);
  }

  @Test
  void aFactoryFailureFailsTheStartWithItsMessage() {
    PhalanxAppExtension ext = PhalanxAppExtension.of(() -> {
      throw new IllegalArgumentException("config key 'server.http.port' is missing");
    });
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ext.beforeAll(null));
    assertTrue(e.getMessage().contains("server.http.port"), e.getMessage());
  }

  @Test
  void aServerThatCannotStartFailsTheStart() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      PhalanxAppExtension ext = PhalanxAppExtension.of(() -> App.builder("svc")
          .server(new NamedHttpServer("service", taken.getLocalPort())).build());
      Exception e = assertThrows(App.AppStartException.class, () -> ext.beforeAll(null));
      assertTrue(e.getMessage().contains("failed to start"), e.getMessage());
      assertThrows(IllegalStateException.class, ext::app);
    }
  }
}
