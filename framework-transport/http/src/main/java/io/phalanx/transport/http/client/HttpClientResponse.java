package io.phalanx.transport.http.client;

import io.phalanx.core.Metadata;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.codec.Codecs;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * A complete HTTP reply: status, headers and the aggregated body. Immutable (the body array is
 * not copied; treat it as read-only).
 */
public final class HttpClientResponse {
  private final int status;
  private final Metadata headers;
  private final byte[] body;
  private final Codecs codecs;

  HttpClientResponse(int status, Metadata headers, byte[] body, Codecs codecs) {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.codecs = codecs;
  }

  public int status() {
    return status;
  }

  /** Reply headers, names lower case. */
  public Metadata headers() {
    return headers;
  }

  public byte[] body() {
    return body;
  }

  public Optional<String> contentType() {
    return headers.get("content-type");
  }

  /** The body as UTF-8 text. */
  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The body decoded as {@code type} with the codec for its content type; {@code null} for an
   * empty body or {@code Void}.
   *
   * @throws ServiceException 502 {@code BAD_RESPONSE} when the body cannot be decoded: the
   *     server, not this caller, sent something wrong
   */
  public <T> T as(Class<T> type) {
    if (type == HttpClientResponse.class) {
      return type.cast(this); // status and headers matter even without a body (201, 204, HEAD)
    }
    if (type == Void.class || type == void.class || body.length == 0 && type != byte[].class
        && type != String.class) {
      return null;
    }
    try {
      String ct = contentType().orElse(null);
      return codecs.forContentType(ct, type).decode(body, ct, type);
    } catch (ServiceException e) {
      throw new ServiceException(502, "BAD_RESPONSE",
          "cannot decode the response as " + type.getSimpleName() + ": " + e.getMessage(),
          Map.of("status", Integer.toString(status)), e);
    }
  }

  @Override
  public String toString() {
    return "HttpClientResponse{" + status + ", " + body.length + " bytes}";
  }
}
