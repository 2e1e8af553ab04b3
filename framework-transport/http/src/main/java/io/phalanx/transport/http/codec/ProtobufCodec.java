package io.phalanx.transport.http.codec;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.util.List;

/**
 * Protobuf binary, {@code application/x-protobuf} (also read as {@code application/protobuf}),
 * for generated message classes. Decoding uses the class's parser, found through its default
 * instance on first use and cached.
 *
 * <p>Threading: immutable and thread-safe.
 */
public final class ProtobufCodec implements Codec {
  private static final List<String> MEDIA_TYPES =
      List.of("application/x-protobuf", "application/protobuf");

  private final ProtoTypes protoTypes = new ProtoTypes();

  private ProtobufCodec() {}

  public static ProtobufCodec create() {
    return new ProtobufCodec();
  }

  @Override
  public String name() {
    return "protobuf";
  }

  @Override
  public List<String> mediaTypes() {
    return MEDIA_TYPES;
  }

  @Override
  public boolean canEncode(Class<?> type) {
    return MessageLite.class.isAssignableFrom(type);
  }

  @Override
  public boolean canDecode(Class<?> type) {
    return ProtoTypes.isMessage(type);
  }

  @Override
  public byte[] encode(Object value) {
    if (!(value instanceof MessageLite m)) {
      throw CodecFailures.encodeFailed("protobuf", value == null ? Void.class : value.getClass(),
          new IllegalArgumentException("not a protobuf message"));
    }
    return m.toByteArray();
  }

  @Override
  public <T> T decode(byte[] body, Class<T> type) {
    if (!canDecode(type)) {
      throw new IllegalArgumentException("not a protobuf message class: " + type.getName());
    }
    MessageLite prototype = protoTypes.defaultInstance(type);
    try {
      return type.cast(prototype.getParserForType().parseFrom(body == null ? new byte[0] : body));
    } catch (InvalidProtocolBufferException e) {
      throw CodecFailures.badBody("malformed protobuf", e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "ProtobufCodec";
  }
}
