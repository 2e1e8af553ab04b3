package io.phalanx.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A config source held in memory for tests of {@link Configs} and {@link LiveConfig}: documents
 * are put and deleted by the test, and every watch is told at once on the calling thread.
 */
final class InMemoryConfigSource implements ConfigSource {
  private final String name;
  private final TreeMap<String, ConfigDocument> documents = new TreeMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean reachable = true;
  private volatile boolean closed;

  InMemoryConfigSource(String name) {
    this.name = name;
  }

  synchronized InMemoryConfigSource put(String key, String content) {
    documents.put(key, ConfigDocument.of(key, content));
    publish();
    return this;
  }

  synchronized void delete(String key) {
    documents.remove(key);
    publish();
  }

  void unreachable() {
    reachable = false;
  }

  int watchers() {
    return listeners.size();
  }

  boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
  }

  private void publish() {
    List<ConfigDocument> now = List.copyOf(documents.values());
    for (Listener l : listeners) {
      l.documents(now);
    }
  }

  @Override
  public String description() {
    return "memory " + name;
  }

  @Override
  public synchronized List<ConfigDocument> load() {
    if (!reachable) {
      throw new ConfigException(description() + " cannot be read: connection refused");
    }
    return new ArrayList<>(documents.values());
  }

  @Override
  public synchronized Watch watch(Listener listener) {
    listeners.add(listener);
    listener.documents(List.copyOf(documents.values()));
    return () -> listeners.remove(listener);
  }
}
