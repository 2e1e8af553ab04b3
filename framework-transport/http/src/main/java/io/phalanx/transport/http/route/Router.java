package io.phalanx.transport.http.route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Matches a method and a path to a route through a trie of path segments, so a lookup costs one
 * step per segment however many routes there are (no regular expressions, no linear scan).
 *
 * <p>Precedence, segment by segment from the left: a literal beats a variable ({@code *}), which
 * beats a {@code **} tail. When the preferred branch has no route for the method the matcher
 * backtracks, so {@code POST /users/me} still finds {@code POST /users/{id}} next to
 * {@code GET /users/me}.
 *
 * <p>Two routes with the same method and the same {@link PathTemplate#shape() shape} conflict:
 * {@link Builder#add} rejects the second, naming both.
 *
 * <p>Immutable once built; lookups are thread-safe and allocate only the {@link RouteMatch} and
 * one small array of segment offsets.
 *
 * @param <V> what a route carries (a handler, a gRPC method…)
 */
public final class Router<V> {
  private final Node<V> root;
  private final int size;

  private Router(Node<V> root, int size) {
    this.root = root;
    this.size = size;
  }

  public static <V> Builder<V> builder() {
    return new Builder<>();
  }

  /** Number of routes. */
  public int size() {
    return size;
  }

  /**
   * The route for {@code method} and {@code path} (the path without query, starting with '/'), or
   * null if none matches. The method is compared exactly (HTTP methods are case-sensitive).
   */
  public RouteMatch<V> find(String method, String path) {
    if (path.isEmpty() || path.charAt(0) != '/') {
      return null;
    }
    int[] bounds = split(path);
    int count = bounds.length / 2;
    Entry<V> e = search(root, method, path, bounds, 0, count);
    return e == null ? null
        : new RouteMatch<>(e.value, method, e.template, path, bounds, count);
  }

  /**
   * The methods that have a route matching {@code path}, sorted; empty when the path matches no
   * route at all (a 404 rather than a 405).
   */
  public Set<String> allowedMethods(String path) {
    Set<String> out = new TreeSet<>();
    if (!path.isEmpty() && path.charAt(0) == '/') {
      int[] bounds = split(path);
      collect(root, path, bounds, 0, bounds.length / 2, out);
    }
    return out;
  }

  /** Segment start/end offsets; "/" has no segments, "/a/" has "a" and "". */
  private static int[] split(String path) {
    int len = path.length();
    if (len == 1) {
      return EMPTY;
    }
    int count = 1;
    for (int i = 1; i < len; i++) {
      if (path.charAt(i) == '/') {
        count++;
      }
    }
    int[] b = new int[count * 2];
    int seg = 0;
    int start = 1;
    for (int i = 1; i <= len; i++) {
      if (i == len || path.charAt(i) == '/') {
        b[seg * 2] = start;
        b[seg * 2 + 1] = i;
        seg++;
        start = i + 1;
      }
    }
    return b;
  }

  private static final int[] EMPTY = new int[0];

  private static <V> Entry<V> search(Node<V> node, String method, String path, int[] b, int i,
      int count) {
    if (i == count) {
      Entry<V> e = node.methods.get(method);
      if (e != null) {
        return e;
      }
      return node.doubleStar == null ? null : node.doubleStar.get(method);
    }
    int from = b[2 * i];
    int to = b[2 * i + 1];
    if (node.literals != null) {
      Node<V> child = node.literals.get(path, from, to);
      if (child != null) {
        Entry<V> e = search(child, method, path, b, i + 1, count);
        if (e != null) {
          return e;
        }
      }
    }
    if (node.star != null && to > from) {
      Entry<V> e = search(node.star, method, path, b, i + 1, count);
      if (e != null) {
        return e;
      }
    }
    return node.doubleStar == null ? null : node.doubleStar.get(method);
  }

  private static <V> void collect(Node<V> node, String path, int[] b, int i, int count,
      Set<String> out) {
    if (node.doubleStar != null) {
      out.addAll(node.doubleStar.keySet());
    }
    if (i == count) {
      out.addAll(node.methods.keySet());
      return;
    }
    int from = b[2 * i];
    int to = b[2 * i + 1];
    if (node.literals != null) {
      Node<V> child = node.literals.get(path, from, to);
      if (child != null) {
        collect(child, path, b, i + 1, count, out);
      }
    }
    if (node.star != null && to > from) {
      collect(node.star, path, b, i + 1, count, out);
    }
  }

  private record Entry<V>(PathTemplate template, V value) {}

  private static final class Node<V> {
    Map<String, Node<V>> literalMap = new LinkedHashMap<>();
    LiteralTable<Node<V>> literals;
    Node<V> star;
    Map<String, Entry<V>> methods = new HashMap<>(4);
    Map<String, Entry<V>> doubleStar;

    void freeze() {
      if (!literalMap.isEmpty()) {
        literals = new LiteralTable<>(literalMap);
        literalMap.values().forEach(Node::freeze);
      }
      literalMap = null;
      if (star != null) {
        star.freeze();
      }
    }
  }

  /** Collects routes; not thread-safe. */
  public static final class Builder<V> {
    private final Node<V> root = new Node<>();
    private final List<String> added = new ArrayList<>();
    private boolean built;

    private Builder() {}

    /** Adds a route; {@code template} is parsed with {@link PathTemplate#parse}. */
    public Builder<V> add(String method, String template, V value) {
      return add(method, PathTemplate.parse(template), value);
    }

    /**
     * Adds a route.
     *
     * @throws IllegalArgumentException if a route with the same method and shape exists; the
     *     message names both templates
     */
    public Builder<V> add(String method, PathTemplate template, V value) {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(value, "value");
      if (built) {
        throw new IllegalStateException("router already built");
      }
      if (method.isEmpty()) {
        throw new IllegalArgumentException("empty method for route " + template);
      }
      Node<V> node = root;
      Map<String, Entry<V>> target = null;
      for (PathTemplate.Segment s : template.segments()) {
        switch (s.kind()) {
          case LITERAL -> node = node.literalMap.computeIfAbsent(s.literal(), k -> new Node<>());
          case STAR -> {
            if (node.star == null) {
              node.star = new Node<>();
            }
            node = node.star;
          }
          case DOUBLE_STAR -> {
            if (node.doubleStar == null) {
              node.doubleStar = new HashMap<>(4);
            }
            target = node.doubleStar;
          }
          default -> throw new AssertionError(s);
        }
      }
      if (target == null) {
        target = node.methods;
      }
      Entry<V> previous = target.get(method);
      if (previous != null) {
        throw new IllegalArgumentException("conflicting routes: " + method + " " + template
            + " and " + method + " " + previous.template() + " match the same paths");
      }
      target.put(method, new Entry<>(template, value));
      added.add(method + " " + template);
      return this;
    }

    public Router<V> build() {
      built = true;
      root.freeze();
      return new Router<>(root, added.size());
    }
  }

  /**
   * Open-addressing table keyed by a region of the request path, so that looking up a segment
   * needs no substring.
   */
  private static final class LiteralTable<N> {
    private final String[] keys;
    private final Object[] values;
    private final int mask;

    LiteralTable(Map<String, N> source) {
      int cap = Integer.highestOneBit(Math.max(2, source.size() * 2 - 1)) << 1;
      keys = new String[cap];
      values = new Object[cap];
      mask = cap - 1;
      for (Map.Entry<String, N> e : source.entrySet()) {
        String k = e.getKey();
        int idx = hash(k, 0, k.length()) & mask;
        while (keys[idx] != null) {
          idx = (idx + 1) & mask;
        }
        keys[idx] = k;
        values[idx] = e.getValue();
      }
    }

    @SuppressWarnings("unchecked")
    N get(String path, int from, int to) {
      int len = to - from;
      int idx = hash(path, from, to) & mask;
      String k;
      while ((k = keys[idx]) != null) {
        if (k.length() == len && path.regionMatches(from, k, 0, len)) {
          return (N) values[idx];
        }
        idx = (idx + 1) & mask;
      }
      return null;
    }

    private static int hash(String s, int from, int to) {
      int h = 0;
      for (int i = from; i < to; i++) {
        h = 31 * h + s.charAt(i);
      }
      return h ^ (h >>> 16);
    }
  }
}
