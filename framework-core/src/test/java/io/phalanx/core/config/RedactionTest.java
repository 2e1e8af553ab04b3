package io.phalanx.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactionTest {
  private static final List<String> SECRETS =
      List.of("hunter2", "k-123", "t-456", "g-789", "d-000", "s-111", "e-222");

  private static AppConfig load() {
    return TestResources.builder("redact")
        .environment(Map.of("PHALANX_DB_ADMIN__PASSWORD", "e-222")).load();
  }

  @Test
  void redactedMapHidesSecretsAndKeepsTheRest() {
    Map<String, Object> m = load().toRedactedMap();
    Map<?, ?> db = (Map<?, ?>) m.get("db");
    assertEquals("jdbc:postgresql://db/app", db.get("url"));
    assertEquals("app", db.get("user"));
    assertEquals("******", db.get("password"));
    assertEquals("******", db.get("admin-password"));
    assertEquals("******", m.get("api-key"));
    assertEquals("******", ((Map<?, ?>) m.get("auth")).get("bearerToken"));
    Map<?, ?> secrets = (Map<?, ?>) m.get("secrets");
    assertEquals("******", secrets.get("github"));
    assertEquals(Map.of("deep", "******"), secrets.get("nested"));
    List<?> clients = (List<?>) m.get("clients");
    assertEquals(Map.of("name", "a", "client-secret", "******"), clients.get(0));
    assertEquals(Map.of("name", "b"), clients.get(1));
    assertEquals(8080, ((Number) m.get("port")).intValue());
    String all = m.toString();
    for (String s : SECRETS) {
      assertFalse(all.contains(s), s + " leaked: " + all);
    }
  }

  @Test
  void renderedRedactedConfigHasOriginsButNoSecrets() {
    String text = load().redacted().render();
    for (String s : SECRETS) {
      assertFalse(text.contains(s), s + " leaked: " + text);
    }
    assertTrue(text.contains("application.conf"), text);
    assertTrue(text.contains("environment variable PHALANX_DB_ADMIN__PASSWORD"), text);
    assertTrue(text.contains("jdbc:postgresql://db/app"), text);
  }

  @Test
  void redactionLeavesTheOriginalAlone() {
    AppConfig c = load();
    c.redacted();
    assertEquals("hunter2", c.getString("db.password"));
    assertEquals("hunter2", c.toMap().get("db") instanceof Map<?, ?> db ? db.get("password") : null);
  }

  @Test
  void subtreeUnderSecretIsRedactedWhole() {
    AppConfig secrets = load().getConfig("secrets");
    assertEquals(Map.of("github", "******", "nested", Map.of("deep", "******")),
        secrets.toRedactedMap());
  }

  @Test
  void dumpIsUnmodifiable() {
    Map<String, Object> m = load().toRedactedMap();
    assertThrows(UnsupportedOperationException.class, () -> m.put("x", 1));
  }

  @Test
  void secretKeyDetection() {
    for (String k : List.of("password", "DB_PASSWORD", "apiKey", "client-secret", "authToken",
        "tls.private-key", "smtp.passwd", "tls.passphrase", "gcp.credentials", "db.pwd")) {
      assertTrue(Redaction.isSecretPath(k), k);
    }
    for (String k : List.of("url", "user", "port", "host", "timeout")) {
      assertFalse(Redaction.isSecretPath(k), k);
    }
  }
  @Test
  void credentialsInsideOrdinaryValuesAreMasked() {
    assertEquals("postgresql://orders:******@db:5432/orders",
        Redaction.maskEmbedded("postgresql://orders:s1@db:5432/orders"));
    assertEquals("jdbc:mysql://db/o?user=app&password=******&ssl=true",
        Redaction.maskEmbedded("jdbc:mysql://db/o?user=app&password=s2&ssl=true"));
    assertEquals("https://api.example.com/v1?access_token=******",
        Redaction.maskEmbedded("https://api.example.com/v1?access_token=abc"));
    for (String plain : List.of("http://db:5432/orders", "user@example.com", "a=b",
        "https://host/path?page=2")) {
      assertEquals(plain, Redaction.maskEmbedded(plain));
    }
  }

  /** Parameter names are spelled with '-', '.' and digits as often as with '_'. */
  @Test
  void secretQueryParametersWithHyphensDotsOrDigitsAreMasked() {
    assertEquals("https://search.example/v1?api-key=******&q=1",
        Redaction.maskEmbedded("https://search.example/v1?api-key=k3y-value-123&q=1"));
    assertEquals("https://idp.example/cb?access-token=******",
        Redaction.maskEmbedded("https://idp.example/cb?access-token=t0ken-value-456"));
    assertEquals("https://x.example/?q=1&client.secret2=******;tls-passphrase=******",
        Redaction.maskEmbedded("https://x.example/?q=1&client.secret2=s;tls-passphrase=p"));
    String shown = String.valueOf(AppConfig.of(ConfigFactory.parseString(
        "v = \"https://idp.example/cb?access-token=t0ken-value-456\"")).toRedactedMap().get("v"));
    assertFalse(shown.contains("t0ken-value-456"), shown);
  }

  /**
   * A password typed with '@', '#', '?' or '/' (common in generated ones) is masked to the last
   * '@':
   * the pattern stopped at those characters and then found no '@', so the whole password was
   * shown, in dumps and in error messages alike. A port followed by a path with an '@' in it is
   * no password.
   */
  @Test
  void aUrlPasswordTypedWithAHashQuestionMarkOrSlashIsMasked() {
    assertEquals("postgresql://app:******@db:5432/orders",
        Redaction.maskEmbedded("postgresql://app:s3cr@t-pass@db:5432/orders"));
    // a query holding an '@' after a password: masked to the last '@', more than the password,
    // as a typed password may hold '?' too and showing part of one is worse
    assertEquals("redis://:******@b.example",
        Redaction.maskEmbedded("redis://:p@ss@cache?mail=a@b.example"));
    assertEquals("postgresql://app:******@db:5432/orders",
        Redaction.maskEmbedded("postgresql://app:s3cr#t-pass@db:5432/orders"));
    assertEquals("postgresql://app:******@db/orders",
        Redaction.maskEmbedded("postgresql://app:s3cr?t-pass@db/orders"));
    assertEquals("amqp://app:******@mq:5672/vhost other",
        Redaction.maskEmbedded("amqp://app:s3cr/t-pass@mq:5672/vhost other"));
    assertEquals("http://host:8080/a?mail=x@y.org",
        Redaction.maskEmbedded("http://host:8080/a?mail=x@y.org"));
    AppConfig c = AppConfig.of(ConfigFactory.parseString(
        "db.url = \"postgresql://app:s3cr#t-pass@db:5432/orders\""));
    assertFalse(String.valueOf(c.toRedactedMap().get("db.url")).contains("t-pass"));
    ConfigException e = assertThrows(ConfigException.class, () -> c.getInt("db.url"));
    assertFalse(e.getMessage().contains("t-pass"), e.getMessage());
  }
}
