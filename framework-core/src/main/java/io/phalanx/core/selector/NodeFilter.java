package io.phalanx.core.selector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Narrows the nodes calls may go to, as Kratos' {@code selector.NodeFilter}. Applied in order on
 * every discovery update (not per call), so a filter costs nothing on the call path.
 *
 * <p>Threading: called on the thread delivering the update; must be thread-safe if shared.
 */
@FunctionalInterface
public interface NodeFilter {

  /** The nodes to keep, in the order given; a new list, never {@code nodes} modified. */
  List<Node> filter(List<Node> nodes);

  /** Keeps the nodes for which {@code predicate} holds. */
  static NodeFilter of(Predicate<Node> predicate) {
    Objects.requireNonNull(predicate, "predicate");
    return nodes -> {
      List<Node> kept = new ArrayList<>(nodes.size());
      for (Node n : nodes) {
        if (predicate.test(n)) {
          kept.add(n);
        }
      }
      return kept;
    };
  }

  /** Keeps instances of exactly {@code version} (Kratos' {@code filter.Version}). */
  static NodeFilter version(String version) {
    Objects.requireNonNull(version, "version");
    return of(n -> version.equals(n.version()));
  }

  /** Keeps instances whose metadata maps {@code key} to {@code value}. */
  static NodeFilter metadata(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    return of(n -> value.equals(n.metadata().get(key)));
  }

  /** Keeps instances whose metadata satisfies {@code predicate}. */
  static NodeFilter metadata(Predicate<Map<String, String>> predicate) {
    Objects.requireNonNull(predicate, "predicate");
    return of(n -> predicate.test(n.metadata()));
  }
}
