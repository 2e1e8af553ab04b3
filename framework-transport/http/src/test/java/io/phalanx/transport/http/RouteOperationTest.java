package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.phalanx.core.Middleware;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link RouteOptions#withOperation}: a route reporting another operation name. */
class RouteOperationTest {
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private HttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  @Test
  void routeReportsTheOperationFromItsOptions() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    Middleware record = next -> (ctx, req) -> {
      seen.add(ctx.transport().operation() + " | "
          + ((HttpTransport) ctx.transport()).pathTemplate());
      return next.handle(ctx, req);
    };
    server = HttpServer.builder().host("127.0.0.1").port(0).middleware(record)
        .routes(r -> {
          r.get("/v1/users/{id}", (ctx, req) -> ctx.transport().operation(),
              RouteOptions.defaults().withOperation("/pkg.Users/Get"));
          r.get("/plain/{id}", (ctx, req) -> ctx.transport().operation());
        })
        .build();
    server.start();
    URI base = server.endpoint();

    var named = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/v1/users/7"))
        .build(), BodyHandlers.ofString());
    var plain = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/plain/7"))
        .build(), BodyHandlers.ofString());

    assertEquals(200, named.statusCode());
    assertEquals("/pkg.Users/Get", named.body());
    assertEquals("GET /plain/{id}", plain.body());
    assertEquals(List.of("/pkg.Users/Get | /v1/users/{id}", "GET /plain/{id} | /plain/{id}"),
        seen);
  }

  @Test
  void optionsKeepTheOperationAcrossCopies() {
    RouteOptions o = RouteOptions.defaults().withOperation("/a.B/C")
        .withTimeout(Duration.ofSeconds(1)).withInline(true);
    assertEquals("/a.B/C", o.operation());
    assertEquals(Duration.ofSeconds(1), o.timeout());
    assertEquals(null, RouteOptions.defaults().operation());
    assertThrows(IllegalArgumentException.class, () -> RouteOptions.defaults().withOperation(" "));
  }
}
