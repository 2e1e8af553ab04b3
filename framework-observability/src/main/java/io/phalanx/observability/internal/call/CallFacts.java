package io.phalanx.observability.internal.call;

import com.google.protobuf.MessageLite;
import io.phalanx.core.Transport;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpTransport;
import io.phalanx.transport.http.client.HttpClientRequest;
import io.phalanx.transport.http.client.HttpClientResponse;

/**
 * The outcome of one call as observability reports it: an HTTP-style code (gRPC statuses are
 * already HTTP-style codes in Phalanx), the error reason, and the message sizes where the
 * middleware can know them without serializing anything a second time.
 *
 * <p>On a transport that answers after the chain returned ({@link io.phalanx.core.SentReply}: the
 * HTTP server's 406 for a reply no acceptable codec writes, 500 for one its codec fails to
 * encode), the middleware records once the transport said what it sent (see
 * {@link #sentFailure}).
 *
 * <p>Sizes are {@code -1} when unknown: an HTTP reply that is a value the server encodes after
 * the middleware chain returned, an error the HTTP server answers (written after the chain by
 * the route's error encoder, which need not write the JSON error: gRPC-Web's sends no body), a
 * client request body the HTTP client encodes inside the chain's
 * innermost handler, gRPC streams. Protobuf messages know their size (memoised by generated code),
 * so unary gRPC calls always have both.
 *
 * @param code 200 for success (or the status of an {@link HttpResponse}), the
 *     {@link ServiceException} code (on the HTTP server, 500 for one that is no error status, as
 *     the server sends it), 500 for anything else
 * @param reason the error reason, empty on success
 * @param requestBytes request body size, -1 if unknown
 * @param responseBytes reply body size, -1 if unknown
 */
public record CallFacts(int code, String reason, long requestBytes, long responseBytes) {

  /** Facts of a call that returned {@code reply} or failed with {@code error} (null if none). */
  public static CallFacts of(Transport transport, Object request, Object reply, Throwable error) {
    long in = requestBytes(transport, request);
    if (error != null) {
      ServiceException se = Errors.from(error);
      return new CallFacts(sentCode(transport, se), se.reason(), in, errorBytes(transport));
    }
    int code = 200;
    if (reply instanceof HttpResponse r) {
      code = r.status();
    } else if (reply instanceof HttpClientResponse r) {
      code = r.status();
    } else if (reply == null && transport instanceof HttpTransport) {
      code = 204;
    }
    // a HEAD reply has no body on the wire, whatever the GET route it ran returned
    boolean head = transport instanceof HttpTransport http
        && "HEAD".equals(http.request().method());
    return new CallFacts(code, "", in, head ? 0 : replyBytes(reply));
  }

  /**
   * The operation to report for a call: the transport's, except that a HEAD the HTTP server
   * answered with a GET route is {@code HEAD /template} rather than the route's
   * {@code GET /template}. The transport keeps the route's operation (middleware selected for
   * the GET route applies to its HEAD too); what is reported names the method that was sent, as
   * OpenTelemetry's HTTP span names ({@code {method} {http.route}}) and Micrometer's HTTP server
   * conventions (tag {@code method}) do, so HEAD probes are not counted as GETs.
   */
  public static String operation(Transport transport) {
    String op = transport.operation();
    if (op.startsWith("GET ") && transport instanceof HttpTransport http
        && "HEAD".equals(http.request().method())) {
      return "HEAD" + op.substring(3);
    }
    return op;
  }

  /**
   * The failure to record for a call whose middleware ended with {@code reply} or
   * {@code failure}, once the transport said (as a {@link io.phalanx.core.SentReply}) that it
   * answered {@code replaced} instead of the chain's {@code chainReply}: that error, when the
   * chain's reply was this middleware's own ({@code reply}, by identity); else what the middleware
   * saw (a reply a middleware outside it replaced, an attempt a retry around it repeated).
   */
  public static Throwable sentFailure(Object reply, Throwable failure, Object chainReply,
      ServiceException replaced) {
    return failure == null && replaced != null && chainReply == reply ? replaced : failure;
  }

  /**
   * Whether a call that ended with {@code reply} or {@code failure} is answered as it is, so that
   * a middleware records it at once instead of subscribing to the transport's
   * {@link io.phalanx.core.SentReply}: a failure is answered as thrown, an {@link HttpResponse}
   * or no reply (204) needs no codec. Only a plain value can still be answered otherwise (406,
   * 500 from its codec); subscribing for every request cost a listener per middleware.
   */
  public static boolean settled(Object reply, Throwable failure) {
    return failure != null || reply == null || reply instanceof HttpResponse;
  }

  /** Whether the call failed: an exception, or an HTTP reply of 400 and above. */
  public boolean isError() {
    return code >= 400;
  }

  private static long requestBytes(Transport transport, Object request) {
    if (transport instanceof HttpTransport http) {
      // the server has read the whole body before the chain runs; its size as received, since
      // decoding a compressed body here could fail a call that never read it
      return http.request().receivedBodySize();
    }
    if (request instanceof HttpClientRequest r) {
      return r.body() == null ? 0 : r.body() instanceof byte[] b ? b.length : -1;
    }
    if (request instanceof MessageLite m) {
      return m.getSerializedSize();
    }
    return -1;
  }

  private static long replyBytes(Object reply) {
    if (reply instanceof HttpResponse r) {
      return r.streamingBody() != null ? -1 : r.body().length;
    }
    if (reply instanceof HttpClientResponse r) {
      return r.body().length;
    }
    if (reply instanceof byte[] b) {
      return b.length;
    }
    if (reply instanceof MessageLite m) {
      return m.getSerializedSize();
    }
    return -1;
  }

  /**
   * The code an error is recorded with: what the HTTP server sends for it. The server sends an
   * error whose code is no error status (1xx, 2xx, or outside 100..599) as 500, the same body
   * otherwise, so that a caller never reads it as success or as an interim reply; recorded with
   * its own code, a {@code ServiceException(200, ...)} was a success in the access log (INFO),
   * the metrics and the span while the caller got a 500.
   */
  private static int sentCode(Transport transport, ServiceException se) {
    int code = se.code();
    if (transport.kind() == Transport.Kind.HTTP && transport.side() == Transport.Side.SERVER
        && (code < 300 || code > 599)) {
      return 500;
    }
    return code;
  }

  private static long errorBytes(Transport transport) {
    if (transport.kind() != Transport.Kind.HTTP || transport.side() == Transport.Side.SERVER) {
      // the HTTP server writes an error after the chain, with the route's encoder (gRPC-Web's
      // is trailers-only, no body): its size is not known here
      return -1;
    }
    // the HTTP client copies the error reply's headers before it throws
    return transport.replyMetadata().get("content-length").map(CallFacts::parseLength).orElse(-1L);
  }

  private static long parseLength(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
