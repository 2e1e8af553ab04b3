package io.phalanx.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * A loaded, fully resolved configuration, or a subtree of one: typed getters, optional getters,
 * binding to records and a redacted dump. Made by {@link Configs}.
 *
 * <p>Paths use HOCON syntax ({@code server.http.port}, {@code a."quoted.key"}) relative to this
 * subtree; error messages always name the full key from the root. {@code getX} fails with
 * {@link ConfigException} when the key is missing, null or not convertible; {@code findX} returns
 * empty when the key is missing or null, and still fails when it is present with the wrong type,
 * because a typo'd value should not silently turn into a default.
 *
 * <p>Conversions follow typesafe-config: strings convert to numbers and booleans, durations and
 * sizes are numbers or strings with units ({@code 10s}, {@code 512k}); a bare number is
 * milliseconds for a duration and bytes for a size. Unlike typesafe-config, an int or long must be
 * a whole number in its range: {@code 0.5} fails instead of becoming 0.
 *
 * <p>Immutable and thread-safe.
 */
public final class AppConfig {
  private final Config config;
  private final String prefix;
  private final Sources sources;
  private final Optional<String> profile;

  AppConfig(Config config, String prefix, Sources sources, Optional<String> profile) {
    this.config = config;
    this.prefix = prefix;
    this.sources = sources;
    this.profile = profile;
  }

  /**
   * Wraps a typesafe {@link Config} built elsewhere (a test, another loader); unresolved
   * substitutions are resolved against the config alone, never the process environment.
   *
   * @throws ConfigException if a substitution does not resolve
   */
  public static AppConfig of(Config config) {
    Objects.requireNonNull(config, "config");
    Config resolved;
    try {
      resolved = config.isResolved() ? config : config.resolve(ConfigResolveOptions.noSystem());
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException("config cannot be resolved at "
          + ConfigException.where(e.origin()) + ": " + ConfigException.detail(e), e);
    }
    return new AppConfig(resolved, "",
        new Sources(List.of(config.origin().description()), false, false), Optional.empty());
  }

  /** The typesafe config underneath, for what this API does not cover. */
  public Config raw() {
    return config;
  }

  /** The profile selected when loading, if any. */
  public Optional<String> profile() {
    return profile;
  }

  /**
   * The layers this config was loaded from, lowest first, e.g. {@code [reference.conf (not
   * found), application.conf, application-dev.conf, environment variables PHALANX_*, system
   * properties]}.
   */
  public List<String> sources() {
    return sources.descriptions();
  }

  /** The full key of this subtree from the root; empty for the root. */
  public String path() {
    return prefix;
  }

  /** True when {@code path} is present and not null. */
  public boolean has(String path) {
    ConfigValue v = lookup(path, true);
    return v != null && v.valueType() != ConfigValueType.NULL;
  }

  /** The keys directly under this subtree, sorted, including those set to null. */
  public Set<String> keys() {
    return Collections.unmodifiableSet(new TreeSet<>(config.root().keySet()));
  }

  public String getString(String path) {
    return Scalars.string(required(path, Scalars.STRING), full(path));
  }

  public int getInt(String path) {
    return Scalars.intValue(required(path, Scalars.INT), full(path));
  }

  public long getLong(String path) {
    return Scalars.longValue(required(path, Scalars.LONG), full(path));
  }

  public boolean getBoolean(String path) {
    return Scalars.booleanValue(required(path, Scalars.BOOLEAN), full(path));
  }

  public double getDouble(String path) {
    return Scalars.doubleValue(required(path, Scalars.DOUBLE), full(path));
  }

  /**
   * A duration: {@code 10s}, {@code 500 ms}, {@code 2m}; a bare number is milliseconds. It must
   * be a whole number of nanoseconds within a long ({@code 2.5ns} fails, {@code 0.5} is 500 µs).
   */
  public Duration getDuration(String path) {
    return Scalars.duration(required(path, Scalars.DURATION), full(path));
  }

  /**
   * A size in bytes: {@code 512k} (1024-based), {@code 10MB} (1000-based), {@code 10MiB}. It must
   * be a whole number of bytes within a long ({@code 0.5} and {@code 1.5 B} fail, {@code 1.5k} is
   * 1536).
   */
  public long getBytes(String path) {
    return Scalars.bytes(required(path, Scalars.SIZE), full(path));
  }

  /**
   * A list whose elements are strings, numbers or booleans (converted to strings), or an object
   * whose keys are all indices, as {@code -Dhosts.0=a} makes it, in numeric order. An object with
   * any other key is a wrong type, as for {@link #bind} (typesafe's getStringList would drop
   * that key).
   */
  public List<String> getStringList(String path) {
    return Scalars.stringList(required(path, Scalars.STRING_LIST), full(path));
  }

  /**
   * An error for a value at {@code path} that has the right type but that the application cannot
   * use (an origin with a trailing slash, a port out of its range): it names the full key and
   * where the value came from, as the errors of the getters do. Throw it.
   *
   * @param problem what is wrong, e.g. the message of the exception the value caused
   */
  public ConfigException invalid(String path, String problem) {
    String key = full(path);
    String where = config.hasPath(path)
        ? " (" + ConfigException.where(config.getValue(path).origin()) + ")" : "";
    return new ConfigException(key, "config key '" + key + "' is invalid: " + problem + where,
        null);
  }

  /** The subtree at {@code path}; its errors still name full keys. */
  public AppConfig getConfig(String path) {
    ConfigValue v = required(path, Scalars.OBJECT);
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw ConfigException.wrongType(full(path), Scalars.OBJECT, v);
    }
    return new AppConfig(((ConfigObject) v).toConfig(), full(path), sources, profile);
  }

  public Optional<String> findString(String path) {
    return find(path, Scalars::string);
  }

  public Optional<Integer> findInt(String path) {
    return find(path, Scalars::intValue);
  }

  public Optional<Long> findLong(String path) {
    return find(path, Scalars::longValue);
  }

  public Optional<Boolean> findBoolean(String path) {
    return find(path, Scalars::booleanValue);
  }

  public Optional<Double> findDouble(String path) {
    return find(path, Scalars::doubleValue);
  }

  public Optional<Duration> findDuration(String path) {
    return find(path, Scalars::duration);
  }

  public Optional<Long> findBytes(String path) {
    return find(path, Scalars::bytes);
  }

  public Optional<List<String>> findStringList(String path) {
    return find(path, Scalars::stringList);
  }

  public Optional<AppConfig> findConfig(String path) {
    return has(path) ? Optional.of(getConfig(path)) : Optional.empty();
  }

  /**
   * Binds the object at {@code path} to a record: each component reads the key of the same name,
   * or its kebab-case form ({@code readTimeout} reads {@code read-timeout}) when the exact name is
   * absent. Component types: {@code String}, primitives and their boxes, {@code Duration},
   * {@code ConfigMemorySize}, enums (case-insensitive, {@code -} matches {@code _}),
   * {@code List<T>} (a list, or an object whose keys are all indices, as {@code -Dhosts.0=a}
   * makes it, in numeric order), {@code Map<String, T>}, {@code Optional<T>}, nested records and
   * {@code AppConfig} (the raw subtree). {@code Optional} components may be missing or null;
   * every other component is required. Unknown keys are ignored.
   *
   * <p>Reads the record's components and canonical constructor reflectively on every call: this
   * is binding the caller asked for, not scanning, and nothing is cached.
   *
   * @throws ConfigException if a key is missing or has the wrong type, the record's constructor
   *     rejects the values, or a component has a type that cannot be bound
   */
  public <T extends Record> T bind(String path, Class<T> type) {
    Objects.requireNonNull(type, "type");
    ConfigValue v = required(path, "an OBJECT (record " + type.getSimpleName() + ")");
    return new RecordBinder(sources).bindRecord(v, full(path), type);
  }

  /** Binds this whole (sub)tree to a record; see {@link #bind(String, Class)}. */
  public <T extends Record> T bind(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return new RecordBinder(sources).bindRecord(config.root(), prefix, type);
  }

  /**
   * A copy in which every value under a secret-looking key is replaced by {@code ******}: a key
   * is secret when any segment of its full path contains {@code password}, {@code secret},
   * {@code token} or {@code key}, ignoring case (so {@code apiKey}, {@code db.password},
   * {@code tls.private-key} and everything under {@code secrets { }} are hidden). Over-redacts on
   * purpose ({@code keystore}, {@code monkey}) rather than risk leaking a credential.
   */
  public AppConfig redacted() {
    boolean secret = Redaction.isSecretPath(prefix);
    return new AppConfig(Redaction.redact(config.root(), secret).toConfig(), prefix, sources,
        profile);
  }

  /**
   * The effective values as plain Java (nested {@code Map}s sorted by key, {@code List}s,
   * {@code String}, {@code Number}, {@code Boolean}, {@code null}), unmodifiable. Not redacted:
   * call {@code redacted().toMap()} or {@link #toRedactedMap()} before showing it to anyone.
   */
  public Map<String, Object> toMap() {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) plain(config.root().unwrapped());
    return m;
  }

  /** {@link #toMap()} of {@link #redacted()}: what an admin endpoint may show. */
  public Map<String, Object> toRedactedMap() {
    return redacted().toMap();
  }

  /**
   * The effective values as HOCON, each value preceded by a comment naming where it came from.
   * Not redacted: call {@code redacted().render()} before showing it to anyone.
   */
  public String render() {
    return config.root().render(ConfigRenderOptions.defaults().setJson(false)
        .setOriginComments(true).setComments(false));
  }

  /** Names the profile and the layers, never values (they may be secrets). */
  @Override
  public String toString() {
    return "AppConfig{" + (prefix.isEmpty() ? "" : "path=" + prefix + ", ")
        + "profile=" + profile.orElse("(none)") + ", sources=" + sources.descriptions() + "}";
  }

  // ---- lookup ----

  private <T> Optional<T> find(String path, BiFunction<ConfigValue, String, T> convert) {
    ConfigValue v = lookup(path, false);
    if (v == null || v.valueType() == ConfigValueType.NULL) {
      return Optional.empty();
    }
    return Optional.of(convert.apply(v, full(path)));
  }

  private ConfigValue required(String path, String expected) {
    ConfigValue v = lookup(path, false);
    if (v == null) {
      throw ConfigException.missing(full(path), expected, null, sources.searchedFor(full(path)));
    }
    if (v.valueType() == ConfigValueType.NULL) {
      throw ConfigException.isNull(full(path), expected, v);
    }
    return v;
  }

  /**
   * The value at {@code path}, a NULL value if explicitly null, or {@code null} if absent. A
   * non-object on the way ({@code server = 5} when reading {@code server.port}) is an error
   * naming that parent, unless {@code lenient}, when it counts as absent.
   */
  private ConfigValue lookup(String path, boolean lenient) {
    List<String> segments = segments(path);
    ConfigValue current = config.root();
    for (int i = 0; i < segments.size(); i++) {
      ConfigValue next = ((ConfigObject) current).get(segments.get(i));
      boolean last = i == segments.size() - 1;
      if (next == null || last) {
        return next;
      }
      if (next.valueType() == ConfigValueType.NULL) {
        return null;
      }
      if (next.valueType() != ConfigValueType.OBJECT) {
        if (lenient) {
          return null;
        }
        String parent = full(ConfigUtil.joinPath(segments.subList(0, i + 1)));
        throw ConfigException.parentNotObject(full(path), parent, next);
      }
      current = next;
    }
    return current;
  }

  private static List<String> segments(String path) {
    Objects.requireNonNull(path, "path");
    try {
      return ConfigUtil.splitPath(path);
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException("invalid config path '" + path + "': "
          + ConfigException.detail(e), e);
    }
  }

  private String full(String path) {
    return prefix.isEmpty() ? path : prefix + "." + path;
  }

  /** Sorted, unmodifiable copies so dumps are stable and callers cannot change them. */
  private static Object plain(Object unwrapped) {
    if (unwrapped instanceof Map<?, ?> m) {
      Map<String, Object> out = new TreeMap<>();
      m.forEach((k, v) -> out.put((String) k, plain(v)));
      return Collections.unmodifiableMap(out);
    }
    if (unwrapped instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      l.forEach(v -> out.add(plain(v)));
      return Collections.unmodifiableList(out);
    }
    return unwrapped;
  }
}
