package io.phalanx.core.internal;

import java.util.Map;
import java.util.TreeMap;

/**
 * JSON string literals (RFC 8259): the one escaping routine of the framework's hand-written
 * JSON (error bodies in core, the access log's JSON line and the admin documents in
 * observability), which is written without a JSON library on purpose.
 *
 * <p>Stateless; safe from any thread.
 */
public final class JsonStrings {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private JsonStrings() {}

  /**
   * Appends {@code map} as a JSON object of strings, keys in sorted order so the same map always
   * gives the same bytes (error metadata: tests and caches compare them).
   */
  public static StringBuilder object(StringBuilder sb, Map<String, String> map) {
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      quote(sb, e.getKey()).append(':');
      quote(sb, e.getValue());
    }
    return sb.append('}');
  }

  /**
   * Appends {@code s} as a quoted JSON string. Control characters and U+2028/U+2029 (which break
   * JavaScript consumers of JSON) become {@code \\uXXXX}; text with nothing to escape is copied
   * in one call, the common case for operations, peers and reasons on a per-request line.
   */
  public static StringBuilder quote(StringBuilder sb, String s) {
    int first = firstToEscape(s);
    if (first < 0) {
      return sb.append('"').append(s).append('"');
    }
    sb.append('"').append(s, 0, first);
    for (int i = first; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
                .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }

  private static int firstToEscape(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\' || c == 0x2028 || c == 0x2029) {
        return i;
      }
    }
    return -1;
  }
}
