package io.phalanx.examples.multiservice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.App;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.examples.multiservice.order.OrderService;
import io.phalanx.examples.multiservice.user.UserService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both services as {@link AllInOne} wires them (in-memory registry), on ephemeral loopback
 * ports, called over HTTP with the JDK client: order → user over gRPC with a JWT, errors crossing
 * the hop, user's JWT and rate limit.
 */
class MultiServiceTest {

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private AppConfig config;
  private App user;
  private App order;

  @BeforeEach
  void start() throws Exception {
    Properties p = new Properties();
    p.setProperty("user.http.host", "127.0.0.1");
    p.setProperty("user.http.port", "0");
    p.setProperty("user.grpc.host", "127.0.0.1");
    p.setProperty("user.grpc.port", "0");
    p.setProperty("user.rate-limit.limit", "30");
    p.setProperty("user.rate-limit.period", "1h"); // no refill during the test
    p.setProperty("order.http.host", "127.0.0.1");
    p.setProperty("order.http.port", "0");
    p.setProperty("app.stop-delay", "0s");
    config = Configs.builder().systemProperties(p).load();
    InMemoryRegistry registry = new InMemoryRegistry();
    user = UserService.app(config, registry);
    order = OrderService.app(config, registry, registry);
    user.start();
    order.start();
  }

  @AfterEach
  void stop() {
    if (order != null) {
      order.stop();
    }
    if (user != null) {
      user.stop();
    }
  }

  private HttpResponse<String> get(App app, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
        URI.create(app.servers().stream().map(s -> s.endpoint().toString())
            .filter(e -> e.startsWith("http:")).findFirst().orElseThrow() + path))
        .timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void orderFetchesItsUserOverGrpcAndErrorsCrossTheHop() throws Exception {
    HttpResponse<String> r = get(order, "/v1/orders/101", null);
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"item\":\"lamp\""), r.body());
    assertTrue(r.body().contains("\"name\":\"bob\""), r.body());
    assertTrue(r.body().contains("\"servedBy\":\"" + user.info().id() + "\""), r.body());

    HttpResponse<String> ghost = get(order, "/v1/orders/103", null);
    assertEquals(404, ghost.statusCode(), ghost.body());
    assertTrue(ghost.body().contains("\"reason\":\"USER_NOT_FOUND\""), ghost.body());

    HttpResponse<String> bad = get(order, "/v1/orders/abc", null);
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("\"reason\":\"INVALID_ID\""), bad.body());
  }

  @Test
  void userNeedsAValidTokenAndIsRateLimited() throws Exception {
    HttpResponse<String> none = get(user, "/v1/users/1", null);
    assertEquals(401, none.statusCode(), none.body());
    assertTrue(none.body().contains("\"reason\":\"TOKEN_MISSING\""), none.body());

    HttpResponse<String> forged = get(user, "/v1/users/1",
        DevTokens.from(Configs.builder().systemProperties(props("auth.dev-secret",
            "another-secret-that-is-long-enough-for-hs256"))
            .load()).mint("mallory", Duration.ofMinutes(1)));
    assertEquals(401, forged.statusCode(), forged.body());
    assertTrue(forged.body().contains("\"reason\":\"TOKEN_INVALID\""), forged.body());

    String token = DevTokens.from(config).mint("tester", Duration.ofMinutes(5));
    HttpResponse<String> ok = get(user, "/v1/users/1", token);
    assertEquals(200, ok.statusCode(), ok.body());
    assertTrue(ok.body().contains("\"name\":\"alice\""), ok.body());

    int limited = 0;
    for (int i = 0; i < 40; i++) {
      HttpResponse<String> r = get(user, "/v1/users/1", token);
      if (r.statusCode() == 429) {
        limited++;
        assertTrue(r.body().contains("\"reason\":\"RATE_LIMITED\""), r.body());
      } else {
        assertEquals(200, r.statusCode(), r.body());
      }
    }
    // 30 permits, one taken above, none refilled: exactly the last 11 are refused
    assertEquals(11, limited);
  }

  private static Properties props(String key, String value) {
    Properties p = new Properties();
    p.setProperty(key, value);
    return p;
  }
}
