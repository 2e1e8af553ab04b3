package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CorsPolicyTest {

  @Test
  void exactOriginsMatchAsBrowsersSendThem() {
    CorsPolicy p = CorsPolicy.builder().allowOrigins("https://App.Example.com",
        "http://localhost:3000").build();
    assertTrue(p.allowsOrigin("https://app.example.com"));
    assertTrue(p.allowsOrigin("http://localhost:3000"));
    assertFalse(p.allowsOrigin("http://app.example.com"), "another scheme is another origin");
    assertFalse(p.allowsOrigin("https://app.example.com:8443"), "another port too");
    assertFalse(p.allowsOrigin("http://localhost:3001"));
    assertFalse(p.allowsOrigin("https://app.example.com.evil.example"));
    assertFalse(p.allowsOrigin("null"));
  }

  @Test
  void aWildcardStandsForOneOrMoreSubdomainLabels() {
    CorsPolicy p = CorsPolicy.builder().allowOrigins("https://*.example.com",
        "http://*.local.test:8080").build();
    assertTrue(p.allowsOrigin("https://a.example.com"));
    assertTrue(p.allowsOrigin("https://a.b-c.example.com"));
    assertFalse(p.allowsOrigin("https://example.com"));
    assertFalse(p.allowsOrigin("https://.example.com"));
    assertFalse(p.allowsOrigin("https://evilexample.com"));
    assertFalse(p.allowsOrigin("http://a.example.com"));
    assertFalse(p.allowsOrigin("https://a.example.com:444"));
    assertFalse(p.allowsOrigin("https://x@a.example.com"));
    assertTrue(p.allowsOrigin("http://dev.local.test:8080"));
    assertFalse(p.allowsOrigin("http://dev.local.test"));
    assertFalse(p.allowsOrigin("http://dev.local.test:8081"));
  }

  @Test
  void theNullOriginOnlyWhenListed() {
    assertTrue(CorsPolicy.builder().allowOrigins("null").build().allowsOrigin("null"));
  }

  @Test
  void methodsAreCaseSensitiveAndHeadersAreNot() {
    CorsPolicy p = CorsPolicy.builder().allowOrigins("https://a.example")
        .allowMethods("GET", "PATCH").allowHeaders("X-Token").build();
    assertTrue(p.allowsMethod("PATCH"));
    assertFalse(p.allowsMethod("patch"));
    assertFalse(p.allowsMethod("POST"));
    assertEquals("GET, PATCH", p.allowMethodsValue());
    assertTrue(p.allowsHeader("x-token"));
    assertFalse(p.allowsHeader("authorization"));
  }

  @Test
  void defaultsAreSpringsPermitDefaultValuesButForOrigins() {
    CorsPolicy p = CorsPolicy.builder().allowOrigins("https://a.example").build();
    assertEquals("GET, HEAD, POST", p.allowMethodsValue());
    assertTrue(p.allowsHeader("anything-at-all"));
    assertEquals(Duration.ofMinutes(30), p.maxAge());
    assertFalse(p.allowsCredentials());
    assertTrue(p.exposedHeaders().isEmpty());
    assertEquals("https://a.example", p.allowOriginValue("https://a.example"));
    assertTrue(p.variesByOrigin());
    assertTrue(CorsPolicy.builder().allowOrigins("https://*.example").allowCredentials(true)
        .build().variesByOrigin());
    assertFalse(CorsPolicy.builder().allowAnyOrigin().build().variesByOrigin(), "always *");
  }

  @Test
  void mistakesFailAtBuildNamingTheValue() {
    IllegalArgumentException slash = assertThrows(IllegalArgumentException.class,
        () -> CorsPolicy.builder().allowOrigins("https://app.example.com/"));
    assertTrue(slash.getMessage().contains("https://app.example.com/"), slash.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> CorsPolicy.builder().allowOrigins("app.example.com"));
    assertThrows(IllegalArgumentException.class,
        () -> CorsPolicy.builder().allowOrigins("https://app.example.com/path"));
    assertThrows(IllegalArgumentException.class,
        () -> CorsPolicy.builder().allowMethods("GET POST"));
    assertThrows(IllegalArgumentException.class,
        () -> CorsPolicy.builder().allowHeaders("x:y"));
    assertThrows(IllegalArgumentException.class,
        () -> CorsPolicy.builder().maxAge(Duration.ofSeconds(-1)));

    IllegalStateException none = assertThrows(IllegalStateException.class,
        () -> CorsPolicy.builder().build());
    assertTrue(none.getMessage().contains("allows no origin"), none.getMessage());
    IllegalStateException star = assertThrows(IllegalStateException.class,
        () -> CorsPolicy.builder().allowAnyOrigin().allowCredentials(true).build());
    assertTrue(star.getMessage().contains("allowCredentials"), star.getMessage());
  }
}
