package io.phalanx.observability.logging;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.spi.LoggingEventAware;

/**
 * An SLF4J logger that keeps what it is given, including the fluent API's key-value pairs
 * (delivered through {@link LoggingEventAware}). Thread-safe: servers log from their threads.
 */
final class RecordingLogger extends LegacyAbstractLogger implements LoggingEventAware {

  /** One logged record. */
  record Entry(Level level, String message, Map<String, Object> fields) {
    Object get(String key) {
      return fields.get(key);
    }
  }

  private final List<Entry> entries = new CopyOnWriteArrayList<>();

  RecordingLogger() {
    this.name = "recording";
  }

  List<Entry> entries() {
    return new ArrayList<>(entries);
  }

  @Override
  public void log(LoggingEvent event) {
    Map<String, Object> fields = new LinkedHashMap<>();
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair kv : event.getKeyValuePairs()) {
        fields.put(kv.key, kv.value);
      }
    }
    entries.add(new Entry(event.getLevel(), event.getMessage(), fields));
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(Level level, Marker marker, String msg,
      Object[] arguments, Throwable throwable) {
    entries.add(new Entry(level, msg, Map.of()));
  }

  @Override
  public boolean isTraceEnabled() {
    return true;
  }

  @Override
  public boolean isDebugEnabled() {
    return true;
  }

  @Override
  public boolean isInfoEnabled() {
    return true;
  }

  @Override
  public boolean isWarnEnabled() {
    return true;
  }

  @Override
  public boolean isErrorEnabled() {
    return true;
  }
}
