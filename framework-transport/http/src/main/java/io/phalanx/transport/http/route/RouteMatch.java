package io.phalanx.transport.http.route;

import io.phalanx.core.error.Errors;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A successful lookup: the route's value, its template and the path variables. Variables are
 * sliced out of the path only when asked for, so a lookup that never reads them allocates nothing
 * beyond this object.
 *
 * <p>Immutable; safe to hand to another thread.
 */
public final class RouteMatch<V> {
  private final V value;
  private final String method;
  private final PathTemplate template;
  private final String path;
  private final int[] bounds; // start/end offset pairs of the path segments
  private final int segmentCount;

  RouteMatch(V value, String method, PathTemplate template, String path, int[] bounds,
      int segmentCount) {
    this.value = value;
    this.method = method;
    this.template = template;
    this.path = path;
    this.bounds = bounds;
    this.segmentCount = segmentCount;
  }

  /** What was registered for the route. */
  public V value() {
    return value;
  }

  /** The method the route was registered under (GET for a HEAD served by a GET route). */
  public String method() {
    return method;
  }

  /** The matched route's template. */
  public PathTemplate template() {
    return template;
  }

  /** The matched path, as received (still percent-encoded). */
  public String path() {
    return path;
  }

  /**
   * The percent-decoded value of variable {@code name}, or null if the template has none. A
   * multi-segment variable ({@code {path=**}}) keeps its slashes.
   */
  public String param(String name) {
    PathTemplate.Variable v = template.variable(name);
    return v == null ? null : slice(v);
  }

  /** All variables, decoded, in template order. */
  public Map<String, String> params() {
    if (template.variables().isEmpty()) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (PathTemplate.Variable v : template.variables()) {
      out.put(v.name(), slice(v));
    }
    return Collections.unmodifiableMap(out);
  }

  private String slice(PathTemplate.Variable v) {
    int first = v.start();
    List<PathTemplate.Segment> segs = template.segments();
    // a variable ending in '**' takes every remaining path segment
    boolean rest = v.end() == segs.size()
        && segs.get(segs.size() - 1).kind() == PathTemplate.Kind.DOUBLE_STAR;
    int lastSeg = rest ? segmentCount - 1 : v.end() - 1;
    if (lastSeg < first) {
      return "";
    }
    return decode(path, bounds[2 * first], bounds[2 * lastSeg + 1]);
  }

  /** Percent-decodes {@code s[from, to)} as UTF-8; '+' stays '+' (this is a path, not a form). */
  static String decode(String s, int from, int to) {
    int pct = s.indexOf('%', from);
    if (pct < 0 || pct >= to) {
      return s.substring(from, to);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < to && hex(s, i + 1) >= 0 && hex(s, i + 2) >= 0) {
        out.write(hex(s, i + 1) << 4 | hex(s, i + 2));
        i += 2;
      } else if (c < 0x80) {
        out.write(c);
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    try {
      // strictly: a lenient decoding would hand the handler U+FFFD for bytes never sent as text
      return StandardCharsets.UTF_8.newDecoder()
          .decode(java.nio.ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw Errors.badRequest("BAD_REQUEST", "the request path is not UTF-8: its percent "
          + "escapes decode to bytes that are not");
    }
  }

  private static int hex(String s, int i) {
    if (i >= s.length()) {
      return -1;
    }
    return Character.digit(s.charAt(i), 16);
  }

  @Override
  public String toString() {
    return method + " " + template + " " + params();
  }
}
