package io.phalanx.registry.consul.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.phalanx.core.registry.ServiceInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One long-poll loop over /v1/health/service/:name?passing for one service name, shared by all
 * of that name's listeners, following the rules Consul documents for blocking-query clients:
 *
 * <ol>
 *   <li>the first query (and any after a reset) has no index and returns at once;
 *   <li>if X-Consul-Index goes backwards (snapshot restore, new leader with an older state),
 *       the index is reset instead of blocking on a number the agent may not reach for a long
 *       time;
 *   <li>an index below 1 (0 is a Consul bug that makes every query return at once) becomes 1,
 *       which also turns a reset into an immediate re-read;
 *   <li>calls start at least {@code minInterval} apart, so a storm of changes (or that bug)
 *       cannot turn the long poll into a busy loop against the agent;
 *   <li>errors back off exponentially, capped.
 * </ol>
 *
 * <p>Listeners get the full list of passing instances, first as soon as it is known and then
 * whenever it changes (a blocking query may return with nothing changed; that is not passed on).
 *
 * <p>Threading: the loop runs on its own daemon thread and calls listeners there, one at a
 * time; a listener added to a running loop gets the current list on the adding thread. Each
 * listener's calls are serialized and never go back to an older list.
 */
public final class ServiceWatch implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceWatch.class);

  private final ConsulHttp http;
  private final String name;
  private final Duration wait;
  private final Duration minInterval;
  private final Backoff backoff;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile Snapshot current;
  private volatile boolean closed;

  private record Snapshot(long seq, List<ServiceInstance> instances) {}

  /** One subscriber; delivers each snapshot at most once and in order. */
  public static final class Listener {
    private final Consumer<List<ServiceInstance>> onChange;
    private long delivered = -1;

    Listener(Consumer<List<ServiceInstance>> onChange) {
      this.onChange = onChange;
    }

    private boolean closed;

    /** After this returns no call is in progress and none will follow. */
    synchronized void close() {
      closed = true;
    }

    synchronized void deliver(Snapshot s, String name) {
      if (closed || s.seq() <= delivered) {
        return;
      }
      delivered = s.seq();
      try {
        onChange.accept(s.instances());
      } catch (RuntimeException e) {
        LOG.warn("watch listener of service {} threw", name, e);
      }
    }
  }

  public ServiceWatch(ConsulHttp http, String name, Duration wait, Duration minInterval,
      Backoff backoff) {
    this.http = http;
    this.name = name;
    this.wait = wait;
    this.minInterval = minInterval;
    this.backoff = backoff;
    this.thread = new Thread(this, "phalanx-consul-watch-" + name);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  public Listener add(Consumer<List<ServiceInstance>> onChange) {
    Listener l = new Listener(onChange);
    listeners.add(l);
    Snapshot s = current;
    if (s != null) {
      l.deliver(s, name);
    }
    return l;
  }

  /** Removes {@code l}; returns true when no listener is left. */
  public boolean remove(Listener l) {
    l.close();
    listeners.remove(l);
    return listeners.isEmpty();
  }

  public void close() {
    closed = true;
    thread.interrupt();
  }

  @Override
  public void run() {
    long index = 0;
    int errors = 0;
    long lastStart = 0;
    long seq = 0;
    while (!closed) {
      try {
        long pause = lastStart + minInterval.toNanos() - System.nanoTime();
        if (lastStart != 0 && pause > 0) {
          Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
        }
        lastStart = System.nanoTime();
        ConsulHttp.HealthAnswer a = http.healthService(name, index, wait);
        // Consul's two rules, in its order: an index that went backwards resets the loop;
        // then an index below 1 becomes 1. Index 1 returns at once for any real state, so a
        // reset re-reads immediately, and a buggy 0 cannot turn into an endless index-less spin.
        long next = a.index() < index ? 0 : a.index();
        index = Math.max(next, 1);
        if (errors > 0) {
          LOG.info("Consul watch of service {} at {} recovered", name, http.base());
          errors = 0;
        }
        List<ServiceInstance> list = convert(a.entries());
        Snapshot prev = current;
        if (prev == null || !prev.instances().equals(list)) {
          Snapshot s = new Snapshot(++seq, list);
          current = s;
          for (Listener l : listeners) {
            if (closed) {
              return;
            }
            l.deliver(s, name);
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        if (errors == 0) {
          LOG.warn("Consul watch of service {} failed, retrying with backoff: {}", name,
              e.toString());
        }
        // the index may belong to a state the agent no longer has; start over
        index = 0;
        try {
          Thread.sleep(backoff.delay(errors++).toMillis());
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private List<ServiceInstance> convert(JsonNode entries) {
    List<ServiceInstance> out = new ArrayList<>(entries.size());
    for (JsonNode e : entries) {
      try {
        out.add(KratosFormat.fromHealthEntry(e));
      } catch (IllegalArgumentException ex) {
        LOG.debug("skipping a Consul entry of service {}: {}", name, ex.getMessage());
      }
    }
    // the agent's order is by node, then registration; sort so equal sets compare equal
    out.sort(java.util.Comparator.comparing(ServiceInstance::id));
    return List.copyOf(out);
  }
}
