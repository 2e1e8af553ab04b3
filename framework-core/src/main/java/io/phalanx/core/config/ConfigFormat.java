package io.phalanx.core.config;

import java.util.Map;

/**
 * Reads a remote document in a format typesafe-config does not know, YAML above all: the format
 * Kratos services keep their configuration in. Phalanx ships no YAML parser (the core depends on
 * typesafe-config alone); one line plugs in the application's own:
 *
 * <pre>{@code
 * Configs.builder().format("yaml", text -> new org.yaml.snakeyaml.Yaml().load(text))...
 * }</pre>
 *
 * <p>Registered with {@link Configs.Builder#format(String, ConfigFormat)} under the name a
 * document's key extension gives ({@code app.yaml} and {@code app.yml} are both {@code yaml}).
 * Must be thread-safe: a {@link LiveConfig} calls it on its sources' threads.
 */
@FunctionalInterface
public interface ConfigFormat {

  /**
   * The document as nested maps, lists and scalars (strings, numbers, booleans, null), the shape
   * JSON and YAML parsers produce.
   *
   * @throws Exception when the text is not valid in this format; its message should say where
   */
  Map<String, ?> parse(String text) throws Exception;
}
