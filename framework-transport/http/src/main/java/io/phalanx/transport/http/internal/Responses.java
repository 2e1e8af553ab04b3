package io.phalanx.transport.http.internal;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.phalanx.core.Metadata;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.ErrorEncoder;
import io.phalanx.transport.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds Netty responses; header names and constant values are pre-encoded ASCII strings. */
final class Responses {
  private static final Logger LOG = LoggerFactory.getLogger(Responses.class);
  static final AsciiString APPLICATION_JSON = AsciiString.cached("application/json");
  /** Our own headers are known to be valid; skipping validation saves a scan per header. */
  private static final HttpHeadersFactory HEADERS =
      DefaultHttpHeadersFactory.headersFactory().withValidation(false);
  private static final HttpHeadersFactory TRAILERS =
      DefaultHttpHeadersFactory.trailersFactory().withValidation(false);
  private static final byte[] NO_BODY = new byte[0];

  private Responses() {}

  /**
   * A complete response. For HEAD the body is left out but Content-Length still tells its size, as
   * a GET would have. Extra headers (from an HttpResponse and from reply metadata) may not
   * override the framing headers.
   */
  static FullHttpResponse of(int status, CharSequence contentType, byte[] body, Metadata headers,
      Metadata reply, boolean head) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(status),
        head || body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body),
        HEADERS, TRAILERS);
    HttpHeaders h = r.headers();
    if (contentType != null && status != 204 && status != 304) {
      setContentType(h, contentType);
    }
    if (status >= 200 && status != 204 && status != 304) {
      h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    }
    if (headers != null && !headers.isEmpty()) {
      copy(headers, h);
    }
    if (reply != null && !reply.isEmpty()) {
      copy(reply, h);
    }
    return r;
  }

  /**
   * The start of a streamed response: status and headers, with a Content-Length only when the
   * body declared its length ({@code length} >= 0); the connection writes the head and then runs
   * {@code body} (see {@link StreamedBody}), or, if the executor refuses {@code body}, sends the
   * 503 with {@code refusalHeaders} instead; {@code submitted}, when not null, is the body's task
   * handed to the executor already.
   */
  static FullHttpResponse streaming(int status, CharSequence contentType, long length,
      io.phalanx.transport.http.StreamingBody body, StreamedBody submitted, Metadata headers,
      Metadata reply, Metadata refusalHeaders) {
    StreamedBody.Start r = new StreamedBody.Start(HttpResponseStatus.valueOf(status),
        HEADERS.newHeaders(), TRAILERS.newHeaders(), body, length, submitted, refusalHeaders);
    HttpHeaders h = r.headers();
    if (contentType != null) {
      setContentType(h, contentType);
    }
    if (length >= 0) {
      h.set(HttpHeaderNames.CONTENT_LENGTH, length);
    }
    if (headers != null && !headers.isEmpty()) {
      copy(headers, h);
    }
    if (reply != null && !reply.isEmpty()) {
      copy(reply, h);
    }
    return r;
  }

  /**
   * The headers of a streamed response for a HEAD request: its declared Content-Length, or none
   * when the body's length is not known in advance (never 0, which would claim an empty body).
   */
  static FullHttpResponse streamingHead(int status, CharSequence contentType, long length,
      Metadata headers, Metadata reply) {
    FullHttpResponse r = of(status, contentType, NO_BODY, headers, reply, true);
    if (length >= 0) {
      r.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    } else {
      r.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
    }
    return r;
  }

  static FullHttpResponse empty(int status, Metadata reply) {
    return of(status, null, NO_BODY, null, reply, false);
  }

  /**
   * The error {@code e} as {@code encoder} writes it. An encoder that fails to give a plain
   * response is logged and replaced by the Kratos body: an error must always be answered.
   */
  static FullHttpResponse error(ErrorEncoder encoder, ServiceException e, Metadata reply,
      boolean head) {
    if (encoder != ErrorBodies.KRATOS) {
      try {
        HttpResponse r = encoder.encode(e);
        if (r != null && r.streamingBody() == null) {
          return of(r.status(), r.contentType(), r.body(), r.headers(), reply, head);
        }
        LOG.warn("error encoder {} returned {} for {}; sent the default error body instead",
            encoder, r == null ? "null" : "a streaming response", e);
      } catch (RuntimeException x) {
        LOG.warn("error encoder {} failed for {}; sent the default error body instead", encoder,
            e, x);
      }
    }
    return of(ErrorBodies.status(e), APPLICATION_JSON,
        e.toJson().getBytes(StandardCharsets.UTF_8), null, reply, head);
  }

  /**
   * Copies application headers. The factories skip Netty's validation, so this is where a header
   * no HTTP version can carry is stopped: a value with CR/LF (response splitting, e.g. user input
   * echoed into a header) or another control character, a name that is not an RFC 9110 token.
   * Such a header is dropped and logged rather than thrown, because a throw here would leave the
   * request unanswered (this also builds the error responses); on HTTP/1.1 clients refuse the
   * whole reply over it, and on HTTP/2 Netty's conversion would fail after the response was
   * decided, leaving the stream without any answer. Blanks around a value are not part of it
   * (RFC 9110 5.5) and HTTP/2 forbids them, so they are trimmed.
   */
  private static void copy(Metadata from, HttpHeaders to) {
    from.forEach((name, value) -> {
      if (name.equals("content-length") || name.equals("transfer-encoding")
          || name.equals("connection")) {
        return;
      }
      String v = fieldValue(value);
      if (!validName(name) || v == null) {
        LOG.warn("dropping reply header with illegal characters: {}", printable(name));
        return;
      }
      to.add(name, v);
    });
  }

  /** Sets Content-Type unless the handler's value cannot be sent (dropped, as in {@link #copy}). */
  private static void setContentType(HttpHeaders h, CharSequence contentType) {
    if (contentType instanceof AsciiString) {
      h.set(HttpHeaderNames.CONTENT_TYPE, contentType); // our own constants
      return;
    }
    String v = fieldValue(contentType.toString());
    if (v == null || v.isEmpty()) {
      LOG.warn("dropping reply Content-Type with illegal characters: {}",
          printable(contentType.toString()));
      return;
    }
    h.set(HttpHeaderNames.CONTENT_TYPE, v);
  }

  /** RFC 9110 5.6.2: a field name is a token. */
  private static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code value} without surrounding blanks, or null when it holds a control character other
   * than a tab (CR, LF and NUL among them).
   */
  private static String fieldValue(String value) {
    int start = 0;
    int end = value.length();
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      if (c < ' ' && c != '\t' || c == 0x7f) {
        return null;
      }
    }
    while (start < end && isBlank(value.charAt(start))) {
      start++;
    }
    while (end > start && isBlank(value.charAt(end - 1))) {
      end--;
    }
    return start == 0 && end == value.length() ? value : value.substring(start, end);
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  /** {@code s} safe for a log line: control characters escaped. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < ' ' || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
