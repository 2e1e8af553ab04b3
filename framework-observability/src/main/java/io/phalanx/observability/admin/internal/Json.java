package io.phalanx.observability.admin.internal;

import io.phalanx.core.internal.JsonStrings;
import java.util.Collection;
import java.util.Map;

/**
 * Writes plain Java values (maps, collections, arrays of objects, strings, numbers, booleans,
 * null) as JSON. The admin endpoints build their documents from JDK management beans and config
 * maps, whose shapes are exactly these; a hand-written writer keeps them independent of the
 * application's JSON codec configuration (naming strategies, modules) and of Jackson's version.
 *
 * <p>Stateless; safe from any thread.
 */
public final class Json {

  private Json() {}

  /** {@code value} as compact JSON; non-finite doubles become {@code null}, others strings. */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder(256);
    write(sb, value);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof CharSequence s) {
      quote(sb, s.toString());
    } else if (v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Double d) {
      sb.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
    } else if (v instanceof Float f) {
      sb.append(f.isNaN() || f.isInfinite() ? "null" : f.toString());
    } else if (v instanceof Number) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        quote(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof Collection<?> c) {
      array(sb, c.toArray());
    } else if (v instanceof Object[] a) {
      array(sb, a);
    } else {
      quote(sb, v.toString());
    }
  }

  private static void array(StringBuilder sb, Object[] items) {
    sb.append('[');
    for (int i = 0; i < items.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      write(sb, items[i]);
    }
    sb.append(']');
  }

  private static void quote(StringBuilder sb, String s) {
    JsonStrings.quote(sb, s);
  }
}
