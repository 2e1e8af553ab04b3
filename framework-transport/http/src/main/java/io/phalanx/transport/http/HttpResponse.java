package io.phalanx.transport.http;

import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A reply written as is: status, headers and body, no codec involved. Return one from a handler
 * for full control over the response; anything else a handler returns goes through the codec
 * chosen from {@code Accept}.
 *
 * <p>Immutable: {@code withX} methods return copies. The body array is not copied; do not change
 * it after handing it over.
 */
public final class HttpResponse {
  private static final byte[] NO_BODY = new byte[0];

  private final int status;
  private final Metadata headers;
  private final byte[] body;
  private final String contentType;
  private final StreamingBody stream;

  private HttpResponse(int status, Metadata headers, byte[] body, String contentType) {
    this(status, headers, body, contentType, null);
  }

  private HttpResponse(int status, Metadata headers, byte[] body, String contentType,
      StreamingBody stream) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("HTTP status must be 100..599: " + status);
    }
    this.status = status;
    this.headers = Objects.requireNonNull(headers, "headers");
    this.body = Objects.requireNonNull(body, "body");
    this.contentType = contentType;
    this.stream = stream;
  }

  /**
   * A response whose body {@code body} writes over time after the headers went out (chunked on
   * HTTP/1.1), e.g. {@code text/event-stream}. See {@link StreamingBody} for threading and
   * timeouts. A HEAD request gets the headers only.
   */
  public static HttpResponse streaming(int status, String contentType, StreamingBody body) {
    return new HttpResponse(status, Metadata.empty(), NO_BODY,
        Objects.requireNonNull(contentType, "contentType"), Objects.requireNonNull(body, "body"));
  }

  /** A response with {@code status} and no body. */
  public static HttpResponse of(int status) {
    return new HttpResponse(status, Metadata.empty(), NO_BODY, null);
  }

  /** A response with {@code status} and a body of the given media type. */
  public static HttpResponse of(int status, String contentType, byte[] body) {
    return new HttpResponse(status, Metadata.empty(), body,
        Objects.requireNonNull(contentType, "contentType"));
  }

  /** 200 with a {@code text/plain; charset=utf-8} body. */
  public static HttpResponse text(String text) {
    return of(200, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
  }

  public int status() {
    return status;
  }

  /** Extra headers (besides Content-Type and Content-Length, which the server sets). */
  public Metadata headers() {
    return headers;
  }

  public byte[] body() {
    return body;
  }

  /** The producer of a {@link #streaming} response's body, else null. */
  public StreamingBody streamingBody() {
    return stream;
  }

  /** The body's media type, or null when there is no body. */
  public String contentType() {
    return contentType;
  }

  public HttpResponse withStatus(int status) {
    return new HttpResponse(status, headers, body, contentType, stream);
  }

  /** A copy with {@code name: value} added to the headers. */
  public HttpResponse withHeader(String name, String value) {
    MutableMetadata copy = MutableMetadata.copyOf(headers);
    copy.add(name, value);
    return new HttpResponse(status, Metadata.copyOf(copy), body, contentType, stream);
  }

  public HttpResponse withBody(String contentType, byte[] body) {
    return new HttpResponse(status, headers, body, Objects.requireNonNull(contentType,
        "contentType"));
  }

  @Override
  public String toString() {
    return "HttpResponse{" + status + ", " + (contentType == null ? "" : contentType + ", ")
        + body.length + " bytes}";
  }
}
