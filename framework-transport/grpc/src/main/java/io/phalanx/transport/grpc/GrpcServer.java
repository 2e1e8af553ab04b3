package io.phalanx.transport.grpc;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.phalanx.core.Middleware;
import io.phalanx.core.Server;
import io.phalanx.core.StartContext;
import io.phalanx.core.execution.HandlerExecutors;
import io.phalanx.core.internal.Endpoints;
import io.phalanx.transport.grpc.internal.Compression;
import io.phalanx.transport.grpc.internal.EventLoops;
import io.phalanx.transport.grpc.internal.ServerBridge;
import io.phalanx.transport.grpc.internal.ShedExecutor;
import io.phalanx.transport.http.ServerTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A gRPC server on grpc-java and the project's Netty (epoll where available, daemon threads),
 * running Phalanx middleware around every call of the services it serves.
 *
 * <p>Always served besides the application's services: {@code grpc.health.v1.Health}, which
 * follows the app's readiness ({@link StartContext#health()}: SERVING between a completed app
 * start and the beginning of its stop, so that gRPC health-checking clients and the HTTP
 * readiness probe agree; a server started on its own is SERVING once listening) and is
 * NOT_SERVING for good as soon as {@link #stop} begins; and, unless disabled, server
 * reflection v1 and v1alpha so that {@code grpcurl} and similar tools work. Middleware does not
 * run on these two.
 *
 * <p>Threads: service code and middleware never run on the Netty event loops; they run on
 * {@link HandlerExecutors#defaultExecutor()} (a virtual thread per call on JDK 21+) unless
 * another executor is given, or inline on the event loop if {@link Builder#inline()} was chosen
 * for services that never block. What grpc-java hands to an executor that refuses it runs on the
 * event loop instead, marked so that calls are shed there rather than served (see {@link
 * Builder#executor}): only refusal listeners and the ends of calls (a service's cancel handler)
 * run there. Lifecycle: {@link #start} once, {@link #stop} once, from one
 * thread; {@link #endpoint()} from any thread after start.
 *
 * <p>Compressed requests (gzip) are always accepted; replies are compressed only with {@link
 * Builder#compression}, and then only for clients that accept the encoding.
 */
public final class GrpcServer implements Server {
  private final Builder config;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private volatile io.grpc.Server server;
  private volatile HealthStatusManager health;
  private volatile AutoCloseable readiness;
  private volatile EventLoops loops;
  private volatile ExecutorService ownedExecutor;
  private volatile URI endpoint;

  private GrpcServer(Builder b) {
    this.config = b.copy();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void start(StartContext context) throws Exception {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("gRPC server already started");
    }
    Middleware middleware = Middleware.chain(context.middleware(),
        Middleware.chain(config.middleware));
    EventLoops groups = EventLoops.create("phalanx-grpc", config.eventLoopThreads);
    loops = groups;
    NettyServerBuilder nb = NettyServerBuilder
        .forAddress(new InetSocketAddress(config.host, config.port))
        .bossEventLoopGroup(groups.boss())
        .workerEventLoopGroup(groups.worker())
        .channelType(groups.channelType())
        .maxInboundMessageSize(config.maxInboundMessageSize)
        .permitKeepAliveTime(config.permitKeepAliveTime.toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(config.permitKeepAliveWithoutCalls);
    // an executor may refuse calls (a bounded pool, the default one on JDK 17 among them, or one
    // shut down), which grpc-java answers with a stream reset the middleware never hear of
    ShedExecutor shed = null;
    if (config.inline) {
      nb.directExecutor();
    } else if (config.executor != null) {
      shed = new ShedExecutor(config.executor);
    } else {
      ownedExecutor = HandlerExecutors.defaultExecutor();
      shed = new ShedExecutor(ownedExecutor);
    }
    if (shed != null) {
      nb.executor(shed);
    }
    ServerBridge bridge = new ServerBridge(middleware, () -> {
      URI e = endpoint;
      return e == null ? "" : e.toString();
    }, shed);
    if (config.maxConcurrentCallsPerConnection > 0) {
      nb.maxConcurrentCallsPerConnection(config.maxConcurrentCallsPerConnection);
    }
    if (config.maxConnectionAge != null) {
      nb.maxConnectionAge(config.maxConnectionAge.toNanos(), TimeUnit.NANOSECONDS);
    }
    if (config.maxConnectionAgeGrace != null) {
      nb.maxConnectionAgeGrace(config.maxConnectionAgeGrace.toNanos(), TimeUnit.NANOSECONDS);
    }
    if (config.keepAliveTime != null) {
      nb.keepAliveTime(config.keepAliveTime.toNanos(), TimeUnit.NANOSECONDS);
    }
    SslContext ssl = sslContext();
    if (ssl != null) {
      nb.sslContext(ssl);
    }
    if (config.compression != null) {
      // server-wide (health and reflection replies too); grpc-java falls back to identity for
      // each client that does not accept the encoding
      nb.intercept(Compression.replies(config.compression));
    }
    List<String> names = new ArrayList<>();
    for (ServerServiceDefinition service : config.services) {
      names.add(service.getServiceDescriptor().getName());
      nb.addService(bridge.bind(service));
    }
    HealthStatusManager h = new HealthStatusManager();
    health = h;
    nb.addService(h.getHealthService());
    if (config.reflection) {
      nb.addService(ProtoReflectionServiceV1.newInstance());
      nb.addService(reflectionV1Alpha());
    }
    io.grpc.Server s = nb.build();
    try {
      s.start();
    } catch (IOException e) {
      release();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IOException("gRPC server cannot listen on " + config.host + ":" + config.port
          + ": " + cause.getMessage(), e);
    }
    server = s;
    InetSocketAddress bound = (InetSocketAddress) s.getListenSockets().get(0);
    endpoint = Endpoints.of(ssl != null ? "grpcs" : "grpc",
        new InetSocketAddress(bound.getAddress(), bound.getPort()));
    // Called at once with the current flag, then on the app's thread at each change; setStatus
    // only updates a map and notifies watchers, so it is safe there.
    readiness = context.health().onServingChange(serving -> {
      ServingStatus st = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      h.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, st);
      for (String name : names) {
        h.setStatus(name, st);
      }
    });
  }

  @SuppressWarnings("deprecation")
  private static BindableService reflectionV1Alpha() {
    // still what many tools (older grpcurl, Postman) ask for first
    return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
  }

  private SslContext sslContext() throws IOException {
    if (config.sslContext != null) {
      return config.sslContext;
    }
    if (config.tls != null) {
      SslContextBuilder b = SslContextBuilder.forServer(config.tls.keys());
      if (config.tls.mutual()) {
        b.trustManager(config.tls.trustedClients()).clientAuth(ClientAuth.REQUIRE);
      }
      return GrpcSslContexts.configure(b, SslProvider.JDK).build();
    }
    if (config.certChain == null) {
      return null;
    }
    SslContextBuilder b = SslContextBuilder.forServer(config.certChain.toFile(),
        config.privateKey.toFile());
    if (config.trustedClientCa != null) {
      b.trustManager(config.trustedClientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
    }
    return GrpcSslContexts.configure(b, SslProvider.JDK).build();
  }

  /**
   * Health NOT_SERVING first, then stop accepting calls ({@code shutdown}), wait up to
   * {@code grace} for in-flight calls (plus the configured drain delay before that), then cancel
   * what is left ({@code shutdownNow}).
   */
  @Override
  public void stop(Duration grace) {
    if (!started.get() || !stopped.compareAndSet(false, true)) {
      return;
    }
    io.grpc.Server s = server;
    HealthStatusManager h = health;
    AutoCloseable r = readiness;
    if (r != null) {
      try {
        r.close();
      } catch (Exception e) {
        // unsubscribing from Health cannot fail; nothing to do
      }
    }
    if (h != null) {
      h.enterTerminalState();
    }
    try {
      if (s != null) {
        if (!config.drainDelay.isZero()) {
          Thread.sleep(config.drainDelay.toMillis());
        }
        s.shutdown();
        if (!s.awaitTermination(Math.max(0, grace.toNanos()), TimeUnit.NANOSECONDS)) {
          s.shutdownNow();
          s.awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      s.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      release();
    }
  }

  private void release() {
    ExecutorService e = ownedExecutor;
    if (e != null) {
      e.shutdown();
    }
    EventLoops l = loops;
    if (l != null) {
      l.shutdown();
    }
  }

  @Override
  public URI endpoint() {
    URI e = endpoint;
    if (e == null) {
      throw new IllegalStateException("gRPC server not started");
    }
    return e;
  }

  /**
   * The application services as registered: without health and reflection, and without the
   * middleware bridge, so that another transport serving them (HTTP/JSON transcoding, see
   * {@link io.phalanx.transport.grpc.transcoding.GrpcTranscoding}) can run the middleware itself.
   */
  public List<ServerServiceDefinition> services() {
    return config.services;
  }

  /**
   * This server's own middleware, outermost first, without the app-wide middleware (which the
   * transport a call arrives on runs). Wrapping a handler with it is what every gRPC call goes
   * through between the app-wide middleware and the service.
   */
  public Middleware middleware() {
    return Middleware.chain(config.middleware);
  }

  /** The bound port (useful with port 0); valid after start. */
  public int port() {
    return endpoint().getPort();
  }

  @Override
  public String name() {
    URI e = endpoint;
    return "grpc :" + (e == null ? config.port : e.getPort());
  }

  /**
   * Every method of the services given to the builder, as the HTTP/2 {@code POST} that calls it
   * (health and reflection, which every server adds, are not listed).
   */
  @Override
  public List<Route> routes() {
    List<Route> out = new ArrayList<>();
    for (ServerServiceDefinition service : config.services) {
      for (io.grpc.MethodDescriptor<?, ?> m : service.getServiceDescriptor().getMethods()) {
        String path = "/" + m.getFullMethodName();
        out.add(new Route("POST", path, path));
      }
    }
    return List.copyOf(out);
  }

  /** Options of a {@link GrpcServer}. Not thread-safe; {@link #build} copies it. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port;
    private List<ServerServiceDefinition> services = new ArrayList<>();
    private List<Middleware> middleware = new ArrayList<>();
    private int maxInboundMessageSize = 4 * 1024 * 1024;
    private int maxConcurrentCallsPerConnection;
    private Duration maxConnectionAge;
    private Duration maxConnectionAgeGrace;
    private Duration keepAliveTime;
    private Duration permitKeepAliveTime = Duration.ofMinutes(5);
    private boolean permitKeepAliveWithoutCalls;
    private Executor executor;
    private boolean inline;
    private boolean reflection = true;
    private int eventLoopThreads;
    private Duration drainDelay = Duration.ZERO;
    private SslContext sslContext;
    private ServerTls tls;
    private Path certChain;
    private Path privateKey;
    private Path trustedClientCa;
    private String compression;

    private Builder() {}

    /** The address to bind; default {@code 0.0.0.0} (all interfaces). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port; 0 (the default) picks a free one, see {@link GrpcServer#port()}. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535: " + port);
      }
      this.port = port;
      return this;
    }

    public Builder service(BindableService service) {
      return service(service.bindService());
    }

    public Builder service(ServerServiceDefinition service) {
      services.add(Objects.requireNonNull(service, "service"));
      return this;
    }

    /** Server middleware, outermost first; app-wide middleware runs outside it. */
    public Builder middleware(Middleware... middleware) {
      for (Middleware m : middleware) {
        this.middleware.add(Objects.requireNonNull(m, "middleware"));
      }
      return this;
    }

    /** Larger request messages fail with RESOURCE_EXHAUSTED; default 4 MiB. */
    public Builder maxInboundMessageSize(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxInboundMessageSize must be > 0: " + bytes);
      }
      this.maxInboundMessageSize = bytes;
      return this;
    }

    /** HTTP/2 max concurrent streams per connection; default unlimited. */
    public Builder maxConcurrentCallsPerConnection(int calls) {
      if (calls <= 0) {
        throw new IllegalArgumentException("maxConcurrentCallsPerConnection must be > 0: " + calls);
      }
      this.maxConcurrentCallsPerConnection = calls;
      return this;
    }

    /**
     * Connections older than {@code age} are sent GOAWAY, so that clients re-resolve and load
     * spreads over new instances; in-flight calls get {@code grace} to finish.
     */
    public Builder maxConnectionAge(Duration age, Duration grace) {
      this.maxConnectionAge = positive(age, "maxConnectionAge");
      this.maxConnectionAgeGrace = positive(grace, "maxConnectionAgeGrace");
      return this;
    }

    /** How often the server pings idle connections; default grpc-java's (2 hours). */
    public Builder keepAliveTime(Duration interval) {
      this.keepAliveTime = positive(interval, "keepAliveTime");
      return this;
    }

    /**
     * The most frequent client keepalive pings accepted (more often → GOAWAY
     * {@code too_many_pings}); default 5 minutes, as grpc-java.
     */
    public Builder permitKeepAliveTime(Duration interval) {
      this.permitKeepAliveTime = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** Whether clients may ping when they have no call in flight; default false. */
    public Builder permitKeepAliveWithoutCalls(boolean permit) {
      this.permitKeepAliveWithoutCalls = permit;
      return this;
    }

    /**
     * Runs services and middleware on {@code executor}; the caller owns and shuts it down. A call
     * it refuses ({@code RejectedExecutionException}: full, or shut down) is answered UNAVAILABLE
     * without running middleware or service, and told to the middleware that are {@link
     * io.phalanx.core.RefusalListener}s as a 503 {@code OVERLOADED}, as the HTTP server does; a
     * stream it refuses a later message or half-close of ends UNAVAILABLE, its end hooks told 503.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      this.inline = false;
      return this;
    }

    /**
     * Runs services and middleware inline on the Netty event loop. Only for services and
     * middleware that never block: a blocked event loop stalls every connection it serves. Unary
     * methods must also answer before returning.
     */
    public Builder inline() {
      this.inline = true;
      this.executor = null;
      return this;
    }

    /** Whether to serve server reflection (v1 and v1alpha); default true. */
    public Builder reflection(boolean enabled) {
      this.reflection = enabled;
      return this;
    }

    /** Netty worker threads; default 0 = Netty's default (twice the cores). */
    public Builder eventLoopThreads(int threads) {
      if (threads < 0) {
        throw new IllegalArgumentException("eventLoopThreads must be >= 0: " + threads);
      }
      this.eventLoopThreads = threads;
      return this;
    }

    /**
     * How long {@link GrpcServer#stop} keeps accepting calls after reporting NOT_SERVING, so
     * that health-checking load balancers move traffic away first; default zero.
     */
    public Builder drainDelay(Duration delay) {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("drainDelay must be >= 0: " + delay);
      }
      this.drainDelay = delay;
      return this;
    }

    /**
     * Compresses reply messages with the compressor {@code compressorName} ({@code "gzip"};
     * {@code "identity"} means none) from grpc-java's {@link
     * io.grpc.CompressorRegistry#getDefaultInstance() default CompressorRegistry}, on every call
     * of this server (health and reflection included), but only for clients that list the
     * encoding in {@code grpc-accept-encoding}: grpc-java checks that per call and sends the
     * others uncompressed replies, so clients without the codec (grpc-go without {@code
     * google.golang.org/grpc/encoding/gzip}) keep working. Default: off.
     *
     * <p>Set on each call before its service starts, on the thread that starts it; a service can
     * still change it for its own call before the first reply ({@code
     * ServerCallStreamObserver.setCompression}). Compressed requests are accepted with or
     * without this option.
     *
     * @throws IllegalArgumentException if the registry has no such compressor; the message lists
     *     the known ones
     */
    public Builder compression(String compressorName) {
      this.compression = Compression.checkName(compressorName);
      return this;
    }

    /** TLS with a certificate chain and private key in PEM files (JDK TLS provider). */
    public Builder tls(Path certChain, Path privateKey) {
      this.certChain = Objects.requireNonNull(certChain, "certChain");
      this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
      this.trustedClientCa = null;
      this.tls = null;
      this.sslContext = null;
      return this;
    }

    /** Mutual TLS: as {@link #tls}, and clients must present a certificate signed by a CA in
     * {@code trustedClientCa} (PEM). */
    public Builder mutualTls(Path certChain, Path privateKey, Path trustedClientCa) {
      tls(certChain, privateKey);
      this.trustedClientCa = Objects.requireNonNull(trustedClientCa, "trustedClientCa");
      return this;
    }

    /**
     * TLS described the way the HTTP server takes it ({@link ServerTls}: key store, PEM files or a
     * {@code KeyManagerFactory}, optionally requiring client certificates), so a service that
     * serves HTTP and gRPC configures its certificate once.
     */
    public Builder tls(ServerTls tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      this.sslContext = null;
      this.certChain = null;
      this.privateKey = null;
      this.trustedClientCa = null;
      return this;
    }

    /** TLS from a ready context, built with {@link GrpcSslContexts#configure}. */
    public Builder sslContext(SslContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      this.tls = null;
      this.certChain = null;
      return this;
    }

    public GrpcServer build() {
      return new GrpcServer(this);
    }

    private Builder copy() {
      Builder b = new Builder();
      b.host = host;
      b.port = port;
      b.services = List.copyOf(services);
      b.middleware = List.copyOf(middleware);
      b.maxInboundMessageSize = maxInboundMessageSize;
      b.maxConcurrentCallsPerConnection = maxConcurrentCallsPerConnection;
      b.maxConnectionAge = maxConnectionAge;
      b.maxConnectionAgeGrace = maxConnectionAgeGrace;
      b.keepAliveTime = keepAliveTime;
      b.permitKeepAliveTime = permitKeepAliveTime;
      b.permitKeepAliveWithoutCalls = permitKeepAliveWithoutCalls;
      b.executor = executor;
      b.inline = inline;
      b.reflection = reflection;
      b.eventLoopThreads = eventLoopThreads;
      b.drainDelay = drainDelay;
      b.sslContext = sslContext;
      b.tls = tls;
      b.certChain = certChain;
      b.privateKey = privateKey;
      b.trustedClientCa = trustedClientCa;
      b.compression = compression;
      return b;
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be > 0: " + d);
      }
      return d;
    }
  }
}
