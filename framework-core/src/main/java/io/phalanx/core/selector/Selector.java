package io.phalanx.core.selector;

import io.phalanx.core.Context;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.ServiceInstance;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the node for each call to one service: holds the service's current nodes (fed by a
 * {@link Discovery} watch or by {@link #update}), filters them, ejects outliers and asks the
 * {@link Balancer} for one — Kratos' {@code selector.Default}, plus what Kratos lacks:
 *
 * <ul>
 *   <li>statistics survive discovery updates (kept per endpoint), so a registry refresh does not
 *       reset P2C to blind guessing;
 *   <li>passive outlier ejection ({@link OutlierEjection});
 *   <li>zero-endpoint protection: an empty update after a non-empty one is refused and the last
 *       known nodes stay (registries briefly return nothing during restarts and network
 *       partitions; sending to possibly-stale nodes beats failing every call), and a discovery
 *       that cannot be watched is retried in the background while the last nodes keep serving.
 * </ul>
 *
 * <p>No usable node gives {@link ServiceException} 503 {@code NO_AVAILABLE_NODE}.
 *
 * <pre>{@code
 * Selector selector = Selector.builder().discovery(registry, "greeter").schemes("http")
 *     .balancer(Balancer.p2c()).filter(NodeFilter.version("v2")).build();
 * Selection s = selector.select(ctx);
 * try { call(s.node().endpoint()); s.done(null); } catch (Exception e) { s.done(e); throw e; }
 * }</pre>
 *
 * <p>Threading: thread-safe; {@link #select} is lock-free apart from the balancer's own
 * synchronisation and reads an immutable snapshot that updates replace.
 */
public final class Selector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Selector.class);
  private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final String serviceName;
  private final Balancer balancer;
  private final List<NodeFilter> filters;
  private final OutlierEjection ejection;
  private final LongSupplier ticker;
  private final Predicate<Throwable> failure;
  private final List<String> schemes;
  private final Duration initialWait;
  private final Discovery discovery;
  private final Object updateLock = new Object();
  private final CountDownLatch firstUpdate = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Snapshot snapshot;
  private AutoCloseable watch;
  private ScheduledExecutorService retrier;

  /** The nodes of one update: all of them (statistics owners) and those the filters keep. */
  private record Snapshot(List<NodeStats> all, List<NodeStats> candidates) {}

  private Selector(Builder b) {
    this.serviceName = b.serviceName;
    this.balancer = b.balancer;
    this.filters = List.copyOf(b.filters);
    this.ejection = b.ejection;
    this.ticker = b.ticker;
    this.failure = b.failure;
    this.schemes = List.copyOf(b.schemes);
    this.initialWait = b.initialWait;
    this.discovery = b.discovery;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether {@code error} counts against the node that served the call: 503 and 504 (the node
   * is down, overloaded or too slow) and I/O errors; client errors, 500s from a handler and a
   * cancellation by the caller do not. The default classifier.
   */
  public static boolean isNodeFailure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ServiceException se) {
        return se.code() == 503 || se.code() == 504;
      }
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  /** The service name this selector serves ({@code ""} when fed by {@link #update} only). */
  public String serviceName() {
    return serviceName;
  }

  public Balancer balancer() {
    return balancer;
  }

  /** The current nodes before filtering, in discovery order. */
  public List<Node> nodes() {
    Snapshot s = snapshot;
    if (s == null) {
      return List.of();
    }
    List<Node> out = new ArrayList<>(s.all().size());
    for (NodeStats st : s.all()) {
      out.add(st.node());
    }
    return out;
  }

  /** The live statistics of the current nodes, in discovery order. */
  public List<NodeStats> stats() {
    Snapshot s = snapshot;
    return s == null ? List.of() : s.all();
  }

  /**
   * Replaces the instance list: each instance contributes its first endpoint with one of the
   * configured schemes (instances without one are skipped, and so are endpoints that name no
   * host Java can parse, such as {@code http://user_service:8000}, with a warning: one bad
   * instance must not hold back every update of the service). See {@link #update}.
   */
  public void updateInstances(List<ServiceInstance> instances) {
    List<Node> nodes = new ArrayList<>(instances.size());
    String[] wanted = schemes.toArray(String[]::new);
    for (ServiceInstance i : instances) {
      i.endpoint(wanted).ifPresent(u -> {
        try {
          nodes.add(Node.of(u, i));
        } catch (IllegalArgumentException unusable) {
          log.warn("{}: instance {} skipped: {}", serviceName, i.id(), unusable.getMessage());
        }
      });
    }
    if (nodes.isEmpty() && !instances.isEmpty()) {
      log.warn("{}: none of {} instances has a {} endpoint", serviceName, instances.size(),
          schemes);
    }
    update(nodes);
  }

  /**
   * Replaces the node list. Statistics of endpoints present before are kept; those of vanished
   * endpoints are dropped. An empty list is refused while nodes are known (zero-endpoint
   * protection); the very first update may be empty.
   */
  public void update(List<Node> nodes) {
    Objects.requireNonNull(nodes, "nodes");
    synchronized (updateLock) {
      Snapshot old = snapshot;
      if (nodes.isEmpty() && old != null && !old.all().isEmpty()) {
        log.warn("{}: discovery returned no endpoint; keeping the last {} known",
            serviceName, old.all().size());
        return;
      }
      Map<URI, NodeStats> previous = new HashMap<>();
      if (old != null) {
        for (NodeStats s : old.all()) {
          previous.put(s.node().endpoint(), s);
        }
      }
      long now = ticker.getAsLong();
      boolean later = old != null && !old.all().isEmpty();
      Map<URI, NodeStats> next = new LinkedHashMap<>();
      for (Node n : nodes) {
        if (next.containsKey(n.endpoint())) {
          continue;
        }
        NodeStats s = previous.get(n.endpoint());
        if (s == null) {
          s = new NodeStats(n, now, later);
        } else {
          s.node(n);
        }
        next.put(n.endpoint(), s);
      }
      List<Node> kept = List.copyOf(nodes);
      for (NodeFilter f : filters) {
        kept = f.filter(kept);
      }
      List<NodeStats> candidates = new ArrayList<>(kept.size());
      for (Node n : kept) {
        NodeStats s = next.get(n.endpoint());
        if (s != null && !candidates.contains(s)) {
          candidates.add(s);
        }
      }
      snapshot = new Snapshot(List.copyOf(next.values()), List.copyOf(candidates));
    }
    firstUpdate.countDown();
  }

  /** {@link #select(Context, Predicate)} over all candidates. */
  public Selection select(Context ctx) {
    return select(ctx, null);
  }

  /**
   * Picks the node for one call. Before the first discovery update this waits for it, at most
   * the builder's {@code initialWait} and never past {@code ctx}'s deadline.
   *
   * @param ctx the call's context, for its deadline; may be null
   * @param usable narrows the candidates further for this call (e.g. to connected gRPC
   *     sub-channels); null for all
   * @throws ServiceException 503 {@code NO_AVAILABLE_NODE} when no node can take the call
   */
  public Selection select(Context ctx, Predicate<Node> usable) {
    return start(pick(ctx, usable));
  }

  /**
   * Chooses the node for one call like {@link #select(Context, Predicate)}, without counting the
   * call until {@link Choice#start}: for a transport that may drop the pick before the call
   * begins (see {@link Choice}).
   *
   * @throws ServiceException 503 {@code NO_AVAILABLE_NODE} when no node can take the call
   */
  public Choice choose(Context ctx, Predicate<Node> usable) {
    return new Chosen(pick(ctx, usable));
  }

  private NodeStats pick(Context ctx, Predicate<Node> usable) {
    Snapshot s = snapshot;
    if (s == null) {
      s = awaitFirst(ctx);
    }
    List<NodeStats> candidates = s.candidates();
    long now = ticker.getAsLong();
    List<NodeStats> healthy = new ArrayList<>(candidates.size());
    // fallbacks, best first. When every usable node is ejected (the healthy ones vanished
    // meanwhile), trying a sick node beats certain failure. A node the balancer holds back
    // (drained) comes after all it does not, ejected ones included: Kratos' wrr sends a weight-0
    // node nothing while a weighted one is there, however that one fares
    List<NodeStats> ejected = null;
    List<NodeStats> drained = null;
    List<NodeStats> drainedEjected = null;
    for (NodeStats st : candidates) {
      if (usable != null && !usable.test(st.node())) {
        continue;
      }
      boolean out = st.ejected(now);
      boolean held = balancer.drained(st.node());
      if (!out && !held) {
        healthy.add(st);
      } else if (!held) {
        ejected = add(ejected, st, candidates.size());
      } else if (!out) {
        drained = add(drained, st, candidates.size());
      } else {
        drainedEjected = add(drainedEjected, st, candidates.size());
      }
    }
    List<NodeStats> offered = !healthy.isEmpty() ? healthy
        : ejected != null ? ejected : drained != null ? drained : drainedEjected;
    if (offered == null) {
      throw noNode(s);
    }
    return balancer.pick(offered, now);
  }

  private static List<NodeStats> add(List<NodeStats> list, NodeStats st, int capacity) {
    List<NodeStats> l = list != null ? list : new ArrayList<>(capacity);
    l.add(st);
    return l;
  }

  /** Begins one counted call on {@code stats}. */
  private Selection start(NodeStats stats) {
    long now = ticker.getAsLong();
    return new Picked(stats, stats.begin(now), now);
  }

  private Snapshot awaitFirst(Context ctx) {
    Duration wait = initialWait;
    if (ctx != null) {
      Duration remaining = ctx.remaining().orElse(wait);
      if (remaining.compareTo(wait) < 0) {
        wait = remaining;
      }
    }
    try {
      if (!wait.isNegative() && !wait.isZero()) {
        firstUpdate.await(wait.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Snapshot s = snapshot;
    if (s == null) {
      throw new ServiceException(503, "NO_AVAILABLE_NODE",
          "no instance of " + describe() + " known yet");
    }
    return s;
  }

  private ServiceException noNode(Snapshot s) {
    String why = s.all().isEmpty() ? "no instance"
        : s.candidates().isEmpty() ? "no instance passes the node filters (of " + s.all().size()
            + ")" : "no usable node (of " + s.candidates().size() + ")";
    return new ServiceException(503, "NO_AVAILABLE_NODE", why + " for " + describe());
  }

  private String describe() {
    return serviceName.isEmpty() ? "the target" : "service '" + serviceName + "'";
  }

  private void finish(Picked p, Throwable error) {
    long now = ticker.getAsLong();
    boolean failed = false;
    try {
      failed = classify(error);
    } finally {
      // even when the classifier throws an Error: a call left in flight would count against
      // the node for good (P2C's load is latency x in-flight)
      NodeStats st = p.stats;
      boolean eject = st.end(p.slot, p.start, now, failed, ejection.consecutiveFailures());
      if (eject) {
        ejectUnlessLast(st, now);
      } else if (!failed) {
        st.decay(now, ejection.maxEjection().toNanos());
      }
      try {
        balancer.done(st, now - p.start, failed);
      } catch (RuntimeException e) {
        log.error("{}: balancer {} failed on the outcome of a call to {}", serviceName, balancer,
            st.node().endpoint(), e);
      }
    }
  }

  /**
   * The failure classifier's verdict on {@code error}. One that throws is logged with the error it
   * was given and replaced for this call by {@link #isNodeFailure}: rethrown from {@code done},
   * its exception would replace the call's own error in the caller, or break the transport
   * callback that reports the outcome.
   */
  private boolean classify(Throwable error) {
    if (error == null) {
      return false;
    }
    try {
      return failure.test(error);
    } catch (RuntimeException e) {
      log.error("{}: the failure classifier threw on {}; Selector.isNodeFailure decides instead",
          serviceName, error, e);
      return isNodeFailure(error);
    }
  }

  private void ejectUnlessLast(NodeStats st, long now) {
    synchronized (updateLock) {
      if (st.ejected(now)) {
        return; // calls that failed together (the node went down) eject it once, not each
      }
      Snapshot s = snapshot;
      int others = 0;
      // A drained node takes calls only when no weighted one can: it does not stand in for a
      // weighted node, so it does not make ejecting the last weighted one safe.
      boolean drainedToo = balancer.drained(st.node());
      if (s != null) {
        for (NodeStats o : s.candidates()) {
          if (o != st && !o.ejected(now) && (drainedToo || !balancer.drained(o.node()))) {
            others++;
          }
        }
      }
      if (others == 0) {
        st.spare();
        log.debug("{}: {} keeps failing but is the last healthy node; not ejected",
            serviceName, st.node().endpoint());
        return;
      }
      st.eject(now, ejection.baseEjection().toNanos(), ejection.maxEjection().toNanos());
      log.warn("{}: ejected {} after {} consecutive failures (ejection #{})", serviceName,
          st.node().endpoint(), ejection.consecutiveFailures(), st.ejections());
    }
  }

  // ---- discovery --------------------------------------------------------------------------

  private void startWatch(long retryNanos) {
    if (closed.get()) {
      return;
    }
    try {
      AutoCloseable w = discovery.watch(serviceName, this::updateInstances);
      synchronized (this) {
        if (closed.get()) {
          closeQuietly(w);
          return;
        }
        watch = w;
        if (retrier != null) {
          retrier.shutdown();
          retrier = null;
        }
      }
    } catch (Exception e) {
      long next = Math.min(retryNanos * 2, MAX_RETRY_NANOS);
      log.warn("{}: cannot watch discovery {} ({}); retrying in {} ms{}", serviceName, discovery,
          e.toString(), TimeUnit.NANOSECONDS.toMillis(retryNanos),
          snapshot == null ? "" : ", keeping the last known nodes");
      synchronized (this) {
        if (closed.get()) {
          return;
        }
        if (retrier == null) {
          retrier = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "phalanx-selector-" + serviceName);
            t.setDaemon(true);
            return t;
          });
        }
        retrier.schedule(() -> startWatch(next), retryNanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Stops the discovery watch, if any. The last nodes stay usable. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      if (retrier != null) {
        retrier.shutdownNow();
        retrier = null;
      }
      if (watch != null) {
        closeQuietly(watch);
        watch = null;
      }
    }
  }

  private void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("{}: closing the discovery watch failed", serviceName, e);
    }
  }

  @Override
  public String toString() {
    return "Selector{" + (serviceName.isEmpty() ? "" : serviceName + ", ") + balancer + ", "
        + stats().size() + " nodes}";
  }

  /** A chosen node; each start begins one counted call. */
  private final class Chosen implements Choice {
    private final NodeStats stats;

    Chosen(NodeStats stats) {
      this.stats = stats;
    }

    @Override
    public Node node() {
      return stats.node();
    }

    @Override
    public Selection start() {
      return Selector.this.start(stats);
    }

    @Override
    public String toString() {
      return "Choice{" + stats.node().endpoint() + "}";
    }
  }

  /** One call on a node; {@code done} counts once. */
  private final class Picked implements Selection {
    private final NodeStats stats;
    private final int slot;
    private final long start;
    private final AtomicBoolean finished = new AtomicBoolean();

    Picked(NodeStats stats, int slot, long start) {
      this.stats = stats;
      this.slot = slot;
      this.start = start;
    }

    @Override
    public Node node() {
      return stats.node();
    }

    @Override
    public void done(Throwable error) {
      if (finished.compareAndSet(false, true)) {
        finish(this, error);
      }
    }

    @Override
    public String toString() {
      return "Selection{" + stats.node().endpoint() + "}";
    }
  }

  /** Options of a {@link Selector}. Not thread-safe. */
  public static final class Builder {
    private String serviceName = "";
    private Discovery discovery;
    private Balancer balancer;
    private final List<NodeFilter> filters = new ArrayList<>();
    private OutlierEjection ejection = OutlierEjection.defaults();
    private LongSupplier ticker = System::nanoTime;
    private Predicate<Throwable> failure = Selector::isNodeFailure;
    private List<String> schemes = List.of("http", "https", "grpc", "grpcs");
    private Duration initialWait = Duration.ofSeconds(5);

    private Builder() {}

    /**
     * Watches {@code serviceName} in {@code discovery} from {@link #build()} until {@link
     * Selector#close()}. Without it, feed the selector with {@link Selector#update}.
     */
    public Builder discovery(Discovery discovery, String serviceName) {
      this.discovery = Objects.requireNonNull(discovery, "discovery");
      this.serviceName = Objects.requireNonNull(serviceName, "serviceName");
      if (serviceName.isBlank()) {
        throw new IllegalArgumentException("serviceName must not be blank");
      }
      return this;
    }

    /** The name used in messages when fed by {@link Selector#update} (e.g. the gRPC target). */
    public Builder name(String name) {
      this.serviceName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** The balancer; default {@link Balancer#p2c()}. One instance per selector. */
    public Builder balancer(Balancer balancer) {
      this.balancer = Objects.requireNonNull(balancer, "balancer");
      return this;
    }

    /** Node filters, applied in order after each update. */
    public Builder filter(NodeFilter... filters) {
      for (NodeFilter f : filters) {
        this.filters.add(Objects.requireNonNull(f, "filter"));
      }
      return this;
    }

    /** Default {@link OutlierEjection#defaults()}. */
    public Builder outlierEjection(OutlierEjection ejection) {
      this.ejection = Objects.requireNonNull(ejection, "ejection");
      return this;
    }

    /**
     * Endpoint schemes to use, in preference order (the first endpoint of an instance with any
     * of them is its node); default http, https, grpc, grpcs.
     */
    public Builder schemes(String... schemes) {
      if (schemes.length == 0) {
        throw new IllegalArgumentException("at least one scheme");
      }
      this.schemes = List.of(schemes);
      return this;
    }

    /**
     * Which call errors count against a node; default {@link Selector#isNodeFailure}. Called on
     * the thread that ends the call; one that throws is logged and {@code isNodeFailure} decides
     * that call instead.
     */
    public Builder failureClassifier(Predicate<Throwable> failure) {
      this.failure = Objects.requireNonNull(failure, "failure");
      return this;
    }

    /** How long a call waits for the first discovery result (5 s; the deadline caps it). */
    public Builder initialWait(Duration initialWait) {
      this.initialWait = Objects.requireNonNull(initialWait, "initialWait");
      return this;
    }

    /** The clock in nanoseconds; tests inject a manual one. Default {@link System#nanoTime}. */
    public Builder ticker(LongSupplier ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** A selector; starts the discovery watch if one was given. */
    public Selector build() {
      if (balancer == null) {
        balancer = Balancer.p2c();
      }
      Selector s = new Selector(this);
      if (discovery != null) {
        s.startWatch(TimeUnit.SECONDS.toNanos(1));
      }
      return s;
    }
  }
}
