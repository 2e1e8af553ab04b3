package io.phalanx.transport.http;

import io.phalanx.core.Metadata;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A received HTTP request with its body fully read (bounded by the server's
 * {@code maxContentLength}). Untyped handlers get it as their request object.
 *
 * <p>Immutable from the handler's point of view and safe to read from any thread. Query and path
 * parameters are parsed on first use. A query string with a malformed percent escape
 * ({@code %zz}, a trailing {@code %}) makes the query methods throw a 400 BAD_REQUEST
 * {@link io.phalanx.core.error.ServiceException}: let it propagate, it is the answer. A malformed
 * escape in a path variable is kept as sent.
 */
public interface HttpRequest {

  /** The method as sent, e.g. {@code GET}. */
  String method();

  /** The request target as sent: path and query, still percent-encoded. */
  String uri();

  /** The path part of {@link #uri()}, still percent-encoded. */
  String path();

  /** The query string without '?', empty if there is none. */
  String rawQuery();

  /** The first value of query parameter {@code name}, decoded. */
  Optional<String> queryParam(String name);

  /** Every value of query parameter {@code name} (repeated keys), decoded; empty if absent. */
  List<String> queryParams(String name);

  /** All query parameters, decoded, in order. */
  Map<String, List<String>> queryParams();

  /** The decoded path variable {@code name} of the matched route, or null. */
  String pathParam(String name);

  /** All path variables of the matched route, decoded. */
  Map<String, String> pathParams();

  /** The request headers (case-insensitive). */
  Metadata headers();

  /** The {@code Content-Type} header, if any. */
  default Optional<String> contentType() {
    return headers().get("content-type");
  }

  /**
   * The body; an empty array when there is none. Callers must not modify it. A body sent with
   * {@code Content-Encoding: gzip} or {@code deflate} is returned decoded (the headers still
   * describe it as sent), within the server's body limit.
   *
   * @throws io.phalanx.core.error.ServiceException 413 when a compressed body inflates beyond
   *     the limit, 400 when it is corrupt: let it propagate, it is the answer
   */
  byte[] body();

  /**
   * The body's size as it arrived, before any {@code Content-Encoding} is undone: what went over
   * the wire. Unlike {@link #body()} it never decodes, so it never fails; observability reads
   * this rather than make a call that never read its body pay for (or fail on) decoding it.
   */
  default long receivedBodySize() {
    return body().length;
  }

  /** {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}. */
  String protocol();

  /** The client's address. */
  SocketAddress remoteAddress();
}
