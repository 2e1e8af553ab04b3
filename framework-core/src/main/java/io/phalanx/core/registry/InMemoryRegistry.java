package io.phalanx.core.registry;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registry held in this process's memory: a {@link Registrar} and a {@link Discovery} over the
 * same map, for tests and for single-process setups (an app and its clients in one JVM).
 *
 * <p>Instances are listed per service in the order first registered; registering an id again
 * replaces that instance in place. Deregistering an id that is not there does nothing.
 *
 * <p>Threading: thread-safe. Watch callbacks run on a small pool of daemon threads owned by this
 * registry, never under its lock (a listener that calls back into the registry cannot deadlock),
 * one call at a time per watch and in change order; every change is delivered, none coalesced.
 * Idle threads end after a few seconds, so an unused registry holds no threads.
 *
 * <p>{@link #close()} does nothing: the registry holds no connection, and the {@code App} closes
 * its registrar when it stops — clients in the same JVM that discover through this very object
 * must keep working after that.
 */
public final class InMemoryRegistry implements Registrar, Discovery {
  private static final Logger LOG = LoggerFactory.getLogger(InMemoryRegistry.class);

  private final Object lock = new Object();
  /** service name → (instance id → instance), in registration order. */
  private final Map<String, LinkedHashMap<String, ServiceInstance>> services = new HashMap<>();
  private final Map<String, List<Watch>> watches = new HashMap<>();
  private final Executor callbacks;

  public InMemoryRegistry() {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 5, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "phalanx-inmemory-registry-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    this.callbacks = pool;
  }

  @Override
  public void register(ServiceInstance instance) {
    Objects.requireNonNull(instance, "instance");
    synchronized (lock) {
      services.computeIfAbsent(instance.name(), k -> new LinkedHashMap<>())
          .put(instance.id(), instance);
      publish(instance.name());
    }
  }

  @Override
  public void deregister(ServiceInstance instance) {
    Objects.requireNonNull(instance, "instance");
    synchronized (lock) {
      Map<String, ServiceInstance> byId = services.get(instance.name());
      if (byId == null || byId.remove(instance.id()) == null) {
        return;
      }
      if (byId.isEmpty()) {
        services.remove(instance.name());
      }
      publish(instance.name());
    }
  }

  @Override
  public List<ServiceInstance> instances(String serviceName) {
    Objects.requireNonNull(serviceName, "serviceName");
    synchronized (lock) {
      return current(serviceName);
    }
  }

  @Override
  public AutoCloseable watch(String serviceName, Consumer<List<ServiceInstance>> onChange) {
    Objects.requireNonNull(serviceName, "serviceName");
    Objects.requireNonNull(onChange, "onChange");
    Watch w = new Watch(serviceName, onChange);
    synchronized (lock) {
      watches.computeIfAbsent(serviceName, k -> new ArrayList<>()).add(w);
      // Queued under the lock so that the first list and every later change arrive in order.
      w.offer(current(serviceName));
    }
    return w;
  }

  /** Does nothing; see the class comment. */
  @Override
  public void close() {}

  @Override
  public String toString() {
    return "in-memory registry";
  }

  private List<ServiceInstance> current(String name) {
    Map<String, ServiceInstance> byId = services.get(name);
    return byId == null ? List.of() : List.copyOf(byId.values());
  }

  /** Called under the lock: queues the new list for every watch of {@code name}. */
  private void publish(String name) {
    List<Watch> ws = watches.get(name);
    if (ws == null) {
      return;
    }
    List<ServiceInstance> list = current(name);
    for (Watch w : ws) {
      w.offer(list);
    }
  }

  /** One watch: a queue of lists drained by at most one pool task at a time. */
  private final class Watch implements AutoCloseable {
    private final String name;
    private final Consumer<List<ServiceInstance>> onChange;
    private final ArrayDeque<List<ServiceInstance>> pending = new ArrayDeque<>();
    private boolean draining;
    private volatile boolean closed;

    Watch(String name, Consumer<List<ServiceInstance>> onChange) {
      this.name = name;
      this.onChange = onChange;
    }

    void offer(List<ServiceInstance> list) {
      boolean schedule;
      synchronized (this) {
        if (closed) {
          return;
        }
        pending.add(list);
        schedule = !draining;
        draining = true;
      }
      if (schedule) {
        callbacks.execute(this::drain);
      }
    }

    private void drain() {
      while (true) {
        List<ServiceInstance> next;
        synchronized (this) {
          next = closed ? null : pending.poll();
          if (next == null) {
            draining = false;
            return;
          }
        }
        try {
          onChange.accept(next);
        } catch (RuntimeException e) {
          // A failing listener must not stop deliveries to itself or to other watches.
          LOG.warn("watch listener for {} failed", name, e);
        }
      }
    }

    @Override
    public void close() {
      synchronized (this) {
        closed = true;
        pending.clear();
      }
      synchronized (lock) {
        List<Watch> ws = watches.get(name);
        if (ws != null) {
          ws.remove(this);
          if (ws.isEmpty()) {
            watches.remove(name);
          }
        }
      }
    }
  }
}
