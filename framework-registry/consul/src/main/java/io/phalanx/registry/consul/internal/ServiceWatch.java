package io.phalanx.registry.consul.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.phalanx.core.registry.ServiceInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link BlockingQuery} loop over /v1/health/service/:name?passing for one service name,
 * shared by all of that name's listeners.
 *
 * <p>Listeners get the full list of passing instances, first as soon as it is known and then
 * whenever it changes (a blocking query may return with nothing changed; that is not passed on).
 * Errors are retried by the loop; listeners keep the last list meanwhile, as Kratos' watcher
 * does. Only state changes are logged: the first failure of a streak (WARN), the recovery (INFO).
 *
 * <p>Threading: the loop's thread calls listeners, one at a time; a listener added to a running
 * loop gets the current list on the adding thread. Each listener's calls are serialized and never
 * go back to an older list.
 */
public final class ServiceWatch {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceWatch.class);

  private final String name;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final BlockingQuery<List<ServiceInstance>> loop;
  private volatile Snapshot current;
  /** Sequence of the snapshots; the loop's thread only. */
  private long seq;
  /** Whether the last read failed; the loop's thread only. */
  private boolean failing;

  private record Snapshot(long seq, List<ServiceInstance> instances) {}

  /** One subscriber; delivers each snapshot at most once and in order. */
  public static final class Listener {
    private final Consumer<List<ServiceInstance>> onChange;
    private long delivered = -1;
    private boolean closed;

    Listener(Consumer<List<ServiceInstance>> onChange) {
      this.onChange = onChange;
    }

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
    this.name = name;
    this.loop = new BlockingQuery<>("phalanx-consul-watch-" + name, "service " + name,
        index -> {
          ConsulHttp.Answer a = http.healthService(name, index, wait);
          return new BlockingQuery.Result<>(convert(a.body()), a.index());
        }, new BlockingQuery.Sink<>() {
          @Override
          public void answer(List<ServiceInstance> instances) {
            if (failing) {
              LOG.info("Consul watch of service {} at {} recovered", name, http.base());
              failing = false;
            }
            publish(instances);
          }

          @Override
          public void failed(Exception error) {
            if (!failing) {
              LOG.warn("Consul watch of service {} at {} failed, retrying with backoff: {}",
                  name, http.base(), error.toString());
              failing = true;
            }
          }
        }, minInterval, backoff);
  }

  public void start() {
    loop.start();
  }

  /**
   * Adds a listener without calling it, so the owner can do this under its own lock (a watch
   * whose last listener leaves is closed under that lock) and {@link #catchUp} outside it.
   */
  public Listener attach(Consumer<List<ServiceInstance>> onChange) {
    Listener l = new Listener(onChange);
    listeners.add(l);
    return l;
  }

  /** Gives {@code l} the current list, if there is one yet. */
  public void catchUp(Listener l) {
    Snapshot s = current;
    if (s != null) {
      l.deliver(s, name);
    }
  }

  /** Removes {@code l}; returns true when no listener is left. */
  public boolean remove(Listener l) {
    l.close();
    listeners.remove(l);
    return listeners.isEmpty();
  }

  public void close() {
    loop.close();
  }

  private void publish(List<ServiceInstance> list) {
    Snapshot prev = current;
    if (prev != null && prev.instances().equals(list)) {
      return;
    }
    Snapshot s = new Snapshot(++seq, list);
    current = s;
    for (Listener l : listeners) {
      if (loop.isClosed()) {
        return;
      }
      l.deliver(s, name);
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
    out.sort(Comparator.comparing(ServiceInstance::id));
    return List.copyOf(out);
  }
}
