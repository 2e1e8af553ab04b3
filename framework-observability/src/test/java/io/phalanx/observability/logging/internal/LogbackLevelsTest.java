package io.phalanx.observability.logging.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import io.phalanx.observability.logging.LogLevels;
import io.phalanx.observability.logging.LogLevels.Level;
import io.phalanx.observability.logging.LogLevels.LoggerLevel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Against a Logback context of its own, so the tests' logging is left alone. */
class LogbackLevelsTest {
  private final LoggerContext context = new LoggerContext();
  private final LogLevels levels = LogbackLevels.of(context);

  @Test
  void theBackendOfTheseTestsIsFound() {
    assertTrue(LogLevels.ofBackend().isPresent());
  }

  @Test
  void levelsAreSetInheritedAndReset() {
    context.getLogger("ROOT").setLevel(ch.qos.logback.classic.Level.WARN);
    assertEquals(new LoggerLevel("a.b", null, Level.WARN), levels.get("a.b"));

    assertEquals(new LoggerLevel("a", Level.DEBUG, Level.DEBUG), levels.set("a", Level.DEBUG));
    assertEquals(new LoggerLevel("a.b", null, Level.DEBUG), levels.get("a.b"));
    assertTrue(context.getLogger("a.b").isDebugEnabled());

    assertEquals(new LoggerLevel("a", null, Level.WARN), levels.set("a", null));
    assertEquals(Level.OFF, levels.set("a.b", Level.OFF).effective());
    assertFalse(context.getLogger("a.b").isErrorEnabled());
  }

  @Test
  void theRootIsListedFirstAndCannotInherit() {
    levels.set("z.last", Level.INFO);
    levels.set("b.first", Level.INFO);
    List<String> names = levels.loggers().stream().map(LoggerLevel::name).toList();
    assertEquals("ROOT", names.get(0));
    assertTrue(names.indexOf("b.first") < names.indexOf("z.last"), names.toString());
    assertEquals(Level.ERROR, levels.set("root", Level.ERROR).configured());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> levels.set("ROOT", null));
    assertTrue(e.getMessage().contains("root logger"));
  }

  @Test
  void logbacksAllReadsAsTrace() {
    context.getLogger("x").setLevel(ch.qos.logback.classic.Level.ALL);
    assertEquals(Level.TRACE, levels.get("x").configured());
    assertNull(levels.get("x.y").configured());
  }
}
