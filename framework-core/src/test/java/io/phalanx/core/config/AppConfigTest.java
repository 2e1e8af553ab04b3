package io.phalanx.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigMemorySize;
import com.typesafe.config.ConfigParseOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class AppConfigTest {
  @TempDir Path dir;

  private static AppConfig of(String hocon) {
    return AppConfig.of(ConfigFactory.parseString(hocon));
  }

  private static AppConfig errors() {
    return TestResources.builder("errors").environment(Map.of()).systemProperties(new Properties())
        .resourceBase("application").load();
  }

  private static String fails(Executable e) {
    return assertThrows(ConfigException.class, e).getMessage();
  }

  private static void assertContains(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), "expected <" + p + "> in: " + message);
    }
  }

  @Test
  void typedGetters() {
    AppConfig c = of("s = hello, i = 42, l = 5000000000, b = yes, d = 1.5, t = 1500ms,"
        + " size = 512k, list = [a, 1, true], sub { x = 1 }, n = \"7\"");
    assertEquals("hello", c.getString("s"));
    assertEquals(42, c.getInt("i"));
    assertEquals(5_000_000_000L, c.getLong("l"));
    assertTrue(c.getBoolean("b"));
    assertEquals(1.5, c.getDouble("d"));
    assertEquals(Duration.ofMillis(1500), c.getDuration("t"));
    assertEquals(512 * 1024L, c.getBytes("size"));
    assertEquals(List.of("a", "1", "true"), c.getStringList("list"));
    assertEquals(1, c.getConfig("sub").getInt("x"));
    assertEquals(7, c.getInt("n"), "numeric strings convert, as in typesafe-config");
    assertEquals("sub", c.getConfig("sub").path());
  }

  @Test
  void optionalGettersAndHas() {
    AppConfig c = of("a = 1, nothing = null, obj { b = 2 }");
    assertTrue(c.has("a"));
    assertTrue(c.has("obj.b"));
    assertFalse(c.has("nothing"));
    assertFalse(c.has("missing"));
    assertFalse(c.has("a.b"), "has() does not fail when a parent is not an object");
    assertEquals(Optional.of(1), c.findInt("a"));
    assertEquals(Optional.empty(), c.findInt("missing"));
    assertEquals(Optional.empty(), c.findInt("nothing"));
    assertEquals(8080, c.findInt("port").orElse(8080));
    assertEquals(Optional.empty(), c.findDuration("obj.c"));
    assertEquals(2, c.findConfig("obj").orElseThrow().getInt("b"));
    assertEquals(Optional.empty(), c.findConfig("nope"));
    assertEquals(List.of("a", "nothing", "obj"), List.copyOf(c.keys()));
  }

  @Test
  void optionalGetterStillFailsOnWrongType() {
    AppConfig c = of("a = abc");
    assertContains(fails(() -> c.findInt("a")), "'a'", "NUMBER", "STRING \"abc\"");
  }

  @Test
  void aValueTheAppCannotUseIsReportedWithKeyAndFileLine() {
    AppConfig c = errors();
    ConfigException e = c.invalid("server.http.port", "no such port");
    assertEquals("config key 'server.http.port' is invalid: no such port (application.conf:3)",
        e.getMessage());
    assertEquals("server.http.port", e.key().orElseThrow());
    ConfigException nested = c.getConfig("server").invalid("timeout", "too long");
    assertContains(nested.getMessage(), "'server.timeout'", "too long", "application.conf:4");
    assertContains(c.invalid("not.there", "required by X").getMessage(), "'not.there'",
        "required by X");
  }

  @Test
  void wrongTypeNamesKeyTypeValueAndFileLine() {
    AppConfig c = errors();
    assertEquals("config key 'server.http.port' must be a NUMBER (int) but is STRING \"abc\""
        + " (application.conf:3)", fails(() -> c.getInt("server.http.port")));
    assertContains(fails(() -> c.getDuration("server.timeout")),
        "'server.timeout'", "DURATION", "STRING \"ten seconds\"", "application.conf:4");
    assertContains(fails(() -> c.getLong("bad.name")), "'bad.name'", "NUMBER (long)",
        "STRING \"x\"", "application.conf:10");
    assertContains(fails(() -> c.getInt("bad.port")), "'bad.port'", "NUMBER (int)",
        "NUMBER 70000000000, which is not a valid int", "application.conf:11");
    assertContains(fails(() -> c.getBoolean("flat")), "'flat'", "BOOLEAN", "NUMBER 5",
        "application.conf:7");
    assertContains(fails(() -> c.getConfig("flat")), "'flat'", "OBJECT", "application.conf:7");
    assertContains(fails(() -> c.getStringList("server")), "'server'", "LIST");
  }

  /** A fraction where a whole number is needed fails; it used to be truncated (0.5 gave 0). */
  @Test
  void fractionOrOutOfRangeForAWholeNumberFailsNamingKeyTypeAndLine() throws IOException {
    Path f = dir.resolve("pool.conf");
    Files.writeString(f, "pool {\n  size = 0.5\n  whole = 2.0\n  huge = 1e30\n"
        + "  text = \"1.5\"\n  long = 5000000000\n}\n");
    AppConfig c = TestResources.builder("layers").file(f).load();
    assertEquals("config key 'pool.size' must be a NUMBER (int) but is NUMBER 0.5, which is not"
        + " a valid int (" + f + ":2)", fails(() -> c.getInt("pool.size")));
    assertContains(fails(() -> c.findLong("pool.size")), "'pool.size'", "NUMBER (long)",
        f + ":2");
    assertContains(fails(() -> c.getLong("pool.huge")), "'pool.huge'", "NUMBER (long)",
        "not a valid long", f + ":4");
    assertContains(fails(() -> c.getInt("pool.text")), "'pool.text'", "NUMBER (int)",
        "STRING \"1.5\"", f + ":5");
    assertContains(fails(() -> c.getInt("pool.long")), "'pool.long'", "not a valid int");
    assertEquals(2, c.getInt("pool.whole"));
    assertEquals(5_000_000_000L, c.getLong("pool.long"));
    assertEquals(Long.MAX_VALUE, of("n = 9223372036854775807").getLong("n"));
    assertEquals(Long.MIN_VALUE, of("n = -9223372036854775808").getLong("n"));
    assertContains(fails(() -> of("n = 9.3e18").getLong("n")), "'n'", "not a valid long");
    assertContains(fails(() -> of("n = \"NaN\"").getInt("n")), "'n'", "NUMBER (int)");
  }

  /**
   * A size or duration that is not a whole number of bytes or nanoseconds fails; typesafe
   * truncated it (size = 0.5 gave 0 bytes, "1.5 B" 1, 2.5ns 2 ns) or saturated it (1e30).
   */
  @Test
  void fractionOfAByteOrNanosecondFailsNamingKeyTypeAndLine() throws IOException {
    Path f = dir.resolve("limits.conf");
    Files.writeString(f, "limits {\n  size = 0.5\n  bytes = \"1.5 B\"\n  tenth-k = 0.1k\n"
        + "  huge = 1e30\n  half-k = 0.5k\n  whole = 1.5k\n  tick = 2.5ns\n"
        + "  tiny = 0.0000001ms\n  ages = 1e30\n  half-ms = 0.5\n  exact = 1.001s\n"
        + "  quarter = \"0.25 minutes\"\n}\n");
    AppConfig c = TestResources.builder("layers").file(f).load();
    assertEquals("config key 'limits.size' must be a SIZE in bytes (like 512k, 10MiB) but is"
        + " NUMBER 0.5, which is not a whole number of bytes (" + f + ":2)",
        fails(() -> c.getBytes("limits.size")));
    assertContains(fails(() -> c.findBytes("limits.bytes")), "'limits.bytes'",
        "STRING \"1.5 B\", which is not a whole number of bytes", f + ":3");
    assertContains(fails(() -> c.getBytes("limits.tenth-k")), "'limits.tenth-k'",
        "not a whole number of bytes", f + ":4");
    assertContains(fails(() -> c.getBytes("limits.huge")), "'limits.huge'", "out of range",
        f + ":5");
    assertEquals(512, c.getBytes("limits.half-k"));
    assertEquals(1536, c.getBytes("limits.whole"));

    assertEquals("config key 'limits.tick' must be a DURATION (like 500ms, 10s, 5m) but is"
        + " STRING \"2.5ns\", which is not a whole number of nanoseconds (" + f + ":8)",
        fails(() -> c.getDuration("limits.tick")));
    assertContains(fails(() -> c.findDuration("limits.tiny")), "'limits.tiny'",
        "not a whole number of nanoseconds", f + ":9");
    assertContains(fails(() -> c.getDuration("limits.ages")), "'limits.ages'", "out of range",
        f + ":10");
    assertEquals(Duration.ofNanos(500_000), c.getDuration("limits.half-ms"));
    // exact: typesafe multiplies in double and truncates, which gave 1000999999 ns here
    assertEquals(Duration.ofMillis(1001), c.getDuration("limits.exact"));
    assertEquals(Duration.ofSeconds(15), c.getDuration("limits.quarter"));
  }

  @Test
  void subtreeErrorsNameTheFullKey() {
    AppConfig server = errors().getConfig("server");
    assertContains(fails(() -> server.getInt("http.port")), "'server.http.port'",
        "application.conf:3");
    assertContains(fails(() -> server.getInt("nope")), "'server.nope'");
  }

  @Test
  void nullValueNamesFileLine() {
    assertContains(fails(() -> errors().getString("server.name")), "'server.name'", "STRING",
        "null", "application.conf:5");
  }

  @Test
  void parentThatIsNotAnObject() {
    assertContains(fails(() -> errors().getInt("flat.port")), "'flat.port'", "'flat'",
        "OBJECT", "NUMBER 5", "application.conf:7");
  }

  @Test
  void missingKeyNamesWhereItWasLookedFor() {
    AppConfig c = TestResources.builder("layers").profile("dev").environment(Map.of())
        .systemProperties(new Properties()).load();
    String m = fails(() -> c.getInt("server.grpc.port"));
    assertContains(m, "'server.grpc.port'", "is missing", "NUMBER (int)", "reference.conf",
        "application.conf", "application-dev.conf",
        "environment variable PHALANX_SERVER_GRPC_PORT", "system property server.grpc.port");
    String noResource = fails(() -> TestResources.builder("layers").resourceBase("absent").load()
        .getString("x"));
    assertContains(noResource, "'x'", "absent.conf (not found)");
    assertContains(fails(() -> c.getString("camelCase")),
        "no PHALANX_* variable can set this key");
  }

  @Test
  void overrideOriginsAreNamed() {
    AppConfig env = TestResources.builder("layers")
        .environment(Map.of("PHALANX_SERVER_HTTP_PORT", "abc")).load();
    assertEquals("config key 'server.http.port' must be a NUMBER (int) but is STRING \"abc\""
        + " (environment variable PHALANX_SERVER_HTTP_PORT)",
        fails(() -> env.getInt("server.http.port")));
    Properties p = new Properties();
    p.setProperty("server.http.port", "nine");
    AppConfig sys = TestResources.builder("layers").systemProperties(p).load();
    assertContains(fails(() -> sys.getInt("server.http.port")), "'server.http.port'",
        "NUMBER", "STRING \"nine\"", "(system property server.http.port)");
  }

  /**
   * A bad value an environment variable filled in through {@code ${VAR}} names the variable and
   * the line that substituted it, also where a lower layer set the key too.
   */
  @Test
  void aValueSubstitutedFromTheEnvironmentNamesTheVariableAndTheLine() throws IOException {
    Path f = dir.resolve("app.conf");
    Files.writeString(f, "server {\n  host = localhost\n  port = ${APP_PORT}\n"
        + "  http.port = ${?HTTP_PORT}\n}\n");
    AppConfig c = TestResources.builder("layers").file(f)
        .environment(Map.of("APP_PORT", "80a", "HTTP_PORT", "eighty")).load();
    assertEquals("config key 'server.port' must be a NUMBER (int) but is STRING \"80a\""
        + " (environment variable APP_PORT, substituted at " + f + ":3)",
        fails(() -> c.getInt("server.port")));
    // application.conf sets server.http.port = 2 below the file
    assertContains(fails(() -> c.getInt("server.http.port")), "'server.http.port'",
        "STRING \"eighty\"", "(environment variable HTTP_PORT, substituted at " + f + ":4)");
    AppConfig unset = TestResources.builder("layers").file(f)
        .environment(Map.of("APP_PORT", "80")).load();
    assertEquals(2, unset.getInt("server.http.port"), "an unset optional one keeps the lower value");
  }

  @Test
  void extraFileOriginIsItsPath() throws IOException {
    Path f = dir.resolve("override.conf");
    Files.writeString(f, "# comment\nserver.http.port = lots\n");
    AppConfig c = TestResources.builder("layers").file(f).load();
    assertContains(fails(() -> c.getInt("server.http.port")), "'server.http.port'",
        "STRING \"lots\"", f + ":2");
  }

  @Test
  void syntaxErrorNamesFileAndLine() throws IOException {
    assertContains(fails(() -> TestResources.builder("syntax").load()), "syntax error",
        "application.conf:3");
    Path f = dir.resolve("broken.conf");
    Files.writeString(f, "a = 1\nb = {\nc = 2\n");
    assertContains(fails(() -> TestResources.builder("layers").file(f).load()), "syntax error",
        f.toString() + ":");
  }

  @Test
  void unresolvedSubstitutionNamesFileAndLine() {
    assertContains(fails(() -> TestResources.builder("unresolved").load()),
        "nowhere.to.be.found", "application.conf:3");
  }

  @Test
  void secretValuesStayOutOfMessages() {
    String m = fails(() -> errors().getInt("db.password"));
    assertContains(m, "'db.password'", "NUMBER", "STRING (redacted)", "application.conf:8");
    assertFalse(m.contains("hunter2"), m);
  }

  /**
   * An object or list found where a scalar was expected is described by its keys or size: its
   * content may hold a secret under a key the message does not name (db's password here).
   */
  @Test
  void anObjectOrListFoundInsteadOfAScalarIsShownWithoutItsValues() {
    AppConfig c = AppConfig.of(ConfigFactory.parseString(
        "db { user = app, password = \"hunter2-secret-value\" }\n"
            + "hosts = [{ url = \"http://u:hunter2@h\" }, b]",
        ConfigParseOptions.defaults().setOriginDescription("app.conf")));
    String m = fails(() -> c.getString("db"));
    assertEquals("config key 'db' must be a STRING but is OBJECT with keys [password, user]"
        + " (app.conf: 1)", m);
    m = fails(() -> c.getInt("hosts"));
    assertEquals("config key 'hosts' must be a NUMBER (int) but is LIST of 2 elements"
        + " (app.conf: 2)", m);
  }

  @Test
  void aUrlPasswordInAStringShownInAMessageIsMasked() {
    AppConfig c = of("db.url = \"postgresql://app:hunter2@db/orders\"");
    String m = fails(() -> c.getInt("db.url"));
    assertContains(m, "'db.url'", "STRING \"postgresql://app:******@db/orders\"");
    assertFalse(m.contains("hunter2"), m);
  }

  @Test
  void toStringShowsNoValues() {
    AppConfig c = of("password = hunter2");
    assertFalse(c.toString().contains("hunter2"));
  }

  @Test
  void invalidPathIsAnArgumentError() {
    assertThrows(IllegalArgumentException.class, () -> of("a = 1").getInt("a..b"));
  }

  /** 10^18 bytes written in zettabytes fits a long (one zettabyte does not): it is read. */
  @Test
  void aSizeInZettabytesThatFitsALongIsRead() {
    AppConfig c = of("size = \"0.001 ZB\", small = \"0.000001ZB\"");
    assertEquals(1_000_000_000_000_000_000L, c.getBytes("size"));
    assertEquals(1_000_000_000_000_000L, c.getBytes("small"));
    record Limits(ConfigMemorySize small) {}
    assertEquals(new Limits(ConfigMemorySize.ofBytes(1_000_000_000_000_000L)),
        c.bind(Limits.class));
    ConfigException e = assertThrows(ConfigException.class,
        () -> of("size = \"0.5 YB\"").getBytes("size"));
    assertEquals(java.util.Optional.of("size"), e.key());
  }

  record SizeLimit(ConfigMemorySize size) {}

  /** A negative size fails naming the key, whichever way it is read. */
  @Test
  void aNegativeMemorySizeFailsNamingTheKey() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> of("size = -1").bind(SizeLimit.class));
    assertEquals(java.util.Optional.of("size"), e.key());
  }

  /** typesafe reads numbers as Java double literals too ("1.5f s"); so does the exact check. */
  @Test
  void aDurationWrittenAsAJavaDoubleLiteralIsRead() {
    assertEquals(Duration.ofMillis(1500), of("t = \"1.5f s\"").getDuration("t"));
    assertEquals(Duration.ofMillis(8), of("t = \"0x1p3 ms\"").getDuration("t"));
  }
}
