package io.phalanx.transport.http.internal;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.phalanx.core.Metadata;
import io.phalanx.core.error.Errors;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.route.RouteMatch;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * {@link HttpRequest} over Netty's decoded request. Built on the event loop, then only read (by
 * the handler thread, after the executor hand-off that orders the two); the lazily parsed query is
 * idempotent, so a racy double parse is harmless.
 */
final class NettyRequest implements HttpRequest {
  private final String method;
  private final String uri;
  private final String path;
  private final String rawQuery;
  private final HttpHeaders nettyHeaders;
  private final Metadata headers;
  /** The body as it arrived (in its content coding, if any). */
  private final byte[] body;
  /** Set by dispatch on the event loop: the body's coding, null for none. */
  private String coding;
  private int inflatedLimit;
  /** The decoded body, once a handler thread asked for it. */
  private volatile byte[] decoded;
  private final String protocol;
  private final SocketAddress remote;
  /** {@code System.nanoTime()} when the headers arrived: deadlines count from there. */
  final long receivedNanos;
  RouteMatch<?> match;
  /** The route the connection found from the head (to pick the body limit); set with headRouted. */
  RouteMatch<BoundRoute> headRoute;
  boolean headRouted;
  /** The connection's TLS session, null for cleartext; set on the event loop before dispatch. */
  SSLSession tlsSession;
  /**
   * The producer an inline route's chain handed to the executor (see ServerRuntime), until the
   * reply is encoded; null otherwise. Event loop only.
   */
  StreamedBody submittedStream;
  /** The exchange running this request on the executor; null for an inline route. */
  Exchange exchange;
  private Map<String, List<String>> query;

  /** The path part of a request target: up to the query or fragment, still percent-encoded. */
  static String pathOf(String uri) {
    int q = uri.indexOf('?');
    int hash = uri.indexOf('#');
    int pathEnd = q >= 0 ? q : hash >= 0 ? hash : uri.length();
    String path = pathEnd == uri.length() ? uri : uri.substring(0, pathEnd);
    return path.isEmpty() || path.charAt(0) == '/' ? path : withoutSchemeAndAuthority(path);
  }

  /**
   * The path of an absolute-form target ({@code http://host:8080/users/7}), which RFC 9112
   * (3.2.2) says a server must accept, as proxies and some clients send it; {@code /} for none.
   * Anything else that does not start with a slash is returned as is (and matches no route).
   */
  private static String withoutSchemeAndAuthority(String path) {
    int scheme = path.indexOf("://");
    if (scheme <= 0) {
      return path;
    }
    int slash = path.indexOf('/', scheme + 3);
    return slash < 0 ? "/" : path.substring(slash);
  }

  NettyRequest(String method, String uri, HttpHeaders headers, byte[] body, String protocol,
      SocketAddress remote, long receivedNanos) {
    this.receivedNanos = receivedNanos;
    this.method = method;
    this.uri = uri;
    int q = uri.indexOf('?');
    int hash = uri.indexOf('#');
    this.path = pathOf(uri);
    this.rawQuery = q < 0 ? "" : uri.substring(q + 1, hash > q ? hash : uri.length());
    this.nettyHeaders = headers;
    this.headers = new HeadersMetadata(headers);
    this.body = body;
    this.protocol = protocol;
    this.remote = remote;
  }

  HttpHeaders nettyHeaders() {
    return nettyHeaders;
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public String rawQuery() {
    return rawQuery;
  }

  @Override
  public Optional<String> queryParam(String name) {
    List<String> v = queryParams().get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
  }

  @Override
  public List<String> queryParams(String name) {
    List<String> v = queryParams().get(name);
    return v == null ? List.of() : v;
  }

  /**
   * @throws io.phalanx.core.error.ServiceException 400 BAD_REQUEST when the query string has a
   *     malformed percent escape ({@code %zz}, a trailing {@code %}): the client's mistake, on
   *     every route that reads the query
   */
  @Override
  public Map<String, List<String>> queryParams() {
    Map<String, List<String>> q = query;
    if (q == null) {
      q = rawQuery.isEmpty() ? Map.of() : decodeQuery(rawQuery);
      query = q;
    }
    return q;
  }

  private static Map<String, List<String>> decodeQuery(String rawQuery) {
    int bad = PercentEscapes.invalidUtf8(rawQuery);
    if (bad >= 0) {
      throw Errors.badRequest("BAD_REQUEST", "the query string is not UTF-8: the percent "
          + "escapes at index " + bad + " decode to bytes that are not");
    }
    try {
      return new QueryStringDecoder(rawQuery, StandardCharsets.UTF_8, false).parameters();
    } catch (IllegalArgumentException e) {
      // Netty's "invalid hex byte" / "unterminated escape sequence": left alone it is a 500.
      // Its message quotes the whole query string, so say where instead of repeating it.
      int at = badEscape(rawQuery);
      throw Errors.badRequest("BAD_REQUEST", "the query string has a malformed percent escape"
          + (at < 0 ? "" : " at index " + at) + ": '%' must be followed by two hex digits");
    }
  }

  /** The index of the first '%' in {@code s} not followed by two hex digits, or -1. */
  private static int badEscape(String s) {
    for (int i = s.indexOf('%'); i >= 0; i = s.indexOf('%', i + 1)) {
      if (i + 2 >= s.length() || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
        return i;
      }
    }
    return -1;
  }

  /** ASCII hex digits only, as Netty's decoder wants (Character.digit takes other scripts'). */
  private static boolean isHex(char c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
  }

  @Override
  public String pathParam(String name) {
    return match == null ? null : match.param(name);
  }

  @Override
  public Map<String, String> pathParams() {
    return match == null ? Map.of() : match.params();
  }

  @Override
  public Metadata headers() {
    return headers;
  }

  /**
   * Decodes the body lazily, on the thread that reads it (a handler's, not the event loop): with
   * {@code coding} gzip or deflate, {@link #body()} inflates up to {@code limit} bytes.
   */
  void contentCoding(String coding, int limit) {
    this.coding = coding;
    this.inflatedLimit = limit;
  }

  /**
   * @throws io.phalanx.core.error.ServiceException 413 when a compressed body inflates beyond
   *     the server's body limit, 400 when it is corrupt
   */
  @Override
  public byte[] body() {
    if (coding == null) {
      return body;
    }
    byte[] b = decoded;
    if (b == null) {
      b = ContentCoding.inflate(coding, body, inflatedLimit);
      decoded = b;
    }
    return b;
  }

  @Override
  public long receivedBodySize() {
    return body.length;
  }

  @Override
  public String protocol() {
    return protocol;
  }

  @Override
  public SocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public String toString() {
    return method + " " + uri + " " + protocol;
  }
}
