package io.phalanx.registry.consul.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one registration alive: passes its TTL check every {@code interval}; when the agent
 * answers 404 (it restarted without state, or reaped us after DeregisterCriticalServiceAfter) it
 * registers the full body again and passes the check at once. Errors back off exponentially up
 * to a cap and retry for as long as the registration is active; unlike Kratos' etcd registry it
 * never gives up, because giving up means silently vanishing from discovery.
 *
 * <p>Logs only state changes: the first failure of a streak (WARN), the recovery (INFO), and
 * each re-registration (INFO). Threading: the shared scheduler times the beats and hands them to
 * the beats executor, so a beat waiting for the agent holds up no other registration's;
 * {@link #cancel()} from any thread; at most one beat runs at a time because each beat schedules
 * the next (which also orders one beat's writes of the failure state before the next's reads). A
 * re-registration and {@link #cancel()} exclude each other (one lock).
 */
public final class Heartbeat {
  private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);

  private final ConsulHttp http;
  private final ScheduledExecutorService scheduler;
  private final Executor beats;
  private final String serviceId;
  private final JsonNode registration;
  private final Duration interval;
  private final Backoff backoff;
  private final ReentrantLock lock = new ReentrantLock();
  /** Told when {@link #cancel} or {@link #hold} finds the lock taken and waits for it. */
  private final Runnable waiting;
  private boolean active = true;
  /** Passing the check only, registering nothing again: a new registration is being written. */
  private boolean held;
  private boolean failing;
  private int attempt;
  private ScheduledFuture<?> next;

  /**
   * @param scheduler times the beats; nothing run there waits for the agent
   * @param beats runs the beats, which wait for the agent
   * @param waiting run, on the caller's thread, whenever {@link #cancel} or {@link #hold} finds
   *     the lock taken and is about to wait for it (as behind a re-registration under way): tests
   *     learn so that a caller is waiting without reading thread states, which any other monitor
   *     could produce too; a no-op in production
   */
  public Heartbeat(ConsulHttp http, ScheduledExecutorService scheduler, Executor beats,
      String serviceId, JsonNode registration, Duration interval, Backoff backoff,
      Runnable waiting) {
    this.beats = beats;
    this.waiting = waiting;
    this.http = http;
    this.scheduler = scheduler;
    this.serviceId = serviceId;
    this.registration = registration;
    this.interval = interval;
    this.backoff = backoff;
  }

  /** Schedules the first beat one interval from now (register already passed the check). */
  public void start() {
    schedule(interval);
  }

  /**
   * Stops beating; a beat already on the wire finishes but schedules nothing. If the heartbeat is
   * registering the service again (after a 404) this waits until that is done, at most two
   * request timeouts (the registration, then the check's pass), so that a deregistration sent after {@code cancel} returns removes it for good;
   * once {@code cancel} returned the service is never registered again.
   */
  public void cancel() {
    lockWaiting();
    try {
      active = false;
      if (next != null) {
        next.cancel(false);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Keeps passing the TTL check but registers nothing again until {@link #release()}: a new
   * registration of this id is being written, which a re-registration of this one's could
   * overwrite. Waits for a re-registration under way, as {@link #cancel()} does.
   */
  public void hold() {
    lockWaiting();
    try {
      held = true;
    } finally {
      lock.unlock();
    }
  }

  /** Ends {@link #hold()}: the new registration failed, this one is still the agent's. */
  public void release() {
    lock.lock();
    try {
      held = false;
    } finally {
      lock.unlock();
    }
  }

  private void lockWaiting() {
    if (!lock.tryLock()) {
      waiting.run();
      lock.lock();
    }
  }

  private void schedule(Duration delay) {
    lock.lock();
    try {
      if (active) {
        next = scheduler.schedule(() -> beats.execute(this::beat), delay.toMillis(),
            TimeUnit.MILLISECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  private boolean active() {
    lock.lock();
    try {
      return active;
    } finally {
      lock.unlock();
    }
  }

  private void beat() {
    if (!active()) {
      return;
    }
    String checkId = KratosFormat.ttlCheckId(serviceId);
    try {
      try {
        http.updateTtl(checkId, "pass", null);
      } catch (ConsulException e) {
        if (e.status() != 404) {
          throw e;
        }
        // under the lock cancel() takes: a deregister either stops this before it registers,
        // or waits until the registration is on the agent and then removes it; without it the
        // deregister could land between our 404 and our register, and the instance came back
        lock.lock();
        try {
          if (!active) {
            return;
          }
          if (held) {
            throw e; // retried with backoff; by then the new registration is written, or not
          }
          LOG.info("Consul agent {} no longer knows service {}; registering it again",
              http.base(), serviceId);
          http.registerService(registration);
          http.updateTtl(checkId, "pass", null);
        } finally {
          lock.unlock();
        }
      }
      if (failing) {
        LOG.info("Consul heartbeat of service {} to {} recovered", serviceId, http.base());
      }
      failing = false;
      attempt = 0;
      schedule(interval);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      if (!failing) {
        LOG.warn("Consul heartbeat of service {} failed, retrying with backoff: {}",
            serviceId, e.toString());
      }
      failing = true;
      schedule(backoff.delay(attempt++));
    }
  }
}
