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
  private final long streamLength;

  private HttpResponse(int status, Metadata headers, byte[] body, String contentType) {
    this(status, headers, body, contentType, null, -1);
  }

  private HttpResponse(int status, Metadata headers, byte[] body, String contentType,
      StreamingBody stream, long streamLength) {
    // a 1xx is interim: sent as the reply, it would leave the client waiting for the real one
    if (status < 200 || status > 599) {
      throw new IllegalArgumentException("HTTP status of a reply must be 200..599: " + status);
    }
    this.status = status;
    this.headers = Objects.requireNonNull(headers, "headers");
    this.body = Objects.requireNonNull(body, "body");
    this.contentType = contentType;
    this.stream = stream;
    this.streamLength = streamLength;
  }

  /**
   * A response whose body {@code body} writes over time after the headers went out (chunked on
   * HTTP/1.1), e.g. {@code text/event-stream}. See {@link StreamingBody} for threading and
   * timeouts. A HEAD request gets the headers only.
   */
  public static HttpResponse streaming(int status, String contentType, StreamingBody body) {
    return new HttpResponse(status, Metadata.empty(), NO_BODY,
        Objects.requireNonNull(contentType, "contentType"), Objects.requireNonNull(body, "body"),
        -1);
  }

  /**
   * A streaming response whose body is known to be {@code contentLength} bytes (a file): sent
   * with that {@code Content-Length} instead of chunked, so clients can show progress and a HEAD
   * request learns the size. The server holds the producer to it: writing more fails the write,
   * and a body that ends short or fails is cut by closing the connection (resetting the HTTP/2
   * stream), so a client never takes a short body for a whole one.
   *
   * @throws IllegalArgumentException if {@code contentLength} is negative or {@code status} is
   *     not 200..599
   */
  public static HttpResponse streaming(int status, String contentType, long contentLength,
      StreamingBody body) {
    if (contentLength < 0) {
      throw new IllegalArgumentException("contentLength must not be negative: " + contentLength);
    }
    return new HttpResponse(status, Metadata.empty(), NO_BODY,
        Objects.requireNonNull(contentType, "contentType"), Objects.requireNonNull(body, "body"),
        contentLength);
  }

  /**
   * A response with {@code status} and no body.
   *
   * @throws IllegalArgumentException if {@code status} is not 200..599 (a 1xx is interim)
   */
  public static HttpResponse of(int status) {
    return new HttpResponse(status, Metadata.empty(), NO_BODY, null);
  }

  /**
   * A response with {@code status} and a body of the given media type.
   *
   * @throws IllegalArgumentException if {@code status} is not 200..599
   */
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

  /**
   * The length a {@link #streaming} body declared, or -1 when it is sent chunked (and for
   * responses that are not streaming: their length is {@code body().length}).
   */
  public long streamLength() {
    return streamLength;
  }

  /** The body's media type, or null when there is no body. */
  public String contentType() {
    return contentType;
  }

  /**
   * This response with another status.
   *
   * @throws IllegalArgumentException if {@code status} is not 200..599
   */
  public HttpResponse withStatus(int status) {
    return new HttpResponse(status, headers, body, contentType, stream, streamLength);
  }

  /** A copy with {@code name: value} added to the headers. */
  public HttpResponse withHeader(String name, String value) {
    MutableMetadata copy = MutableMetadata.copyOf(headers);
    copy.add(name, value);
    return new HttpResponse(status, Metadata.copyOf(copy), body, contentType, stream,
        streamLength);
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
