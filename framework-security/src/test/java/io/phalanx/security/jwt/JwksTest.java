package io.phalanx.security.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import io.phalanx.core.OperationMatcher;
import io.phalanx.test.RefusedPort;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Keys from a JWKS document served by a real local HTTP server (the identity provider), checked
 * by JwtAuth on a real Phalanx HTTP server.
 */
class JwksTest {
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();
  private final AtomicReference<JWKSet> published = new AtomicReference<>();
  private final AtomicInteger fetches = new AtomicInteger();
  private HttpServer idp;
  private io.phalanx.transport.http.HttpServer server;

  @BeforeEach
  void startIdp() throws Exception {
    idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    idp.createContext("/.well-known/jwks.json", exchange -> {
      fetches.incrementAndGet();
      byte[] body = published.get().toString().getBytes(StandardCharsets.UTF_8); // public only
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    idp.start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    idp.stop(0);
  }

  private URI jwksUri() {
    return URI.create("http://127.0.0.1:" + idp.getAddress().getPort()
        + "/.well-known/jwks.json");
  }

  private static JWK rsa(KeyPair keys, String kid) {
    return new RSAKey.Builder((RSAPublicKey) keys.getPublic()).keyID(kid).build();
  }

  private int status(String token) throws Exception {
    return response(token).statusCode();
  }

  private HttpResponse<String> response(String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.endpoint() + "/me"))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void keysAreCachedAndAnUnknownKidTriggersARefetchAtARateLimit() throws Exception {
    KeyPair k1 = TestTokens.generate("RSA", null);
    KeyPair k2 = TestTokens.generate("RSA", null);
    KeyPair ec = TestTokens.generate("EC", "secp256r1");
    published.set(new JWKSet(List.of(rsa(k1, "k1"),
        new ECKey.Builder(Curve.P_256, (ECPublicKey) ec.getPublic()).keyID("e1").build())));
    server = JwtAuthHttpTest.start(JwtAuth.builder().jwks(jwksUri())
        .jwksMinRefreshInterval(Duration.ofMinutes(1)).jwksCacheTtl(Duration.ofMinutes(5))
        .issuer(TestTokens.ISSUER).skip(OperationMatcher.exact("GET /health")).build());
    JWTClaimsSet claims = TestTokens.claims("alice").build();

    assertEquals("alice RS256 orders:read", response(TestTokens.rs256(k1, "k1", claims)).body());
    assertEquals("alice ES256 orders:read", response(TestTokens.es256(ec, "e1", claims)).body());
    assertEquals(200, status(TestTokens.rs256(k1, "k1", claims)));
    assertEquals(1, fetches.get(), "known keys come from the cache");

    // The provider rotates to k2; a token naming k2 makes the server refetch at once.
    published.set(new JWKSet(List.of(rsa(k2, "k2"))));
    assertEquals("alice RS256 orders:read", response(TestTokens.rs256(k2, "k2", claims)).body());
    assertEquals(2, fetches.get());

    // Tokens naming made-up key ids cannot make it fetch again within the interval.
    KeyPair forged = TestTokens.generate("RSA", null);
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = response(TestTokens.rs256(forged, "made-up-" + i, claims));
      assertEquals(401, r.statusCode(), r.body());
      assertTrue(r.body().contains("TOKEN_INVALID"), r.body());
    }
    assertEquals(2, fetches.get(), "rate limit: at most two fetches per interval");
    // a key with a known id but the wrong signature is rejected too
    assertEquals(401, status(TestTokens.rs256(forged, "k2", claims)));
  }

  @Test
  void keysAreRefetchedAfterTheirTtl() throws Exception {
    KeyPair k1 = TestTokens.generate("RSA", null);
    published.set(new JWKSet(rsa(k1, "k1")));
    server = JwtAuthHttpTest.start(JwtAuth.builder().jwks(jwksUri())
        .jwksCacheTtl(Duration.ofMillis(300)).jwksMinRefreshInterval(Duration.ofMillis(100))
        .build());
    String token = TestTokens.rs256(k1, "k1", TestTokens.claims("alice").build());
    assertEquals(200, status(token));
    assertEquals(1, fetches.get());
    Thread.sleep(800);
    assertEquals(200, status(token));
    assertEquals(2, fetches.get(), "an expired cache is refreshed");
  }

  @Test
  void unreachableJwksIs503NotTheCallersFault() throws Exception {
    try (RefusedPort nowhere = RefusedPort.open()) {
      server = JwtAuthHttpTest.start(JwtAuth.builder()
          .jwks(URI.create("http://127.0.0.1:" + nowhere.port() + "/jwks.json"))
          .jwksTimeout(Duration.ofSeconds(2)).build());
      HttpResponse<String> r = response(
          new TestTokens().rs256("k1", TestTokens.claims("alice").build()));
      assertEquals(503, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"reason\":\"JWKS_UNAVAILABLE\""), r.body());
    }
  }
}
