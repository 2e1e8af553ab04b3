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

  /** RFC 9110 8.3.3: the charset parameter says how the text is encoded; UTF-8 without one. */
  @Test
  void textIsReadInTheCharsetItsContentTypeDeclares() {
    TextCodec text = TextCodec.create();
    byte[] latin1 = "caf\u00e9".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    assertEquals("caf\u00e9", text.decode(latin1, "text/plain; charset=ISO-8859-1", String.class));
    assertEquals("caf\u00e9", text.decode(latin1, "Text/Plain;Charset=\"latin1\"", String.class));
    byte[] utf16 = "gr\u00fc\u00dfe".getBytes(java.nio.charset.StandardCharsets.UTF_16BE);
    assertEquals("gr\u00fc\u00dfe",
        text.decode(utf16, "text/plain;charset=utf-16be", String.class));
    assertEquals("gr\u00fc\u00dfe", text.decode("gr\u00fc\u00dfe".getBytes(UTF_8), "text/plain",
        String.class));
    assertEquals("gr\u00fc\u00dfe",
        text.decode("gr\u00fc\u00dfe".getBytes(UTF_8), null, String.class));
    assertArrayEquals(latin1, text.decode(latin1, "text/plain; charset=ISO-8859-1", byte[].class));

    ServiceException unknown = assertThrows(ServiceException.class,
        () -> text.decode(latin1, "text/plain; charset=klingon", String.class));
    assertEquals(415, unknown.code());
    assertEquals("UNSUPPORTED_MEDIA_TYPE", unknown.reason());
    assertTrue(unknown.getMessage().contains("klingon"), unknown.getMessage());
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
