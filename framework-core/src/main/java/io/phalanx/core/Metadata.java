package io.phalanx.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Request or reply metadata: HTTP headers or gRPC metadata, as a case-insensitive multimap.
 * Names are compared ignoring ASCII case and reported in lower case, as HTTP/2 and gRPC do.
 *
 * <p>This type is a read view; {@link #of} and {@link #builder} make immutable instances, and
 * {@link MutableMetadata} is the writable kind used for reply metadata. Transports may implement it
 * directly over their own header objects to avoid copying.
 */
public interface Metadata {

  /** The first value of {@code name}, if any. */
  Optional<String> get(String name);

  /** All values of {@code name} in the order they were added; empty if absent. */
  List<String> getAll(String name);

  /** The distinct names present, lower case. */
  Set<String> names();

  /** Calls {@code action} once per (name, value) pair, names lower case. */
  void forEach(BiConsumer<String, String> action);

  default boolean contains(String name) {
    return get(name).isPresent();
  }

  default boolean isEmpty() {
    return names().isEmpty();
  }

  /** A copy as an ordered map of lower-case names to values. */
  default Map<String, List<String>> toMap() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    forEach((k, v) -> out.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    for (Map.Entry<String, List<String>> e : out.entrySet()) {
      e.setValue(Collections.unmodifiableList(e.getValue()));
    }
    return Collections.unmodifiableMap(out);
  }

  /** The empty metadata: immutable, as {@link #of} makes it, and shared. */
  static Metadata empty() {
    return MutableMetadata.EMPTY;
  }

  /** Immutable metadata from alternating names and values: {@code of("a", "1", "b", "2")}. */
  static Metadata of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must alternate (odd count: "
          + namesAndValues.length + ")");
    }
    Builder b = builder();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      b.add(namesAndValues[i], namesAndValues[i + 1]);
    }
    return b.build();
  }

  /** Immutable copy of {@code source}. */
  static Metadata copyOf(Metadata source) {
    Builder b = builder();
    source.forEach(b::add);
    return b.build();
  }

  static Builder builder() {
    return new Builder();
  }

  /**
   * Lower-cases the ASCII letters of a name, and only those, without allocating when there are
   * none to lower: {@code toLowerCase} would also fold other letters (the Kelvin sign to
   * {@code k}), so that the key would depend on whether the name had an ASCII capital.
   */
  static String normalize(String name) {
    Objects.requireNonNull(name, "name");
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        if (isAscii(name)) {
          // what header names are: toLowerCase folds only ASCII letters then, in one copy
          return name.toLowerCase(Locale.ROOT);
        }
        char[] out = name.toCharArray();
        for (int j = i; j < out.length; j++) {
          char d = out[j];
          if (d >= 'A' && d <= 'Z') {
            out[j] = (char) (d + ('a' - 'A'));
          }
        }
        return new String(out);
      }
    }
    return name;
  }

  /** Whether {@code name} holds only ASCII characters. */
  private static boolean isAscii(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) > 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** Builds immutable {@link Metadata}. Not thread-safe. */
  final class Builder {
    private final MutableMetadata values = new MutableMetadata();

    private Builder() {}

    public Builder add(String name, String value) {
      values.add(name, value);
      return this;
    }

    public Builder set(String name, String value) {
      values.set(name, value);
      return this;
    }

    public Metadata build() {
      return values.frozenCopy();
    }
  }
}
