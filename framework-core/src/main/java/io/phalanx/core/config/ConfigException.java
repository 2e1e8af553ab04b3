package io.phalanx.core.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The one error of Phalanx configuration: a key is missing or has the wrong type, a file does not
 * parse, a substitution does not resolve, or a record cannot be bound.
 *
 * <p>Unchecked because a bad configuration is not something the caller can recover from; it should
 * stop the process at start-up with a message that says exactly what to fix. Messages name the full
 * key, the expected type, what was found and where it came from, e.g. {@code config key
 * 'server.http.port' must be a NUMBER (int) but is STRING "abc" (application.conf:3)}. Values of
 * secret-looking keys (see {@link AppConfig#redacted()}) are never put into a message, nor the
 * content of an object or list found where something else was expected (it may hold secrets under
 * keys the message does not name: only the object's keys or the list's size are shown), and a
 * string shown has a URL's password and secret query parameters masked.
 *
 * <p>Threading: immutable once thrown, as any exception.
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

  /**
   * What was found, without revealing secrets: {@code OBJECT with keys [host, password]} and
   * {@code LIST of 3 elements} (their content may hold a secret under a key that is not named
   * here, so it is never shown), {@code TYPE (redacted)} for a scalar under a secret-looking key,
   * and otherwise {@code TYPE rendered-value} with a URL's password and secret query parameters
   * masked.
   */
  static String describe(String key, ConfigValue value) {
    switch (value.valueType()) {
      case NULL:
        return "null";
      case OBJECT:
        return "OBJECT " + keysOf((ConfigObject) value);
      case LIST:
        int size = ((ConfigList) value).size();
        return size == 0 ? "LIST (empty)"
            : "LIST of " + size + (size == 1 ? " element" : " elements");
      default:
        break;
    }
    if (Redaction.isSecretPath(key)) {
      return value.valueType() + " (redacted)";
    }
    ConfigValue shown = value;
    if (value.valueType() == ConfigValueType.STRING) {
      shown = ConfigValueFactory.fromAnyRef(Redaction.maskEmbedded((String) value.unwrapped()));
    }
    return value.valueType() + " " + shorten(shown.render(ConfigRenderOptions.concise()));
  }

  /** An object's keys, sorted: they say what was written there (a typo, a misplaced block). */
  private static String keysOf(ConfigObject object) {
    if (object.isEmpty()) {
      return "(empty)";
    }
    StringBuilder keys = new StringBuilder();
    for (String k : new TreeSet<>(object.keySet())) {
      keys.append(keys.length() == 0 ? "" : ", ").append(ConfigUtil.joinPath(k));
    }
    return "with keys [" + shorten(keys.toString()) + "]";
  }

  private static String shorten(String text) {
    return text.length() > MAX_RENDERED ? text.substring(0, MAX_RENDERED) + "…" : text;
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
