package io.phalanx.transport.http;

import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.internal.ErrorBodies;

/**
 * How the HTTP server writes an error: every one, whether a handler threw it, a middleware
 * refused the request, a codec could not read the body, no route matched, the executor was full,
 * the deadline passed or the connection itself refused a malformed, oversized or slow request.
 * Kratos' {@code http.ErrorEncoder}. Set it with {@link HttpServer.Builder#errorEncoder}; the
 * default is {@link #json()}.
 *
 * <p>Threading: called on the handler's thread for errors raised while handling a request, and
 * on the connection's event loop for errors the connection answers itself (400 for a malformed
 * request, 408, 413, 414, 431, 503 when the executor is full, 504 at the deadline). It must be
 * fast, must not block and should not throw: an encoder that throws or returns null, or returns a
 * streaming response, is logged and the default body is sent instead, so an error is always
 * answered. Reply metadata (CORS headers included) is added to what it returns.
 */
@FunctionalInterface
public interface ErrorEncoder {

  /** The response for {@code error}; its status is normally {@code error.code()}. */
  HttpResponse encode(ServiceException error);

  /**
   * Kratos' error body, the default: {@code {"code":404,"reason":"USER_NOT_FOUND",
   * "message":"…","metadata":{…}}} as {@code application/json}, status {@code code}. Go and Java
   * clients of Kratos and Phalanx read it back as the same error.
   */
  static ErrorEncoder json() {
    return ErrorBodies.KRATOS;
  }

  /**
   * RFC 9457 problem details, as Spring Boot 3 writes them: {@code application/problem+json} with
   * {@code type} {@code about:blank}, {@code title} the status phrase, {@code status},
   * {@code detail} the message, and the Kratos {@code reason} and {@code metadata} as extension
   * members, so the Phalanx client still reads the reason back.
   */
  static ErrorEncoder problemDetails() {
    return ErrorBodies.PROBLEM;
  }
}
