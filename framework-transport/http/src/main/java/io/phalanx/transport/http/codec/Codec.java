package io.phalanx.transport.http.codec;

import java.util.List;

/**
 * Turns values into bytes and back for one family of media types.
 *
 * <p>Threading: implementations must be immutable and safe for concurrent use; one instance serves
 * every request of a server or client.
 */
public interface Codec {

  /** Short name for logs and configuration: {@code "json"}, {@code "protobuf"}, {@code "text"}. */
  String name();

  /**
   * Media types this codec reads, most preferred first. The first is what it writes as
   * {@code Content-Type}, and may carry parameters (e.g. {@code text/plain; charset=utf-8});
   * matching ignores parameters and case.
   */
  List<String> mediaTypes();

  /** Whether {@link #encode} accepts values of {@code type}. */
  boolean canEncode(Class<?> type);

  /** Whether {@link #decode} can produce {@code type}. */
  boolean canDecode(Class<?> type);

  /**
   * Encodes {@code value}.
   *
   * @throws io.phalanx.core.error.ServiceException 500 {@code INTERNAL} when the value cannot be
   *     encoded (a programming error on the sending side, so the caller learns nothing more)
   */
  byte[] encode(Object value);

  /**
   * The {@code Content-Type} to send with {@link #encode}'s bytes for {@code value}: the first of
   * {@link #mediaTypes()} unless the value needs its own parameters (multipart's boundary).
   */
  default String contentType(Object value) {
    return mediaTypes().get(0);
  }

  /**
   * Decodes {@code body} as {@code type}.
   *
   * @throws io.phalanx.core.error.ServiceException 400 {@code BAD_REQUEST} when the body is
   *     malformed or does not fit the type; the message says where (line and column for text
   *     formats) and the metadata carries the position, so the caller can fix the request
   */
  <T> T decode(byte[] body, Class<T> type);

  /**
   * Decodes {@code body} as {@code type}, given the {@code Content-Type} it came with (null when
   * it came without one), for codecs that need its parameters (multipart's boundary). Servers and
   * clients call this one; by default it ignores the header.
   *
   * @throws io.phalanx.core.error.ServiceException as {@link #decode(byte[], Class)}
   */
  default <T> T decode(byte[] body, String contentType, Class<T> type) {
    return decode(body, type);
  }
}
