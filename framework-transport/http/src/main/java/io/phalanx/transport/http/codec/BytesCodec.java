package io.phalanx.transport.http.codec;

import java.util.List;

/**
 * {@code application/octet-stream}: {@code byte[]} in and out, unchanged.
 *
 * <p>Threading: stateless and thread-safe.
 */
public final class BytesCodec implements Codec {
  private static final List<String> MEDIA_TYPES = List.of("application/octet-stream");

  private BytesCodec() {}

  public static BytesCodec create() {
    return new BytesCodec();
  }

  @Override
  public String name() {
    return "bytes";
  }

  @Override
  public List<String> mediaTypes() {
    return MEDIA_TYPES;
  }

  @Override
  public boolean canEncode(Class<?> type) {
    return type == byte[].class;
  }

  @Override
  public boolean canDecode(Class<?> type) {
    return type == byte[].class;
  }

  @Override
  public byte[] encode(Object value) {
    if (value instanceof byte[] b) {
      return b;
    }
    throw CodecFailures.encodeFailed("bytes", value == null ? Void.class : value.getClass(),
        new IllegalArgumentException("not a byte[]"));
  }

  @Override
  public <T> T decode(byte[] body, Class<T> type) {
    if (type != byte[].class) {
      throw new IllegalArgumentException("bytes codec cannot decode " + type.getName());
    }
    return type.cast(body == null ? new byte[0] : body);
  }

  @Override
  public String toString() {
    return "BytesCodec";
  }
}
