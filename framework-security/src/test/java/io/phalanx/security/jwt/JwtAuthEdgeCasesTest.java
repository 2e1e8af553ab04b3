package io.phalanx.security.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Metadata;
import io.phalanx.core.Transport;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JwtAuthEdgeCasesTest {
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();
  private HttpServer idp;
  private io.phalanx.transport.http.HttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    if (idp != null) {
      idp.stop(0);
    }
  }

  private HttpResponse<String> call(String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.endpoint() + "/me"))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** An identity provider whose JWKS endpoint is failing must give 503 on every request. */
  @Test
  void jwksOutageIsAlways503NeverTokenInvalid() throws Exception {
    idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    idp.createContext("/jwks.json", ex -> {
      ex.sendResponseHeaders(500, -1);
      ex.close();
    });
    idp.start();
    server = JwtAuthHttpTest.start(JwtAuth.builder()
        .jwks(URI.create("http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks.json"))
        .build());
    String token = new TestTokens().rs256("k1", TestTokens.claims("alice").build());
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> r = call(token);
      seen.add(r.statusCode() + " " + r.body());
    }
    for (String s : seen) {
      assertTrue(s.startsWith("503") && s.contains("JWKS_UNAVAILABLE"), seen.toString());
    }
  }

  /**
   * RFC 7515 4.1.9: a typ is a media type, "application/" implied when absent and compared
   * case-insensitively, so "application/at+jwt" and "application/jwt" are the types accepted
   * as "at+jwt" and "JWT" (they were refused as badly signed); another type is refused as such.
   */
  @Test
  void mediaTypeFormsOfTheAcceptedTypesAreAccepted() throws Exception {
    server = JwtAuthHttpTest.start(JwtAuth.builder().secret(TestTokens.SECRET).build());
    assertEquals(200, call(typed("application/at+jwt")).statusCode(), "application/at+jwt");
    assertEquals(200, call(typed("application/jwt")).statusCode(), "application/jwt");
    assertEquals(200, call(typed("AT+JWT")).statusCode(), "AT+JWT");
    HttpResponse<String> other = call(typed("application/secevent+jwt"));
    assertEquals(401, other.statusCode());
    assertTrue(other.body().contains("token type is not accepted"), other.body());
  }

  private static String typed(String typ) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
        .type(new JOSEObjectType(typ)).build(), TestTokens.claims("alice").build());
    jwt.sign(new MACSigner(TestTokens.SECRET));
    return jwt.serialize();
  }

  /**
   * An audience list with a null entry (not a StringOrURI, RFC 7519 4.1.3) is an invalid token,
   * 401 with a challenge, with or without an audience check; it was a 500.
   */
  @Test
  void aNullAudienceEntryIsAnInvalidToken() throws Exception {
    String token = new TestTokens().hs256(new JWTClaimsSet.Builder(
        TestTokens.claims("alice").build())
        .claim("aud", Arrays.asList(null, TestTokens.AUDIENCE)).build());
    server = JwtAuthHttpTest.start(JwtAuth.builder().secret(TestTokens.SECRET)
        .audience(TestTokens.AUDIENCE).build());
    HttpResponse<String> checked = call(token);
    server.stop(Duration.ZERO);
    server = JwtAuthHttpTest.start(JwtAuth.builder().secret(TestTokens.SECRET).build());
    HttpResponse<String> unchecked = call(token);
    for (HttpResponse<String> r : List.of(checked, unchecked)) {
      assertEquals(401, r.statusCode(), r.body());
      assertTrue(r.body().contains(JwtAuth.TOKEN_INVALID), r.body());
      assertTrue(r.headers().firstValue(JwtAuth.WWW_AUTHENTICATE).isPresent());
    }
  }

  /**
   * An accepted HMAC algorithm that no configured secret is long enough for (RFC 7518 3.2)
   * fails the build, naming it; it was accepted, and then refused every such token as badly
   * signed.
   */
  @Test
  void anHmacAlgorithmWithoutASecretLongEnoughFailsTheBuild() {
    byte[] secret32 = new byte[32];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JwtAuth.builder().secret(secret32).algorithms("HS256", "HS512").build());
    assertTrue(e.getMessage().contains("HS512 needs a secret of at least 64 bytes"),
        e.getMessage());
    JwtAuth.builder().secret(secret32).secret("long", new byte[64])
        .algorithms("HS256", "HS512").build();
  }

  /** RFC 9068 access tokens carry typ "at+jwt"; a valid one is refused as badly signed. */
  @Test
  void rfc9068AccessTokenWithTypAtJwtIsAccepted() throws Exception {
    server = JwtAuthHttpTest.start(JwtAuth.builder().secret(TestTokens.SECRET).build());
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
        .type(new JOSEObjectType("at+jwt")).build(), TestTokens.claims("alice").build());
    jwt.sign(new MACSigner(TestTokens.SECRET));
    HttpResponse<String> r = call(jwt.serialize());
    assertEquals(200, r.statusCode(), r.body());
  }

  /** A token whose alg carries CR/LF: the 401 must still carry its WWW-Authenticate challenge. */
  @Test
  void challengeIsSentEvenWhenTheAlgorithmNameHasControlCharacters() throws Exception {
    server = JwtAuthHttpTest.start(JwtAuth.builder().secret(TestTokens.SECRET).build());
    String header = "{\"alg\":\"HS256\\r\\nX-Injected: 1\",\"typ\":\"JWT\"}";
    String token = Base64URL.encode(header.getBytes(StandardCharsets.UTF_8)) + "."
        + Base64URL.encode(TestTokens.claims("alice").build().toString()) + ".c2ln";
    HttpResponse<String> r = call(token);
    assertEquals(401, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("x-injected").isEmpty());
    assertTrue(r.headers().firstValue("www-authenticate").isPresent(),
        "401 without WWW-Authenticate: " + r.headers().map() + " " + r.body());
  }

  /**
   * BearerToken runs on the plain client transport the core README tests middleware with: its
   * outgoing metadata was the shared empty constant, taken for writable, and the call failed.
   */
  @Test
  void bearerTokenRunsOnAPlainClientTransport() throws Exception {
    Context ctx = Context.of(Transport.of(Transport.Kind.HTTP, Transport.Side.CLIENT,
        "GET /orders"), Instant.now().plusSeconds(5));
    Handler send = (c, req) -> c.transport().requestMetadata().get("authorization");
    Object sent = BearerToken.of("abc.def.ghi").wrap(send).handle(ctx, null);
    assertEquals(Optional.of("Bearer abc.def.ghi"), sent);
  }

  /** On a client transport whose outgoing metadata is read-only, the error says so. */
  @Test
  void bearerTokenOnReadOnlyOutgoingMetadataSaysItIsReadOnly() {
    Context ctx = Context.of(Transport.of(Transport.Kind.HTTP, Transport.Side.CLIENT,
        "GET /orders", Metadata.of("x-a", "1")), Instant.now().plusSeconds(5));
    Handler send = (c, req) -> "sent";
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> BearerToken.of("abc.def.ghi").wrap(send).handle(ctx, null));
    assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    assertFalse(e.getMessage().contains("client side"), e.getMessage());
  }
}
