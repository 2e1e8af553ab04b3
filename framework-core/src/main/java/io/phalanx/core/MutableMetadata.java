package io.phalanx.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Writable {@link Metadata}, used for reply metadata and outgoing client metadata.
 *
 * <p>Threading: not synchronized. A handler writes reply metadata on its own thread; the transport
 * reads it only after the handler has returned, which orders the two.
 */
public final class MutableMetadata implements Metadata {
  // Read-only by type, as every other immutable Metadata: code that writes whatever is an
  // instanceof MutableMetadata (client middleware) must not take the shared constant for writable.
  static final Metadata EMPTY = new Frozen(new MutableMetadata(Map.of()));

  private final Map<String, List<String>> values;

  public MutableMetadata() {
    this.values = new LinkedHashMap<>();
  }

  private MutableMetadata(Map<String, List<String>> values) {
    this.values = values;
  }

  /** A mutable copy of {@code source}. */
  public static MutableMetadata copyOf(Metadata source) {
    MutableMetadata m = new MutableMetadata();
    source.forEach(m::add);
    return m;
  }

  /** Appends a value; existing values of {@code name} are kept. */
  public MutableMetadata add(String name, String value) {
    Objects.requireNonNull(value, "value");
    values.computeIfAbsent(Metadata.normalize(name), k -> new ArrayList<>(1)).add(value);
    return this;
  }

  /** Replaces all values of {@code name} with {@code value}. */
  public MutableMetadata set(String name, String value) {
    Objects.requireNonNull(value, "value");
    List<String> list = new ArrayList<>(1);
    list.add(value);
    values.put(Metadata.normalize(name), list);
    return this;
  }

  /** Removes {@code name}; returns whether it was present. */
  public boolean remove(String name) {
    return values.remove(Metadata.normalize(name)) != null;
  }

  /** Adds every pair of {@code other}. */
  public MutableMetadata addAll(Metadata other) {
    other.forEach(this::add);
    return this;
  }

  @Override
  public Optional<String> get(String name) {
    List<String> list = values.get(Metadata.normalize(name));
    return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.get(0));
  }

  @Override
  public List<String> getAll(String name) {
    List<String> list = values.get(Metadata.normalize(name));
    return list == null ? List.of() : Collections.unmodifiableList(list);
  }

  @Override
  public Set<String> names() {
    return Collections.unmodifiableSet(values.keySet());
  }

  @Override
  public void forEach(BiConsumer<String, String> action) {
    for (Map.Entry<String, List<String>> e : values.entrySet()) {
      for (String v : e.getValue()) {
        action.accept(e.getKey(), v);
      }
    }
  }

  @Override
  public boolean isEmpty() {
    return values.isEmpty();
  }

  Metadata frozenCopy() {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    values.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    return new Frozen(new MutableMetadata(Collections.unmodifiableMap(copy)));
  }

  @Override
  public String toString() {
    return values.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Metadata m && toMap().equals(m.toMap());
  }

  @Override
  public int hashCode() {
    return toMap().hashCode();
  }

  /** Read-only wrapper so that a frozen copy cannot be cast back and written. */
  private record Frozen(MutableMetadata delegate) implements Metadata {
    @Override
    public Optional<String> get(String name) {
      return delegate.get(name);
    }

    @Override
    public List<String> getAll(String name) {
      return delegate.getAll(name);
    }

    @Override
    public Set<String> names() {
      return delegate.names();
    }

    @Override
    public void forEach(BiConsumer<String, String> action) {
      delegate.forEach(action);
    }

    @Override
    public boolean isEmpty() {
      return delegate.isEmpty();
    }

    // equal to any metadata with the same entries, as MutableMetadata is: a record's own
    // equality would make frozen.equals(mutable) false while mutable.equals(frozen) is true
    @Override
    public boolean equals(Object o) {
      return o instanceof Metadata m && delegate.toMap().equals(m.toMap());
    }

    @Override
    public int hashCode() {
      return delegate.toMap().hashCode();
    }

    @Override
    public String toString() {
      return delegate.toString();
    }
  }
}
