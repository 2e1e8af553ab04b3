package io.phalanx.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigsTest {
  @TempDir Path dir;

  private static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  private Path file(String name, String content) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, content);
    return f;
  }

  @Test
  void eachLayerBeatsTheOneBelow() throws IOException {
    // reference only
    AppConfig c = TestResources.builder("layers").resourceBase("nothing-here").load();
    assertEquals(1, c.getInt("server.http.port"));
    // application.conf > reference.conf, and objects merge key by key
    c = TestResources.builder("layers").load();
    assertEquals(2, c.getInt("server.http.port"));
    assertEquals("app-host", c.getString("server.host"));
    assertEquals("ref", c.getString("server.name"));
    // application-dev.conf > application.conf
    c = TestResources.builder("layers").profile("dev").load();
    assertEquals(3, c.getInt("server.http.port"));
    assertEquals("app-host", c.getString("server.host"));
    // extra file > profile; a later file > an earlier one
    Path f1 = file("one.conf", "server.http.port = 4\nserver.host = file-host\n");
    Path f2 = file("two.conf", "server.http.port = 44\n");
    c = TestResources.builder("layers").profile("dev").file(f1).file(f2).load();
    assertEquals(44, c.getInt("server.http.port"));
    assertEquals("file-host", c.getString("server.host"));
    // environment > files
    c = TestResources.builder("layers").profile("dev").file(f1)
        .environment(Map.of("PHALANX_SERVER_HTTP_PORT", "5")).load();
    assertEquals(5, c.getInt("server.http.port"));
    // system properties > environment
    c = TestResources.builder("layers").profile("dev").file(f1)
        .environment(Map.of("PHALANX_SERVER_HTTP_PORT", "5"))
        .systemProperties(props("server.http.port", "9000")).load();
    assertEquals(9000, c.getInt("server.http.port"));
    assertEquals("file-host", c.getString("server.host"));
    assertTrue(c.getBoolean("layer.reference"));
    assertTrue(c.getBoolean("layer.application"));
    assertEquals("dev", c.getString("layer.profile"));
    assertEquals(List.of("reference.conf", "application.conf", "application-dev.conf",
        f1.toString(), "environment variables PHALANX_*", "system properties"), c.sources());
  }

  @Test
  void profileComesFromBuilderThenSystemPropertyThenEnvironment() {
    AppConfig none = TestResources.builder("layers").load();
    assertEquals(Optional.empty(), none.profile());
    assertFalse(none.has("layer.profile"));

    AppConfig env = TestResources.builder("layers")
        .environment(Map.of("PHALANX_PROFILE", "dev")).load();
    assertEquals(Optional.of("dev"), env.profile());
    assertEquals(3, env.getInt("server.http.port"));
    assertFalse(env.has("profile"), "the selector is not a config key");

    AppConfig prop = TestResources.builder("layers")
        .environment(Map.of("PHALANX_PROFILE", "dev"))
        .systemProperties(props("phalanx.profile", "prod")).load();
    assertEquals(Optional.of("prod"), prop.profile());
    assertEquals(30, prop.getInt("server.http.port"));

    AppConfig explicit = TestResources.builder("layers").profile("dev")
        .environment(Map.of("PHALANX_PROFILE", "prod"))
        .systemProperties(props("phalanx.profile", "prod")).load();
    assertEquals("dev", explicit.getString("layer.profile"));
  }

  @Test
  void selectedProfileWithoutFileFails() {
    ConfigException e = assertThrows(ConfigException.class, () -> TestResources.builder("layers")
        .environment(Map.of("PHALANX_PROFILE", "prdo")).load());
    assertTrue(e.getMessage().contains("application-prdo.conf"), e.getMessage());
    assertTrue(e.getMessage().contains("environment variable PHALANX_PROFILE"), e.getMessage());
  }

  @Test
  void environmentVariablesMapToKeys() {
    AppConfig c = TestResources.builder("layers").environment(Map.of(
        "PHALANX_SERVER_READ__TIMEOUT", "5s",
        "PHALANX_FEATURE_NEW__UI_ENABLED", "true",
        "PHALANX_CLIENT_HOSTS", "[a, \"b:1\"]",
        "PHALANX_CLIENT_URL", "http://example.com//x # not a comment",
        "PHALANX_CLIENT_RATIO", "0.75",
        "PHALANX_CLIENT_ZIP", "01234",
        "PHALANX_PASSWORD", "{not hocon",
        "HOME_DIR", "/ignored")).load();
    assertEquals(Duration.ofSeconds(5), c.getDuration("server.read-timeout"));
    assertTrue(c.getBoolean("feature.new-ui.enabled"));
    assertEquals(ConfigValueType.BOOLEAN,
        c.raw().getValue("feature.new-ui.enabled").valueType());
    assertEquals(List.of("a", "b:1"), c.getStringList("client.hosts"));
    assertEquals("http://example.com//x # not a comment", c.getString("client.url"));
    assertEquals(0.75, c.getDouble("client.ratio"));
    assertEquals("01234", c.getString("client.zip"));
    assertEquals("{not hocon", c.getString("password"));
    assertFalse(c.has("home.dir"));
    assertFalse(c.raw().hasPath("HOME_DIR"));
  }

  @Test
  void environmentNumbersAreNumbers() {
    AppConfig c = TestResources.builder("layers")
        .environment(Map.of("PHALANX_SERVER_HTTP_PORT", "8080")).load();
    assertEquals(ConfigValueType.NUMBER, c.raw().getValue("server.http.port").valueType());
    Map<?, ?> http = (Map<?, ?>) ((Map<?, ?>) c.toMap().get("server")).get("http");
    assertTrue(http.get("port") instanceof Number, String.valueOf(http.get("port")));
    assertEquals(8080, ((Number) http.get("port")).intValue());
  }

  /** A HOCON file keeps "1.10" as written; overrides are read like unquoted HOCON values. */
  @Test
  void overrideNumbersKeepTheirTextAndStayNumbers() {
    AppConfig file = AppConfig.of(ConfigFactory.parseString("v = 1.10, e = 1e3"));
    assertEquals("1.10", file.getString("v"));
    assertEquals("1e3", file.getString("e"));
    AppConfig env = TestResources.builder("layers")
        .environment(Map.of("PHALANX_APP_VERSION", "1.10", "PHALANX_APP_RATIO", "-2.50")).load();
    assertEquals("1.10", env.getString("app.version"));
    assertEquals(1.1, env.getDouble("app.version"));
    assertEquals(ConfigValueType.NUMBER, env.raw().getValue("app.version").valueType());
    assertEquals("-2.50", env.getString("app.ratio"));
    AppConfig sys = TestResources.builder("layers")
        .systemProperties(props("app.version", "1e3", "app.big", "99999999999999999999",
            "app.huge", "1e999"))
        .load();
    assertEquals("1e3", sys.getString("app.version"));
    assertEquals(1000, sys.getInt("app.version"));
    assertEquals(1000.0, sys.getDouble("app.version"));
    assertEquals("99999999999999999999", sys.getString("app.big"));
    assertEquals(ConfigValueType.STRING, sys.raw().getValue("app.big").valueType());
    assertEquals("1e999", sys.getString("app.huge"));
    assertEquals(ConfigValueType.STRING, sys.raw().getValue("app.huge").valueType());
  }

  @Test
  void environmentVariableWithEmptySegmentFails() {
    ConfigException e = assertThrows(ConfigException.class, () -> TestResources.builder("layers")
        .environment(Map.of("PHALANX_SERVER_", "1")).load());
    assertTrue(e.getMessage().contains("PHALANX_SERVER_"), e.getMessage());
  }

  @Test
  void mappingBetweenVariablesAndKeys() {
    assertEquals(Optional.of("server.http.port"),
        Configs.keyForEnvironmentVariable("PHALANX_SERVER_HTTP_PORT"));
    assertEquals(Optional.of("server.read-timeout"),
        Configs.keyForEnvironmentVariable("PHALANX_SERVER_READ__TIMEOUT"));
    assertEquals(Optional.empty(), Configs.keyForEnvironmentVariable("SERVER_HTTP_PORT"));
    assertEquals(Optional.empty(), Configs.keyForEnvironmentVariable("PHALANX_A_"));
    assertEquals(Optional.of("PHALANX_SERVER_READ__TIMEOUT"),
        Configs.environmentVariableFor("server.read-timeout"));
    assertEquals(Optional.empty(), Configs.environmentVariableFor("server.readTimeout"));
    assertEquals(Optional.empty(), Configs.environmentVariableFor("snake_case"));
  }

  @Test
  void systemPropertiesAreTheTopLayerAndTyped() {
    AppConfig c = TestResources.builder("layers")
        .systemProperties(props("server.http.port", "9000", "client.timeout", "250ms",
            "odd..name", "skipped", "phalanx.profile", "dev"))
        .load();
    assertEquals(9000, c.getInt("server.http.port"));
    assertEquals(Duration.ofMillis(250), c.getDuration("client.timeout"));
    assertEquals(ConfigValueType.NUMBER, c.raw().getValue("server.http.port").valueType());
    assertFalse(c.has("phalanx.profile"));
    assertEquals(Optional.of("dev"), c.profile());
  }

  @Test
  void substitutionsResolveAfterLayering() {
    AppConfig c = TestResources.builder("layers").load();
    assertEquals("jdbc:postgresql://db.local/app", c.getString("db.url"));
    c = TestResources.builder("layers")
        .environment(Map.of("PHALANX_DB_HOST", "db.prod", "HOME", "/home/app")).load();
    assertEquals("jdbc:postgresql://db.prod/app", c.getString("db.url"));
    // ${?HOME} falls back to the given environment, which does not leak in as keys
    assertEquals("/home/app", c.getString("home"));
    assertFalse(c.raw().hasPath("HOME"));
    assertFalse(c.raw().hasPath("PHALANX_DB_HOST"));
    // without HOME in the given environment the optional substitution leaves the key out
    assertFalse(TestResources.builder("layers").load().has("home"));
  }

  /**
   * A list or object override takes part in the one resolution after layering, like a file's
   * value: it may refer to any key, which an override of that key changes too.
   */
  @Test
  void listAndObjectOverridesMayReferToOtherKeys() {
    AppConfig c = TestResources.builder("layers").systemProperties(props(
        "client.hosts", "[${db.host}, db2]",
        "client.primary", "{ host = ${db.host}, port = 5432 }",
        "client.all", "[a] ${client.hosts}")).load();
    assertEquals(List.of("db.local", "db2"), c.getStringList("client.hosts"));
    assertEquals("db.local", c.getString("client.primary.host"));
    assertEquals(List.of("a", "db.local", "db2"), c.getStringList("client.all"));
    c = TestResources.builder("layers")
        .environment(Map.of("PHALANX_CLIENT_HOSTS", "[${db.host}]"))
        .systemProperties(props("db.host", "db.prod")).load();
    assertEquals(List.of("db.prod"), c.getStringList("client.hosts"));
  }

  /**
   * A list- or object-shaped override whose substitutions nothing defines is the string it was
   * written as, as a password may be ({@code [x${Tr0ub4dor}]}): it loaded so before overrides
   * took part in the one resolution, and since then it failed the load with a message that
   * showed the password's text.
   */
  @Test
  void anOverrideShapedLikeAListOrObjectWhoseSubstitutionsNothingDefinesIsAString() {
    AppConfig c = TestResources.builder("layers")
        .environment(Map.of("PHALANX_DB_PASSWORD", "{k=${Tr0ub4dor}}"))
        .systemProperties(props("client.hosts", "[x${Tr0ub4dor}]", "client.extra",
            "[${db.host}]")).load();
    assertEquals("{k=${Tr0ub4dor}}", c.getString("db.password"));
    assertEquals("[x${Tr0ub4dor}]", c.getString("client.hosts"));
    assertEquals(List.of("db.local"), c.getStringList("client.extra"), "others still resolve");
  }

  /**
   * A substitution in an override falls back to the environment the builder was given, never to
   * this process's: {@code builder()} reads no process state unless told.
   */
  @Test
  void overrideSubstitutionsFallBackToTheGivenEnvironmentOnly() {
    String processPath = System.getenv("PATH");
    assumeTrue(processPath != null && !processPath.isEmpty(), "needs PATH in the environment");
    AppConfig c = TestResources.builder("layers")
        .environment(Map.of("PHALANX_APP_DIRS", "[\"/opt\", ${?PATH}]")).load();
    assertEquals(List.of("/opt"), c.getStringList("app.dirs"),
        "the process's PATH leaked into a config built from an explicit environment");
    c = TestResources.builder("layers")
        .environment(Map.of("PHALANX_APP_DIRS", "[\"/opt\", ${?PATH}]", "PATH", "/given"))
        .systemProperties(props("app.extra", "{ dir = ${?PATH} }")).load();
    assertEquals(List.of("/opt", "/given"), c.getStringList("app.dirs"));
    assertEquals("/given", c.getString("app.extra.dir"));
  }

  @Test
  void extraFileMustExist() {
    Path missing = dir.resolve("missing.conf");
    ConfigException e = assertThrows(ConfigException.class,
        () -> TestResources.builder("layers").file(missing).load());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void builderDoesNotReadProcessState() {
    AppConfig c = TestResources.builder("layers").load();
    assertFalse(c.has("java.version"), "system properties only when given");
    assertEquals(List.of("reference.conf", "application.conf"), c.sources());
  }

  @Test
  void loadUsesTheProcess() {
    String selected = System.getProperty(Configs.PROFILE_PROPERTY,
        System.getenv(Configs.PROFILE_VARIABLE));
    assumeTrue(selected == null || selected.isBlank(),
        "a profile is selected in this environment; load() would need its file");
    AppConfig c = Configs.load();
    assertEquals(System.getProperty("user.dir"), c.getString("user.dir"));
    assertEquals(Optional.empty(), c.profile());
    assertTrue(c.sources().contains("environment variables PHALANX_*"), c.sources().toString());
    assertTrue(c.sources().contains("system properties"), c.sources().toString());
  }
}
