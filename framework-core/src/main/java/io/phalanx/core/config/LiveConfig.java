package io.phalanx.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.BadPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A configuration that follows its remote {@linkplain ConfigSource sources}: made by
 * {@link Configs.Builder#watch()}, it holds the latest valid {@link AppConfig} and tells observers
 * when the value under their key changed.
 *
 * <pre>{@code
 * LiveConfig live = Configs.builder().processOverrides()
 *     .source(EtcdConfigSource.builder().endpoints("http://etcd:2379").prefix("/config/greeter/").build())
 *     .watch();
 * AppConfig config = live.current();                  // what start-up reads
 * // called now with the value in force, then on each change: no change falls in between
 * live.observeFromCurrent("greeting", c -> greeting.set(c.getString("greeting.text")));
 * app.afterStop(info -> live.close());
 * }</pre>
 *
 * <p>Every change of a source recomposes all layers (files, remote documents, environment and
 * system properties, in {@link Configs}' order), so an environment override keeps winning over a
 * remote value. A change that does not parse or whose substitutions do not resolve is logged with
 * the source and key and ignored: the previous configuration stays current, and the next valid
 * change is applied. A key deleted remotely falls back to the lower layers, as if it had never been
 * set there.
 *
 * <p>Threading: {@link #current()} may be called from any thread at any time. Observers are called
 * on a source's watch thread, one at a time across all sources, after {@link #current()} already
 * returns the new configuration; an observer should be quick and must not block on another
 * thread's configuration change.
 */
public final class LiveConfig implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveConfig.class);

  private final List<ConfigSource> sources;
  private final Function<List<List<ConfigDocument>>, AppConfig> compose;
  private final List<Observer> observers = new CopyOnWriteArrayList<>();
  private final List<ConfigSource.Watch> watches = new ArrayList<>();
  private final Object lock = new Object();
  /** The documents {@link #current} was composed from, one list per source; guarded by lock. */
  private final List<List<ConfigDocument>> documents;
  private volatile AppConfig current;
  private boolean closed;

  private LiveConfig(List<ConfigSource> sources, List<List<ConfigDocument>> documents,
      AppConfig first, Function<List<List<ConfigDocument>>, AppConfig> compose) {
    this.sources = sources;
    this.documents = new ArrayList<>(documents);
    this.current = first;
    this.compose = compose;
  }

  /**
   * Watches every source, in order. When one cannot be watched its exception is thrown, after
   * the watches already started are closed (their close failures suppressed into it).
   */
  static LiveConfig start(List<ConfigSource> sources, List<List<ConfigDocument>> initial,
      AppConfig first, Function<List<List<ConfigDocument>>, AppConfig> compose) {
    LiveConfig live = new LiveConfig(sources, initial, first, compose);
    // watch() is called without the lock: a source may deliver its first list from its own
    // thread before watch() returns, and that delivery takes the lock.
    List<ConfigSource.Watch> started = new ArrayList<>();
    try {
      for (int i = 0; i < sources.size(); i++) {
        started.add(sources.get(i).watch(live.new SourceListener(i)));
      }
    } catch (RuntimeException | Error e) {
      // nobody gets this LiveConfig to close them, so the watches begun so far end here
      closeAll(started, e);
      throw e;
    }
    synchronized (live.lock) {
      live.watches.addAll(started);
    }
    return live;
  }

  /** Closes {@code watches}, latest first; a failure to close is added to {@code failure}. */
  private static void closeAll(List<ConfigSource.Watch> watches, Throwable failure) {
    for (int i = watches.size() - 1; i >= 0; i--) {
      try {
        watches.get(i).close();
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
  }

  /** The latest valid configuration. */
  public AppConfig current() {
    return current;
  }

  /**
   * Calls {@code observer} with the new configuration whenever the value at {@code path} (a
   * HOCON path, a leaf or a whole subtree; {@code ""} for any change) differs from before:
   * changed, added or removed. Not called for the current value, as Kratos' {@code Watch}: to
   * start from it without missing a change, use {@link #observeFromCurrent}.
   *
   * @return closing it stops the calls
   * @throws ConfigException if {@code path} is not a valid HOCON path
   */
  public AutoCloseable observe(String path, Consumer<AppConfig> observer) {
    Observer o = observer(path, observer);
    observers.add(o);
    return () -> observers.remove(o);
  }

  /**
   * Calls {@code observer} at once with the configuration in force, then as
   * {@link #observe(String, Consumer)} does whenever the value at {@code path} changes. Reading
   * {@link #current()} and then calling {@code observe} can miss a change that lands between the
   * two; here none can: the first call and the registration happen while no change is being
   * applied, so every change after the first call's configuration reaches the observer.
   *
   * <p>The first call runs on the calling thread before this method returns, one at a time with
   * the calls of other observers; if it throws, the observer is not registered and the exception
   * is thrown here.
   *
   * @return closing it stops the calls
   * @throws ConfigException if {@code path} is not a valid HOCON path
   */
  public AutoCloseable observeFromCurrent(String path, Consumer<AppConfig> observer) {
    Observer o = observer(path, observer);
    synchronized (lock) {
      // deliveries replace current and call the observers under this lock: none runs now
      observer.accept(current);
      observers.add(o);
    }
    return () -> observers.remove(o);
  }

  private Observer observer(String path, Consumer<AppConfig> observer) {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(observer, "observer");
    if (!path.isEmpty()) {
      try {
        current.raw().hasPathOrNull(path);
      } catch (BadPath e) {
        throw new ConfigException("'" + path + "' is not a valid config path: " + e.getMessage(),
            e);
      }
    }
    return new Observer(path, observer);
  }

  /**
   * Stops following the sources and closes them (they were handed over to be followed);
   * {@link #current()} keeps the last configuration. Idempotent. An observer may call it: no
   * observer is called after that, and the watches are closed right after the observer returns.
   * A watch or source that fails to close is logged, and every other one is closed all the same.
   */
  @Override
  public void close() {
    List<ConfigSource.Watch> toClose;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = List.copyOf(watches);
      watches.clear();
    }
    if (Thread.holdsLock(lock)) {
      // An observer is closing us from inside a delivery, which holds the lock. A watch's close
      // waits for its own delivery in progress, and another source's may be waiting for this
      // lock: closing here would deadlock, so the watches are closed once this delivery ends.
      Thread t = new Thread(() -> closeWatchesAndSources(toClose), "phalanx-config-close");
      t.setDaemon(true);
      t.start();
      return;
    }
    closeWatchesAndSources(toClose);
  }

  /**
   * Closes every watch and then every source. A failure is logged and the rest still close: one
   * broken connection must not leave the other sources followed and their connections open, and
   * close() may run on a thread of its own (see above) where nobody could catch it anyway.
   */
  private void closeWatchesAndSources(List<ConfigSource.Watch> toClose) {
    for (int i = 0; i < toClose.size(); i++) {
      try {
        toClose.get(i).close();
      } catch (RuntimeException e) {
        LOG.warn("closing the watch of config source {} failed", sources.get(i).description(), e);
      }
    }
    for (ConfigSource source : sources) {
      try {
        source.close();
      } catch (RuntimeException e) {
        LOG.warn("closing config source {} failed", source.description(), e);
      }
    }
  }

  /**
   * One source's deliveries. A failure is logged at WARN once per outage (sources report every
   * retry, which would flood the log during a long one) and the recovery at INFO.
   */
  private final class SourceListener implements ConfigSource.Listener {
    private final int index;
    private boolean failing; // guarded by lock

    SourceListener(int index) {
      this.index = index;
    }

    @Override
    public void documents(List<ConfigDocument> docs) {
      synchronized (lock) {
        if (failing) {
          failing = false;
          LOG.info("config source {} can be followed again", sources.get(index).description());
        }
      }
      changed(index, docs);
    }

    @Override
    public void failed(Throwable error) {
      synchronized (lock) {
        if (failing) {
          LOG.debug("config source {} still cannot be followed: {}",
              sources.get(index).description(), error.toString());
          return;
        }
        failing = true;
      }
      LOG.warn("config source {} cannot be followed for now; the last configuration stays and"
          + " the source keeps retrying: {}", sources.get(index).description(), error.toString());
    }
  }

  private void changed(int index, List<ConfigDocument> docs) {
    synchronized (lock) {
      if (closed || docs.equals(documents.get(index))) {
        return;
      }
      List<List<ConfigDocument>> next = new ArrayList<>(documents);
      next.set(index, List.copyOf(docs));
      AppConfig updated;
      try {
        updated = compose.apply(next);
      } catch (ConfigException e) {
        LOG.warn("config change from {} ignored, the previous configuration stays: {}",
            sources.get(index).description(), e.getMessage());
        return;
      }
      documents.set(index, next.get(index));
      AppConfig previous = current;
      current = updated;
      LOG.info("config changed by {}", sources.get(index).description());
      for (Observer o : observers) {
        if (closed) {
          break; // an observer closed this LiveConfig
        }
        if (o.differs(previous.raw(), updated.raw())) {
          try {
            o.observer.accept(updated);
          } catch (RuntimeException e) {
            LOG.warn("config observer of '{}' failed", o.path, e);
          }
        }
      }
    }
  }

  private record Observer(String path, Consumer<AppConfig> observer) {
    boolean differs(Config before, Config after) {
      if (path.isEmpty()) {
        return !before.root().equals(after.root());
      }
      // a null value counts as absent, as AppConfig's find methods treat it
      boolean had = before.hasPath(path);
      boolean has = after.hasPath(path);
      if (had != has) {
        return true;
      }
      return had && !before.getValue(path).equals(after.getValue(path));
    }
  }
}
