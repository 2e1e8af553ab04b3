package io.phalanx.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys whose value in some layer is one substitution of a single name ({@code port =
 * ${PORT}}, {@code ${?PORT}}), with where it was written, so that a value an environment variable
 * filled in names both the variable and that line: typesafe gives a substituted value the origin
 * of what it found, and an environment variable has no line to point at.
 *
 * <p>Only object members are recorded: a substitution inside a list, or joined with other text
 * ({@code "jdbc:"${HOST}}), keeps the origin typesafe gives it. Immutable.
 */
final class SubstitutionSites {
  private static final String VARIABLE = "environment variable ";
  private static final Pattern WHOLE = Pattern.compile("\\$\\{\\??([^}]+)}");

  /** Full path (as {@link ConfigUtil#joinPath} writes it) to its sites, lowest layer first. */
  private final Map<String, List<Site>> sites;

  private record Site(String name, ConfigOrigin origin) {}

  private SubstitutionSites(Map<String, List<Site>> sites) {
    this.sites = sites;
  }

  static SubstitutionSites none() {
    return new SubstitutionSites(Map.of());
  }

  /** These sites and those of {@code layer}, which lies above every layer recorded so far. */
  SubstitutionSites with(Config layer) {
    Map<String, List<Site>> out = new HashMap<>();
    sites.forEach((path, list) -> out.put(path, new ArrayList<>(list)));
    collect(layer.root(), "", out);
    return new SubstitutionSites(Map.copyOf(out));
  }

  private static void collect(ConfigObject object, String prefix, Map<String, List<Site>> out) {
    for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
      String path = prefix.isEmpty() ? ConfigUtil.joinPath(e.getKey())
          : prefix + "." + ConfigUtil.joinPath(e.getKey());
      ConfigValue v = e.getValue();
      ConfigValueType type;
      try {
        type = v.valueType();
      } catch (com.typesafe.config.ConfigException.NotResolved substitution) {
        name(v).ifPresent(n -> out.computeIfAbsent(path, p -> new ArrayList<>())
            .add(new Site(n, v.origin())));
        continue;
      }
      if (type == ConfigValueType.OBJECT) {
        collect((ConfigObject) v, path, out);
      }
    }
  }

  /** The one name an unresolved value substitutes, when it is nothing else. */
  private static Optional<String> name(ConfigValue unresolved) {
    Matcher m = WHOLE.matcher(unresolved.render(ConfigRenderOptions.concise()));
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      List<String> path = ConfigUtil.splitPath(m.group(1).trim());
      // an environment variable is one key; a dotted path names another config value
      return path.size() == 1 ? Optional.of(path.get(0)) : Optional.empty();
    } catch (com.typesafe.config.ConfigException notAPath) {
      return Optional.empty();
    }
  }

  /** The value of each variable, whose origin names it. */
  static Config lookup(Map<String, String> environment) {
    Map<String, ConfigValue> values = new HashMap<>();
    environment.forEach((name, value) ->
        values.put(name, ConfigValueFactory.fromAnyRef(value, VARIABLE + name)));
    return ConfigValueFactory.fromMap(values, "environment variables").toConfig();
  }

  /**
   * {@code resolved} where each value an environment variable filled in at a recorded site says
   * so: "environment variable PORT, substituted at app.conf:3".
   */
  Config nameOrigins(Config resolved) {
    Config out = resolved;
    for (Map.Entry<String, List<Site>> e : sites.entrySet()) {
      if (!out.hasPath(e.getKey())) {
        continue;
      }
      ConfigValue v = out.getValue(e.getKey());
      String from = v.origin().description();
      List<Site> list = e.getValue();
      // the highest layer's substitution of that variable is the one whose value was used
      for (int i = list.size() - 1; i >= 0; i--) {
        Site s = list.get(i);
        if (from.equals(VARIABLE + s.name())) {
          out = out.withValue(e.getKey(), v.withOrigin(ConfigOriginFactory.newSimple(
              from + ", substituted at " + ConfigException.where(s.origin()))));
          break;
        }
      }
    }
    return out;
  }
}
