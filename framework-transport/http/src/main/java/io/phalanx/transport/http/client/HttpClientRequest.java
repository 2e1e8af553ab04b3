package io.phalanx.transport.http.client;

import io.phalanx.core.Metadata;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One outgoing HTTP request, relative to the client's target. Immutable; build with
 * {@link #builder} or copy with {@link #toBuilder}.
 *
 * <p>The body is a value encoded by the client's codecs (chosen by {@link #contentType()}, or the
 * codec's own type when none is set), or a {@code byte[]} sent as is. The path template, when
 * given, names the operation for middleware ({@code GET /users/{id}}) so metrics and logs keep a
 * low cardinality; without it the operation is the method and the path without its query.
 */
public final class HttpClientRequest {
  private final String method;
  private final String path;
  private final String pathTemplate;
  private final Metadata headers;
  private final Object body;
  private final String contentType;
  private final Duration timeout;

  private HttpClientRequest(Builder b) {
    this.method = b.method;
    this.path = b.query == null ? b.path
        : b.path + (b.path.indexOf('?') >= 0 ? "&" : "?") + b.query;
    this.pathTemplate = b.pathTemplate;
    this.headers = b.headers.build();
    this.body = b.body;
    this.contentType = b.contentType;
    this.timeout = b.timeout;
  }

  /** A request for {@code method} (upper-cased) and {@code path} (may carry a query string). */
  public static Builder builder(String method, String path) {
    return new Builder(method, path);
  }

  public String method() {
    return method;
  }

  /** Path and query relative to the target, e.g. {@code /users/42?verbose=true}. */
  public String path() {
    return path;
  }

  /** The path without the query string. */
  public String pathWithoutQuery() {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }

  public Optional<String> pathTemplate() {
    return Optional.ofNullable(pathTemplate);
  }

  /** Headers set by the caller; middleware adds more through the transport's request metadata. */
  public Metadata headers() {
    return headers;
  }

  /** The body value, or {@code null} for none. */
  public Object body() {
    return body;
  }

  public Optional<String> contentType() {
    return Optional.ofNullable(contentType);
  }

  /** A per-call timeout replacing the client's default, if set. */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /** The operation name middleware sees: method and template, or method and path. */
  public String operation() {
    return method + " " + (pathTemplate != null ? pathTemplate : pathWithoutQuery());
  }

  public Builder toBuilder() {
    Builder b = new Builder(method, path);
    b.pathTemplate = pathTemplate;
    headers.forEach(b.headers::add);
    b.body = body;
    b.contentType = contentType;
    b.timeout = timeout;
    return b;
  }

  @Override
  public String toString() {
    return method + " " + path;
  }

  /** Builds a {@link HttpClientRequest}. Not thread-safe. */
  public static final class Builder {
    private final String method;
    private final String path;
    private String query;
    private String pathTemplate;
    private final Metadata.Builder headers = Metadata.builder();
    private Object body;
    private String contentType;
    private Duration timeout;

    private Builder(String method, String path) {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(path, "path");
      if (method.isEmpty() || method.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
        throw new IllegalArgumentException("invalid HTTP method: " + method);
      }
      this.method = method.toUpperCase(java.util.Locale.ROOT);
      this.path = path.startsWith("/") ? path : "/" + path;
    }

    /** Adds a header; repeated names are sent as repeated headers. */
    public Builder header(String name, String value) {
      headers.add(name, value);
      return this;
    }

    /** Appends a query parameter, URL-encoding name and value. */
    public Builder query(String name, String value) {
      String pair = URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
          + URLEncoder.encode(value, StandardCharsets.UTF_8);
      query = query == null ? pair : query + "&" + pair;
      return this;
    }

    /** The route template this path was built from, used as the operation name. */
    public Builder pathTemplate(String template) {
      this.pathTemplate = template;
      return this;
    }

    /** A value to encode with the client's codecs, or a {@code byte[]} to send as is. */
    public Builder body(Object body) {
      this.body = body;
      return this;
    }

    /** Raw bytes with their media type. */
    public Builder body(byte[] body, String contentType) {
      this.body = body;
      this.contentType = contentType;
      return this;
    }

    /** The media type to encode the body as (default: the codec's own, JSON for objects). */
    public Builder contentType(String contentType) {
      this.contentType = contentType;
      return this;
    }

    public Builder timeout(Duration timeout) {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    public HttpClientRequest build() {
      return new HttpClientRequest(this);
    }
  }
}
