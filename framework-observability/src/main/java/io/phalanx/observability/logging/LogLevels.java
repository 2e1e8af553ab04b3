package io.phalanx.observability.logging;

import java.util.List;
import java.util.Optional;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * The logging backend's levels, read and changed while the service runs: what the admin server's
 * {@code /debug/loggers} endpoints use, as Spring Boot's {@code loggers} actuator does. SLF4J
 * itself cannot change a level, so each backend needs an adapter; {@link #ofBackend()} finds the
 * one for SLF4J's backend (Logback ships with the framework).
 *
 * <p>A change lasts until the next change or the end of the process; a backend that reloads its
 * configuration file may replace it. Thread-safe.
 */
public interface LogLevels {

  /** SLF4J's levels, from silent to most verbose. */
  enum Level { OFF, ERROR, WARN, INFO, DEBUG, TRACE }

  /** The name of the root logger, whose level every other logger inherits unless set. */
  String ROOT = "ROOT";

  /**
   * One logger's level.
   *
   * @param configured set on this logger, or null when inherited from its parent
   * @param effective what it logs at: its own level or the nearest ancestor's
   */
  record LoggerLevel(String name, Level configured, Level effective) {}

  /** Every logger the backend knows, {@link #ROOT} first, then by name. */
  List<LoggerLevel> loggers();

  /** The level of {@code name} (a logger not yet used inherits, like any other). */
  LoggerLevel get(String name);

  /**
   * Sets {@code name}'s level; null makes it inherit its parent's again.
   *
   * @return the logger's level afterwards
   * @throws IllegalArgumentException for null on {@link #ROOT}, which has no parent
   */
  LoggerLevel set(String name, Level level);

  /** The adapter for SLF4J's backend, or empty when the framework has none for it. */
  static Optional<LogLevels> ofBackend() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    // By name, so that without Logback on the class path no Logback class is ever loaded.
    if (factory.getClass().getName().equals("ch.qos.logback.classic.LoggerContext")) {
      return Optional.of(io.phalanx.observability.logging.internal.LogbackLevels.of(factory));
    }
    return Optional.empty();
  }
}
