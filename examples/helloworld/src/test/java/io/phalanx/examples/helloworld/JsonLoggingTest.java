package io.phalanx.examples.helloworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.observability.logging.logback.BufferedConsoleAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class JsonLoggingTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void everyLineIsJsonAndTheAccessLogIsItsMessageAlone() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    JsonLogging logging = new JsonLogging();
    logging.setContext(context);
    assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, logging.configure(context));

    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertEquals(Level.INFO, root.getLevel());
    assertEquals(Level.INFO, context.getLogger("io.netty").getLevel());
    assertEquals(Level.INFO, context.getLogger("io.grpc").getLevel());
    ch.qos.logback.classic.Logger access = context.getLogger("phalanx.access");
    assertFalse(access.isAdditive(), "access lines must not also go through the JSON encoder");

    LoggingEvent event = new LoggingEvent(getClass().getName(), root, Level.INFO,
        "hello {}", null, new Object[] {"ü"});
    String line = encode(root, "JSON", event);
    JsonNode node = json.readTree(line);
    assertEquals("INFO", node.get("level").asText());
    assertEquals("hello ü", node.get("formattedMessage").asText());
    assertTrue(line.endsWith("\n"));

    String record = "{\"kind\":\"http\",\"code\":200}";
    LoggingEvent accessEvent = new LoggingEvent(getClass().getName(), access, Level.INFO,
        record, null, null);
    assertEquals(record + System.lineSeparator(), encode(access, "JSON", accessEvent));

    // buffered, not a write per line; what is left is written by Logback's shutdown hook
    assertInstanceOf(BufferedConsoleAppender.class, root.getAppender("JSON"));
    // one buffer for both, so that lines keep their order (next test)
    assertEquals(root.getAppender("JSON"), access.getAppender("JSON"));
    assertInstanceOf(Thread.class, context.getObject(CoreConstants.SHUTDOWN_HOOK_THREAD));
    context.stop();
    assertNull(context.getObject(CoreConstants.SHUTDOWN_HOOK_THREAD), "removed with the context");
  }

  /**
   * App logs a WARN right before it halts the JVM on a second signal, and a halt runs no shutdown
   * hook: whatever the WARN's write does not carry out is lost, access lines included.
   */
  @Test
  void aWarnWritesOutTheAccessLinesLoggedBeforeItInOrder() {
    PrintStream saved = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      JsonLogging logging = new JsonLogging();
      logging.setContext(context);
      logging.configure(context);
      context.getLogger("phalanx.access").info("{\"kind\":\"http\",\"code\":200,\"n\":1}");
      context.getLogger(Logger.ROOT_LOGGER_NAME)
          .warn("received SIGTERM again while stopping; exiting now");
      String out = captured.toString(StandardCharsets.UTF_8);
      int access = out.indexOf("\"n\":1");
      assertTrue(access >= 0, "the access line is still in a buffer: " + out);
      assertTrue(access < out.indexOf("exiting now"), "out of order: " + out);
    } finally {
      System.setOut(saved);
      context.stop();
    }
  }

  @Test
  void anExplicitConfigurationFileWins() {
    String previous = System.getProperty(JsonLogging.CONFIG_FILE_PROPERTY);
    System.setProperty(JsonLogging.CONFIG_FILE_PROPERTY, "/somewhere/logback.xml");
    try {
      LoggerContext context = new LoggerContext();
      JsonLogging logging = new JsonLogging();
      logging.setContext(context);
      assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, logging.configure(context));
      assertNull(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("JSON"));
    } finally {
      if (previous == null) {
        System.clearProperty(JsonLogging.CONFIG_FILE_PROPERTY);
      } else {
        System.setProperty(JsonLogging.CONFIG_FILE_PROPERTY, previous);
      }
    }
  }

  private static String encode(ch.qos.logback.classic.Logger logger, String appender,
      LoggingEvent event) {
    Encoder<ch.qos.logback.classic.spi.ILoggingEvent> encoder =
        ((BufferedConsoleAppender) logger.getAppender(appender)).getEncoder();
    return new String(encoder.encode(event), StandardCharsets.UTF_8);
  }
}
