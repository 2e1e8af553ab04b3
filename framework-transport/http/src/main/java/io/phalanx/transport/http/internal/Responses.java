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
import java.nio.charset.StandardCharsets;

/** Builds Netty responses; header names and constant values are pre-encoded ASCII strings. */
final class Responses {
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
      h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
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

  static FullHttpResponse empty(int status, Metadata reply) {
    return of(status, null, NO_BODY, null, reply, false);
  }

  /** The JSON error body of {@code e}; an out-of-range code becomes 500. */
  static FullHttpResponse error(ServiceException e, Metadata reply, boolean head) {
    int status = e.code() >= 100 && e.code() <= 599 ? e.code() : 500;
    return of(status, APPLICATION_JSON, e.toJson().getBytes(StandardCharsets.UTF_8), null, reply,
        head);
  }

  private static void copy(Metadata from, HttpHeaders to) {
    from.forEach((name, value) -> {
      if (!name.equals("content-length") && !name.equals("transfer-encoding")
          && !name.equals("connection")) {
        to.add(name, value);
      }
    });
  }
}
