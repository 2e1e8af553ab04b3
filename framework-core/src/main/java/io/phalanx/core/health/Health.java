package io.phalanx.core.health;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's liveness and readiness: named checks plus a "serving" flag that the
 * {@link io.phalanx.core.App} lifecycle drives — false until start has completed, false again as
 * soon as stop begins — so that load balancers and Kubernetes stop sending traffic before the
 * servers drain. HTTP probes ({@code /healthz}, {@code /readyz}) and the gRPC health service read
 * the same object.
 *
 * <p>Thread-safe. Checks run on the caller's thread each time a report is asked for. Listeners of
 * {@link #onServingChange} hear the changes one call at a time and in the order they were made,
 * never an older value after a newer one, so the last value a listener has heard is the current
 * one. A listener is called on the thread that changes the flag, or, while it is still being
 * told an earlier change on another thread, by that thread right after (changes made meanwhile
 * are folded into the newest): no lock is held while it runs, so a listener may block, or call
 * back into the app, without holding up a change (a stop waiting for a start, say). A listener
 * that throws an exception is logged and the others still hear the change (the app's start or
 * stop goes on); an {@code Error} is thrown to the changer once every listener has been told.
 */
public final class Health {
  private static final Logger LOG = LoggerFactory.getLogger(Health.class);
  private final Map<String, HealthCheck> liveness = new LinkedHashMap<>();
  private final Map<String, HealthCheck> readiness = new LinkedHashMap<>();
  private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
  // Orders changes: each gets the next version under it, and a listener is told versions in
  // order (see Listener). Nothing runs under it: a listener called under a lock deadlocked a
  // start when it waited for that start.
  private final Object changes = new Object();
  private long version; // guarded by changes
  private volatile boolean serving;

  /** Adds a liveness check: failing means "restart me". */
  public synchronized Health addLiveness(String name, HealthCheck check) {
    put(liveness, name, check);
    return this;
  }

  /** Adds a readiness check: failing means "send me no traffic for now". */
  public synchronized Health addReadiness(String name, HealthCheck check) {
    put(readiness, name, check);
    return this;
  }

  /** Runs the liveness checks. */
  public HealthReport liveness() {
    return run(snapshot(liveness), true);
  }

  /** Runs the readiness checks; not ready whenever the app is not serving. */
  public HealthReport readiness() {
    Map<String, HealthCheck> checks = snapshot(readiness);
    boolean s = serving;
    HealthReport r = run(checks, s);
    if (s) {
      return r;
    }
    Map<String, CheckResult> withLifecycle = new LinkedHashMap<>();
    withLifecycle.put("lifecycle", CheckResult.down("not serving (starting or stopping)"));
    withLifecycle.putAll(r.checks());
    return new HealthReport(false, withLifecycle);
  }

  /** Whether the app is between a completed start and the beginning of stop. */
  public boolean serving() {
    return serving;
  }

  /** Set by the app lifecycle; listeners hear every change. */
  public void setServing(boolean serving) {
    long v;
    synchronized (changes) {
      if (this.serving == serving) {
        return;
      }
      this.serving = serving;
      v = ++version;
    }
    Error first = null;
    for (Listener l : listeners) {
      Error e = l.tell(v, serving);
      if (e != null && first == null) {
        first = e;
      } else if (e != null) {
        first.addSuppressed(e);
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /**
   * Calls {@code listener} with the current serving flag now and on every change, until the
   * returned handle is closed. The first call is told in order with the changes: it never brings
   * an older value after a newer one.
   */
  public AutoCloseable onServingChange(Consumer<Boolean> listener) {
    Listener l = new Listener(Objects.requireNonNull(listener, "listener"));
    long v;
    boolean now;
    synchronized (changes) {
      listeners.add(l);
      v = version;
      now = serving;
    }
    Error e = l.tell(v, now);
    if (e != null) {
      throw e;
    }
    return () -> listeners.remove(l);
  }

  /**
   * One listener and the newest change it is due. Whoever brings a change while no call to the
   * listener is under way makes the calls, the newest change each time, until none is left; a
   * change brought meanwhile is left for it. So calls are one at a time, in version order, and
   * no thread waits for another's listener call.
   */
  private static final class Listener {
    private final Consumer<Boolean> consumer;
    // guarded by this
    private long due = -1;
    private boolean dueValue;
    private long told = -1;
    private boolean calling;

    Listener(Consumer<Boolean> consumer) {
      this.consumer = consumer;
    }

    /** Tells {@code value} of {@code version} unless a newer one came; an Error it threw. */
    Error tell(long version, boolean value) {
      synchronized (this) {
        if (version <= due) {
          return null; // a newer change is due or told already
        }
        due = version;
        dueValue = value;
        if (calling) {
          return null; // the thread calling it tells this too, right after
        }
        calling = true;
      }
      Error first = null;
      while (true) {
        boolean next;
        synchronized (this) {
          if (told == due) {
            calling = false;
            return first;
          }
          told = due;
          next = dueValue;
        }
        try {
          consumer.accept(next);
        } catch (RuntimeException e) {
          // The changer is the app's start or stop: a listener must not leave it half done.
          LOG.warn("serving listener {} failed on serving={}; ignored", consumer, next, e);
        } catch (Error e) {
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
      }
    }
  }

  private static void put(Map<String, HealthCheck> map, String name, HealthCheck check) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(check, "check");
    if (map.putIfAbsent(name, check) != null) {
      throw new IllegalArgumentException("a health check named '" + name + "' already exists");
    }
  }

  private synchronized Map<String, HealthCheck> snapshot(Map<String, HealthCheck> map) {
    return new LinkedHashMap<>(map);
  }

  private static HealthReport run(Map<String, HealthCheck> checks, boolean baseline) {
    Map<String, CheckResult> results = new LinkedHashMap<>();
    boolean up = baseline;
    for (Map.Entry<String, HealthCheck> e : checks.entrySet()) {
      CheckResult r;
      try {
        r = Objects.requireNonNull(e.getValue().check(), "check returned null");
      } catch (Exception ex) {
        r = CheckResult.down(ex.getClass().getSimpleName()
            + (ex.getMessage() == null ? "" : ": " + ex.getMessage()));
      }
      results.put(e.getKey(), r);
      up &= r.healthy();
    }
    return new HealthReport(up, results);
  }
}
