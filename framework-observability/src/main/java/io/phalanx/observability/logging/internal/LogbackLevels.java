package io.phalanx.observability.logging.internal;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.phalanx.observability.logging.LogLevels;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@link LogLevels} over Logback's logger context. */
public final class LogbackLevels implements LogLevels {
  private final LoggerContext context;

  private LogbackLevels(LoggerContext context) {
    this.context = context;
  }

  /**
   * @param factory SLF4J's logger factory, a Logback {@link LoggerContext}; typed as Object so
   *     that callers never name a Logback class
   */
  public static LogLevels of(Object factory) {
    return new LogbackLevels((LoggerContext) factory);
  }

  @Override
  public List<LoggerLevel> loggers() {
    List<LoggerLevel> out = new ArrayList<>();
    for (Logger l : context.getLoggerList()) { // root first, then sorted by name
      out.add(level(l));
    }
    return out;
  }

  @Override
  public LoggerLevel get(String name) {
    return level(logger(name));
  }

  @Override
  public LoggerLevel set(String name, Level level) {
    Logger l = logger(name);
    if (level == null && l.getName().equals(Logger.ROOT_LOGGER_NAME)) {
      throw new IllegalArgumentException("the root logger has no parent to inherit from");
    }
    l.setLevel(level == null ? null : ch.qos.logback.classic.Level.toLevel(level.name()));
    return level(l);
  }

  private Logger logger(String name) {
    return context.getLogger(name.equalsIgnoreCase(ROOT) ? Logger.ROOT_LOGGER_NAME : name);
  }

  private static LoggerLevel level(Logger l) {
    String name = l.getName().equals(Logger.ROOT_LOGGER_NAME) ? ROOT : l.getName();
    return new LoggerLevel(name, l.getLevel() == null ? null : ours(l.getLevel()),
        ours(l.getEffectiveLevel()));
  }

  private static Level ours(ch.qos.logback.classic.Level level) {
    // Logback's ALL is more verbose than TRACE: the same thing for SLF4J callers.
    return level.levelInt <= ch.qos.logback.classic.Level.TRACE_INT ? Level.TRACE
        : Level.valueOf(level.levelStr.toUpperCase(Locale.ROOT));
  }
}
