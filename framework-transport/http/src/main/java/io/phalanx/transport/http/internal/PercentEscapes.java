package io.phalanx.transport.http.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * Checks that the percent escapes of a query string, form body or path decode to UTF-8. The JDK's
 * and Netty's decoders replace bytes that are not (a Latin-1 {@code caf%E9}) with U+FFFD, so the
 * handler would store text the caller never sent; callers turn a failure into a 400.
 *
 * <p>Each maximal run of {@code %XX} escapes is checked on its own: a multi-byte character cannot
 * continue outside its run, since characters sent as they are are whole characters. Stateless;
 * any thread.
 */
public final class PercentEscapes {
  private PercentEscapes() {}

  /**
   * The index of the first escape in {@code s} that starts bytes which are not UTF-8, or -1 when
   * every run decodes (malformed escapes such as {@code %zz} are left to the decoders, which
   * report them). Allocates only when {@code s} has escapes of non-ASCII bytes.
   */
  public static int invalidUtf8(String s) {
    int n = s.length();
    for (int i = s.indexOf('%'); i >= 0 && i < n; ) {
      int start = i;
      byte[] run = null;
      int len = 0;
      boolean high = false;
      while (i + 2 < n && s.charAt(i) == '%' && hex(s.charAt(i + 1)) >= 0
          && hex(s.charAt(i + 2)) >= 0) {
        int b = hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2));
        if (run == null) {
          run = new byte[(n - i) / 3 + 1];
        }
        run[len++] = (byte) b;
        high |= b >= 0x80;
        i += 3;
      }
      if (high && !isUtf8(run, len)) {
        return start;
      }
      i = s.indexOf('%', Math.max(i, start + 1));
    }
    return -1;
  }

  private static boolean isUtf8(byte[] bytes, int len) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, len));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
