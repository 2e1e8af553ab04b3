package io.phalanx.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Builds the environment and system-property layers: one value per variable or property, each
 * with its own origin ("environment variable PHALANX_SERVER_HTTP_PORT") so errors point at it.
 *
 * <p>Values are read as HOCON would read an unquoted value: {@code 8080} and {@code 1.10} are
 * numbers that keep their text ({@code getString} gives "1.10", not "1.1"), {@code true} is a
 * boolean, {@code [a, b]} a list, {@code {a = 1}} an object; anything else, like
 * {@code 10s} or {@code http://x}, stays a string, which the typed getters convert (durations,
 * sizes) just as they do for file values. A value that looks like a list or object but does not
 * parse stays a string rather than failing, because it may legitimately be a password. The
 * substitutions of a list or object ({@code [${db.host}, b]}) are left for the one resolution of
 * the merged layers, as those of a file; if nothing defines them, the value is the string it was
 * written as ({@link #asWritten}), again because it may be a password.
 */
final class OverrideLayer {
  /** No leading zeros: {@code 01234} (a postcode, a PIN) stays a string. */
  private static final Pattern NUMBER =
      Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

  private OverrideLayer() {}

  /** The {@code PHALANX_*} variables of {@code environment} as a config; the profile selector is skipped. */
  static Config fromEnvironment(Map<String, String> environment) {
    Config out = ConfigFactory.empty("environment variables");
    // Sorted so that the outcome of conflicting variables (PHALANX_A=1 and PHALANX_A_B=2) does
    // not depend on map order: the nested one, sorted later, wins, as in typesafe's own loaders.
    for (Map.Entry<String, String> e : new TreeMap<>(environment).entrySet()) {
      String var = e.getKey();
      if (var.equals(EnvironmentKeys.PROFILE_VARIABLE) || e.getValue() == null) {
        continue;
      }
      var mapped = EnvironmentKeys.keyFor(var);
      if (mapped.isEmpty()) {
        continue;
      }
      String key = mapped.get();
      if (!EnvironmentKeys.isValidKey(key)) {
        throw new ConfigException(null, "environment variable " + var + " maps to '" + key
            + "', which is not a valid config key (PHALANX_ is stripped, __ becomes -, _ becomes ."
            + " and no segment may be empty)", null);
      }
      out = tree(Arrays.asList(key.split("\\.", -1)), e.getValue(), "environment variable " + var)
          .withFallback(out);
    }
    return out;
  }

  /**
   * Every system property as a config. Property names with empty segments ({@code a..b}) cannot
   * be config keys; JVMs and tools set such names, so they are skipped rather than fatal.
   */
  static Config fromSystemProperties(Map<String, String> properties) {
    Config out = ConfigFactory.empty("system properties");
    for (Map.Entry<String, String> e : new TreeMap<>(properties).entrySet()) {
      String name = e.getKey();
      if (name.equals(Configs.PROFILE_PROPERTY) || e.getValue() == null
          || !EnvironmentKeys.isValidKey(name)) {
        continue;
      }
      out = tree(Arrays.asList(name.split("\\.", -1)), e.getValue(), "system property " + name)
          .withFallback(out);
    }
    return out;
  }

  /**
   * One override as a config: its value under {@code segments}, where the objects on the way
   * carry the value's origin too. typesafe's {@code withValue} would name them
   * "withValue(hosts.0)", yet they show in errors, e.g. when {@code PHALANX_CLUSTER_HOSTS_X}
   * makes {@code cluster.hosts} an object where a list is needed. Objects that several overrides
   * share get a merged origin naming each ("merge of environment variable …, …").
   */
  private static Config tree(List<String> segments, String raw, String description) {
    ConfigOrigin origin = ConfigOriginFactory.newSimple(description);
    return tree(segments, parse(raw, origin, description), origin);
  }

  private static Config tree(List<String> segments, ConfigValue value, ConfigOrigin origin) {
    ConfigValue v = value;
    for (int i = segments.size() - 1; i >= 0; i--) {
      v = v.atKey(segments.get(i)).root().withOrigin(origin);
    }
    return ((ConfigObject) v).toConfig();
  }

  /**
   * The override a substitution that cannot be resolved came from ({@code origin}), as the string
   * it was written as, or empty when it came from no override. A list or object override whose
   * substitutions nothing defines ({@code [x${Tr0ub4dor}]}) is a string that looks like one, as
   * a password may: it is kept as written rather than failing the load.
   */
  static Optional<Config> asWritten(ConfigOrigin origin, Map<String, String> environment,
      Map<String, String> properties) {
    String d = origin == null ? "" : origin.description();
    for (Map.Entry<String, String> e : environment.entrySet()) {
      String description = "environment variable " + e.getKey();
      Optional<String> key = EnvironmentKeys.keyFor(e.getKey());
      if (isOf(d, description) && key.isPresent() && e.getValue() != null) {
        return Optional.of(plain(key.get(), e.getValue(), description));
      }
    }
    for (Map.Entry<String, String> e : properties.entrySet()) {
      String description = "system property " + e.getKey();
      if (isOf(d, description) && e.getValue() != null) {
        return Optional.of(plain(e.getKey(), e.getValue(), description));
      }
    }
    return Optional.empty();
  }

  /** Whether an origin's description names {@code description} (typesafe adds ": line"). */
  private static boolean isOf(String originDescription, String description) {
    return originDescription.equals(description)
        || originDescription.startsWith(description + ":");
  }

  private static Config plain(String key, String raw, String description) {
    ConfigOrigin origin = ConfigOriginFactory.newSimple(description);
    return tree(Arrays.asList(key.split("\\.", -1)),
        ConfigValueFactory.fromAnyRef(raw).withOrigin(origin), origin);
  }

  /** Parses one override value; see the class comment for the rules. */
  static ConfigValue parse(String raw, ConfigOrigin origin, String description) {
    String t = raw.trim();
    if (t.equals("true") || t.equals("false")) {
      return ConfigValueFactory.fromAnyRef(Boolean.valueOf(t)).withOrigin(origin);
    }
    if (NUMBER.matcher(t).matches()) {
      ConfigValue v = hocon(t, description);
      if (v != null && v.valueType() == ConfigValueType.NUMBER
          && Double.isFinite(((Number) v.unwrapped()).doubleValue())) {
        return v.withOrigin(origin);
      }
      // too big for a long (HOCON then reads a string) or for a double: kept as text
    }
    if (t.startsWith("[") || t.startsWith("{")) {
      ConfigValue v = hocon(t, description);
      if (v != null && isListOrObject(v)) {
        return v.withOrigin(origin);
      }
    }
    return ConfigValueFactory.fromAnyRef(raw).withOrigin(origin);
  }

  /**
   * Whether a parsed {@code [...]} or {@code {...}} value is a list or an object. A value joined
   * with a substitution ({@code [a] ${more}}) has no type before it is resolved; it parsed as
   * HOCON, so it is taken as written and gets its type in the one resolution of the merged config.
   */
  private static boolean isListOrObject(ConfigValue v) {
    try {
      return v.valueType() == ConfigValueType.LIST || v.valueType() == ConfigValueType.OBJECT;
    } catch (com.typesafe.config.ConfigException.NotResolved joinedWithASubstitution) {
      return true;
    }
  }

  /**
   * {@code text} as HOCON reads the value of a key, or null when it does not parse. Numbers are
   * read this way, not with {@code Double.valueOf}, because only the parser keeps their text:
   * {@code 1.10} stays "1.10" for {@code getString}, as in a file.
   *
   * <p>Not resolved here: its substitutions ({@code [${db.host}]}, {@code [${?EXTRA}]}) are
   * resolved with every other layer's, after merging, against the loader's environment (resolving
   * alone would see no other key and would read this process's environment).
   */
  private static ConfigValue hocon(String text, String description) {
    try {
      return ConfigFactory.parseString("v = " + text,
              ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                  .setOriginDescription(description))
          .root().get("v");
    } catch (com.typesafe.config.ConfigException notHocon) {
      return null;
    }
  }
}
