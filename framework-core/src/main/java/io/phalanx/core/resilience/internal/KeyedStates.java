package io.phalanx.core.resilience.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Per-key state (one breaker per endpoint, one bucket per client IP…) created lazily and bounded
 * in number, so a caller sending random keys cannot grow memory without limit.
 *
 * <p>When full, the least recently used tenth of the entries is dropped in one go (the scan is
 * O(n), so it is amortised over many inserts). Recency is a relaxed per-entry stamp written on
 * each hit: exact LRU would need a lock on the hot path. An evicted key simply starts afresh,
 * which for a limiter means a key cycled out of the map gets a full bucket again: choose
 * {@code maxKeys} above the number of keys expected to be active at once.
 *
 * <p>Threading: thread-safe; the hit path is a lock-free map read.
 */
public final class KeyedStates<V> {
  private final ConcurrentHashMap<String, Entry<V>> map = new ConcurrentHashMap<>();
  private final Function<String, V> factory;
  private final int maxKeys;
  private final Object evictLock = new Object();

  public KeyedStates(int maxKeys, Function<String, V> factory) {
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be >= 1: " + maxKeys);
    }
    this.maxKeys = maxKeys;
    this.factory = factory;
  }

  private static final class Entry<V> {
    final V value;
    volatile long lastUsed;

    Entry(V value, long now) {
      this.value = value;
      this.lastUsed = now;
    }
  }

  /** The state of {@code key}, created on first use. */
  public V get(String key) {
    long now = System.nanoTime();
    Entry<V> e = map.get(key);
    if (e != null) {
      if (e.lastUsed != now) {
        e.lastUsed = now;
      }
      return e.value;
    }
    if (map.size() >= maxKeys) {
      evict();
    }
    return map.computeIfAbsent(key, k -> new Entry<>(factory.apply(k), now)).value;
  }

  /** Number of keys held now. */
  public int size() {
    return map.size();
  }

  /** A snapshot of the states by key, for inspection and tests. */
  public Map<String, V> snapshot() {
    Map<String, V> out = new java.util.HashMap<>();
    map.forEach((k, v) -> out.put(k, v.value));
    return out;
  }

  private record Victim<V>(String key, Entry<V> entry, long lastUsed) {}

  private void evict() {
    synchronized (evictLock) {
      if (map.size() < maxKeys) {
        return;
      }
      // Sort a snapshot of the times: requests keep updating lastUsed, and a comparator over
      // values that change while sorting can make the sort throw.
      List<Victim<V>> all = new ArrayList<>(map.size());
      map.forEach((k, e) -> all.add(new Victim<>(k, e, e.lastUsed)));
      all.sort(Comparator.comparingLong(Victim::lastUsed));
      int drop = Math.max(1, maxKeys / 10);
      for (int i = 0; i < drop && i < all.size(); i++) {
        map.remove(all.get(i).key(), all.get(i).entry());
      }
    }
  }
}
