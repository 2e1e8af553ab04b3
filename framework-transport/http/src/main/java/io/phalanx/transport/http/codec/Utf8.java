package io.phalanx.transport.http.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Checks that bytes are well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF, none of the 5- and 6-byte forms of the old definition.
 * Jackson's byte parser reads some of these as text (an overlong {@code C0 AF} as '/', a lead
 * byte from F4 90 up as a code point past U+10FFFF), so a body it accepts is not yet known to be
 * UTF-8.
 *
 * <p>One pass, no copy: runs of ASCII, nearly all of a typical JSON body, are skipped eight bytes
 * at a time. Stateless and thread-safe.
 */
final class Utf8 {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGH_BITS = 0x8080808080808080L;

  private Utf8() {}

  /** The offset of the first byte that does not start a well-formed sequence, or -1 for none. */
  static int firstInvalid(byte[] b) {
    int n = b.length;
    int i = 0;
    while (i < n) {
      while (i <= n - 8 && ((long) LONGS.get(b, i) & HIGH_BITS) == 0) {
        i += 8;
      }
      if (i >= n) {
        break;
      }
      int c = b[i];
      if (c >= 0) {
        i++;
        continue;
      }
      c &= 0xff;
      int next = i + 1 < n ? b[i + 1] & 0xff : -1;
      if (c < 0xC2) {
        return i; // a continuation byte without a lead, or C0/C1: only overlong forms start so
      } else if (c < 0xE0) {
        if (!continuation(next)) {
          return i;
        }
        i += 2;
      } else if (c < 0xF0) {
        // E0 below A0 is overlong; ED from A0 up encodes a surrogate (U+D800 to U+DFFF)
        boolean second = c == 0xE0 ? next >= 0xA0 && next <= 0xBF
            : c == 0xED ? next >= 0x80 && next <= 0x9F : continuation(next);
        if (!second || i + 2 >= n || !continuation(b[i + 2] & 0xff)) {
          return i;
        }
        i += 3;
      } else if (c < 0xF5) {
        // F0 below 90 is overlong; F4 from 90 up is past U+10FFFF
        boolean second = c == 0xF0 ? next >= 0x90 && next <= 0xBF
            : c == 0xF4 ? next >= 0x80 && next <= 0x8F : continuation(next);
        if (!second || i + 3 >= n || !continuation(b[i + 2] & 0xff)
            || !continuation(b[i + 3] & 0xff)) {
          return i;
        }
        i += 4;
      } else {
        return i; // F5 to FF: past U+10FFFF, or the 5- and 6-byte forms RFC 3629 removed
      }
    }
    return -1;
  }

  private static boolean continuation(int b) {
    return (b & 0xC0) == 0x80;
  }
}
