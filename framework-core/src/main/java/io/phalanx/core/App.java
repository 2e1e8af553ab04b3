package io.phalanx.core;

import io.phalanx.core.health.Health;
import io.phalanx.core.internal.Registration;
import io.phalanx.core.internal.SignalWaiter;
import io.phalanx.core.registry.Registrar;
import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service: its identity, its servers, app-wide middleware and lifecycle hooks, assembled by
 * {@link #builder(String)} in a plain {@code main}.
 *
 * <pre>{@code
 * App.builder("greeter")
 *     .version("1.2.0")
 *     .server(HttpServer.builder().port(8000).routes(r -> r.get("/hello/{name}", hello)).build())
 *     .middleware(Recovery.create())
 *     .registrar(registry)
 *     .build()
 *     .run();
 * }</pre>
 *
 * <p>{@link #start()}: before-start hooks, {@linkplain Builder#admin admin servers}, then the other
 * servers in the order added (a failure stops those
 * already started and throws an exception naming the server), readiness SERVING, registration
 * with the registrar (if any), after-start hooks. Registering last means an instance is only
 * published once every server listens and reports ready.
 *
 * <p>{@link #stop()}: readiness NOT_SERVING, before-stop hooks, deregistration, the
 * {@linkplain Builder#stopDelay stop delay} (so that clients' discovery drops the instance before
 * it stops accepting), all servers stopped concurrently with the grace period, then the admin
 * servers, after-stop hooks,
 * the registrar closed. {@link #run()} starts, waits for SIGTERM or SIGINT (or {@link #stop()}
 * from another thread), stops and returns normally, so {@code main} ends with exit code 0. A
 * second signal during the stop exits at once. With the system property
 * {@value #EXIT_AFTER_START} set to {@code true}, {@link #run()} stops as soon as the start has
 * completed: a training run for a class-data archive
 * ({@code java -XX:ArchiveClassesAtExit=app.jsa -Dphalanx.exit-after-start=true -jar app.jar})
 * loads everything start-up loads and exits 0, with no signal to send and no port to reach
 * (Spring Boot's {@code spring.context.exit=onRefresh} does the same).
 *
 * <p>Thread-safe: start and stop may be called from any thread; stop is idempotent and waits for
 * a stop already in progress.
 */
public final class App {
  private static final Logger LOG = LoggerFactory.getLogger(App.class);
  private static final Duration DEFAULT_STOP_DELAY_WITH_REGISTRAR = Duration.ofSeconds(2);
  /** System property: {@link #run()} stops right after a completed start (see the class doc). */
  public static final String EXIT_AFTER_START = "phalanx.exit-after-start";

  /** Where the app is in its life. */
  public enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED }

  private final AppInfo baseInfo;
  private final List<Server> servers;
  private final List<Server> adminServers;
  private final Middleware middleware;
  private final List<Hook> beforeStart;
  private final List<Hook> afterStart;
  private final List<Hook> beforeStop;
  private final List<Hook> afterStop;
  private final Duration stopGrace;
  private final Health health;
  private final Registrar registrar;
  private final Duration registrarTimeout;
  private final boolean registerInBackground;
  private final Duration stopDelay;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Object lock = new Object();
  private volatile State state = State.NEW;
  private volatile AppInfo info;
  private List<Server> started = List.of();
  private List<Server> adminStarted = List.of();
  private Registration registration;
  // Threads the lifecycle waits for (the one running start() or stop(), those stopping servers):
  // a stop() they ask for (from a hook, a listener, Server.stop, registrar.close) cannot wait for
  // the lifecycle to end, and returns at once. Guarded by lock.
  private final Set<Thread> lifecycleThreads = new HashSet<>();
  // whether a hook during the start asked for a stop (done after the start)
  private boolean stopAfterStart;
  // whether stop() came before any start: run() then returns without starting. Guarded by lock.
  private boolean stoppedBeforeStart;

  private App(Builder b) {
    this.baseInfo = new AppInfo(b.id != null ? b.id : UUID.randomUUID().toString(), b.name,
        b.version, b.metadata, List.of());
    this.info = baseInfo;
    this.servers = List.copyOf(b.servers);
    this.adminServers = List.copyOf(b.adminServers);
    this.middleware = Middleware.chain(b.middleware);
    this.beforeStart = List.copyOf(b.beforeStart);
    this.afterStart = List.copyOf(b.afterStart);
    this.beforeStop = List.copyOf(b.beforeStop);
    this.afterStop = List.copyOf(b.afterStop);
    this.stopGrace = b.stopGrace;
    this.health = b.health != null ? b.health : new Health();
    this.registrar = b.registrar;
    this.registrarTimeout = b.registrarTimeout;
    this.registerInBackground = b.registerInBackground;
    this.stopDelay = b.stopDelay != null ? b.stopDelay
        : b.registrar != null ? DEFAULT_STOP_DELAY_WITH_REGISTRAR : Duration.ZERO;
  }

  /** Starts describing an app called {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The app's identity; {@link AppInfo#endpoints()} is filled once the servers have started. */
  public AppInfo info() {
    return info;
  }

  public State state() {
    return state;
  }

  /**
   * The app's liveness and readiness. Ready (serving) only between a completed start and the
   * beginning of stop; servers and the admin endpoints report it.
   */
  public Health health() {
    return health;
  }

  /** The admin servers (probes, metrics, debug), in the order they were added. */
  public List<Server> adminServers() {
    return adminServers;
  }

  /** The servers, in the order they were added. */
  public List<Server> servers() {
    return servers;
  }

  /** The registrar the app registers with, if any. */
  public Optional<Registrar> registrar() {
    return Optional.ofNullable(registrar);
  }

  /**
   * Runs the before-start hooks, starts every server, reports ready, registers the instance,
   * then runs the after-start hooks.
   *
   * @throws IllegalStateException if the app was started before
   * @throws Exception the failure, with a message naming the server, hook or registrar that
   *     failed; servers already started have been stopped (and the instance deregistered)
   */
  public void start() throws Exception {
    start(false);
  }

  /**
   * Starts; returns false without starting when {@code unlessStopped} and the app was stopped
   * before it started (for run(), where a SIGTERM may come before the start).
   */
  private boolean start(boolean unlessStopped) throws Exception {
    synchronized (lock) {
      if (unlessStopped && stoppedBeforeStart) {
        return false;
      }
      if (state != State.NEW) {
        throw new IllegalStateException("app " + baseInfo.name() + " is " + state
            + (stoppedBeforeStart ? " (stopped before it started)" : "")
            + "; an app starts once");
      }
      state = State.STARTING;
      lifecycleThreads.add(Thread.currentThread());
    }
    long t0 = System.nanoTime();
    List<Server> up = new ArrayList<>();
    List<Server> adminUp = new ArrayList<>();
    try {
      runHooks("before-start", beforeStart, true);
      StartContext ctx = new StartContext(baseInfo, middleware, health, servers);
      // Admin servers first: probes answer (not ready) while the others start.
      for (Server s : adminServers) {
        try {
          s.start(ctx);
        } catch (Exception e) {
          throw new AppStartException("admin server " + s.name() + " failed to start: "
              + describe(e), e);
        }
        adminUp.add(s);
      }
      synchronized (lock) {
        adminStarted = List.copyOf(adminUp);
      }
      for (Server s : servers) {
        try {
          s.start(ctx);
        } catch (Exception e) {
          throw new AppStartException("server " + s.name() + " failed to start: " + describe(e), e);
        }
        up.add(s);
      }
      List<URI> endpoints = new ArrayList<>();
      for (Server s : up) {
        endpoints.add(s.endpoint());
      }
      info = baseInfo.withEndpoints(endpoints);
      synchronized (lock) {
        started = List.copyOf(up);
      }
      health.setServing(true);
      if (registrar != null) {
        Registration r = new Registration(registrar, instance(info), registrarTimeout,
            registerInBackground);
        synchronized (lock) {
          registration = r;
        }
        try {
          r.register();
        } catch (Registration.RegistrationException e) {
          throw new AppStartException(e.getMessage(), e.getCause());
        }
      }
      runHooks("after-start", afterStart, true);
    } catch (Exception | Error e) {
      Error listenerError = notServing(null);
      if (listenerError != null) {
        e.addSuppressed(listenerError);
      }
      Registration r;
      synchronized (lock) {
        r = registration;
      }
      if (r != null) {
        r.deregister();
      }
      stopServers(up, Duration.ZERO);
      stopServers(adminUp, Duration.ZERO);
      if (registrar != null) {
        closeRegistrar();
      }
      synchronized (lock) {
        state = State.STOPPED;
        lifecycleThreads.remove(Thread.currentThread());
        lock.notifyAll();
      }
      stopped.countDown();
      throw e;
    }
    boolean stopNow;
    synchronized (lock) {
      state = State.RUNNING;
      lifecycleThreads.remove(Thread.currentThread());
      stopNow = stopAfterStart;
      lock.notifyAll();
    }
    List<URI> admin = new ArrayList<>();
    for (Server s : adminUp) {
      admin.add(s.endpoint());
    }
    // The admin endpoints too: with port 0 (tests, several instances on one host) this line is
    // where an operator or a test finds the probes.
    LOG.info("app started: name={} version={} id={} endpoints={} admin={} took_ms={}",
        info.name(), info.version(), info.id(), info.endpoints(), admin,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    if (stopNow) {
      LOG.info("a start hook asked for a stop; stopping now");
      stop();
    }
    return true;
  }

  /**
   * Stops the app gracefully: not ready, before-stop hooks, deregistration (bounded by the
   * registrar timeout; a failure is logged and the stop goes on), the stop delay, servers
   * (concurrently, each with the grace period), after-stop hooks, the registrar closed.
   * Idempotent; a second caller waits for the first stop to finish. A stop requested while the
   * app starts waits for the start to end; one requested by a start hook (on the starting
   * thread, which cannot wait for itself) returns at once and is carried out as soon as
   * {@link #start()} has finished. One requested from inside the stop itself (a stop hook, a
   * serving listener, {@link Server#stop}, the registrar's close) returns at once too: the stop
   * it asks for is already under way, on a thread that waits for the caller.
   *
   * <p>A stop before {@link #start()} (a SIGTERM while {@link #run()} is about to start) only
   * marks the app STOPPED and closes the registrar, which the app owns: no hook runs for a start
   * that never happened, {@link #start()} then throws, {@link #run()} returns without starting.
   *
   * <p>A hook or serving listener that fails is logged and the stop goes on; if one threw an
   * {@link Error}, the first one is rethrown once everything is stopped.
   */
  public void stop() {
    boolean mine;
    boolean beforeStart;
    synchronized (lock) {
      if (lifecycleThreads.contains(Thread.currentThread())) {
        // Asked for from inside the start or the stop (a hook, a serving listener, a server's or
        // the registrar's stop): waiting here would wait for this very thread. A start carries
        // the stop out once it has finished; a stop is already under way.
        if (state == State.STARTING) {
          stopAfterStart = true;
        }
        return;
      }
      // A stop requested while starting (a SIGTERM during start-up) waits for the start to end,
      // then stops what it started.
      boolean interrupted = false;
      while (state == State.STARTING) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      beforeStart = state == State.NEW;
      if (beforeStart) {
        state = State.STOPPED;
        stoppedBeforeStart = true;
        lifecycleThreads.add(Thread.currentThread()); // the registrar's close may ask to stop
        lock.notifyAll();
      }
      mine = state == State.RUNNING;
      if (mine) {
        state = State.STOPPING;
        lifecycleThreads.add(Thread.currentThread());
      }
    }
    if (beforeStart) {
      LOG.info("app {} stopped before it started", baseInfo.name());
      try {
        if (registrar != null) {
          closeRegistrar();
        }
      } finally {
        synchronized (lock) {
          lifecycleThreads.remove(Thread.currentThread());
        }
        stopped.countDown();
      }
      return;
    }
    if (!mine) {
      awaitStopped();
      return;
    }
    long t0 = System.nanoTime();
    Error hookError = null;
    try {
      // Not ready first, so that probes and health-checking clients move away before the drain.
      hookError = notServing(null);
      hookError = runHooksQuietly("before-stop", beforeStop, hookError);
      List<Server> toStop;
      List<Server> adminToStop;
      Registration r;
      synchronized (lock) {
        toStop = started;
        adminToStop = adminStarted;
        r = registration;
      }
      if (r != null) {
        r.deregister();
      }
      if (!toStop.isEmpty()) {
        sleepStopDelay();
      }
      stopServers(toStop, stopGrace);
      // Admin servers last, so that probes keep reporting "not ready" during the drain.
      stopServers(adminToStop, Duration.ZERO);
      hookError = runHooksQuietly("after-stop", afterStop, hookError);
      if (registrar != null) {
        closeRegistrar();
      }
    } finally {
      synchronized (lock) {
        state = State.STOPPED;
        lifecycleThreads.remove(Thread.currentThread());
        lock.notifyAll();
      }
      stopped.countDown();
      LOG.info("app stopped: name={} id={} took_ms={}", info.name(), info.id(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
    if (hookError != null) {
      throw hookError;
    }
  }

  /**
   * Starts the app, blocks until SIGTERM/SIGINT or {@link #stop()}, stops it gracefully and
   * returns. A second signal while stopping halts the JVM immediately (exit code 130). With
   * {@value #EXIT_AFTER_START}{@code =true} it stops as soon as the start has completed. An app
   * stopped before it started (a signal that came first) is not started: run() returns.
   */
  public void run() throws Exception {
    // Handlers go in before start so that a SIGTERM during start-up also stops gracefully.
    try (SignalWaiter signals = SignalWaiter.install(this::onSignal, this::stop)) {
      if (!start(true)) {
        LOG.info("app {} was stopped before it started; not starting", baseInfo.name());
        return;
      }
      if (Boolean.getBoolean(EXIT_AFTER_START)) {
        LOG.info("{}=true: stopping right after the start", EXIT_AFTER_START);
        stop();
      }
      awaitStopped();
    }
  }

  /** Blocks until the app has stopped. */
  public void awaitStopped() {
    boolean interrupted = false;
    while (true) {
      try {
        stopped.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void onSignal(String signal, int count) {
    if (count == 1) {
      LOG.info("received SIG{}, stopping gracefully (grace {})", signal, stopGrace);
      Thread t = new Thread(this::stop, "phalanx-stop");
      t.setDaemon(false);
      t.start();
    } else {
      LOG.warn("received SIG{} again while stopping; exiting now", signal);
      Runtime.getRuntime().halt(130);
    }
  }

  /** What the registrar publishes: the app's identity with the endpoints of all servers. */
  private static ServiceInstance instance(AppInfo info) {
    return new ServiceInstance(info.id(), info.name(), info.version(), info.metadata(),
        info.endpoints());
  }

  private void closeRegistrar() {
    try {
      registrar.close();
    } catch (Exception e) {
      LOG.warn("closing registrar {} failed", registrar, e);
    }
  }

  /**
   * Waits for deregistration (and NOT_SERVING) to reach clients: their discovery watches and
   * load balancers' health checks lag behind, and requests they route here meanwhile must still
   * be accepted. An interrupt cuts the wait short; the stop goes on.
   */
  private void sleepStopDelay() {
    if (stopDelay.isZero()) {
      return;
    }
    try {
      Thread.sleep(stopDelay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void runHooks(String phase, List<Hook> hooks, boolean failFast) throws Exception {
    for (Hook h : hooks) {
      try {
        h.run(info);
      } catch (Exception e) {
        if (failFast) {
          throw new AppStartException(phase + " hook failed: " + describe(e), e);
        }
      }
    }
  }

  /**
   * Runs stop hooks, logging failures. An {@link Error} (an assertion in a hook, a linkage
   * problem) must not leave servers running either: it is kept and returned (the first one
   * wins) for {@link #stop()} to rethrow at the end.
   */
  private Error runHooksQuietly(String phase, List<Hook> hooks, Error first) {
    Error out = first;
    for (Hook h : hooks) {
      try {
        h.run(info);
      } catch (Exception e) {
        LOG.warn("{} hook failed; stop continues", phase, e);
      } catch (Error e) {
        LOG.error("{} hook failed; stop continues, then rethrows", phase, e);
        out = out == null ? e : out;
      }
    }
    return out;
  }

  /**
   * Reports NOT_SERVING. {@link Health} logs a listener's exception and goes on; an {@link Error}
   * must not leave servers running either, so it is returned (unless one came {@code first}) for
   * the caller to throw once everything is stopped.
   */
  private Error notServing(Error first) {
    try {
      health.setServing(false);
    } catch (Error e) {
      LOG.error("a serving listener failed; stop continues, then rethrows", e);
      return first == null ? e : first;
    }
    return first;
  }

  private void stopServers(List<Server> servers, Duration grace) {
    if (servers.isEmpty()) {
      return;
    }
    List<Thread> threads = new ArrayList<>();
    for (Server s : servers) {
      Thread t = new Thread(() -> {
        try {
          s.stop(grace);
        } catch (RuntimeException e) {
          LOG.warn("server {} failed to stop cleanly", s.name(), e);
        }
      }, "phalanx-stop-" + s.name());
      t.setDaemon(true);
      synchronized (lock) {
        lifecycleThreads.add(t); // before it runs: its Server.stop may call stop()
      }
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      boolean interrupted = false;
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (lock) {
      lifecycleThreads.removeAll(threads);
    }
  }

  private static String describe(Throwable e) {
    String msg = e.getMessage();
    return msg == null || msg.isBlank() ? e.getClass().getName() : msg;
  }

  /** Thrown by {@link #start()}; the message names the server or hook that failed. */
  public static final class AppStartException extends Exception {
    private static final long serialVersionUID = 1L;

    AppStartException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Describes an {@link App}. Not thread-safe; {@link #build()} copies everything. */
  public static final class Builder {
    private final String name;
    private String version = "";
    private String id;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Server> servers = new ArrayList<>();
    private final List<Server> adminServers = new ArrayList<>();
    private final List<Middleware> middleware = new ArrayList<>();
    private final List<Hook> beforeStart = new ArrayList<>();
    private final List<Hook> afterStart = new ArrayList<>();
    private final List<Hook> beforeStop = new ArrayList<>();
    private final List<Hook> afterStop = new ArrayList<>();
    private Duration stopGrace = Duration.ofSeconds(25);
    private Health health;
    private Registrar registrar;
    private Duration registrarTimeout = Duration.ofSeconds(10);
    private boolean registerInBackground;
    private Duration stopDelay;

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("app name must not be blank");
      }
      this.name = name;
    }

    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /** The instance id; a random UUID when not set. */
    public Builder id(String id) {
      this.id = Objects.requireNonNull(id, "id");
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder metadata(Map<String, String> metadata) {
      metadata.forEach(this::metadata);
      return this;
    }

    /**
     * Adds an admin server (health probes, metrics, debug endpoints): it starts before the other
     * servers and stops after they have drained, so probes answer "not ready" throughout start
     * and stop; its endpoint is not published to the registry.
     */
    public Builder admin(Server server) {
      adminServers.add(Objects.requireNonNull(server, "server"));
      return this;
    }

    /** Adds a server; servers start in the order added. */
    public Builder server(Server server) {
      servers.add(Objects.requireNonNull(server, "server"));
      return this;
    }

    /** Adds app-wide middleware, run by every server outside its own middleware. */
    public Builder middleware(Middleware... middleware) {
      for (Middleware m : middleware) {
        this.middleware.add(Objects.requireNonNull(m, "middleware"));
      }
      return this;
    }

    public Builder beforeStart(Hook hook) {
      beforeStart.add(Objects.requireNonNull(hook, "hook"));
      return this;
    }

    public Builder afterStart(Hook hook) {
      afterStart.add(Objects.requireNonNull(hook, "hook"));
      return this;
    }

    public Builder beforeStop(Hook hook) {
      beforeStop.add(Objects.requireNonNull(hook, "hook"));
      return this;
    }

    public Builder afterStop(Hook hook) {
      afterStop.add(Objects.requireNonNull(hook, "hook"));
      return this;
    }

    /** How long servers may drain in-flight requests when stopping (default 25 s). */
    public Builder stopGrace(Duration grace) {
      Objects.requireNonNull(grace, "grace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("stopGrace must not be negative: " + grace);
      }
      this.stopGrace = grace;
      return this;
    }

    /** The health to drive and report (default: a new one); add checks to it before or after. */
    public Builder health(Health health) {
      this.health = Objects.requireNonNull(health, "health");
      return this;
    }

    /**
     * Publishes the instance (id, name, version, metadata, the endpoints of all servers) to
     * {@code registrar} once the servers listen; deregisters it first thing on stop and closes
     * it last. Its {@code toString()} should name the registry endpoint: start-up errors use it.
     */
    public Builder registrar(Registrar registrar) {
      this.registrar = Objects.requireNonNull(registrar, "registrar");
      return this;
    }

    /**
     * How long register and deregister may take (default 10 s). A registration that overruns
     * fails the start (unless {@linkplain #registerInBackground in the background}); a
     * deregistration that overruns is logged and the stop goes on.
     */
    public Builder registrarTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("registrarTimeout must be positive: " + timeout);
      }
      this.registrarTimeout = timeout;
      return this;
    }

    /**
     * False (default): a registry that cannot be reached fails the start, which stops the
     * servers — a deployment then fails visibly instead of running unseen. True: start succeeds
     * anyway and registration is retried in the background with capped exponential backoff, for
     * services that must come up while the registry is down.
     */
    public Builder registerInBackground(boolean background) {
      this.registerInBackground = background;
      return this;
    }

    /**
     * How long to wait between deregistering (and reporting NOT_SERVING) and stopping the
     * servers. Clients learn of the deregistration through their registry watches a little
     * later, and keep sending requests meanwhile; the servers must still accept them, or a
     * rolling restart loses requests. Default: 2 s with a registrar, zero without (nothing to
     * propagate, unless a load balancer polls readiness: then set it to cover the poll period).
     */
    public Builder stopDelay(Duration delay) {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("stopDelay must not be negative: " + delay);
      }
      this.stopDelay = delay;
      return this;
    }

    public App build() {
      return new App(this);
    }
  }
}
