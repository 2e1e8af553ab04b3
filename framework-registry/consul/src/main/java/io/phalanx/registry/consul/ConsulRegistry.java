package io.phalanx.registry.consul;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.consul.internal.AgentOptions;
import io.phalanx.registry.consul.internal.Backoff;
import io.phalanx.registry.consul.internal.ConsulHttp;
import io.phalanx.registry.consul.internal.Heartbeat;
import io.phalanx.registry.consul.internal.KratosFormat;
import io.phalanx.registry.consul.internal.ServiceWatch;
import java.net.URI;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * A {@link Registrar} and {@link Discovery} over a Consul agent's HTTP API, wire-compatible with
 * Kratos' {@code contrib/registry/consul}: tag {@code version=<v>}, {@code Meta} = metadata,
 * {@code TaggedAddresses} keyed by scheme holding full endpoint URLs, TTL check
 * {@code service:<id>}.
 *
 * <p>Registration: {@link #register} writes the service with a TTL check (plus an optional HTTP
 * check, e.g. on the app's health endpoint), passes the TTL check at once so the instance is
 * discoverable when the call returns, then passes it every {@code ttl/2}. If the agent forgets
 * the service (404 on the TTL update: agent restarted, or reaped us after
 * {@code DeregisterCriticalServiceAfter}), it registers again. If this process dies without
 * deregistering, the TTL check goes critical after {@code ttl}, the instance drops out of
 * passing results at once and the agent deletes it after {@code deregisterCriticalAfter}.
 *
 * <p>Discovery: {@link #instances} reads /v1/health/service/:name?passing; {@link #watch} runs one
 * blocking-query loop per service name, shared by all its watchers, and pushes the full list of
 * passing instances.
 *
 * <p>Threading: thread-safe. Heartbeats are timed by one daemon scheduler thread and run on a
 * pool of daemon threads, at most one beat per registration at a time; each watched name
 * has one daemon thread (a long poll holds it); listeners are called on it, one at a time.
 * {@link #close()} stops all of it without deregistering (the {@code App} deregisters first).
 */
public final class ConsulRegistry implements Registrar, Discovery {
  private final ConsulHttp http;
  private final String description;
  private final KratosFormat.Checks checks;
  private final Duration heartbeat;
  private final Duration wait;
  private final Duration minQueryInterval;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService beats;
  private final Object lock = new Object();
  private final Map<String, Heartbeat> heartbeats = new HashMap<>();
  private final Map<String, ServiceWatch> watches = new HashMap<>();
  private final Runnable heartbeatWaiting;
  private final AtomicInteger beatThreads = new AtomicInteger();
  private boolean closed;

  private ConsulRegistry(Builder b) {
    this.http = b.agent.http();
    // App start failures quote the registrar: name where it points.
    this.description = "consul " + b.agent.address()
        + (b.agent.datacenter() == null ? "" : " dc " + b.agent.datacenter());
    this.checks = new KratosFormat.Checks(b.ttl, b.deregisterCriticalAfter, b.httpCheck,
        b.httpCheckInterval, b.httpCheckTimeout);
    this.heartbeat = b.ttl.dividedBy(2);
    this.wait = b.agent.waitTime();
    this.minQueryInterval = b.agent.minQueryInterval();
    this.heartbeatWaiting = b.heartbeatWaiting;
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "phalanx-consul-heartbeat-timer");
      t.setDaemon(true);
      return t;
    });
    s.setRemoveOnCancelPolicy(true);
    this.scheduler = s;
    // A beat waits for the agent, for up to two request timeouts when it registers again; on the
    // scheduler's one thread, a slow one held up every other registration's heartbeat. At most
    // one beat per registration is under way, so this pool has at most that many threads.
    this.beats = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "phalanx-consul-heartbeat-" + beatThreads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** A registry talking to the agent at {@code http://127.0.0.1:8500} with the defaults. */
  public static ConsulRegistry create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if two endpoints share a scheme or one has no host/port
   * @throws java.io.IOException naming the agent URL when it cannot be reached or refuses (403
   *     for a missing or weak ACL token)
   */
  @Override
  public void register(ServiceInstance instance) throws Exception {
    Objects.requireNonNull(instance, "instance");
    ObjectNode body = KratosFormat.registration(instance, checks);
    Heartbeat previous;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("registry closed");
      }
      previous = heartbeats.get(instance.id());
    }
    if (previous != null) {
      // before writing the new body: a re-registration of the previous one could overwrite it.
      // It keeps the old registration passing meanwhile, since this write may fail. May wait for
      // a re-registration under way, so not under the registry's lock
      previous.hold();
    }
    try {
      http.registerService(body);
      // a TTL check starts critical; pass it now so "registered" means "discoverable"
      http.updateTtl(KratosFormat.ttlCheckId(instance.id()), "pass", null);
    } catch (Exception e) {
      if (previous != null) {
        previous.release(); // the agent still has the old registration: keep it alive
      }
      throw e;
    }
    Heartbeat hb = new Heartbeat(http, scheduler, beats, instance.id(), body, heartbeat,
        new Backoff(Duration.ofMillis(200), heartbeat), heartbeatWaiting);
    Heartbeat concurrent;
    synchronized (lock) {
      concurrent = heartbeats.put(instance.id(), hb);
      if (closed) {
        heartbeats.remove(instance.id());
      } else {
        hb.start();
      }
    }
    if (concurrent != null) {
      // the previous registration's, or that of a register of this id that raced this one (the
      // last one beats)
      concurrent.cancel();
    }
  }

  /** {@inheritDoc} Deregistering an ID the agent does not know succeeds (Kratos does the same). */
  @Override
  public void deregister(ServiceInstance instance) throws Exception {
    Objects.requireNonNull(instance, "instance");
    Heartbeat hb;
    synchronized (lock) {
      hb = heartbeats.remove(instance.id());
    }
    if (hb != null) {
      // waits for a re-registration under way (outside the registry's lock: it may take a
      // request timeout), so the deregistration below comes after it, never before
      hb.cancel();
    }
    http.deregisterService(instance.id());
  }

  @Override
  public List<ServiceInstance> instances(String serviceName) throws Exception {
    Objects.requireNonNull(serviceName, "serviceName");
    List<ServiceInstance> out = new ArrayList<>();
    for (var e : http.healthService(serviceName, 0, null).body()) {
      try {
        out.add(KratosFormat.fromHealthEntry(e));
      } catch (IllegalArgumentException ignored) {
        // an entry another tool wrote without a usable address is not an instance we can call
      }
    }
    out.sort(java.util.Comparator.comparing(ServiceInstance::id));
    return List.copyOf(out);
  }

  @Override
  public AutoCloseable watch(String serviceName, Consumer<List<ServiceInstance>> onChange) {
    Objects.requireNonNull(serviceName, "serviceName");
    Objects.requireNonNull(onChange, "onChange");
    ServiceWatch w;
    ServiceWatch.Listener l;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("registry closed");
      }
      w = watches.get(serviceName);
      if (w == null) {
        w = new ServiceWatch(http, serviceName, wait, minQueryInterval,
            AgentOptions.watchBackoff());
        watches.put(serviceName, w);
        w.start();
      }
      // joined under the lock: the last other listener leaving now would otherwise close the
      // shared watch between the lookup and the join, and this one would never hear again
      l = w.attach(onChange);
    }
    w.catchUp(l); // outside the lock: it calls the application's listener
    ServiceWatch watch = w;
    return () -> {
      synchronized (lock) {
        if (watch.remove(l) && watches.get(serviceName) == watch) {
          watches.remove(serviceName);
          watch.close();
        }
      }
    };
  }

  @Override
  public String toString() {
    return description;
  }

  /** Stops heartbeats and watches; does not deregister (TTL expiry withdraws the instances). */
  @Override
  public void close() {
    List<Heartbeat> beating;
    synchronized (lock) {
      closed = true;
      beating = List.copyOf(heartbeats.values());
      heartbeats.clear();
      watches.values().forEach(ServiceWatch::close);
      watches.clear();
    }
    beating.forEach(Heartbeat::cancel); // may wait for re-registrations: not under the lock
    scheduler.shutdownNow();
    beats.shutdownNow();
  }

  /** Options; every one has a default that works against a local agent. */
  public static final class Builder {
    private final AgentOptions agent = new AgentOptions();
    private Duration ttl = Duration.ofSeconds(15);
    private Duration deregisterCriticalAfter = Duration.ofMinutes(1);
    private URI httpCheck;
    private Duration httpCheckInterval = Duration.ofSeconds(10);
    private Duration httpCheckTimeout = Duration.ofSeconds(5);
    private Runnable heartbeatWaiting = () -> { };

    private Builder() {}

    /**
     * Run, on the deregistering (or re-registering) thread, when it waits for a heartbeat's
     * re-registration under way; for tests of that interleaving, package-private.
     */
    Builder onWaitForHeartbeat(Runnable hook) {
      this.heartbeatWaiting = Objects.requireNonNull(hook, "hook");
      return this;
    }

    /**
     * The agent: {@code host:port} (http), or a URL {@code http://host:port} /
     * {@code https://host:8501}.
     */
    public Builder address(String address) {
      agent.address(address);
      return this;
    }

    /** ACL token, sent as {@code X-Consul-Token} on every request. */
    public Builder token(String token) {
      agent.token(token);
      return this;
    }

    /** Datacenter whose services discovery reads ({@code ?dc=}); default the agent's own. */
    public Builder datacenter(String datacenter) {
      agent.datacenter(datacenter);
      return this;
    }

    /** TLS for an https address (client certificate and trusted CA). */
    public Builder sslContext(SSLContext sslContext) {
      agent.sslContext(sslContext);
      return this;
    }

    /** TTL of the heartbeat check (default 15 s); the heartbeat runs every ttl/2. */
    public Builder ttl(Duration ttl) {
      this.ttl = AgentOptions.positive(ttl, "ttl");
      return this;
    }

    /**
     * How long a check may stay critical before the agent deletes the service (default 1 min;
     * Consul treats values under 1 min as 1 min, and reaps every 30 s).
     */
    public Builder deregisterCriticalServiceAfter(Duration d) {
      this.deregisterCriticalAfter = AgentOptions.positive(d, "deregisterCriticalServiceAfter");
      return this;
    }

    /**
     * Adds an HTTP check: the agent GETs {@code url} every {@code interval} and marks the
     * instance critical unless it answers 2xx (429 is "warning"). Point it at the app's
     * readiness endpoint so a draining instance leaves discovery even if the process hangs.
     */
    public Builder httpCheck(URI url, Duration interval) {
      this.httpCheck = Objects.requireNonNull(url, "url");
      this.httpCheckInterval = AgentOptions.positive(interval, "interval");
      return this;
    }

    /** Timeout of the HTTP check (default 5 s). */
    public Builder httpCheckTimeout(Duration timeout) {
      this.httpCheckTimeout = AgentOptions.positive(timeout, "timeout");
      return this;
    }

    /** Longest a blocking query waits for a change (default 55 s; Consul caps it at 10 min). */
    public Builder wait(Duration wait) {
      agent.wait(wait);
      return this;
    }

    /** Least time between two blocking queries of one service (default 1 s). */
    public Builder minQueryInterval(Duration d) {
      agent.minQueryInterval(d);
      return this;
    }

    /** Bound of every non-blocking request, and of connecting (default 10 s). */
    public Builder requestTimeout(Duration d) {
      agent.requestTimeout(d);
      return this;
    }

    public ConsulRegistry build() {
      return new ConsulRegistry(this);
    }
  }
}
