package io.phalanx.registry.etcd;

import com.google.protobuf.ByteString;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.internal.DaemonThreadFactory;
import io.phalanx.registry.etcd.internal.EtcdConnection;
import io.phalanx.registry.etcd.internal.InstanceCodec;
import io.phalanx.registry.etcd.internal.LeaseKeeper;
import io.phalanx.registry.etcd.internal.Reason;
import io.phalanx.registry.etcd.internal.ServiceWatch;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 * (100 ms to 10 s) forever, and its key, if deleted by hand while the lease lives, is written
 * back under that lease after the next renewal. {@link #watch} shares one etcd watch per service name between all
 * listeners and resumes it without missing changes.
 *
 * <p>Threading: thread-safe. Background work runs on two scheduler threads of this registry
 * (renewals, never waiting for etcd), two threads re-registering and two re-reading watched
 * services (each waits for etcd; apart, so that re-reads etcd is slow to answer delay no
 * re-registration, nor the other way round); listeners run on a pool of this registry, one call
 * at a time per service name.
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
  private final ExecutorService reRegistrations;
  private final ExecutorService reReads;
  private final ExecutorService callbacks;
  private final Map<String, LeaseKeeper> registrations = new HashMap<>();
  private final Map<String, ServiceWatch> watches = new HashMap<>();
  /** One lock per instance key and per watched prefix; few, and kept for the registry's life. */
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private boolean closed;
  private final String description;

  private EtcdRegistry(Builder b, EtcdConnection conn) {
    // App start failures quote the registrar: name where it points.
    this.description = "etcd " + conn.endpoints() + " namespace " + b.namespace;
    this.namespace = b.namespace;
    this.ttl = b.ttl;
    this.conn = conn;
    ScheduledThreadPoolExecutor s =
        new ScheduledThreadPoolExecutor(2, new DaemonThreadFactory("scheduler"));
    s.setRemoveOnCancelPolicy(true);
    this.scheduler = s;
    // Re-registering and re-reading a watched service block for up to a request timeout each on
    // an etcd slow to answer; on the scheduler they held up every registration's renewals. Two
    // threads each, as many as the scheduler has; further attempts of a kind wait in its queue.
    this.reRegistrations = recoveryPool("re-register");
    this.reReads = recoveryPool("re-read");
    this.callbacks = Executors.newCachedThreadPool(new DaemonThreadFactory("watch"));
  }

  private static ExecutorService recoveryPool(String name) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), new DaemonThreadFactory(name));
    pool.allowCoreThreadTimeOut(true);
    return pool;
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
    b.connection.read(config);
    String p = Builder.CONFIG_PATH + ".";
    config.findString(p + "namespace").ifPresent(b::namespace);
    config.findDuration(p + "ttl").ifPresent(b::ttl);
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
    LeaseKeeper keeper = new LeaseKeeper(conn, scheduler, reRegistrations, utf8(key),
        ByteString.copyFrom(codec.encode(instance)), ttl, BACKOFF_INITIAL, BACKOFF_MAX);
    // The start waits for etcd (a lease, a write): under the key's lock only, so that a slow etcd
    // holds up calls for this instance and no others.
    synchronized (lockOf(key)) {
      ensureOpen();
      try {
        keeper.start();
      } catch (RuntimeException e) {
        throw new EtcdException("cannot register " + key + " in etcd " + conn.endpoints()
            + ": " + Reason.of(e), e);
      }
      LeaseKeeper previous;
      synchronized (this) {
        if (closed) {
          // closed while etcd answered: like the registrations close() found, it is no longer
          // kept and its key goes with the lease
          keeper.close(false);
          throw new IllegalStateException("the etcd registry is closed");
        }
        previous = registrations.put(key, keeper);
      }
      if (previous != null) {
        previous.abandon();
      }
    }
  }

  /**
   * Stops the keep-alive, deletes the key (if it is still under this registry's lease) and
   * revokes the lease; a no-op for instances this registry did not register. A key another
   * process wrote for the same instance id (a restart that registered before this one stopped)
   * stays.
   */
  @Override
  public void deregister(ServiceInstance instance) throws Exception {
    String key = keyOf(instance);
    synchronized (lockOf(key)) { // after a register of the same instance under way, not before
      LeaseKeeper keeper;
      synchronized (this) {
        ensureOpen();
        keeper = registrations.remove(key);
      }
      if (keeper == null) {
        // Not registered here: a key of that name is another process's, and a registration of
        // ours that failed left at most a key under a lease that is no longer renewed.
        return;
      }
      try {
        keeper.close(true);
      } catch (RuntimeException e) {
        throw new EtcdException("cannot deregister " + key + " from etcd " + conn.endpoints()
            + ": " + Reason.of(e), e);
      }
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
          + ": " + Reason.of(e), e);
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
    ByteString prefix = prefixOf(serviceName);
    Runnable remove;
    ServiceWatch shared;
    // The first watch of a name reads the service from etcd: under the name's lock only, so that
    // a slow etcd holds up the watches of this name and no other call.
    synchronized (lockOf(prefix.toStringUtf8())) {
      synchronized (this) {
        ensureOpen();
        ServiceWatch w = watches.get(serviceName);
        if (w != null) {
          remove = w.addListener(onChange);
          shared = w;
        } else {
          remove = null;
          shared = null;
        }
      }
      if (shared == null) {
        ServiceWatch w = new ServiceWatch(conn, scheduler, reReads, callbacks, codec,
            serviceName, prefix, BACKOFF_INITIAL, BACKOFF_MAX);
        try {
          w.start();
        } catch (RuntimeException e) {
          w.close();
          throw new EtcdException("cannot watch " + serviceName + " in etcd "
              + conn.endpoints() + ": " + Reason.of(e), e);
        }
        synchronized (this) {
          if (closed) {
            w.close();
            throw new IllegalStateException("the etcd registry is closed");
          }
          watches.put(serviceName, w);
          remove = w.addListener(onChange);
          shared = w;
        }
      }
    }
    Runnable removeListener = remove;
    ServiceWatch watch = shared;
    return () -> {
      synchronized (this) {
        removeListener.run();
        if (!watch.hasListeners() && watches.get(serviceName) == watch) {
          watches.remove(serviceName);
          watch.close();
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
    reRegistrations.shutdownNow();
    reReads.shutdownNow();
    callbacks.shutdown();
    conn.close();
  }

  private Object lockOf(String key) {
    return locks.computeIfAbsent(key, k -> new Object());
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

  /** Settings of an {@link EtcdRegistry}; not thread-safe. */
  public static final class Builder extends EtcdClientBuilder<Builder> {
    private static final String CONFIG_PATH = "registry.etcd";

    private String namespace = "/microservices";
    private Duration ttl = Duration.ofSeconds(15);

    private Builder() {
      super(CONFIG_PATH);
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

    public EtcdRegistry build() {
      return new EtcdRegistry(this, connection.connect());
    }
  }
}
