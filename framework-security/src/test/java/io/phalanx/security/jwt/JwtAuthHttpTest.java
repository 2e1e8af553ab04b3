package io.phalanx.security.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.JWTClaimsSet;
import io.phalanx.core.OperationMatcher;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** JwtAuth on a real Phalanx HTTP server, called over loopback. */
class JwtAuthHttpTest {
  private final TestTokens tokens = new TestTokens();
  private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
      .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
  private HttpServer server;

  /** A server whose /me echoes the principal and whose /health is public. */
  static HttpServer start(JwtAuth auth) throws Exception {
    HttpServer s = HttpServer.builder().host("127.0.0.1").port(0).middleware(auth)
        .routes(r -> r
            .get("/me", (ctx, req) -> HttpResponse.text(JwtAuth.principal(ctx)
                .map(p -> p.subject() + " " + p.algorithm() + " "
                    + p.stringClaim("scope").orElse("-"))
                .orElse("anonymous")))
            .get("/health", (ctx, req) -> HttpResponse.text(
                JwtAuth.principal(ctx).isPresent() ? "principal?!" : "ok")))
        .build();
    s.start();
    return s;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private JwtAuth allKeys() {
    return JwtAuth.builder().secret(TestTokens.SECRET).publicKey(tokens.rsa.getPublic())
        .publicKey(tokens.ec.getPublic()).issuer(TestTokens.ISSUER)
        .audience(TestTokens.AUDIENCE).skip(OperationMatcher.exact("GET /health"))
        .realm("orders").build();
  }

  private java.net.http.HttpResponse<String> get(String path, String authorization)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.endpoint() + path))
        .timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), BodyHandlers.ofString());
  }

  private void assertRejected(String token, String reason) throws Exception {
    java.net.http.HttpResponse<String> r = get("/me", "Bearer " + token);
    assertEquals(401, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"reason\":\"" + reason + "\""), r.body());
    String challenge = r.headers().firstValue("www-authenticate").orElse("");
    assertTrue(challenge.startsWith("Bearer realm=\"orders\", error=\"invalid_token\""),
        challenge);
  }

  @Test
  void validTokensOfEachAlgorithmAreAcceptedWithThePrincipalInTheContext() throws Exception {
    server = start(allKeys());
    JWTClaimsSet claims = TestTokens.claims("alice").build();
    assertEquals("alice HS256 orders:read", get("/me", "Bearer " + tokens.hs256(claims)).body());
    assertEquals("alice RS256 orders:read", get("/me", "Bearer " + tokens.rs256(claims)).body());
    assertEquals("alice ES256 orders:read", get("/me", "bearer " + tokens.es256(claims)).body());
  }

  @Test
  void missingTokenIs401WithAChallengeWithoutErrorCode() throws Exception {
    server = start(allKeys());
    for (String header : new String[] {null, "Basic YWxpY2U6c2VjcmV0", "Bearer "}) {
      java.net.http.HttpResponse<String> r = get("/me", header);
      assertEquals(401, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"reason\":\"TOKEN_MISSING\""), r.body());
      assertEquals(Optional.of("Bearer realm=\"orders\""),
          r.headers().firstValue("www-authenticate"));
    }
  }

  @Test
  void expiredWrongAudienceWrongIssuerAndNotYetValidTokensAreRejected() throws Exception {
    server = start(allKeys());
    Instant now = Instant.now();
    // expired beyond the default 60 s skew
    assertRejected(tokens.rs256(TestTokens.claims("bob")
        .expirationTime(Date.from(now.minusSeconds(120))).build()), "TOKEN_EXPIRED");
    assertRejected(tokens.rs256(TestTokens.claims("bob").audience("billing").build()),
        "TOKEN_INVALID");
    assertRejected(tokens.es256(TestTokens.claims("bob").issuer("https://evil.test").build()),
        "TOKEN_INVALID");
    assertRejected(tokens.hs256(TestTokens.claims("bob")
        .notBeforeTime(Date.from(now.plusSeconds(600))).build()), "TOKEN_INVALID");
    assertRejected(tokens.hs256(TestTokens.claims("bob").expirationTime(null).build()),
        "TOKEN_INVALID");
    assertRejected(tokens.hs256(TestTokens.claims(null).build()), "TOKEN_INVALID");
    // expired, but within the clock skew: still accepted
    assertEquals(200, get("/me", "Bearer " + tokens.rs256(TestTokens.claims("bob")
        .expirationTime(Date.from(now.minusSeconds(20))).build())).statusCode());
  }

  @Test
  void tamperedUnsignedAndForeignlySignedTokensAreRejected() throws Exception {
    server = start(allKeys());
    JWTClaimsSet alice = TestTokens.claims("alice").build();
    JWTClaimsSet admin = TestTokens.claims("admin").build();
    assertRejected(TestTokens.tampered(tokens.rs256(alice), admin), "TOKEN_INVALID");
    assertRejected(TestTokens.tampered(tokens.hs256(alice), admin), "TOKEN_INVALID");
    assertRejected(TestTokens.unsigned(admin), "TOKEN_INVALID");
    assertRejected(TestTokens.rs256(TestTokens.generate("RSA", null), null, admin),
        "TOKEN_INVALID");
    assertRejected(TestTokens.es256(TestTokens.generate("EC", "secp256r1"), null, admin),
        "TOKEN_INVALID");
    assertRejected("not.a.jwt", "TOKEN_INVALID");
  }

  @Test
  void hmacTokenSignedWithTheRsaPublicKeyIsRejectedEvenWhenHs256IsAllowed() throws Exception {
    JWTClaimsSet admin = TestTokens.claims("admin").build();
    // The default for an RSA key accepts RS256 only.
    server = start(JwtAuth.builder().publicKey(tokens.rsa.getPublic()).build());
    assertRejected401(tokens.hs256WithRsaPublicKey(admin));
    server.stop(Duration.ZERO);
    // Even an allow-list with HS256 never checks an HMAC against the RSA key.
    server = start(JwtAuth.builder().publicKey(tokens.rsa.getPublic())
        .algorithms("HS256", "RS256").build());
    assertRejected401(tokens.hs256WithRsaPublicKey(admin));
    assertEquals("admin RS256 orders:read", get("/me", "Bearer " + tokens.rs256(admin)).body());
  }

  private void assertRejected401(String token) throws Exception {
    java.net.http.HttpResponse<String> r = get("/me", "Bearer " + token);
    assertEquals(401, r.statusCode(), r.body());
    assertTrue(r.body().contains("TOKEN_INVALID"), r.body());
  }

  @Test
  void publicOperationsNeedNoTokenAndGetNoPrincipal() throws Exception {
    server = start(allKeys());
    java.net.http.HttpResponse<String> r = get("/health", null);
    assertEquals(200, r.statusCode());
    assertEquals("ok", r.body());
    assertFalse(r.headers().firstValue("www-authenticate").isPresent());
    // a bad token on a public operation is not even looked at
    assertEquals(200, get("/health", "Bearer garbage").statusCode());
  }

  @Test
  void bearerTokenMiddlewareAuthenticatesPhalanxHttpClientCalls() throws Exception {
    server = start(allKeys());
    java.util.concurrent.atomic.AtomicReference<String> current =
        new java.util.concurrent.atomic.AtomicReference<>(
            tokens.rs256(TestTokens.claims("svc-a").build()));
    try (HttpClient client = HttpClient.builder().target(server.endpoint().toString())
        .middleware(BearerToken.of(current::get)).build()) {
      assertEquals("svc-a RS256 orders:read", client.get("/me", String.class));
      // the supplier is asked on every call: a refreshed token is used at once
      current.set(tokens.es256(TestTokens.claims("svc-b").build()));
      assertEquals("svc-b ES256 orders:read", client.get("/me", String.class));
      current.set(tokens.rs256(TestTokens.claims("svc-c").audience("billing").build()));
      io.phalanx.core.error.ServiceException e = org.junit.jupiter.api.Assertions.assertThrows(
          io.phalanx.core.error.ServiceException.class, () -> client.get("/me", String.class));
      assertEquals(401, e.code());
      assertEquals(JwtAuth.TOKEN_INVALID, e.reason());
    }
  }
}
