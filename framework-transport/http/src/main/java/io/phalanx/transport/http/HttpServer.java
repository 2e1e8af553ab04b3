package io.phalanx.transport.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.phalanx.core.Middleware;
import io.phalanx.core.Server;
import io.phalanx.core.StartContext;
import io.phalanx.core.execution.HandlerExecutors;
import io.phalanx.core.internal.Endpoints;
import io.phalanx.transport.http.codec.Codecs;
import io.phalanx.transport.http.internal.RouteCollector;
import io.phalanx.transport.http.internal.ServerConfig;
import io.phalanx.transport.http.internal.ServerInitializer;
import io.phalanx.transport.http.internal.ServerRuntime;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The Netty HTTP server: HTTP/1.1 with keep-alive and pipelining, HTTP/2 over cleartext (prior
 * knowledge or {@code Upgrade: h2c}) and over TLS (ALPN), optional mTLS. Uses epoll when available,
 * NIO otherwise; all its threads are daemon threads.
 *
 * <p>Handlers run on the executor (a virtual thread per request on JDK 21+, a bounded pool on 17),
 * never on an event loop, unless the route opted in with {@link RouteOptions#inline()}. App-wide
 * middleware (from {@link StartContext}) runs outside this server's middleware.
 *
 * <p>Lifecycle as {@link Server}: {@link #start} once (from one thread), {@link #stop} once;
 * {@link #endpoint()} from any thread after start.
 */
public final class HttpServer implements Server {
  private final ServerConfig config;
  private final Object lock = new Object();
  private EventLoopGroup group;
  private Channel serverChannel;
  private ChannelGroup connections;
  private ExecutorService executor;
  private boolean ownsExecutor;
  private ServerRuntime runtime;
  private volatile URI endpoint;
  private boolean stopped;

  private HttpServer(ServerConfig config) {
    this.config = config;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether requests go to the executor per event-loop turn (see the internal DispatchBatch). By
   * default only for the server's own executor when it starts a thread per task (virtual
   * threads): there, a batch costs one thread wake-up instead of one per request. A pool gains
   * little from it (its idle workers wake each other). {@code -Dphalanx.http.batch-dispatch=true}
   * or {@code false} overrides, for measurements and tests.
   */
  private static boolean batchDispatch(boolean ownsExecutor, ExecutorService executor) {
    String forced = System.getProperty("phalanx.http.batch-dispatch", "auto");
    if ("true".equalsIgnoreCase(forced) || "false".equalsIgnoreCase(forced)) {
      return Boolean.parseBoolean(forced);
    }
    return ownsExecutor && !(executor instanceof ThreadPoolExecutor);
  }

  @Override
  public void start(StartContext context) throws Exception {
    Objects.requireNonNull(context, "context");
    synchronized (lock) {
      if (runtime != null) {
        throw new IllegalStateException("server already started");
      }
      SslContext ssl = config.tls() == null ? null : sslContext(config.tls());
      executor = config.executor();
      ownsExecutor = executor == null;
      if (ownsExecutor) {
        executor = HandlerExecutors.defaultExecutor();
      }
      runtime = new ServerRuntime(config, context.middleware(), executor,
          batchDispatch(ownsExecutor, executor));
      boolean epoll = Epoll.isAvailable();
      IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
      Class<? extends ServerChannel> channel =
          epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
      group = new MultiThreadIoEventLoopGroup(config.ioThreads(),
          new DefaultThreadFactory("phalanx-http", true), io);
      connections = new DefaultChannelGroup("phalanx-http", GlobalEventExecutor.INSTANCE);
      ServerBootstrap bootstrap = new ServerBootstrap()
          .group(group)
          .channel(channel)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ServerInitializer(runtime, ssl, connections));
      try {
        serverChannel = bootstrap.bind(config.host(), config.port()).sync().channel();
      } catch (Exception e) {
        shutdownResources();
        runtime = null;
        IOException failure = new IOException("cannot bind HTTP server to " + config.host() + ":"
            + config.port() + ": " + e.getMessage(), e);
        throw failure;
      }
      endpoint = Endpoints.of(ssl == null ? "http" : "https",
          (InetSocketAddress) serverChannel.localAddress());
      runtime.endpoint(endpoint.toString());
    }
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to {@code grace} (HTTP/1.1 responses
   * then carry {@code Connection: close}, idle connections close at once, HTTP/2 connections get
   * GOAWAY), then closes the rest, the event loops and the executor if the server created it (an
   * executor passed to the builder belongs to the caller).
   */
  @Override
  public void stop(Duration grace) {
    synchronized (lock) {
      if (runtime == null || stopped) {
        return;
      }
      stopped = true;
      long graceNanos = Math.max(0, grace == null ? 0 : grace.toNanos());
      long deadline = System.nanoTime() + graceNanos;
      runtime.startDraining();
      serverChannel.close().awaitUninterruptibly();
      long graceMillis = TimeUnit.NANOSECONDS.toMillis(graceNanos);
      for (Channel c : connections) {
        c.eventLoop().execute(() -> ServerInitializer.drain(c, graceMillis));
      }
      while (!connections.isEmpty() && System.nanoTime() - deadline < 0) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      shutdownResources();
    }
  }

  private void shutdownResources() {
    if (connections != null) {
      connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    if (ownsExecutor && executor != null) {
      executor.shutdownNow();
    }
    if (group != null) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public URI endpoint() {
    URI e = endpoint;
    if (e == null) {
      throw new IllegalStateException("server not started");
    }
    return e;
  }

  @Override
  public String name() {
    URI e = endpoint;
    return "http :" + (e == null ? config.port() : e.getPort());
  }

  /** The declared routes in registration order (automatic HEAD and OPTIONS not listed). */
  @Override
  public List<Route> routes() {
    List<Route> out = new ArrayList<>(config.routes().size());
    for (io.phalanx.transport.http.internal.RouteSpec spec : config.routes()) {
      out.add(new Route(spec.method(), spec.template().template(), spec.operation()));
    }
    return List.copyOf(out);
  }

  private static SslContext sslContext(ServerTls tls) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forServer(tls.keys())
        .sslProvider(SslProvider.JDK)
        .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
    if (tls.mutual()) {
      b.trustManager(tls.trustedClients()).clientAuth(ClientAuth.REQUIRE);
    }
    return b.build();
  }

  /**
   * Collects the server's options. Not thread-safe. Defaults: host {@code 0.0.0.0}, port 8000,
   * body limit 4 MiB, header block 8 KiB, request line 4 KiB, read-header timeout 10 s, body-read
   * timeout 30 s, idle timeout 60 s, request timeout 30 s, {@link HandlerExecutors#defaultExecutor()},
   * {@link Codecs#defaults()}, one event loop per core.
   */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port = 8000;
    private final List<Middleware> middleware = new ArrayList<>();
    private final RouteCollector routes = new RouteCollector();
    private int maxContentLength = 4 << 20;
    private int maxHeaderSize = 8192;
    private int maxInitialLineLength = 4096;
    private Duration readHeaderTimeout = Duration.ofSeconds(10);
    private Duration bodyReadTimeout = Duration.ofSeconds(30);
    private Duration idleTimeout = Duration.ofSeconds(60);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private ExecutorService executor;
    private ServerTls tls;
    private Codecs codecs;
    private int ioThreads = Runtime.getRuntime().availableProcessors();
    private int maxConcurrentStreams = 256;
    private int maxPipelinedRequests = 64;
    private CorsPolicy cors;
    private ResponseCompression compression;
    private ErrorEncoder errorEncoder = ErrorEncoder.json();

    private Builder() {}

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port; 0 picks a free one, see {@link HttpServer#endpoint()}. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** Server middleware, appended; runs inside the app-wide middleware, first is outermost. */
    public Builder middleware(Middleware... middleware) {
      for (Middleware m : middleware) {
        this.middleware.add(Objects.requireNonNull(m, "middleware"));
      }
      return this;
    }

    /** Registers routes; may be called more than once. */
    public Builder routes(Consumer<Routes> routes) {
      routes.accept(this.routes);
      return this;
    }

    /** Largest accepted request body in bytes (413 beyond). */
    public Builder maxContentLength(int bytes) {
      this.maxContentLength = positive(bytes, "maxContentLength");
      return this;
    }

    /** Largest accepted header block in bytes (431 beyond). */
    public Builder maxHeaderSize(int bytes) {
      this.maxHeaderSize = positive(bytes, "maxHeaderSize");
      return this;
    }

    /** Longest accepted request line in bytes (414 beyond). */
    public Builder maxInitialLineLength(int bytes) {
      this.maxInitialLineLength = positive(bytes, "maxInitialLineLength");
      return this;
    }

    /**
     * How long a client may take to send complete request headers (slowloris defence): an
     * HTTP/1.1 connection is closed; on HTTP/2, a header block (HEADERS and its CONTINUATION
     * frames) still incomplete after this long ends the connection with GOAWAY
     * {@code ENHANCE_YOUR_CALM}. Also the TLS handshake timeout.
     */
    public Builder readHeaderTimeout(Duration timeout) {
      this.readHeaderTimeout = positive(timeout, "readHeaderTimeout");
      return this;
    }

    /**
     * How long a client may take to send a request body, counted from the end of its headers
     * (a trickled or stalled upload is answered with 408 {@code REQUEST_TIMEOUT} and the
     * connection, or HTTP/2 stream, is closed).
     */
    public Builder bodyReadTimeout(Duration timeout) {
      this.bodyReadTimeout = positive(timeout, "bodyReadTimeout");
      return this;
    }

    /** How long a keep-alive connection may sit without a request before it is closed. */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive(timeout, "idleTimeout");
      return this;
    }

    /** The deadline of requests whose caller sent none (or a longer one); 504 when exceeded. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** Where handlers run; the caller keeps ownership (the server does not shut it down). */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public Builder tls(ServerTls tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    public Builder tls(KeyManagerFactory keys) {
      return tls(ServerTls.of(keys));
    }

    /** TLS that requires client certificates trusted by {@code trustedClients}. */
    public Builder mtls(KeyManagerFactory keys, TrustManagerFactory trustedClients) {
      return tls(ServerTls.of(keys).withClientAuth(trustedClients));
    }

    /**
     * Answers CORS preflights and marks replies to allowed origins, before any middleware (see
     * {@link CorsPolicy}). Without it the server sends no CORS headers: browsers then let only
     * pages of the server's own origin read its replies.
     */
    public Builder cors(CorsPolicy cors) {
      this.cors = Objects.requireNonNull(cors, "cors");
      return this;
    }

    /**
     * Gzips replies the settings select for callers that accept gzip (see
     * {@link ResponseCompression}); off by default. Request bodies in gzip or deflate are decoded
     * whatever this says.
     */
    public Builder compression(ResponseCompression compression) {
      this.compression = Objects.requireNonNull(compression, "compression");
      return this;
    }

    /**
     * How errors are written ({@link ErrorEncoder#json()}, Kratos' body, by default;
     * {@link ErrorEncoder#problemDetails()} for RFC 9457). Applies to every error this server
     * sends, including those its connections answer before a handler runs.
     */
    public Builder errorEncoder(ErrorEncoder errorEncoder) {
      this.errorEncoder = Objects.requireNonNull(errorEncoder, "errorEncoder");
      return this;
    }

    public Builder codecs(Codecs codecs) {
      this.codecs = Objects.requireNonNull(codecs, "codecs");
      return this;
    }

    /** Number of event-loop threads. */
    public Builder ioThreads(int threads) {
      this.ioThreads = positive(threads, "ioThreads");
      return this;
    }

    /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS. */
    public Builder maxConcurrentStreams(int streams) {
      this.maxConcurrentStreams = positive(streams, "maxConcurrentStreams");
      return this;
    }

    /** Pipelined HTTP/1.1 requests queued per connection before the server stops reading. */
    public Builder maxPipelinedRequests(int requests) {
      this.maxPipelinedRequests = positive(requests, "maxPipelinedRequests");
      return this;
    }

    /**
     * Builds the server.
     *
     * @throws IllegalArgumentException if two routes conflict (same method, same paths)
     */
    public HttpServer build() {
      List<io.phalanx.transport.http.internal.RouteSpec> specs = routes.specs();
      RouteCollector.router(specs, s -> s); // fails fast on conflicting routes
      return new HttpServer(new ServerConfig(host, port, Middleware.chain(middleware), specs,
          maxContentLength, maxHeaderSize, maxInitialLineLength, readHeaderTimeout, bodyReadTimeout,
          idleTimeout, requestTimeout, executor, tls, codecs == null ? Codecs.defaults() : codecs,
          ioThreads, maxConcurrentStreams, maxPipelinedRequests, cors,
          compression, errorEncoder));
    }

    private static int positive(int v, String name) {
      if (v <= 0) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return v;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
