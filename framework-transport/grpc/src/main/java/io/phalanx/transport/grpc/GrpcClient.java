package io.phalanx.transport.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverProvider;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.phalanx.core.MetadataPropagation;
import io.phalanx.core.Context;
import io.phalanx.core.Middleware;
import io.phalanx.core.execution.HandlerExecutors;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.selector.Balancer;
import io.phalanx.core.selector.NodeFilter;
import io.phalanx.core.selector.OutlierEjection;
import io.phalanx.core.selector.Selector;
import io.phalanx.transport.grpc.internal.DiscoveryNameResolver;
import io.phalanx.transport.grpc.internal.SelectorLoadBalancer;
import io.phalanx.transport.grpc.internal.CallContexts;
import io.phalanx.transport.grpc.internal.ClientBridge;
import io.phalanx.transport.grpc.internal.Compression;
import io.phalanx.transport.http.client.ClientTls;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC client channel with Phalanx client middleware, deadline and metadata propagation.
 *
 * <pre>{@code
 * GrpcClient users = GrpcClient.builder("users:9000").middleware(retry, metrics).build();
 * UserGrpc.UserBlockingStub stub = UserGrpc.newBlockingStub(users.channel());
 * // inside a handler: the call carries ctx's remaining time and x-md-global-* metadata
 * User u = users.withContext(ctx, stub).get(request);
 * }</pre>
 *
 * <p>Calls made on a thread that is serving a Phalanx gRPC call pick that call's context up by
 * themselves ({@link GrpcContext}); {@link #withContext} is for other threads and for contexts
 * changed by middleware. A unary call with no deadline from anywhere gets
 * {@link Builder#timeout}.
 *
 * <p>{@code discovery:///greeter} targets ({@link Builder#discovery}) resolve through a Phalanx
 * {@code Discovery} and balance per call with a Phalanx {@link Selector} (P2C by default, outlier
 * ejection, statistics kept across updates) installed as the grpc-java policy {@code
 * phalanx_selector}.
 *
 * <p>Requests go uncompressed unless {@link Builder#compression} is set; compressed replies are
 * always accepted.
 *
 * <p>Thread-safe; one client per target is meant to be shared. Close it when done.
 */
public final class GrpcClient implements Closeable {
  /** The call option carrying the Phalanx context a call is made with. */
  public static final CallOptions.Key<Context> CONTEXT = CallContexts.CALL_OPTION;

  private final String target;
  private final ManagedChannel managed;
  private final Channel channel;
  private final ExecutorService ownedExecutor;
  private final Selector selector;

  private GrpcClient(Builder b) {
    this.target = b.target;
    NettyChannelBuilder nb = NettyChannelBuilder.forTarget(b.target)
        .maxInboundMessageSize(b.maxInboundMessageSize);
    SslContext ssl = b.sslContext();
    if (ssl != null) {
      nb.sslContext(ssl).useTransportSecurity();
    } else {
      nb.usePlaintext();
    }
    if (b.authority != null) {
      nb.overrideAuthority(b.authority);
    }
    if (b.discovery != null
        && DiscoveryNameResolver.Provider.SCHEME.equalsIgnoreCase(scheme(b.target))) {
      Selector.Builder sb = Selector.builder().name(b.target).outlierEjection(b.ejection)
          .filter(b.filters.toArray(NodeFilter[]::new));
      if (b.balancer != null) {
        sb.balancer(b.balancer);
      }
      this.selector = sb.build();
      b.resolvers.put(DiscoveryNameResolver.Provider.SCHEME, new DiscoveryNameResolver.Provider(
          b.discovery, ssl != null ? "grpcs" : "grpc", selector));
      // see SelectorLoadBalancer.Provider: grpc-java finds balancers only by name, globally
      SelectorLoadBalancer.Provider.ensureRegistered();
      nb.defaultLoadBalancingPolicy(SelectorLoadBalancer.Provider.POLICY);
    } else {
      this.selector = null;
    }
    NameResolverProvider resolver = b.resolvers.get(scheme(b.target));
    if (resolver != null) {
      // per channel: grpc-java consults this factory for its scheme; the global registry is
      // left alone (a channel has one target, so one resolver is all it needs)
      setResolver(nb, resolver);
    }
    if (b.keepAliveTime != null) {
      nb.keepAliveTime(b.keepAliveTime.toNanos(), TimeUnit.NANOSECONDS);
    }
    if (b.compression != null) {
      // on the managed channel, below the middleware: every call gets it, with or without
      // middleware, on every target, and also calls made on managedChannel()
      nb.intercept(Compression.requests(b.compression));
    }
    ExecutorService executor = b.executor;
    this.ownedExecutor = executor == null ? HandlerExecutors.defaultExecutor() : null;
    if (executor == null) {
      executor = ownedExecutor;
    }
    this.managed = nb.build();
    this.channel = ClientInterceptors.intercept(managed,
        new ClientBridge(b.middleware, b.target, b.timeout, executor));
  }

  @SuppressWarnings("deprecation")
  private static void setResolver(NettyChannelBuilder nb, NameResolverProvider resolver) {
    nb.nameResolverFactory(resolver);
  }

  private static String scheme(String target) {
    int i = target.indexOf(":/");
    return i > 0 ? target.substring(0, i) : "";
  }

  /** A builder for {@code target}: {@code host:port}, or any scheme a registered resolver knows. */
  public static Builder builder(String target) {
    return new Builder(target);
  }

  /** The channel to build stubs on; runs the middleware and applies contexts. */
  public Channel channel() {
    return channel;
  }

  /**
   * The underlying channel, for connectivity state; calls on it bypass the middleware (they are
   * still compressed when {@link Builder#compression} is set).
   */
  public ManagedChannel managedChannel() {
    return managed;
  }

  public String target() {
    return target;
  }

  /**
   * {@code stub} bound to {@code ctx}: its calls carry the remaining time of {@code ctx}'s
   * deadline, the {@code x-md-global-*} metadata of the request {@code ctx} belongs to and what
   * the caller added with {@link MetadataPropagation#withOutgoing}.
   */
  public <S extends AbstractStub<S>> S withContext(Context ctx, S stub) {
    return stub.withOption(CONTEXT, Objects.requireNonNull(ctx, "ctx"));
  }

  /** Stops new calls, waits up to 5 s for in-flight ones, then cancels the rest. */
  @Override
  public void close() {
    managed.shutdown();
    try {
      if (!managed.awaitTermination(5, TimeUnit.SECONDS)) {
        managed.shutdownNow();
      }
    } catch (InterruptedException e) {
      managed.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      if (ownedExecutor != null) {
        ownedExecutor.shutdown();
      }
      if (selector != null) {
        selector.close();
      }
    }
  }

  /**
   * The selector balancing a {@code discovery:///} target (its nodes and their statistics), if
   * this client has one.
   */
  public java.util.Optional<Selector> selector() {
    return java.util.Optional.ofNullable(selector);
  }

  @Override
  public String toString() {
    return "GrpcClient{" + target + "}";
  }

  /** Options of a {@link GrpcClient}. Not thread-safe. */
  public static final class Builder {
    private final String target;
    private final List<Middleware> middleware = new ArrayList<>();
    private final Map<String, NameResolverProvider> resolvers = new LinkedHashMap<>();
    private Duration timeout;
    private ExecutorService executor;
    private int maxInboundMessageSize = 4 * 1024 * 1024;
    private Duration keepAliveTime;
    private SslContext sslContext;
    private boolean useTls;
    private Path trustedCa;
    private Path certChain;
    private Path privateKey;
    private String authority;
    private Discovery discovery;
    private Balancer balancer;
    private final List<NodeFilter> filters = new ArrayList<>();
    private OutlierEjection ejection = OutlierEjection.defaults();
    private String compression;

    private Builder(String target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /** Client middleware, outermost first. */
    public Builder middleware(Middleware... middleware) {
      for (Middleware m : middleware) {
        this.middleware.add(Objects.requireNonNull(m, "middleware"));
      }
      return this;
    }

    /**
     * The timeout of unary calls that have no deadline from their context, stub or caller;
     * default none. Streaming calls are not bounded by it (as in Kratos): a watch may stay open
     * for hours. Unlike Kratos this does not shorten deadlines that exist.
     */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be > 0: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Where unary calls with middleware run their chain (it waits for the reply there); default
     * {@link HandlerExecutors#defaultExecutor()}, owned and shut down by the client.
     */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public Builder maxInboundMessageSize(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxInboundMessageSize must be > 0: " + bytes);
      }
      this.maxInboundMessageSize = bytes;
      return this;
    }

    /** Client keepalive ping interval; the server must permit it. Default off. */
    public Builder keepAliveTime(Duration interval) {
      this.keepAliveTime = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /**
     * A name resolver for targets of its scheme ({@code discovery:///name}), for this channel
     * only: nothing is added to grpc-java's global registry. Used when the target has the
     * provider's scheme; {@code host:port} targets keep grpc-java's DNS resolver.
     */
    public Builder nameResolver(NameResolverProvider provider) {
      resolvers.put(provider.getDefaultScheme(), provider);
      return this;
    }

    /**
     * Where a {@code discovery:///name} target finds the instances of {@code name}: their
     * {@code grpc} endpoints ({@code grpcs} with TLS) become the channel's addresses, balanced
     * per call by the {@link #balancer} (P2C by default) with outlier ejection. An empty
     * instance list never empties a channel that has addresses (zero-endpoint protection).
     */
    public Builder discovery(Discovery discovery) {
      this.discovery = Objects.requireNonNull(discovery, "discovery");
      return this;
    }

    /** How a {@code discovery:///} target picks among instances; default {@link Balancer#p2c()}. */
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
     * OutlierEjection#defaults()}. UNAVAILABLE and DEADLINE_EXCEEDED count as failures. */
    public Builder outlierEjection(OutlierEjection ejection) {
      this.ejection = Objects.requireNonNull(ejection, "ejection");
      return this;
    }

    /**
     * Compresses every request message with the compressor {@code compressorName} ({@code
     * "gzip"}; {@code "identity"} means none) from grpc-java's {@link
     * io.grpc.CompressorRegistry#getDefaultInstance() default CompressorRegistry}: unary and
     * streaming calls, with or without middleware, on every target including {@code
     * discovery:///}. Default: off, because a server that lacks the codec fails the call
     * (grpc-go and Kratos answer UNIMPLEMENTED unless they import
     * {@code google.golang.org/grpc/encoding/gzip}).
     *
     * <p>A call that sets its own compressor keeps it: {@code stub.withCompression("identity")}
     * sends that stub's calls uncompressed, {@code stub.withCompression("gzip")} compresses them
     * on a client without this option (grpc-java checks per-call names when the call starts and
     * fails it with INTERNAL if unknown). Replies are decompressed whatever this says: the
     * client always advertises and accepts gzip.
     *
     * @throws IllegalArgumentException if the registry has no such compressor; the message lists
     *     the known ones
     */
    public Builder compression(String compressorName) {
      this.compression = Compression.checkName(compressorName);
      return this;
    }

    /** TLS, trusting the CAs in {@code trustedCa} (PEM); null trusts the JDK's default CAs. */
    public Builder tls(Path trustedCa) {
      this.useTls = true;
      this.trustedCa = trustedCa;
      this.certChain = null;
      this.privateKey = null;
      this.sslContext = null;
      return this;
    }

    /** Mutual TLS: as {@link #tls}, presenting {@code certChain}/{@code privateKey} (PEM). */
    public Builder mutualTls(Path trustedCa, Path certChain, Path privateKey) {
      tls(trustedCa);
      this.certChain = Objects.requireNonNull(certChain, "certChain");
      this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
      return this;
    }

    /**
     * TLS described the way the HTTP client takes it ({@link ClientTls}: trust and an optional
     * client certificate from key stores, PEM files or JSSE factories; {@code null} trust means the
     * JDK's default CAs), so a service configures its clients' TLS once for both transports.
     */
    public Builder tls(ClientTls tls) {
      Objects.requireNonNull(tls, "tls");
      try {
        SslContextBuilder b = GrpcSslContexts.forClient();
        if (tls.trust() != null) {
          b.trustManager(tls.trust());
        }
        if (tls.keys() != null) {
          b.keyManager(tls.keys());
        }
        return sslContext(b.build());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot set up TLS: " + e.getMessage(), e);
      }
    }

    /** TLS from a ready context, built with {@link GrpcSslContexts#forClient}. */
    public Builder sslContext(SslContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      this.useTls = true;
      return this;
    }

    /** The authority (TLS host name) to use instead of the target's host. */
    public Builder overrideAuthority(String authority) {
      this.authority = Objects.requireNonNull(authority, "authority");
      return this;
    }

    public GrpcClient build() {
      if (DiscoveryNameResolver.Provider.SCHEME.equalsIgnoreCase(scheme(target))
          && discovery == null && !resolvers.containsKey(DiscoveryNameResolver.Provider.SCHEME)) {
        throw new IllegalStateException(target + " needs discovery(...)");
      }
      return new GrpcClient(this);
    }

    private SslContext sslContext() {
      if (sslContext != null) {
        return sslContext;
      }
      // built here, not in tls(): mutualTls() adds the client's key after calling tls()
      return useTls ? build(trustedCa, certChain, privateKey) : null;
    }

    private static SslContext build(Path ca, Path cert, Path key) {
      try {
        SslContextBuilder b = GrpcSslContexts.forClient();
        if (ca != null) {
          b.trustManager(ca.toFile());
        }
        if (cert != null) {
          b.keyManager(cert.toFile(), key.toFile());
        }
        return b.build();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load TLS material: " + e.getMessage(), e);
      }
    }
  }
}
