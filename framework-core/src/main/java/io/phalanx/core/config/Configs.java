package io.phalanx.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads an {@link AppConfig} from layered sources. Layers, lowest to highest (a higher layer's
 * value for a key wins; objects are merged key by key):
 *
 * <ol>
 *   <li>{@code reference.conf}: every one the class loader finds (libraries ship defaults there);
 *   <li>{@code application.conf} (the resource base name is configurable), optional;
 *   <li>{@code application-{profile}.conf} when a profile is selected; it must exist, so that a
 *       mistyped profile fails instead of silently running with the base config. The profile comes
 *       from {@link Builder#profile}, else the system property {@code phalanx.profile}, else the
 *       environment variable {@code PHALANX_PROFILE};
 *   <li>extra files added with {@link Builder#file(Path)}, each above the previous one;
 *   <li>documents of {@linkplain ConfigSource remote sources} added with
 *       {@link Builder#source(ConfigSource)} (etcd, Consul KV), each source above the previous one
 *       and, within a source, each document above the one before it in key order;
 *   <li>environment variables named {@code PHALANX_*}: the prefix is stripped, {@code __} becomes
 *       {@code -}, {@code _} becomes {@code .}, the rest is lower-cased, so
 *       {@code PHALANX_SERVER_HTTP_PORT=8080} sets {@code server.http.port} and
 *       {@code PHALANX_SERVER_READ__TIMEOUT=5s} sets {@code server.read-timeout}. Values are read like
 *       unquoted HOCON values: numbers, booleans, {@code [lists]} and {@code {objects}} keep their
 *       type, anything else is a string that typed getters convert (so {@code 5s} works as a
 *       duration). {@code PHALANX_PROFILE} only selects the profile;
 *   <li>system properties: {@code -Dserver.http.port=9000}, values read the same way.
 * </ol>
 *
 * <p>{@code ${…}} substitutions are resolved once, after layering, so an override of
 * {@code db.host} also changes {@code db.url = "jdbc:postgresql://"${db.host}"/app"}. A
 * substitution that no layer defines falls back to the environment variable of that exact name
 * ({@code ${?HOME}}), as in plain typesafe-config; those variables do not become config keys.
 *
 * <p>{@link Builder#load()} reads every layer once; {@link Builder#watch()} returns a
 * {@link LiveConfig} that follows the remote sources and recomposes the same layers on each change.
 *
 * <p>{@link #load()} reads this process's environment and system properties;
 * {@link #builder()} reads neither unless told, so tests can pass explicit maps.
 *
 * <p>Thread-safety: the static methods are safe from any thread; a {@link Builder} is not.
 */
public final class Configs {
  /** System property that selects the profile (wins over {@code PHALANX_PROFILE}). */
  public static final String PROFILE_PROPERTY = "phalanx.profile";
  /** Environment variable that selects the profile. */
  public static final String PROFILE_VARIABLE = EnvironmentKeys.PROFILE_VARIABLE;

  private static final Logger LOG = LoggerFactory.getLogger(Configs.class);
  private static final Pattern PROFILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private Configs() {}

  /**
   * Loads {@code application.conf} with its profile, environment and system-property overrides of
   * this process, using the thread's context class loader.
   *
   * @throws ConfigException when a file does not parse, the selected profile has no file, an
   *     environment variable maps to no valid key, or a substitution does not resolve
   */
  public static AppConfig load() {
    return builder().processOverrides().load();
  }

  /** A loader that reads no process state unless asked to; see {@link Builder}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The config key an environment variable sets, e.g. {@code PHALANX_SERVER_READ__TIMEOUT} →
   * {@code server.read-timeout}; empty for variables without the {@code PHALANX_} prefix.
   */
  public static Optional<String> keyForEnvironmentVariable(String variable) {
    return EnvironmentKeys.keyFor(variable).filter(EnvironmentKeys::isValidKey);
  }

  /**
   * The environment variable that sets {@code key}, e.g. {@code server.http.port} →
   * {@code PHALANX_SERVER_HTTP_PORT}; empty when no variable can (keys with upper case or
   * {@code _}).
   */
  public static Optional<String> environmentVariableFor(String key) {
    return EnvironmentKeys.variableFor(key);
  }

  /**
   * Options for one load. By default: resource base {@code application}, no profile, the thread's
   * context class loader, and no environment or system properties: tests pass explicit maps with
   * {@link #environment} and {@link #systemProperties}, or {@link #processOverrides()} takes them
   * from the process. Not thread-safe; {@link #load()} may be called more than once.
   */
  public static final class Builder {
    private String resourceBase = "application";
    private String profile;
    private ClassLoader classLoader;
    private Map<String, String> environment = Map.of();
    private Map<String, String> systemProperties = Map.of();
    private boolean useEnvironment;
    private boolean useSystemProperties;
    private final List<Path> files = new ArrayList<>();
    private final List<ConfigSource> sources = new ArrayList<>();
    private final Map<String, ConfigFormat> formats = new HashMap<>();

    private Builder() {}

    /**
     * Base name of the application resources, without {@code .conf}: {@code "application"} loads
     * {@code application.conf} and {@code application-{profile}.conf}; {@code "svc/app"} loads
     * {@code svc/app.conf}.
     */
    public Builder resourceBase(String resourceBase) {
      Objects.requireNonNull(resourceBase, "resourceBase");
      if (resourceBase.isBlank() || resourceBase.endsWith(".conf")) {
        throw new IllegalArgumentException(
            "resourceBase is a name without .conf, like \"application\": '" + resourceBase + "'");
      }
      this.resourceBase = resourceBase;
      return this;
    }

    /**
     * Selects the profile explicitly, winning over {@code phalanx.profile} and
     * {@code PHALANX_PROFILE}; {@code null} goes back to those.
     */
    public Builder profile(String profile) {
      if (profile != null && !PROFILE_NAME.matcher(profile).matches()) {
        throw new IllegalArgumentException("profile must be letters, digits, '.', '_' or '-': '"
            + profile + "'");
      }
      this.profile = profile;
      return this;
    }

    /** Where resources are found; defaults to the thread's context class loader at load time. */
    public Builder classLoader(ClassLoader classLoader) {
      this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
      return this;
    }

    /** Environment variables to apply as overrides (copied); only {@code PHALANX_*} are used. */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
      this.useEnvironment = true;
      return this;
    }

    /** System properties to apply as the top layer (copied now). */
    public Builder systemProperties(Properties properties) {
      Objects.requireNonNull(properties, "properties");
      Map<String, String> copy = new HashMap<>();
      for (String name : properties.stringPropertyNames()) {
        String v = properties.getProperty(name);
        if (v != null) {
          copy.put(name, v);
        }
      }
      this.systemProperties = Map.copyOf(copy);
      this.useSystemProperties = true;
      return this;
    }

    /** Takes the environment and system properties from this process, as {@link Configs#load()}. */
    public Builder processOverrides() {
      environment(System.getenv());
      return systemProperties(System.getProperties());
    }

    /**
     * Adds a file layer above the resources and below the overrides; later files win over earlier
     * ones. The file must exist when {@link #load()} runs.
     */
    public Builder file(Path file) {
      files.add(Objects.requireNonNull(file, "file"));
      return this;
    }

    /**
     * Adds a remote source (an etcd prefix, a Consul KV folder) as a layer above the files and
     * below the environment and system properties; later sources win over earlier ones. Its
     * documents are read by {@link #load()}, and followed by {@link #watch()}.
     */
    public Builder source(ConfigSource source) {
      sources.add(Objects.requireNonNull(source, "source"));
      return this;
    }

    /**
     * Reads remote documents whose key has the extension {@code name} ({@code yaml}, say) with
     * {@code format}; {@code yaml} and {@code yml} name the same format, so either reads both
     * {@code .yaml} and {@code .yml} keys. {@code conf}, {@code json} and {@code properties} are
     * built in and cannot be replaced.
     */
    public Builder format(String name, ConfigFormat format) {
      String n = ConfigDocument.canonicalFormat(Objects.requireNonNull(name, "name"));
      if (n.equals("conf") || n.equals("hocon") || n.equals("json") || n.equals("properties")) {
        throw new IllegalArgumentException("'" + name + "' is a built-in format");
      }
      formats.put(n, Objects.requireNonNull(format, "format"));
      return this;
    }

    /**
     * Reads and merges the layers, resolves substitutions and returns the result.
     *
     * @throws ConfigException when a file is missing or does not parse, the selected profile has
     *     no file, an environment variable maps to no valid key, a substitution does not resolve,
     *     or a remote source cannot be read or holds a document that does not parse
     */
    public AppConfig load() {
      Layers layers = layers();
      return layers.compose(loadSources());
    }

    /**
     * Loads as {@link #load()} does, then follows every remote source: each change recomposes all
     * layers (the files are not read again) and, when the result is valid, replaces
     * {@link LiveConfig#current()} and calls the observers of the keys whose values changed. A
     * change that does not parse or resolve is logged and ignored, so the last good configuration
     * stays in force.
     *
     * @throws ConfigException as {@link #load()}, or when a source cannot be watched; the watches
     *     of the sources before it are closed then, so nothing keeps following
     */
    public LiveConfig watch() {
      Layers layers = layers();
      List<ConfigSource> followed = List.copyOf(sources);
      List<List<ConfigDocument>> initial = loadSources();
      return LiveConfig.start(followed, initial, layers.compose(initial), layers::compose);
    }

    private List<List<ConfigDocument>> loadSources() {
      List<List<ConfigDocument>> documents = new ArrayList<>(sources.size());
      for (ConfigSource source : sources) {
        documents.add(List.copyOf(source.load()));
      }
      return documents;
    }

    /** The layers that do not change while the process runs, read once. */
    private Layers layers() {
      ClassLoader cl = classLoader != null ? classLoader : defaultClassLoader();
      Optional<Selected> selected = selectedProfile();
      List<String> searched = new ArrayList<>();

      List<Config> layers = new ArrayList<>();
      layers.add(resources(cl, "reference.conf", searched, false, null));
      layers.add(resources(cl, resourceBase + ".conf", searched, false, null));
      if (selected.isPresent()) {
        layers.add(resources(cl, resourceBase + "-" + selected.get().name + ".conf", searched,
            true, selected.get()));
      }
      for (Path f : files) {
        layers.add(file(f, searched));
      }
      Config merged = layers.get(0);
      SubstitutionSites sites = SubstitutionSites.none().with(merged);
      for (Config layer : layers.subList(1, layers.size())) {
        merged = layer.withFallback(merged);
        sites = sites.with(layer);
      }
      Config overrides = ConfigFactory.empty();
      if (useEnvironment) {
        overrides = OverrideLayer.fromEnvironment(environment).withFallback(overrides);
      }
      if (useSystemProperties) {
        overrides = OverrideLayer.fromSystemProperties(systemProperties).withFallback(overrides);
      }
      return new Layers(merged, sites, overrides, List.copyOf(searched), List.copyOf(sources),
          Map.copyOf(formats), selected.map(s -> s.name), environment,
          useSystemProperties ? systemProperties : Map.of(), useEnvironment,
          useSystemProperties);
    }

    /**
     * The files below and the overrides above the remote documents; composing them with a set of
     * documents (one list per source) gives a configuration.
     */
    private record Layers(Config files, SubstitutionSites fileSites, Config overrides,
        List<String> searched,
        List<ConfigSource> sources, Map<String, ConfigFormat> formats, Optional<String> profile,
        Map<String, String> environment, Map<String, String> systemProperties,
        boolean useEnvironment, boolean useSystemProperties) {

      AppConfig compose(List<List<ConfigDocument>> documents) {
        Config merged = files;
        SubstitutionSites sites = fileSites;
        List<String> layerNames = new ArrayList<>(searched);
        for (int i = 0; i < sources.size(); i++) {
          List<ConfigDocument> docs = documents.get(i);
          for (ConfigDocument d : docs) {
            Config document = parse(sources.get(i), d, formats);
            merged = document.withFallback(merged);
            sites = sites.with(document);
          }
          layerNames.add(sources.get(i).description() + " (" + docs.size()
              + (docs.size() == 1 ? " document)" : " documents)"));
        }
        Config resolved = resolveWithOverrides(merged, overrides, environment, systemProperties,
            sites);
        Sources names = new Sources(layerNames, useEnvironment, useSystemProperties);
        LOG.debug("config loaded: profile={} layers={}", profile.orElse("(none)"),
            names.descriptions());
        return new AppConfig(resolved, "", names, profile);
      }
    }

    private static Config parse(ConfigSource source, ConfigDocument d,
        Map<String, ConfigFormat> formats) {
      String origin = source.description() + " key " + d.key();
      String name = ConfigDocument.canonicalFormat(d.format());
      ConfigSyntax syntax = switch (name) {
        case "conf", "hocon" -> ConfigSyntax.CONF;
        case "json" -> ConfigSyntax.JSON;
        case "properties" -> ConfigSyntax.PROPERTIES;
        default -> null;
      };
      if (syntax == null) {
        ConfigFormat format = formats.get(name);
        if (format == null) {
          throw new ConfigException(source.description() + ": document " + d.key()
              + " has the format '" + d.format() + "', which is not understood (conf, json,"
              + " properties" + (formats.isEmpty() ? "" : ", " + String.join(", ",
                  new TreeSet<>(formats.keySet())))
              + "; from the key's extension; Configs.Builder.format adds one)");
        }
        return parsed(format, d, origin);
      }
      try {
        return ConfigFactory.parseString(d.content(), ConfigParseOptions.defaults()
            .setSyntax(syntax).setOriginDescription(source.description() + " key " + d.key()));
      } catch (com.typesafe.config.ConfigException e) {
        throw parseFailure(d.key(), e);
      }
    }

    private static Config parsed(ConfigFormat format, ConfigDocument d, String origin) {
      Map<String, ?> tree;
      try {
        tree = format.parse(d.content());
      } catch (Exception e) {
        throw new ConfigException("syntax error in " + origin + " (" + d.format() + "): "
            + e.getMessage(), e);
      }
      if (tree == null) {
        return ConfigFactory.empty(origin); // an empty YAML document
      }
      try {
        // keys are keys, not paths: a YAML key "a.b" stays one key, as the document wrote it
        return ConfigValueFactory.fromMap(tree, origin).toConfig();
      } catch (RuntimeException e) {
        throw new ConfigException(origin + " (" + d.format() + ") holds a value configuration"
            + " cannot represent: " + e.getMessage(), e);
      }
    }

    private Optional<Selected> selectedProfile() {
      if (profile != null) {
        return Optional.of(new Selected(profile, "Configs.builder().profile"));
      }
      String p = systemProperties.get(PROFILE_PROPERTY);
      String from = "system property " + PROFILE_PROPERTY;
      if (p == null || p.isBlank()) {
        p = environment.get(PROFILE_VARIABLE);
        from = "environment variable " + PROFILE_VARIABLE;
      }
      if (p == null || p.isBlank()) {
        return Optional.empty();
      }
      p = p.trim();
      if (!PROFILE_NAME.matcher(p).matches()) {
        throw new ConfigException("profile '" + p + "' (from " + from
            + ") must be letters, digits, '.', '_' or '-'");
      }
      return Optional.of(new Selected(p, from));
    }

    /**
     * Resolves {@code merged} with the environment and system-property {@code overrides} on top.
     * Substitutions look in the merged config first and then in the environment given to this
     * builder (not the process's, unless {@link #processOverrides()}); the environment is only a
     * fallback for lookups, so its variables are removed again afterwards. A value a variable
     * filled in at one of {@code sites} names the variable and the line that substituted it. A
     * list or object override whose substitutions nothing defines is taken as the string it was
     * written as (see {@link OverrideLayer#asWritten}).
     */
    private static Config resolveWithOverrides(Config merged, Config overrides,
        Map<String, String> environment, Map<String, String> systemProperties,
        SubstitutionSites sites) {
      Config over = overrides;
      int left = environment.size() + systemProperties.size();
      while (true) {
        try {
          return resolveOrThrow(over.withFallback(merged), environment, sites);
        } catch (com.typesafe.config.ConfigException.UnresolvedSubstitution e) {
          Optional<Config> asText = left-- > 0
              ? OverrideLayer.asWritten(e.origin(), environment, systemProperties)
              : Optional.empty();
          if (asText.isEmpty()) {
            throw resolutionFailure(e);
          }
          over = asText.get().withFallback(over);
        } catch (com.typesafe.config.ConfigException e) {
          throw resolutionFailure(e);
        }
      }
    }

    private static Config resolveOrThrow(Config merged, Map<String, String> environment,
        SubstitutionSites sites) {
      Config lookup = SubstitutionSites.lookup(environment);
      Config resolved = sites.nameOrigins(
          merged.withFallback(lookup).resolve(ConfigResolveOptions.noSystem()));
      for (String var : environment.keySet()) {
        if (!merged.root().containsKey(var)) {
          resolved = resolved.withoutPath(ConfigUtil.joinPath(var));
        }
      }
      return resolved;
    }

    private static ConfigException resolutionFailure(com.typesafe.config.ConfigException e) {
      if (e instanceof com.typesafe.config.ConfigException.UnresolvedSubstitution) {
        return new ConfigException("config substitution at " + ConfigException.where(e.origin())
            + " cannot be resolved: " + ConfigException.detail(e)
            + " (no layer defines it and there is no environment variable of that name)", e);
      }
      return new ConfigException("config cannot be resolved at "
          + ConfigException.where(e.origin()) + ": " + ConfigException.detail(e), e);
    }

    private static Config resources(ClassLoader cl, String name, List<String> searched,
        boolean required, Selected profile) {
      int count = count(cl, name);
      if (count == 0) {
        if (required) {
          throw new ConfigException("profile '" + profile.name + "' is selected (by "
              + profile.from + ") but its resource " + name
              + " was not found by the class loader");
        }
        searched.add(name + " (not found)");
        return ConfigFactory.empty();
      }
      searched.add(count == 1 ? name : name + " (" + count + " found)");
      try {
        return ConfigFactory.parseResources(cl, name,
            ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)
                .setClassLoader(cl));
      } catch (com.typesafe.config.ConfigException e) {
        throw parseFailure(name, e);
      }
    }

    private static Config file(Path f, List<String> searched) {
      if (!Files.isRegularFile(f)) {
        throw new ConfigException("config file " + f + " does not exist or is not a file");
      }
      searched.add(f.toString());
      try {
        return ConfigFactory.parseFile(f.toFile(),
            ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
      } catch (com.typesafe.config.ConfigException e) {
        throw parseFailure(f.toString(), e);
      }
    }

    private static ConfigException parseFailure(String name, com.typesafe.config.ConfigException e) {
      if (e instanceof com.typesafe.config.ConfigException.Parse) {
        return new ConfigException("syntax error in " + ConfigException.where(e.origin()) + ": "
            + ConfigException.detail(e), e);
      }
      return new ConfigException("cannot read config " + name + ": " + e.getMessage(), e);
    }

    private static int count(ClassLoader cl, String name) {
      try {
        Enumeration<URL> urls = cl.getResources(name);
        return Collections.list(urls).size();
      } catch (IOException e) {
        throw new ConfigException("cannot look up resource " + name + ": " + e.getMessage(), e);
      }
    }

    private static ClassLoader defaultClassLoader() {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      return cl != null ? cl : Configs.class.getClassLoader();
    }

    private record Selected(String name, String from) {}
  }
}
