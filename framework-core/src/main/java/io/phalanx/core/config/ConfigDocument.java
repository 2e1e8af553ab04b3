package io.phalanx.core.config;

import java.util.Locale;
import java.util.Objects;

/**
 * One configuration document read from a {@link ConfigSource}: an etcd key's value, a Consul KV
 * entry, with the format its key names.
 *
 * <p>The format is the key's extension, as Kratos's config sources read it: {@code conf} (HOCON,
 * also the format of a key without an extension; HOCON accepts JSON too), {@code json} and
 * {@code properties} are understood, and others ({@code yaml}; {@code .yml} counts as
 * {@code yaml}) once a {@link ConfigFormat} is registered for them. A document in a format
 * nobody understands fails the load with a message naming the key, rather than being guessed
 * at.
 *
 * @param key where the document lives, as the source names it (the full etcd key, the Consul key)
 * @param format lower-case format name; see above
 * @param content the document's text (UTF-8 on the wire)
 */
public record ConfigDocument(String key, String format, String content) {

  public ConfigDocument {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(content, "content");
  }

  /** A document whose format is taken from the extension of {@code key}. */
  public static ConfigDocument of(String key, String content) {
    return new ConfigDocument(key, formatOf(key), content);
  }

  /** The extension of the key's last segment, lower-cased; {@code conf} without one. */
  static String formatOf(String key) {
    int slash = key.lastIndexOf('/');
    String last = key.substring(slash + 1);
    int dot = last.lastIndexOf('.');
    if (dot <= 0 || dot == last.length() - 1) {
      return "conf";
    }
    return canonicalFormat(last.substring(dot + 1));
  }

  /**
   * A format's name as documents and {@link Configs.Builder#format} agree on it: lower-cased, and
   * {@code yml} is {@code yaml}, so that a parser registered under either name reads both.
   */
  static String canonicalFormat(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.equals("yml") ? "yaml" : n;
  }
}
