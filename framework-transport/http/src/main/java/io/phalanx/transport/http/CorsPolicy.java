package io.phalanx.transport.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which cross-origin browser requests a server accepts (the Fetch standard's CORS protocol). Set
 * with {@link HttpServer.Builder#cors(CorsPolicy)}.
 *
 * <p>The server applies it before any middleware: a preflight ({@code OPTIONS} with
 * {@code Origin} and {@code Access-Control-Request-Method}) carries no credentials, so an auth
 * middleware would refuse it. An allowed preflight is answered with 204 and the
 * {@code Access-Control-Allow-*} headers, a refused one with 403 {@code CORS_REJECTED} (JSON
 * error body naming what was refused); neither reaches a route or middleware, so access logs and
 * metrics do not see them. Every other request from an allowed origin gets
 * {@code Access-Control-Allow-Origin} (and {@code -Credentials}, {@code -Expose-Headers}) on its
 * reply, errors included. A request from any other origin is served without them: the browser
 * then withholds the reply from the page (CORS is enforced by the browser, not the server).
 * Unless any origin is allowed without credentials, every reply, also to a request without an
 * {@code Origin}, carries {@code Vary: Origin} ({@link #variesByOrigin()}).
 *
 * <p>Defaults, as Spring's {@code CorsConfiguration.applyPermitDefaultValues()}: methods GET, HEAD
 * and POST; any request header; preflights cached for 30 minutes; no credentials; no exposed
 * headers. Origins have no default (Spring's is any origin; here it must be chosen).
 *
 * <p>Immutable and thread-safe.
 */
public final class CorsPolicy {
  private static final Set<String> DEFAULT_METHODS = Set.of("GET", "HEAD", "POST");

  private final boolean anyOrigin;
  private final Set<String> origins;
  /** {@code {"scheme://", ".suffix[:port]"}} of {@code scheme://*.suffix[:port]}, lower case. */
  private final List<String[]> wildcardOrigins;
  private final Set<String> methods;
  private final String methodsHeader;
  private final boolean anyHeader;
  private final Set<String> headers;
  private final List<String> exposedHeaders;
  private final boolean credentials;
  private final Duration maxAge;

  private CorsPolicy(Builder b) {
    this.anyOrigin = b.anyOrigin;
    this.origins = Set.copyOf(b.origins);
    this.wildcardOrigins = List.copyOf(b.wildcardOrigins);
    this.methods = Set.copyOf(b.methods == null ? DEFAULT_METHODS : b.methods);
    this.methodsHeader = String.join(", ", new TreeSet<>(methods));
    this.anyHeader = b.headers == null;
    this.headers = b.headers == null ? Set.of() : Set.copyOf(b.headers);
    this.exposedHeaders = List.copyOf(b.exposedHeaders);
    this.credentials = b.credentials;
    this.maxAge = b.maxAge;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether a page served from {@code origin} (the request's {@code Origin} value) may call. */
  public boolean allowsOrigin(String origin) {
    if (anyOrigin) {
      return true;
    }
    String o = origin.toLowerCase(Locale.ROOT);
    if (origins.contains(o)) {
      return true;
    }
    for (String[] w : wildcardOrigins) {
      if (o.startsWith(w[0]) && o.endsWith(w[1])) {
        // what * stands for: one or more DNS labels, so no port, path or empty label
        String labels = o.substring(w[0].length(), o.length() - w[1].length());
        if (!labels.isEmpty() && !labels.startsWith(".") && !labels.endsWith(".")
            && !labels.contains("..") && labels.chars().allMatch(CorsPolicy::isHostChar)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isHostChar(int c) {
    return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.';
  }

  /** Whether a preflight may announce {@code method} (methods are case-sensitive). */
  public boolean allowsMethod(String method) {
    return methods.contains(method);
  }

  /** Whether a preflight may announce request header {@code name} (case-insensitive). */
  public boolean allowsHeader(String name) {
    return anyHeader || headers.contains(name.toLowerCase(Locale.ROOT));
  }

  /**
   * What {@code Access-Control-Allow-Origin} says to {@code origin}: {@code *} when any origin is
   * allowed without credentials (then the reply does not vary with the origin), else the origin.
   */
  public String allowOriginValue(String origin) {
    return anyOrigin && !credentials ? "*" : origin;
  }

  /**
   * Whether replies depend on the request's {@code Origin}: always, except when any origin is
   * allowed without credentials (every reply then says {@code *}). The server marks such replies
   * {@code Vary: Origin}, those to requests without an {@code Origin} included (Fetch standard,
   * "CORS protocol and HTTP caches"): otherwise a cache, the browser's own among them, stores the
   * reply to a navigation, which has no {@code Access-Control-Allow-Origin}, and hands it to the
   * page's later cross-origin request, which then fails.
   */
  public boolean variesByOrigin() {
    return !anyOrigin || credentials;
  }

  /** The allowed methods, sorted, as {@code Access-Control-Allow-Methods} lists them. */
  public String allowMethodsValue() {
    return methodsHeader;
  }

  public boolean allowsCredentials() {
    return credentials;
  }

  /** Response headers a page may read beyond the safelisted ones; empty by default. */
  public List<String> exposedHeaders() {
    return exposedHeaders;
  }

  /** How long a browser may cache a preflight's answer; zero means it must not. */
  public Duration maxAge() {
    return maxAge;
  }

  /** Collects a policy's options. Not thread-safe. */
  public static final class Builder {
    private boolean anyOrigin;
    private final Set<String> origins = new LinkedHashSet<>();
    private final List<String[]> wildcardOrigins = new ArrayList<>();
    private Set<String> methods;
    private Set<String> headers; // null = any
    private final List<String> exposedHeaders = new ArrayList<>();
    private boolean credentials;
    private Duration maxAge = Duration.ofMinutes(30);

    private Builder() {}

    /**
     * Allows pages from these origins: {@code scheme://host[:port]} exactly as browsers send it
     * (no path, no trailing slash), or with a leading {@code *.} label for any subdomain:
     * {@code https://*.example.com} allows {@code https://a.example.com} and
     * {@code https://a.b.example.com}, not {@code https://example.com}. {@code "null"} (sandboxed
     * frames, {@code file:} pages) only when listed.
     *
     * @throws IllegalArgumentException for a value that is not an origin, naming it
     */
    public Builder allowOrigins(String... origins) {
      for (String origin : origins) {
        Objects.requireNonNull(origin, "origin");
        String o = origin.toLowerCase(Locale.ROOT);
        if (o.equals("null")) {
          this.origins.add(o);
          continue;
        }
        int hostStart = o.indexOf("://") + 3;
        if (hostStart > 3 && o.startsWith("*.", hostStart)) {
          checkOrigin(origin, o.substring(0, hostStart) + "x" + o.substring(hostStart + 1));
          wildcardOrigins.add(new String[] {o.substring(0, hostStart), o.substring(hostStart + 1)});
        } else {
          checkOrigin(origin, o);
          this.origins.add(o);
        }
      }
      return this;
    }

    /**
     * Allows pages from every origin. Cannot be combined with {@link #allowCredentials}: the
     * standard forbids {@code *} with credentials, and echoing any origin with credentials would
     * let every site act as the signed-in user.
     */
    public Builder allowAnyOrigin() {
      this.anyOrigin = true;
      return this;
    }

    /** The methods a preflight may announce (default GET, HEAD, POST); replaces the default. */
    public Builder allowMethods(String... methods) {
      Set<String> m = new LinkedHashSet<>();
      for (String method : methods) {
        if (method == null || method.isEmpty() || !method.chars().allMatch(Builder::isTchar)) {
          throw new IllegalArgumentException("not an HTTP method: " + method);
        }
        m.add(method);
      }
      this.methods = m;
      return this;
    }

    /**
     * The request headers a preflight may announce, case-insensitive; replaces the default (any
     * header). The CORS-safelisted ones ({@code Accept}, {@code Content-Type} with a form or text
     * value, …) need no preflight and no listing; {@code Content-Type: application/json} does.
     */
    public Builder allowHeaders(String... headers) {
      Set<String> h = new LinkedHashSet<>();
      for (String header : headers) {
        if (header == null || header.isEmpty() || !header.chars().allMatch(Builder::isTchar)) {
          throw new IllegalArgumentException("not an HTTP header name: " + header);
        }
        h.add(header.toLowerCase(Locale.ROOT));
      }
      this.headers = h;
      return this;
    }

    /** Response headers the page may read beyond the safelisted ones (e.g. a request id). */
    public Builder exposeHeaders(String... headers) {
      for (String header : headers) {
        if (header == null || header.isEmpty() || !header.chars().allMatch(Builder::isTchar)) {
          throw new IllegalArgumentException("not an HTTP header name: " + header);
        }
        exposedHeaders.add(header);
      }
      return this;
    }

    /** Lets the page send cookies and HTTP auth, and read the reply to such a request. */
    public Builder allowCredentials(boolean credentials) {
      this.credentials = credentials;
      return this;
    }

    /** How long a browser may cache a preflight's answer (default 30 min; browsers cap it). */
    public Builder maxAge(Duration maxAge) {
      Objects.requireNonNull(maxAge, "maxAge");
      if (maxAge.isNegative()) {
        throw new IllegalArgumentException("maxAge must not be negative: " + maxAge);
      }
      this.maxAge = maxAge;
      return this;
    }

    /**
     * @throws IllegalStateException with no origin allowed, or any origin with credentials
     */
    public CorsPolicy build() {
      if (!anyOrigin && origins.isEmpty() && wildcardOrigins.isEmpty()) {
        throw new IllegalStateException("CorsPolicy allows no origin: call allowOrigins(..) or "
            + "allowAnyOrigin()");
      }
      if (anyOrigin && credentials) {
        throw new IllegalStateException("CorsPolicy: allowAnyOrigin() with allowCredentials(true) "
            + "would let every site call as the signed-in user; list the origins instead");
      }
      return new CorsPolicy(this);
    }

    private static void checkOrigin(String given, String origin) {
      URI u;
      try {
        u = new URI(origin);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("not an origin (scheme://host[:port]): " + given, e);
      }
      if (u.getScheme() == null || u.getHost() == null || u.getRawUserInfo() != null
          || !u.getRawPath().isEmpty() || u.getRawQuery() != null || u.getRawFragment() != null) {
        throw new IllegalArgumentException("not an origin (scheme://host[:port], no path or "
            + "trailing slash): " + given);
      }
    }

    private static boolean isTchar(int c) {
      return c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }
  }
}
