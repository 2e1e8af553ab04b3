package io.phalanx.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The layers a config was loaded from, lowest first, kept so that a missing key can say where it
 * was looked for, including the exact environment variable and system property that would set it.
 *
 * @param files resource and file layers, e.g. {@code "application-dev.conf (not found)"}
 * @param environment whether environment overrides were a layer
 * @param systemProperties whether system properties were a layer
 */
record Sources(List<String> files, boolean environment, boolean systemProperties) {

  Sources {
    files = List.copyOf(files);
  }

  /** One human-readable line per layer, lowest first. */
  List<String> descriptions() {
    List<String> out = new ArrayList<>(files);
    if (environment) {
      out.add("environment variables " + EnvironmentKeys.PREFIX + "*");
    }
    if (systemProperties) {
      out.add("system properties");
    }
    return List.copyOf(out);
  }

  /** Where {@code key} was looked for, naming the override variable and property for it. */
  String searchedFor(String key) {
    List<String> out = new ArrayList<>(files);
    if (environment) {
      Optional<String> var = EnvironmentKeys.variableFor(key);
      out.add(var.map(v -> "environment variable " + v)
          .orElse("environment (no " + EnvironmentKeys.PREFIX + "* variable can set this key)"));
    }
    if (systemProperties) {
      out.add("system property " + key);
    }
    return out.isEmpty() ? "no sources" : String.join(", ", out);
  }
}
