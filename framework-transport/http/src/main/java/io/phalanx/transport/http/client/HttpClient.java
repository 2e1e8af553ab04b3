package io.phalanx.transport.http.client;

import io.netty.handler.codec.http.FullHttpRequest;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.MetadataPropagation;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.execution.HandlerExecutors;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.selector.Balancer;
import io.phalanx.core.selector.NodeFilter;
import io.phalanx.core.selector.OutlierEjection;
import io.phalanx.core.selector.Selector;
import io.phalanx.transport.http.codec.Codec;
import io.phalanx.transport.http.codec.Codecs;
import io.phalanx.transport.http.codec.Multipart;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * A Netty HTTP/1.1 client for one target (a fixed base URI, or a {@link TargetResolver} that picks
 * one per call).
 *
 * <pre>{@code
 * HttpClient client = HttpClient.builder().target("http://127.0.0.1:8000")
 *     .timeout(Duration.ofSeconds(2)).middleware(tracing, metrics).build();
 * Reply r = client.get(ctx, "/hello/world", Reply.class);
 * }</pre>
 *
 * <p>Each call derives a client {@link Context} from the caller's ({@code ctx.withTransport}), so
 * the deadline and attributes flow on; its deadline is the earlier of the caller's and now plus
 * the timeout, and the remaining time travels as {@code grpc-timeout}. Middleware runs around the
 * network exchange, sees an {@link HttpClientRequest} and returns an {@link HttpClientResponse};
 * headers it adds to {@code ctx.transport().requestMetadata()} are sent. A reply outside 2xx is a
 * {@link ServiceException}: a Kratos error body keeps its reason, message and metadata (the code
 * is the HTTP status); other bodies give an empty reason and a short excerpt as the message.
 * Connection failures are 503 {@code UNAVAILABLE}, a passed deadline 504 {@code
 * DEADLINE_EXCEEDED} (without sending, if it passed before the call).
 *
 * <p>{@code discovery:///greeter} targets ({@link Builder#discovery}) pick an instance per call
 * through a {@link Selector} and report each call's latency and outcome to it: a refused
 * connection, a 503 or a 504 counts against the node (outlier ejection), other errors do not.
 *
 * <p>Threading: thread-safe; share one client per target. The blocking methods suit virtual
 * threads: the calling thread parks on a future completed by the event loop. {@code …Async}
 * methods run the call on the client's executor (virtual threads where available).
 */
public final class HttpClient implements AutoCloseable {
  private static final String USER_AGENT = "phalanx-http-client";
  private static final int MAX_ERROR_EXCERPT = 256;
  private static final String DISCOVERY_SCHEME = "discovery";

  private final String endpoint;
  private final TargetResolver resolver;
  private final Duration timeout;
  private final Codecs codecs;
  private final Connector connector;
  private final Handler chain;
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final AtomicBoolean closed = new AtomicBoolean();

  private HttpClient(Builder b, Connector connector) {
    this.endpoint = b.endpoint;
    this.resolver = b.resolver;
    this.timeout = b.timeout;
    this.codecs = b.codecs;
    this.connector = connector;
    this.chain = Middleware.chain(b.middleware).wrap(this::exchange);
    this.ownsExecutor = b.executor == null;
    this.executor = b.executor != null ? b.executor : HandlerExecutors.defaultExecutor();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The target as configured, e.g. {@code http://127.0.0.1:8000}. */
  public String endpoint() {
    return endpoint;
  }

  // ---- typed calls ------------------------------------------------------------------------

  public <T> T get(Context ctx, String path, Class<T> replyType) {
    return call(ctx, HttpClientRequest.builder("GET", path).build(), replyType);
  }

  public <T> T get(String path, Class<T> replyType) {
    return get(null, path, replyType);
  }

  public <T> T post(Context ctx, String path, Object body, Class<T> replyType) {
    return call(ctx, HttpClientRequest.builder("POST", path).body(body).build(), replyType);
  }

  public <T> T post(String path, Object body, Class<T> replyType) {
    return post(null, path, body, replyType);
  }

  public <T> T put(Context ctx, String path, Object body, Class<T> replyType) {
    return call(ctx, HttpClientRequest.builder("PUT", path).body(body).build(), replyType);
  }

  public <T> T put(String path, Object body, Class<T> replyType) {
    return put(null, path, body, replyType);
  }

  public <T> T delete(Context ctx, String path, Class<T> replyType) {
    return call(ctx, HttpClientRequest.builder("DELETE", path).build(), replyType);
  }

  public <T> T delete(String path, Class<T> replyType) {
    return delete(null, path, replyType);
  }

  /**
   * Sends {@code request} and decodes the 2xx reply as {@code replyType} ({@code null} for an
   * empty body or {@code Void}).
   *
   * @throws ServiceException for error replies, connection failures and passed deadlines
   */
  public <T> T call(Context ctx, HttpClientRequest request, Class<T> replyType) {
    HttpClientRequest req = request;
    if (!req.headers().contains("accept") && replyType != Void.class
        && replyType != HttpClientResponse.class) {
      req = req.toBuilder().header("accept", acceptFor(replyType)).build();
    }
    return execute(ctx, req).as(replyType);
  }

  /** As {@link #call(Context, HttpClientRequest, Class)} without a caller context. */
  public <T> T call(HttpClientRequest request, Class<T> replyType) {
    return call(null, request, replyType);
  }

  /**
   * Sends {@code request} and returns the 2xx reply as is.
   *
   * @param ctx the caller's context (deadline and attributes flow on), or {@code null} outside a
   *     handler
   * @throws ServiceException for error replies, connection failures and passed deadlines
   */
  public HttpClientResponse execute(Context ctx, HttpClientRequest request) {
    Objects.requireNonNull(request, "request");
    if (closed.get()) {
      throw new IllegalStateException("client is closed");
    }
    HttpClientTransport transport = new HttpClientTransport(request, endpoint);
    // Kratos rules: x-md-global-* of the server request this call is made from, plus what the
    // caller asked to send; headers set on the request itself win.
    MutableMetadata propagated = MetadataPropagation.clientMetadata(Optional.ofNullable(ctx));
    if (!propagated.isEmpty()) {
      // names set on the request are taken before the loop: every value of a propagated
      // multi-valued header must go, not only its first
      Set<String> own = Set.copyOf(transport.requestMetadata().names());
      propagated.forEach((name, value) -> {
        if (!own.contains(name.toLowerCase(Locale.ROOT))) {
          transport.requestMetadata().add(name, value);
        }
      });
    }
    Duration t = request.timeout().orElse(timeout);
    Instant deadline = Instant.now().plus(t);
    Context callCtx;
    if (ctx == null) {
      callCtx = Context.of(transport, deadline);
    } else {
      callCtx = ctx.withTransport(transport);
      if (callCtx.deadline().map(d -> d.isAfter(deadline)).orElse(true)) {
        callCtx = callCtx.withDeadline(deadline);
      }
    }
    try {
      return (HttpClientResponse) chain.handle(callCtx, request);
    } catch (ServiceException e) {
      throw e;
    } catch (Exception e) {
      throw Errors.from(e);
    }
  }

  public HttpClientResponse execute(HttpClientRequest request) {
    return execute(null, request);
  }

  // ---- async variants ---------------------------------------------------------------------

  /**
   * {@link #execute(Context, HttpClientRequest)} on the client's executor; after {@link #close()}
   * the future fails with an {@link IllegalStateException}.
   */
  public CompletableFuture<HttpClientResponse> executeAsync(Context ctx,
      HttpClientRequest request) {
    return async(() -> execute(ctx, request));
  }

  /**
   * {@link #call(Context, HttpClientRequest, Class)} on the client's executor; after
   * {@link #close()} the future fails with an {@link IllegalStateException}.
   */
  public <T> CompletableFuture<T> callAsync(Context ctx, HttpClientRequest request,
      Class<T> replyType) {
    return async(() -> call(ctx, request, replyType));
  }

  private <T> CompletableFuture<T> async(Supplier<T> call) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
    }
    try {
      return CompletableFuture.supplyAsync(call, executor);
    } catch (RejectedExecutionException e) {
      if (closed.get()) { // our own executor, shut down by close() since the check above
        return CompletableFuture.failedFuture(new IllegalStateException("client is closed", e));
      }
      throw e;
    }
  }

  // ---- the end of the middleware chain ----------------------------------------------------

  /** The terminal handler: the network exchange itself, under the context's deadline. */
  private Object exchange(Context ctx, Object req) throws Exception {
    if (!(ctx.transport() instanceof HttpClientTransport transport)) {
      throw new IllegalStateException("client middleware replaced the transport with "
          + ctx.transport());
    }
    HttpClientRequest request = (HttpClientRequest) req;
    Duration remaining = ctx.remaining().orElse(timeout);
    if (remaining.isNegative() || remaining.isZero()) {
      throw deadlineExceeded(request, "before the request was sent");
    }
    TargetResolver.Pick pick = resolver.pick(ctx);
    try {
      HttpClientResponse response = exchange(ctx, transport, request, remaining, pick.base());
      pick.done().accept(null);
      return response;
    } catch (Throwable t) {
      pick.done().accept(t);
      throw t;
    }
  }

  /** One exchange with the node at {@code base}. */
  private HttpClientResponse exchange(Context ctx, HttpClientTransport transport,
      HttpClientRequest request, Duration remaining, URI base) throws Exception {
    String authority = authority(base);

    MutableMetadata headers = transport.requestMetadata();
    byte[] body = encodeBody(request, headers);
    headers.set("grpc-timeout", GrpcTimeout.format(remaining));
    if (!headers.contains("user-agent")) {
      headers.set("user-agent", USER_AGENT);
    }
    String uri = join(base.getRawPath(), request.path());
    long deadlineNanos = System.nanoTime() + remaining.toNanos();
    // Built per attempt, at write time: the deadline header then leaves out the time spent
    // waiting for a pooled connection or connecting, so the server's deadline stays close to ours.
    // A copy: a retry may build the request on an event loop while middleware owns the original.
    MutableMetadata sent = MutableMetadata.copyOf(headers);
    // The first attempt's request is built here, on the caller's thread: a header or path Netty
    // refuses (CR/LF, illegal characters) fails this call at once instead of on an event loop,
    // where it would hold a pooled connection until the deadline.
    AtomicReference<FullHttpRequest> first = new AtomicReference<>(
        nettyRequest(request, uri, authority, body, sent));
    Supplier<FullHttpRequest> nettyRequest = () -> {
      FullHttpRequest r = first.getAndSet(null);
      if (r == null) {
        r = Connector.toNetty(request.method(), uri, authority, body, sent);
      }
      r.headers().set("grpc-timeout", GrpcTimeout.format(
          Duration.ofNanos(Math.max(1, deadlineNanos - System.nanoTime()))));
      return r;
    };

    Exchange exchange = new Exchange(request.method(), nettyRequest);
    connector.send(base, exchange, transport, authority, remaining,
        () -> deadlineExceeded(request, "after " + remaining.toMillis() + " ms"));

    HttpClientResponse response;
    try {
      response = exchange.result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      exchange.fail(new ServiceException(499, "CANCELLED", "call interrupted"));
      throw new ServiceException(499, "CANCELLED", "call to " + request + " interrupted",
          Map.of(), e);
    } catch (ExecutionException e) {
      throw Errors.from(e.getCause());
    }
    transport.replyMetadata().addAll(response.headers());
    if (response.status() < 200 || response.status() >= 300) {
      throw errorFrom(response);
    }
    return response;
  }

  /**
   * The request as Netty will write it.
   *
   * @throws ServiceException 400 {@code INVALID_REQUEST} when Netty refuses a header or the
   *     path: the caller's mistake, so neither retried nor counted against the server
   */
  private static FullHttpRequest nettyRequest(HttpClientRequest request, String uri,
      String authority, byte[] body, MutableMetadata headers) {
    try {
      return Connector.toNetty(request.method(), uri, authority, body, headers);
    } catch (IllegalArgumentException e) {
      throw new ServiceException(400, "INVALID_REQUEST", "cannot send " + request.method() + " "
          + uri + ": " + e.getMessage(), Map.of(), e);
    }
  }

  private byte[] encodeBody(HttpClientRequest request, MutableMetadata headers) {
    Object value = request.body();
    if (value == null) {
      return null;
    }
    String contentType = request.contentType().orElse(headers.get("content-type").orElse(null));
    if (value instanceof byte[] raw && contentType != null) {
      headers.set("content-type", contentType);
      return raw;
    }
    Codec codec = codecs.forAccept(contentType, value.getClass());
    // A multipart body cannot be read without its boundary, whatever type the call named.
    headers.set("content-type", contentType != null && !(value instanceof Multipart)
        ? contentType : codec.contentType(value));
    return codec.encode(value);
  }

  private String acceptFor(Class<?> replyType) {
    return codecs.forAccept(null, replyType).mediaTypes().get(0);
  }

  /**
   * A Kratos error body, or an RFC 9457 problem ({@code detail} as the message, Phalanx's
   * {@code reason} and {@code metadata} extension members), keeps its reason, message and
   * metadata; anything else becomes text.
   */
  @SuppressWarnings("unchecked")
  private ServiceException errorFrom(HttpClientResponse response) {
    int status = response.status();
    String ct = response.contentType().orElse("");
    byte[] body = response.body();
    if (body.length > 0 && (ct.isEmpty() || ct.toLowerCase(java.util.Locale.ROOT).contains("json"))) {
      try {
        Map<String, Object> m = codecs.forContentType("application/json", Map.class)
            .decode(body, Map.class);
        if (m != null && (m.containsKey("reason") || m.containsKey("message")
            || m.containsKey("detail"))) {
          Map<String, String> meta = new LinkedHashMap<>();
          if (m.get("metadata") instanceof Map<?, ?> md) {
            md.forEach((k, v) -> meta.put(String.valueOf(k), String.valueOf(v)));
          }
          Object message = m.containsKey("message") ? m.get("message") : m.get("detail");
          return new ServiceException(status, stringOf(m.get("reason")), stringOf(message), meta,
              null);
        }
      } catch (ServiceException notJson) {
        // fall through: report the body as text
      }
    }
    String text = new String(body, 0, Math.min(body.length, MAX_ERROR_EXCERPT * 4),
        StandardCharsets.UTF_8).strip();
    if (text.length() > MAX_ERROR_EXCERPT) {
      text = text.substring(0, MAX_ERROR_EXCERPT) + "…";
    }
    return new ServiceException(status, "", text);
  }

  private static String stringOf(Object o) {
    return o == null ? "" : String.valueOf(o);
  }

  private ServiceException deadlineExceeded(HttpClientRequest request, String when) {
    return new ServiceException(504, "DEADLINE_EXCEEDED",
        "deadline exceeded " + when + ": " + request.method() + " " + endpoint
            + request.pathWithoutQuery());
  }

  private static String authority(URI base) {
    int port = base.getPort();
    String host = base.getHost();
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return port > 0 ? host + ":" + port : host;
  }

  private static String join(String basePath, String path) {
    if (basePath == null || basePath.isEmpty() || "/".equals(basePath)) {
      return path;
    }
    return basePath.endsWith("/") ? basePath + path.substring(1) : basePath + path;
  }

  /** How many calls are under way (sent, or waiting for a connection), for tests. */
  int callsUnderWay() {
    return connector.callsUnderWay();
  }

  /** How many per-host connection pools the client holds now (tests watch them go). */
  int poolCount() {
    return connector.poolCount();
  }

  /**
   * Closes pooled connections, the event loops and the target resolver. Idempotent. Calls under
   * way fail at once with 499 {@code CANCELLED}; later calls throw {@link IllegalStateException}
   * (their async forms return a future failed with it).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      resolver.close();
    } finally {
      connector.close();
      if (ownsExecutor) {
        executor.shutdown();
      }
    }
  }

  /** Builds an {@link HttpClient}. Not thread-safe. */
  public static final class Builder {
    private String endpoint;
    private TargetResolver resolver;
    private Duration timeout = Duration.ofSeconds(10);
    private Duration connectTimeout = Duration.ofSeconds(3);
    private int maxConnectionsPerHost = 64;
    private Duration idleTimeout = Duration.ofSeconds(60);
    private int maxResponseSize = 16 << 20;
    private int ioThreads = 0;
    private final List<Middleware> middleware = new ArrayList<>();
    private Codecs codecs = Codecs.defaults();
    private ClientTls tls;
    private ExecutorService executor;
    private String serviceName;
    private Discovery discovery;
    private Balancer balancer;
    private final List<NodeFilter> filters = new ArrayList<>();
    private OutlierEjection ejection = OutlierEjection.defaults();

    private Builder() {}

    /**
     * A fixed base URI ({@code http://host:port} or {@code https://host:port/prefix}), or
     * {@code discovery:///name}: the instances of service {@code name} in the {@link
     * #discovery} given, one picked per call by the {@link #balancer} (P2C by default) among
     * their {@code http} endpoints ({@code https} when {@link #tls} is set).
     */
    public Builder target(String uri) {
      URI u = URI.create(Objects.requireNonNull(uri, "uri"));
      if (DISCOVERY_SCHEME.equalsIgnoreCase(u.getScheme())) {
        String path = u.getPath() == null ? "" : u.getPath();
        String name = path.startsWith("/") ? path.substring(1) : path;
        if (name.isEmpty() || name.contains("/")) {
          throw new IllegalArgumentException(
              "a discovery target is discovery:///<service-name>, got " + uri);
        }
        this.endpoint = uri;
        this.serviceName = name;
        this.resolver = null;
        return this;
      }
      this.serviceName = null;
      return target(uri, TargetResolver.fixed(u));
    }

    /** Where a {@code discovery:///name} target finds its instances. */
    public Builder discovery(Discovery discovery) {
      this.discovery = Objects.requireNonNull(discovery, "discovery");
      return this;
    }

    /**
     * How a {@code discovery:///} target picks among instances; default {@link Balancer#p2c()}.
     * The instance is this client's alone (balancers keep state).
     */
    public Builder balancer(Balancer balancer) {
      this.balancer = Objects.requireNonNull(balancer, "balancer");
      return this;
    }

    /** Narrows the instances of a {@code discovery:///} target (version, metadata...). */
    public Builder nodeFilter(NodeFilter... filters) {
      this.filters.addAll(List.of(filters));
      return this;
    }

    /** Outlier ejection for a {@code discovery:///} target; default {@link
     * OutlierEjection#defaults()}. A refused connection counts as a failure. */
    public Builder outlierEjection(OutlierEjection ejection) {
      this.ejection = Objects.requireNonNull(ejection, "ejection");
      return this;
    }

    /**
     * A target resolved per call: {@code endpoint} is the name reported as the transport's
     * endpoint (e.g. {@code discovery:///greeter}), {@code resolver} picks the base URI.
     */
    public Builder target(String endpoint, TargetResolver resolver) {
      this.serviceName = null;
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /** Default per-call timeout (10 s); a shorter caller deadline wins. */
    public Builder timeout(Duration timeout) {
      this.timeout = positive(timeout, "timeout");
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = positive(connectTimeout, "connectTimeout");
      return this;
    }

    /** Connections per host (64); further calls wait for a free one within their deadline. */
    public Builder maxConnectionsPerHost(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConnectionsPerHost must be >= 1: " + max);
      }
      this.maxConnectionsPerHost = max;
      return this;
    }

    /** How long an unused pooled connection stays open (60 s). */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = positive(idleTimeout, "idleTimeout");
      return this;
    }

    /** Largest accepted response body in bytes (16 MiB); larger is 502 RESPONSE_TOO_LARGE. */
    public Builder maxResponseSize(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxResponseSize must be >= 0: " + bytes);
      }
      this.maxResponseSize = bytes;
      return this;
    }

    /** Event-loop threads (0 = Netty's default, twice the cores). */
    public Builder ioThreads(int threads) {
      this.ioThreads = Math.max(0, threads);
      return this;
    }

    /** Client middleware, first = outermost, run around every call. */
    public Builder middleware(Middleware... m) {
      middleware.addAll(List.of(m));
      return this;
    }

    public Builder codecs(Codecs codecs) {
      this.codecs = Objects.requireNonNull(codecs, "codecs");
      return this;
    }

    /** TLS for {@code https} targets. */
    public Builder tls(ClientTls tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** Where {@code …Async} calls run (default: virtual threads, else a bounded pool). */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public HttpClient build() {
      if (serviceName != null) {
        if (discovery == null) {
          throw new IllegalStateException(endpoint + " needs discovery(...)");
        }
        Selector.Builder sb = Selector.builder().discovery(discovery, serviceName)
            .schemes(tls != null ? "https" : "http").outlierEjection(ejection)
            .filter(filters.toArray(NodeFilter[]::new));
        if (balancer != null) {
          sb.balancer(balancer);
        }
        resolver = TargetResolver.selector(sb.build());
      }
      if (resolver == null) {
        throw new IllegalStateException("target(...) is required");
      }
      if (endpoint.startsWith("https") && tls == null) {
        tls = ClientTls.systemDefault();
      }
      try {
        return new HttpClient(this, new Connector(new Connector.Settings(connectTimeout,
            maxConnectionsPerHost, idleTimeout, maxResponseSize, tls, ioThreads, codecs)));
      } catch (SSLException e) {
        throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
      }
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }
  }
}
