package io.phalanx.transport.http.codec;

import com.google.protobuf.Internal;
import com.google.protobuf.MessageLite;

/**
 * Default instances of protobuf message classes, found on first use of each class and cached. A
 * generated message class has no public constructor, so its default instance is the way to its
 * parser and builder; looking it up costs a reflective call, hence the cache.
 *
 * <p>Threading: {@link ClassValue} makes the lookup safe and lock-free after the first call.
 */
final class ProtoTypes {
  private final ClassValue<MessageLite> defaults = new ClassValue<>() {
    @Override
    @SuppressWarnings("unchecked")
    protected MessageLite computeValue(Class<?> type) {
      return Internal.getDefaultInstance((Class<? extends MessageLite>) type);
    }
  };

  static boolean isMessage(Class<?> type) {
    return MessageLite.class.isAssignableFrom(type) && type != MessageLite.class
        && !type.isInterface();
  }

  MessageLite defaultInstance(Class<?> type) {
    return defaults.get(type);
  }
}
