package io.phalanx.core.config;

import java.util.Locale;
import java.util.Optional;

/**
 * The mapping between environment variable names and config keys, both ways.
 *
 * <p>{@code PHALANX_} is stripped, then read left to right: {@code __} becomes {@code -}, a single
 * {@code _} becomes {@code .}, everything else is lower-cased. So {@code PHALANX_SERVER_HTTP_PORT}
 * is {@code server.http.port} and {@code PHALANX_SERVER_READ__TIMEOUT} is
 * {@code server.read-timeout}. Keys with upper-case letters or underscores cannot be set from the
 * environment; use a system property for those.
 */
final class EnvironmentKeys {
  static final String PREFIX = "PHALANX_";
  /** Selects the profile; not a config key itself. */
  static final String PROFILE_VARIABLE = "PHALANX_PROFILE";

  private EnvironmentKeys() {}

  /**
   * The key for {@code variable}; empty when the variable does not start with the prefix or is
   * only the prefix. The key may still be unusable, see {@link #isValidKey}.
   */
  static Optional<String> keyFor(String variable) {
    if (!variable.startsWith(PREFIX) || variable.length() == PREFIX.length()) {
      return Optional.empty();
    }
    String rest = variable.substring(PREFIX.length());
    StringBuilder key = new StringBuilder(rest.length());
    for (int i = 0; i < rest.length(); i++) {
      char c = rest.charAt(i);
      if (c == '_') {
        if (i + 1 < rest.length() && rest.charAt(i + 1) == '_') {
          key.append('-');
          i++;
        } else {
          key.append('.');
        }
      } else {
        key.append(Character.toLowerCase(c));
      }
    }
    return Optional.of(key.toString());
  }

  /** A key is usable when no segment is empty: {@code PHALANX_A__} or {@code PHALANX_A_} are not. */
  static boolean isValidKey(String key) {
    return !key.isEmpty() && !key.startsWith(".") && !key.endsWith(".") && !key.contains("..");
  }

  /** The variable that sets {@code key}, if one can: the mapping must round-trip exactly. */
  static Optional<String> variableFor(String key) {
    String var = PREFIX + key.replace("-", "__").replace('.', '_').toUpperCase(Locale.ROOT);
    return keyFor(var).filter(key::equals).map(k -> var);
  }
}
