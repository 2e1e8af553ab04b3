package io.phalanx.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigMemorySize;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class RecordBindingTest {

  public enum Mode { ROUND_ROBIN, P2C }

  public record Backend(String host, int port, Optional<Integer> weight) {}

  public record Tls(boolean enabled, String cert, Optional<String> key) {}

  public record Service(
      String name,
      int port,
      Duration readTimeout,
      Mode mode,
      List<String> tags,
      Map<String, Integer> weights,
      List<Backend> backends,
      Tls tls,
      ConfigMemorySize maxBody,
      double ratio,
      Integer retries,
      Map<String, Duration> timeouts,
      Optional<String> description,
      Optional<Duration> idleTimeout,
      Optional<Tls> clientTls,
      AppConfig extra) {}

  public record Port(int port) {
    public Port {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1..65535, got " + port);
      }
    }
  }

  public record Named(String name) {}

  public record WithSet(Set<String> names) {}

  public record BadBackends(List<Backend> backends) {}

  public record BadMode(Mode mode) {}

  public record Primitives(byte b, short s, char c, float f, long l, Boolean flag) {}

  private static String fails(Executable e) {
    return assertThrows(ConfigException.class, e).getMessage();
  }

  private static void assertContains(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), "expected <" + p + "> in: " + message);
    }
  }

  private static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  private static AppConfig bindConf() {
    return TestResources.builder("bind").load();
  }

  private static AppConfig errors() {
    return TestResources.builder("errors").load();
  }

  @Test
  void bindsNestedRecordsListsMapsOptionalsDurationsAndEnums() {
    Service s = bindConf().bind("service", Service.class);
    assertEquals("greeter", s.name());
    assertEquals(8080, s.port());
    assertEquals(Duration.ofSeconds(2), s.readTimeout());
    assertEquals(Mode.ROUND_ROBIN, s.mode());
    assertEquals(List.of("blue", "green"), s.tags());
    assertEquals(Map.of("east", 3, "west", 1), s.weights());
    assertEquals(List.of("east", "west"), List.copyOf(s.weights().keySet()));
    assertEquals(List.of(new Backend("h1", 1, Optional.empty()),
        new Backend("h2", 2, Optional.of(5))), s.backends());
    assertEquals(new Tls(true, "/etc/tls/cert.pem", Optional.empty()), s.tls());
    assertEquals(1024 * 1024L, s.maxBody().toBytes());
    assertEquals(0.25, s.ratio());
    assertEquals(3, s.retries());
    assertEquals(Map.of("connect", Duration.ofSeconds(1), "read", Duration.ofMillis(500)),
        s.timeouts());
    assertEquals(Optional.empty(), s.description(), "null counts as absent for Optional");
    assertEquals(Optional.empty(), s.idleTimeout());
    assertEquals(Optional.empty(), s.clientTls());
    assertEquals(List.of("1", "2", "3"), s.extra().getStringList("anything"));
    assertEquals("service.extra", s.extra().path());
    assertThrows(UnsupportedOperationException.class, () -> s.tags().add("x"));
  }

  /**
   * {@code -Dservice.tags.0=…} or {@code PHALANX_SERVICE_TAGS_0=…} make an object of indices,
   * which typesafe's getStringList reads as a list; binding does too, in numeric order, and its
   * errors name the variable or property that set the value.
   */
  @Test
  void indexedOverridesBindAsListsAndErrorsNameTheOverride() {
    AppConfig env = TestResources.builder("bind")
        .environment(Map.of("PHALANX_SERVICE_TAGS_0", "z")).load();
    assertEquals(List.of("z"), env.getStringList("service.tags"));
    assertEquals(List.of("z"), env.bind("service", Service.class).tags());

    AppConfig sys = TestResources.builder("bind").systemProperties(props(
        "service.tags.10", "c", "service.tags.2", "b", "service.tags.0", "a",
        "service.backends.0.host", "h9", "service.backends.0.port", "9")).load();
    Service s = sys.bind("service", Service.class);
    assertEquals(List.of("a", "b", "c"), s.tags());
    assertEquals(List.of(new Backend("h9", 9, Optional.empty())), s.backends());

    AppConfig badPort = TestResources.builder("bind")
        .systemProperties(props("service.backends.1.host", "h", "service.backends.1.port", "x"))
        .load();
    assertEquals("config key 'service.backends.1.port' must be a NUMBER (int) but is STRING \"x\""
        + " (system property service.backends.1.port)",
        fails(() -> badPort.bind("service", Service.class)));
    AppConfig notIndexed = TestResources.builder("bind")
        .environment(Map.of("PHALANX_SERVICE_TAGS_0", "a", "PHALANX_SERVICE_TAGS_X", "b")).load();
    assertContains(fails(() -> notIndexed.bind("service", Service.class)),
        "config key 'service.tags' must be a LIST but is OBJECT",
        "environment variable PHALANX_SERVICE_TAGS_0",
        "environment variable PHALANX_SERVICE_TAGS_X");
    // getStringList agrees (typesafe's read it as [a], dropping x)
    assertContains(fails(() -> notIndexed.getStringList("service.tags")),
        "config key 'service.tags' must be a LIST of STRING but is OBJECT",
        "environment variable PHALANX_SERVICE_TAGS_X");
    AppConfig sameIndexTwice = TestResources.builder("bind").systemProperties(props(
        "service.tags.1", "b", "service.tags.01", "a", "service.tags.10", "c")).load();
    assertEquals(List.of("a", "b", "c"), sameIndexTwice.getStringList("service.tags"));
    assertEquals(List.of("a", "b", "c"), sameIndexTwice.bind("service", Service.class).tags());
    AppConfig oneVariable = TestResources.builder("bind")
        .environment(Map.of("PHALANX_SERVICE_TAGS_X", "b")).load();
    assertEquals("config key 'service.tags' must be a LIST but is OBJECT with keys [x]"
        + " (environment variable PHALANX_SERVICE_TAGS_X)",
        fails(() -> oneVariable.bind("service", Service.class)));
  }

  @Test
  void bindsTheRootAndSubtrees() {
    AppConfig c = AppConfig.of(ConfigFactory.parseString("port = 80, inner { port = 81 }"));
    assertEquals(new Port(80), c.bind(Port.class));
    assertEquals(new Port(81), c.getConfig("inner").bind(Port.class));
    assertEquals(new Port(81), c.bind("inner", Port.class));
  }

  @Test
  void exactNameWinsOverKebabCase() {
    record Pair(String readTimeout) {}
    AppConfig c = AppConfig.of(ConfigFactory.parseString(
        "readTimeout = exact, read-timeout = kebab"));
    assertEquals("exact", c.bind(Pair.class).readTimeout());
  }

  @Test
  void primitivesAndBoxes() {
    AppConfig c = AppConfig.of(ConfigFactory.parseString(
        "b = 7, s = 300, c = x, f = 1.5, l = \"12\", flag = off"));
    assertEquals(new Primitives((byte) 7, (short) 300, 'x', 1.5f, 12L, false),
        c.bind(Primitives.class));
    AppConfig big = AppConfig.of(ConfigFactory.parseString(
        "b = 700, s = 300, c = x, f = 1.5, l = 1, flag = true"));
    assertContains(fails(() -> big.bind(Primitives.class)), "'b'", "NUMBER (byte)",
        "NUMBER 700");
  }

  /** A fraction for a whole-number component fails; it used to be truncated (0.5 bound as 0). */
  @Test
  void fractionForAWholeNumberComponentFails() {
    AppConfig c = AppConfig.of(ConfigFactory.parseString("pool { port = 0.5 }"));
    assertContains(fails(() -> c.bind("pool", Port.class)), "'pool.port'", "NUMBER (int)",
        "NUMBER 0.5, which is not a valid int");
    AppConfig fractions = AppConfig.of(ConfigFactory.parseString(
        "b = 1.5, s = 2.5, c = x, f = 1.5, l = 3.5, flag = true"));
    assertContains(fails(() -> fractions.bind(Primitives.class)), "'b'", "NUMBER (byte)",
        "NUMBER 1.5");
    AppConfig longFraction = AppConfig.of(ConfigFactory.parseString(
        "b = 1, s = 2, c = x, f = 1.5, l = 3.5, flag = true"));
    assertContains(fails(() -> longFraction.bind(Primitives.class)), "'l'", "NUMBER (long)",
        "NUMBER 3.5");
    assertEquals(new Port(80),
        AppConfig.of(ConfigFactory.parseString("port = 80.0")).bind(Port.class));
    record Limits(Duration tick, ConfigMemorySize size) {}
    assertContains(fails(() -> AppConfig.of(ConfigFactory.parseString("tick = 2.5ns, size = 1k"))
        .bind(Limits.class)), "'tick'", "not a whole number of nanoseconds");
    assertContains(fails(() -> AppConfig.of(ConfigFactory.parseString("tick = 1s, size = 0.5"))
        .bind(Limits.class)), "'size'", "not a whole number of bytes");
    assertEquals(new Limits(Duration.ofNanos(1_500_000), ConfigMemorySize.ofBytes(1536)),
        AppConfig.of(ConfigFactory.parseString("tick = 1.5, size = 1.5k")).bind(Limits.class));
  }

  @Test
  void missingRequiredComponentNamesKeyTypeAndSources() {
    String m = fails(() -> bindConf().bind("service.tls", Backend.class));
    assertContains(m, "'service.tls.host'", "is missing", "a STRING", "Backend.host",
        "application.conf", "reference.conf (not found)");
    assertContains(fails(() -> bindConf().bind("nowhere", Backend.class)), "'nowhere'",
        "is missing", "OBJECT (record Backend)");
  }

  @Test
  void missingKebabComponentIsNamedKebab() {
    record Timeouts(Duration readTimeout) {}
    assertContains(fails(() -> bindConf().bind("service.tls", Timeouts.class)),
        "'service.tls.read-timeout'", "DURATION", "Timeouts.readTimeout");
  }

  @Test
  void wrongTypeInsideListNamesIndexAndLine() {
    assertEquals("config key 'bad.backends[1].port' must be a NUMBER (int) but is STRING \"x\""
        + " (application.conf:13)", fails(() -> errors().bind("bad", BadBackends.class)));
  }

  @Test
  void badEnumListsTheConstants() {
    assertContains(fails(() -> errors().bind("bad", BadMode.class)), "'bad.mode'",
        "one of [ROUND_ROBIN, P2C]", "STRING \"sideways\"", "application.conf:12");
  }

  @Test
  void nullForRequiredComponentFails() {
    assertContains(fails(() -> errors().bind("server", Named.class)), "'server.name'",
        "STRING", "null", "application.conf:5");
  }

  @Test
  void nonObjectFails() {
    assertContains(fails(() -> errors().bind("flat", Port.class)), "'flat'",
        "OBJECT (record Port)", "NUMBER 5", "application.conf:7");
    assertContains(fails(() -> errors().bind("bad", Port.class)), "'bad.port'",
        "NUMBER (int)", "application.conf:11");
  }

  public record Database(String db) {}

  @Test
  void anObjectBoundWhereAStringIsExpectedDoesNotShowItsNestedPassword() {
    AppConfig c = AppConfig.of(ConfigFactory.parseString(
        "svc { db { user = app, password = \"hunter2-secret-value\" } }"));
    String m = fails(() -> c.bind("svc", Database.class));
    assertContains(m, "config key 'svc.db' must be a STRING but is OBJECT with keys"
        + " [password, user]");
    assertFalse(m.contains("hunter2"), m);
  }

  @Test
  void constructorValidationBecomesConfigException() {
    AppConfig c = AppConfig.of(ConfigFactory.parseString("server.port = 70000"));
    ConfigException e = assertThrows(ConfigException.class,
        () -> c.bind("server", Port.class));
    assertContains(e.getMessage(), "'server'", "Port", "port must be 1..65535, got 70000");
    assertEquals(Optional.of("server"), e.key());
    assertTrue(e.getCause() instanceof IllegalArgumentException);
  }

  @Test
  void unsupportedComponentTypeFails() {
    AppConfig c = AppConfig.of(ConfigFactory.parseString("names = [a]"));
    assertContains(fails(() -> c.bind(WithSet.class)), "'names'", "java.util.Set",
        "supported are");
  }

  @Test
  void enumsIgnoreCaseAndDashes() {
    assertEquals(new BadMode(Mode.P2C),
        AppConfig.of(ConfigFactory.parseString("mode = p2c")).bind(BadMode.class));
    assertEquals(new BadMode(Mode.ROUND_ROBIN),
        AppConfig.of(ConfigFactory.parseString("mode = Round_Robin")).bind(BadMode.class));
  }
}
