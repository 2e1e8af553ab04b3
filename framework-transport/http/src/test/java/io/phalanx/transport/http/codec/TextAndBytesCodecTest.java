package io.phalanx.transport.http.codec;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.error.ServiceException;
import org.junit.jupiter.api.Test;

class TextAndBytesCodecTest {
  @Test
  void textIsUtf8() {
    TextCodec text = TextCodec.create();
    assertArrayEquals("grüße".getBytes(UTF_8), text.encode("grüße"));
    assertArrayEquals("sb".getBytes(UTF_8), text.encode(new StringBuilder("sb")));
    assertEquals("grüße", text.decode("grüße".getBytes(UTF_8), String.class));
    byte[] raw = {1, 2, (byte) 0xff};
    assertArrayEquals(raw, text.encode(raw));
    assertArrayEquals(raw, text.decode(raw, byte[].class));
    assertTrue(text.canDecode(String.class));
    assertFalse(text.canDecode(Integer.class));
    assertEquals("text/plain; charset=utf-8", text.mediaTypes().get(0));
  }

  @Test
  void bytesPassThrough() {
    BytesCodec bytes = BytesCodec.create();
    byte[] raw = {0, 1, 2};
    assertArrayEquals(raw, bytes.encode(raw));
    assertArrayEquals(raw, bytes.decode(raw, byte[].class));
    assertFalse(bytes.canEncode(String.class));
    assertEquals(500, assertThrows(ServiceException.class, () -> bytes.encode("x")).code());
  }
}
