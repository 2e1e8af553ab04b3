package io.phalanx.core.internal;

import io.phalanx.core.registry.Registrar;
import io.phalanx.core.registry.ServiceInstance;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The app's registration of its instance with a {@link Registrar}: register (once, bounded by a
 * timeout, or retried in the background) and deregister; the app closes the registrar itself.
 * Every registrar call runs on a thread of its own so that a registry that hangs cannot hold
 * start or stop longer than the timeout; a call that overruns is interrupted and abandoned.
 *
 * <p>Threading: {@link #register()} is called by the starting thread, {@link #deregister()} by
 * the stopping thread, once each; the background loop runs on its own thread.
 */
public final class Registration {
  private static final Logger LOG = LoggerFactory.getLogger(Registration.class);
  private static final long FIRST_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 30_000;

  private final Registrar registrar;
  private final ServiceInstance instance;
  private final Duration timeout;
  private final boolean background;
  private final Object lock = new Object();
  private boolean attempted;
  private boolean registered;
  private boolean cancelled;
  private Thread loop;

  public Registration(Registrar registrar, ServiceInstance instance, Duration timeout,
      boolean background) {
    this.registrar = Objects.requireNonNull(registrar, "registrar");
    this.instance = Objects.requireNonNull(instance, "instance");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.background = background;
  }

  /**
   * Registers the instance. In the foreground, returns once the registrar accepted it and throws
   * otherwise (message naming the registrar and what failed); in the background, returns at once
   * and keeps trying with capped exponential backoff until it succeeds or {@link #deregister()}.
   */
  public void register() throws Exception {
    if (!background) {
      synchronized (lock) {
        attempted = true;
      }
      call("register", this::registerOnce);
      synchronized (lock) {
        registered = true;
      }
      LOG.info("registered {} id={} with {}", instance.name(), instance.id(), registrar);
      return;
    }
    Thread t = new Thread(this::retry, "phalanx-registration");
    t.setDaemon(true);
    synchronized (lock) {
      loop = t;
    }
    t.start();
  }

  /** Whether a registration has succeeded (and not been withdrawn). */
  public boolean registered() {
    synchronized (lock) {
      return registered;
    }
  }

  /**
   * Stops background retries and withdraws the instance if it was (or may have been) registered.
   * A failure is logged, never thrown: stopping goes on without the registry.
   */
  public void deregister() {
    Thread t;
    synchronized (lock) {
      cancelled = true;
      t = loop;
    }
    if (t != null) {
      t.interrupt();
      join(t, timeout);
    }
    synchronized (lock) {
      // An attempt that failed or timed out on our side may still have reached the registry;
      // deregistering is idempotent, so withdraw after any attempt.
      if (!attempted) {
        return;
      }
    }
    try {
      call("deregister", () -> {
        registrar.deregister(instance);
        return null;
      });
      LOG.info("deregistered {} id={} from {}", instance.name(), instance.id(), registrar);
    } catch (Exception e) {
      LOG.warn("{}; stop goes on", e.getMessage(), e.getCause());
    } finally {
      synchronized (lock) {
        registered = false;
      }
    }
  }

  private void retry() {
    long backoff = FIRST_BACKOFF_MS;
    boolean failing = false;
    int attempts = 0;
    while (true) {
      synchronized (lock) {
        if (cancelled) {
          return;
        }
        attempted = true;
      }
      attempts++;
      try {
        call("register", this::registerOnce);
        synchronized (lock) {
          registered = true;
        }
        LOG.info("registered {} id={} with {} (attempt {})", instance.name(), instance.id(),
            registrar, attempts);
        return;
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        // Each state change is logged once, so a long outage does not flood the log.
        if (!failing) {
          failing = true;
          LOG.warn("{}; retrying in the background (backoff up to {} s)", e.getMessage(),
              MAX_BACKOFF_MS / 1000, e.getCause());
        } else {
          LOG.debug("registration attempt {} failed: {}", attempts, e.getMessage());
        }
      }
      // Jitter keeps a fleet restarted together from hammering a recovering registry in step.
      long sleep = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        return;
      }
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }

  /**
   * One registrar call. A call that overran its timeout is abandoned, not stopped: the registrar
   * may ignore the interrupt and reach the registry after {@link #deregister()} withdrew the
   * instance, leaving a ghost that clients would call. Such a late call withdraws it again.
   */
  private Void registerOnce() throws Exception {
    registrar.register(instance);
    boolean late;
    synchronized (lock) {
      late = cancelled;
    }
    if (late) {
      try {
        registrar.deregister(instance);
        LOG.info("a register call of {} id={} ended after the deregistration; withdrew it again",
            instance.name(), instance.id());
      } catch (Exception e) {
        LOG.warn("a register call of {} id={} ended after the deregistration and withdrawing it "
            + "failed; the registry may list it until its TTL ends", instance.name(),
            instance.id(), e);
      }
    }
    return null;
  }

  /**
   * Runs {@code action} on its own thread for at most the timeout.
   *
   * @throws Exception with a message naming the action, the instance and the registrar; the
   *     registrar's exception as cause
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  private void call(String action, Callable<Void> action0) throws Exception {
    FutureTask<Void> task = new FutureTask<>(action0);
    Thread t = new Thread(task, "phalanx-registrar-" + action);
    t.setDaemon(true);
    t.start();
    String what = action + " " + instance.name() + " id=" + instance.id() + " with " + registrar;
    try {
      task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      task.cancel(true);
      throw new RegistrationException("could not " + what + ": no answer within " + timeout, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String msg = cause.getMessage() == null || cause.getMessage().isBlank()
          ? cause.getClass().getName() : cause.getMessage();
      throw new RegistrationException("could not " + what + ": " + msg, cause);
    } catch (InterruptedException e) {
      task.cancel(true);
      throw e;
    }
  }

  private static void join(Thread t, Duration max) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + max.toNanos();
    while (t.isAlive()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        TimeUnit.NANOSECONDS.timedJoin(t, left);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** A registrar call that failed or timed out; the message says which and where. */
  public static final class RegistrationException extends Exception {
    private static final long serialVersionUID = 1L;

    RegistrationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
