package io.phalanx.transport.http.codec;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code text/plain} in UTF-8 for {@link String} (and any {@link CharSequence} on output);
 * {@code byte[]} passes through unchanged so a handler replying raw bytes can still answer a client
 * that accepts only text.
 *
 * <p>Threading: stateless and thread-safe.
 */
public final class TextCodec implements Codec {
  private static final List<String> MEDIA_TYPES = List.of("text/plain; charset=utf-8");

  private TextCodec() {}

  public static TextCodec create() {
    return new TextCodec();
  }

  @Override
  public String name() {
    return "text";
  }

  @Override
  public List<String> mediaTypes() {
    return MEDIA_TYPES;
  }

  @Override
  public boolean canEncode(Class<?> type) {
    return CharSequence.class.isAssignableFrom(type) || type == byte[].class;
  }

  @Override
  public boolean canDecode(Class<?> type) {
    return type == String.class || type == byte[].class;
  }

  @Override
  public byte[] encode(Object value) {
    if (value instanceof byte[] b) {
      return b;
    }
    return value == null ? new byte[0] : value.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <T> T decode(byte[] body, Class<T> type) {
    byte[] b = body == null ? new byte[0] : body;
    if (type == byte[].class) {
      return type.cast(b);
    }
    if (type == String.class) {
      return type.cast(new String(b, StandardCharsets.UTF_8));
    }
    throw new IllegalArgumentException("text codec cannot decode " + type.getName());
  }

  @Override
  public String toString() {
    return "TextCodec";
  }
}
