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
 * {@link #onServingChange} run on the thread that changes the flag, one change at a time and in
 * the order the changes were made, so the last value a listener has heard is the current one;
 * they run under the lock that orders changes and must not block (one that does holds up every
 * change). A listener that throws an exception is logged and the others still hear the change
 * (the app's start or stop goes on).
 */
public final class Health {
  private static final Logger LOG = LoggerFactory.getLogger(Health.class);
  private final Map<String, HealthCheck> liveness = new LinkedHashMap<>();
  private final Map<String, HealthCheck> readiness = new LinkedHashMap<>();
  private final CopyOnWriteArrayList<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
  // Held while a change is made and told: telling outside it let a later change reach a listener
  // first, leaving it with the older value. Not this object's monitor, so that reports and
  // checks being added do not wait for listeners.
  private final Object changes = new Object();
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
    synchronized (changes) {
      if (this.serving == serving) {
        return;
      }
      this.serving = serving;
      for (Consumer<Boolean> l : listeners) {
        if (this.serving != serving) {
          break; // a listener changed it again on this thread: the others have heard the newer
        }
        try {
          l.accept(serving);
        } catch (RuntimeException e) {
          // The caller is the app's start or stop: a listener must not leave it half done.
          LOG.warn("serving listener {} failed on serving={}; ignored", l, serving, e);
        }
      }
    }
  }

  /**
   * Calls {@code listener} with the current serving flag now and on every change, until the
   * returned handle is closed. The first call is made before any change that comes later, so
   * it never brings an older value after a newer one.
   */
  public AutoCloseable onServingChange(Consumer<Boolean> listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (changes) {
      listeners.add(listener);
      listener.accept(serving);
    }
    return () -> listeners.remove(listener);
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
