package io.phalanx.core.config;

import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.Optional;

/**
 * The one error of Phalanx configuration: a key is missing or has the wrong type, a file does not
 * parse, a substitution does not resolve, or a record cannot be bound.
 *
 * <p>Unchecked because a bad configuration is not something the caller can recover from; it should
 * stop the process at start-up with a message that says exactly what to fix. Messages name the full
 * key, the expected type, what was found and where it came from, e.g. {@code config key
 * 'server.http.port' must be a NUMBER (int) but is STRING "abc" (application.conf:3)}. Values of
 * secret-looking keys (see {@link AppConfig#redacted()}) are never put into a message.
 */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private static final int MAX_RENDERED = 80;

  private final String key;

  public ConfigException(String message) {
    this(null, message, null);
  }

  public ConfigException(String message, Throwable cause) {
    this(null, message, cause);
  }

  /** An error about {@code key} (the full path from the root). */
  public ConfigException(String key, String message, Throwable cause) {
    super(message, cause);
    this.key = key;
  }

  /** The full key the error is about, when it is about one key. */
  public Optional<String> key() {
    return Optional.ofNullable(key);
  }

  // ---- message factories, shared by AppConfig, the record binder and the loader ----

  static ConfigException wrongType(String key, String expected, ConfigValue found) {
    if (found.valueType() == ConfigValueType.NUMBER && expected.startsWith("a NUMBER (")) {
      // Same type, so the problem is the range (or a fraction where a whole number is needed).
      return wrongType(key, expected, found, "which is not a valid "
          + expected.substring("a NUMBER (".length(), expected.length() - 1));
    }
    return wrongType(key, expected, found, null);
  }

  /** {@link #wrongType(String, String, ConfigValue)} saying why the value does not do. */
  static ConfigException wrongType(String key, String expected, ConfigValue found, String why) {
    return new ConfigException(key, "config key '" + key + "' must be " + expected + " but is "
        + describe(key, found) + (why == null ? "" : ", " + why) + " ("
        + where(found.origin()) + ")", null);
  }

  static ConfigException isNull(String key, String expected, ConfigValue found) {
    return new ConfigException(key, "config key '" + key + "' must be " + expected
        + " but is null (" + where(found.origin()) + ")", null);
  }

  static ConfigException missing(String key, String expected, String requiredBy, String searched) {
    return new ConfigException(key, "config key '" + key + "' is missing (" + expected
        + " is required" + (requiredBy == null ? "" : " by " + requiredBy) + "); searched: "
        + searched, null);
  }

  static ConfigException parentNotObject(String key, String parent, ConfigValue found) {
    return new ConfigException(key, "config key '" + key + "' cannot be read: '" + parent
        + "' must be an OBJECT but is " + describe(parent, found) + " ("
        + where(found.origin()) + ")", null);
  }

  /** {@code TYPE rendered-value}, or {@code TYPE (redacted)} for secret keys. */
  static String describe(String key, ConfigValue value) {
    if (value.valueType() == ConfigValueType.NULL) {
      return "null";
    }
    if (Redaction.isSecretPath(key)) {
      return value.valueType() + " (redacted)";
    }
    String rendered = value.render(ConfigRenderOptions.concise());
    if (rendered.length() > MAX_RENDERED) {
      rendered = rendered.substring(0, MAX_RENDERED) + "…";
    }
    return value.valueType() + " " + rendered;
  }

  /**
   * Where a value came from, as {@code name:line}: the resource name for class-path resources, the
   * path for files, and the description ("environment variable PHALANX_X") for overrides.
   */
  static String where(ConfigOrigin origin) {
    if (origin == null) {
      return "unknown origin";
    }
    String name;
    if (origin.resource() != null) {
      name = origin.resource();
    } else if (origin.filename() != null) {
      name = origin.filename();
    } else if (origin.url() != null) {
      name = origin.url().toString();
    } else {
      return origin.description();
    }
    return origin.lineNumber() >= 0 ? name + ":" + origin.lineNumber() : name;
  }

  /**
   * The part of a typesafe message after its origin prefix, so that our message can name the
   * origin once in our own format.
   */
  static String detail(com.typesafe.config.ConfigException e) {
    String m = e.getMessage() == null ? "" : e.getMessage();
    if (e.origin() != null) {
      String prefix = e.origin().description() + ": ";
      if (m.startsWith(prefix)) {
        return m.substring(prefix.length());
      }
    }
    return m;
  }
}
