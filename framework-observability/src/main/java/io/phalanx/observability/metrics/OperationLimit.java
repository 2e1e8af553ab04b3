package io.phalanx.observability.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caps the distinct operation tag values: the first {@code max} operations seen keep their name,
 * later ones become {@value Metrics#OTHER_OPERATION}. Transports already name operations by
 * template, but a client called with raw paths and no template (or a misbehaving route) would
 * otherwise create a time series per path and exhaust the registry.
 *
 * <p>Threading: safe for concurrent use; the hot path (a known operation) takes no lock.
 */
final class OperationLimit {
  private final int max;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();

  OperationLimit(int max) {
    this.max = max;
  }

  String tag(String operation) {
    if (seen.contains(operation)) {
      return operation;
    }
    synchronized (this) {
      if (seen.size() < max) {
        seen.add(operation);
        return operation;
      }
      return seen.contains(operation) ? operation : Metrics.OTHER_OPERATION;
    }
  }
}
