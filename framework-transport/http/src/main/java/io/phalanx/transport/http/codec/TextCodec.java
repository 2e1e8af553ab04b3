package io.phalanx.transport.http.codec;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code text/plain} for {@link String} (and any {@link CharSequence} on output): written in
 * UTF-8, read in the charset the {@code Content-Type} names (UTF-8 without one);
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

  /**
   * A {@code String} is read in the {@code charset} the {@code Content-Type} declares (RFC 9110
   * 8.3.3; Spring's string converter does the same), UTF-8 when it declares none.
   *
   * @throws io.phalanx.core.error.ServiceException 415 {@code UNSUPPORTED_MEDIA_TYPE} for a
   *     charset this JVM does not know
   */
  @Override
  public <T> T decode(byte[] body, String contentType, Class<T> type) {
    if (type != String.class) {
      return decode(body, type);
    }
    Charset charset = DeclaredCharset.of(contentType, StandardCharsets.UTF_8);
    return type.cast(new String(body == null ? new byte[0] : body, charset));
  }

  @Override
  public String toString() {
    return "TextCodec";
  }
}
