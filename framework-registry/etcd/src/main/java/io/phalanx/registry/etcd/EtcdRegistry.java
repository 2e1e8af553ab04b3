package io.phalanx.registry.etcd;

import com.google.protobuf.ByteString;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.internal.EtcdConnection;
import io.phalanx.registry.etcd.internal.InstanceCodec;
import io.phalanx.registry.etcd.internal.LeaseKeeper;
import io.phalanx.registry.etcd.internal.ServiceWatch;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registrar and discovery on etcd v3, wire-compatible with Kratos' etcd registry so Go and Java
 * services find each other: an instance lives at {@code {namespace}/{name}/{id}} as the JSON
 * {@code {"id","name","version","metadata","endpoints"}}, attached to a lease of {@code ttl}.
 *
 * <pre>{@code
 * EtcdRegistry registry = EtcdRegistry.builder()
 *     .endpoints("http://etcd-1:2379", "http://etcd-2:2379")
 *     .ttl(Duration.ofSeconds(15))
 *     .build();
 * App.builder("greeter").registrar(registry)...
 * }</pre>
 *
 * <p>Failure behaviour: {@link #register} fails if etcd cannot be reached; once registered, the
 * instance is kept registered for as long as it is not deregistered — through lease loss, etcd
 * restarts, fail-over and partitions — by re-registering with capped exponential backoff
 * (100 ms to 10 s) forever. {@link #watch} shares one etcd watch per service name between all
 * listeners and resumes it without missing changes.
 *
 * <p>Threading: thread-safe. Background work runs on two scheduler threads of this registry;
 * listeners run on a pool of this registry, one call at a time per service name.
 */
public final class EtcdRegistry implements Registrar, Discovery {

  private static final Logger log = LoggerFactory.getLogger(EtcdRegistry.class);
  private static final Duration BACKOFF_INITIAL = Duration.ofMillis(100);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(10);

  private final String namespace;
  private final Duration ttl;
  private final EtcdConnection conn;
  private final InstanceCodec codec = new InstanceCodec();
  private final ScheduledExecutorService scheduler;
  private final ExecutorService callbacks;
  private final Map<String, LeaseKeeper> registrations = new HashMap<>();
  private final Map<String, ServiceWatch> watches = new HashMap<>();
  private boolean closed;
  private final String description;

  private EtcdRegistry(Builder b, SslContext tls) {
    // App start failures quote the registrar: name where it points.
    this.description = "etcd " + b.endpoints + " namespace " + b.namespace;
    this.namespace = b.namespace;
    this.ttl = b.ttl;
    this.conn = new EtcdConnection(b.endpoints, tls, b.dialTimeout, b.requestTimeout,
        b.username, b.password);
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(2, threads("scheduler"));
    s.setRemoveOnCancelPolicy(true);
    this.scheduler = s;
    this.callbacks = Executors.newCachedThreadPool(threads("watch"));
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String toString() {
    return description;
  }

  /** A registry with default settings on {@code endpoints}. */
  public static EtcdRegistry create(URI... endpoints) {
    return builder().endpoints(endpoints).build();
  }

  /**
   * A builder preset from the config under {@code registry.etcd}: {@code endpoints} (a list or
   * a comma-separated string), {@code namespace}, {@code ttl}, {@code username},
   * {@code password}, {@code dial-timeout}, {@code request-timeout}, {@code tls.ca-file}.
   */
  public static Builder builder(AppConfig config) {
    Builder b = builder();
    String p = "registry.etcd.";
    if (config.has(p + "endpoints")) {
      List<String> eps;
      try {
        eps = config.getStringList(p + "endpoints");
      } catch (RuntimeException notAList) {
        eps = List.of(config.getString(p + "endpoints").split(","));
      }
      b.endpoints(eps.stream().map(String::trim).filter(s -> !s.isEmpty())
          .toArray(String[]::new));
    }
    config.findString(p + "namespace").ifPresent(b::namespace);
    config.findDuration(p + "ttl").ifPresent(b::ttl);
    config.findDuration(p + "dial-timeout").ifPresent(b::dialTimeout);
    config.findDuration(p + "request-timeout").ifPresent(b::requestTimeout);
    config.findString(p + "username").ifPresent(
        u -> b.credentials(u, config.findString(p + "password").orElse("")));
    config.findString(p + "tls.ca-file").ifPresent(ca -> b.trustedCertificates(new File(ca)));
    return b;
  }

  /** The key prefix, e.g. {@code /microservices}. */
  public String namespace() {
    return namespace;
  }

  /** The etcd key of {@code instance}: {@code {namespace}/{name}/{id}}. */
  public String keyOf(ServiceInstance instance) {
    return namespace + "/" + instance.name() + "/" + instance.id();
  }

  @Override
  public void register(ServiceInstance instance) throws Exception {
    String key = keyOf(instance);
    LeaseKeeper keeper = new LeaseKeeper(conn, scheduler, utf8(key),
        ByteString.copyFrom(codec.encode(instance)), ttl, BACKOFF_INITIAL, BACKOFF_MAX);
    synchronized (this) {
      ensureOpen();
      try {
        keeper.start();
      } catch (RuntimeException e) {
        throw new EtcdException("cannot register " + key + " in etcd " + conn.endpoints()
            + ": " + reason(e), e);
      }
      LeaseKeeper previous = registrations.put(key, keeper);
      if (previous != null) {
        previous.abandon();
      }
    }
  }

  /** Stops the keep-alive, deletes the key and revokes the lease; a no-op for unknown instances. */
  @Override
  public void deregister(ServiceInstance instance) throws Exception {
    String key = keyOf(instance);
    LeaseKeeper keeper;
    synchronized (this) {
      ensureOpen();
      keeper = registrations.remove(key);
    }
    try {
      if (keeper != null) {
        keeper.close(true);
      } else {
        // not ours (or already gone): still make sure the key is removed
        conn.unary(KVGrpc.newBlockingStub(conn.channel()), s -> s.deleteRange(
            io.phalanx.registry.etcd.api.DeleteRangeRequest.newBuilder().setKey(utf8(key))
                .build()));
      }
    } catch (RuntimeException e) {
      throw new EtcdException("cannot deregister " + key + " from etcd " + conn.endpoints()
          + ": " + reason(e), e);
    }
  }

  @Override
  public List<ServiceInstance> instances(String serviceName) throws Exception {
    ByteString prefix = prefixOf(serviceName);
    RangeResponse r;
    try {
      r = conn.unary(KVGrpc.newBlockingStub(conn.channel()), s -> s.range(RangeRequest
          .newBuilder().setKey(prefix).setRangeEnd(EtcdConnection.prefixEnd(prefix)).build()));
    } catch (RuntimeException e) {
      throw new EtcdException("cannot list " + serviceName + " from etcd " + conn.endpoints()
          + ": " + reason(e), e);
    }
    List<ServiceInstance> out = new ArrayList<>(r.getKvsCount());
    for (KeyValue kv : r.getKvsList()) {
      try {
        ServiceInstance i = codec.decode(kv.getValue().toByteArray());
        if (i.name().equals(serviceName)) {
          out.add(i);
        }
      } catch (IllegalArgumentException e) {
        log.warn("ignoring etcd key {}: not a service instance ({})", kv.getKey().toStringUtf8(),
            e.getMessage());
      }
    }
    return List.copyOf(out);
  }

  /**
   * Watches {@code serviceName}. All watches of one name share a single etcd watch stream; the
   * first one reads the service and fails if etcd cannot be reached.
   */
  @Override
  public AutoCloseable watch(String serviceName, Consumer<List<ServiceInstance>> onChange)
      throws Exception {
    Objects.requireNonNull(onChange, "onChange");
    Runnable remove;
    ServiceWatch shared;
    synchronized (this) {
      ensureOpen();
      ServiceWatch w = watches.get(serviceName);
      if (w == null) {
        w = new ServiceWatch(conn, scheduler, callbacks, codec, serviceName,
            prefixOf(serviceName), BACKOFF_INITIAL, BACKOFF_MAX);
        try {
          w.start();
        } catch (RuntimeException e) {
          w.close();
          throw new EtcdException("cannot watch " + serviceName + " in etcd "
              + conn.endpoints() + ": " + reason(e), e);
        }
        watches.put(serviceName, w);
      }
      remove = w.addListener(onChange);
      shared = w;
    }
    return () -> {
      synchronized (this) {
        remove.run();
        if (!shared.hasListeners() && watches.get(serviceName) == shared) {
          watches.remove(serviceName);
          shared.close();
        }
      }
    };
  }

  /** How many etcd watch streams are open (one per watched service name); for diagnostics. */
  public synchronized int openWatches() {
    return watches.size();
  }

  /**
   * Stops keep-alives and watches and closes the connection. Does not deregister: registered
   * keys stay until their lease TTL runs out (the {@link io.phalanx.core.App} deregisters
   * before closing).
   */
  @Override
  public void close() {
    List<LeaseKeeper> keepers;
    List<ServiceWatch> ws;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      keepers = List.copyOf(registrations.values());
      ws = List.copyOf(watches.values());
      registrations.clear();
      watches.clear();
    }
    keepers.forEach(k -> k.close(false));
    ws.forEach(ServiceWatch::close);
    scheduler.shutdownNow();
    callbacks.shutdown();
    conn.close();
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the etcd registry is closed");
    }
  }

  private ByteString prefixOf(String serviceName) {
    if (serviceName == null || serviceName.isBlank() || serviceName.contains("/")) {
      throw new IllegalArgumentException("bad service name: '" + serviceName + "'");
    }
    return utf8(namespace + "/" + serviceName + "/");
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private ThreadFactory threads(String role) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "phalanx-etcd-" + role + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Settings of an {@link EtcdRegistry}; not thread-safe. */
  public static final class Builder {
    private List<URI> endpoints = List.of();
    private String namespace = "/microservices";
    private Duration ttl = Duration.ofSeconds(15);
    private Duration dialTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(5);
    private String username;
    private String password;
    private SslContext ssl;

    private Builder() {}

    /** etcd client URLs ({@code http://host:2379}, {@code https://…} for TLS); tried in order. */
    public Builder endpoints(URI... endpoints) {
      this.endpoints = List.of(endpoints);
      return this;
    }

    public Builder endpoints(String... endpoints) {
      List<URI> l = new ArrayList<>();
      for (String e : endpoints) {
        l.add(URI.create(e.contains("://") ? e : "http://" + e));
      }
      this.endpoints = List.copyOf(l);
      return this;
    }

    /** Key prefix; default {@code /microservices} as in Kratos. */
    public Builder namespace(String namespace) {
      String ns = namespace.endsWith("/") ? namespace.substring(0, namespace.length() - 1)
          : namespace;
      if (ns.isEmpty()) {
        throw new IllegalArgumentException("namespace must not be empty");
      }
      this.namespace = ns;
      return this;
    }

    /** Lease TTL, whole seconds, at least 1 s; default 15 s. Renewed every TTL/3. */
    public Builder ttl(Duration ttl) {
      if (ttl.toSeconds() < 1) {
        throw new IllegalArgumentException("ttl must be at least 1 s, got " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /** TCP connect timeout per endpoint; default 5 s. */
    public Builder dialTimeout(Duration d) {
      this.dialTimeout = d;
      return this;
    }

    /** Deadline of each unary etcd call (grant, put, range, delete); default 5 s. */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = d;
      return this;
    }

    /** etcd auth: the token from {@code Authenticate} is refreshed when etcd rejects it. */
    public Builder credentials(String username, String password) {
      this.username = Objects.requireNonNull(username, "username");
      this.password = password;
      return this;
    }

    /** TLS with this client context (build it with {@code GrpcSslContexts.forClient()}). */
    public Builder tls(SslContext ssl) {
      this.ssl = ssl;
      return this;
    }

    /** TLS trusting the CA certificates in {@code caPemFile}. */
    public Builder trustedCertificates(File caPemFile) {
      try {
        this.ssl = GrpcSslContexts.forClient().trustManager(caPemFile).build();
      } catch (SSLException e) {
        throw new IllegalArgumentException("cannot use " + caPemFile + " as etcd CA: " + e, e);
      }
      return this;
    }

    public EtcdRegistry build() {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("no etcd endpoints (registry.etcd.endpoints)");
      }
      SslContext tls = ssl;
      boolean https = endpoints.stream().anyMatch(u -> "https".equalsIgnoreCase(u.getScheme()));
      if (tls == null && https) {
        try {
          tls = GrpcSslContexts.forClient().build();
        } catch (SSLException e) {
          throw new IllegalStateException("cannot create the default TLS context", e);
        }
      }
      for (URI u : endpoints) {
        if (u.getHost() == null || u.getPort() < 0) {
          throw new IllegalArgumentException("etcd endpoint needs host and port: " + u);
        }
      }
      return new EtcdRegistry(this, tls);
    }
  }

  /**
   * The failure's message plus its root cause when that says more: gRPC reports a TLS or
   * connection problem as "UNAVAILABLE: io exception" and keeps the reason (PKIX, refused…) in
   * the cause chain.
   */
  private static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = String.valueOf(e.getMessage());
    if (root == e || root.getMessage() == null || msg.contains(root.getMessage())) {
      return msg;
    }
    return msg + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
  }
}
