package io.phalanx.registry.consul.internal;

import java.nio.charset.StandardCharsets;

/**
 * Percent-encoding for URL path segments and query values: instance IDs are free-form (host
 * names, UUIDs, "a/b"), and a raw '/' or '?' in one would address a different Consul endpoint.
 * KV keys keep their '/' (see {@link #encodeKey}).
 */
final class PathSegment {
  private PathSegment() {}

  /**
   * A Consul KV key (or prefix) as a URL path: each '/'-separated segment encoded, the slashes
   * kept, because they are the key's folders and a folder prefix ends with one.
   */
  static String encodeKey(String key) {
    StringBuilder out = new StringBuilder(key.length() + 8);
    int from = 0;
    for (int slash = key.indexOf('/'); slash >= 0; slash = key.indexOf('/', from)) {
      out.append(encode(key.substring(from, slash))).append('/');
      from = slash + 1;
    }
    return out.append(encode(key.substring(from))).toString();
  }

  static String encode(String s) {
    StringBuilder out = new StringBuilder(s.length() + 8);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
      if (unreserved) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }
}
