package io.phalanx.examples.helloworld;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.hook.DefaultShutdownHook;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.util.ContextUtil;
import io.phalanx.observability.logging.logback.BufferedConsoleAppender;
import java.nio.charset.StandardCharsets;

/**
 * helloworld's logging, set up in code: one JSON object per line on stdout for a log collector to
 * parse (logback-classic's own {@link JsonEncoder}: no extra library), and the access log (logger
 * {@code phalanx.access}, whose message {@code AccessLog} already writes as one JSON object) as
 * the message alone.
 *
 * <p>Both go through one {@link BufferedConsoleAppender}: Logback's {@code ConsoleAppender}
 * flushes every event, one {@code write(2)} system call per request for the access log alone;
 * this one writes a 64 KiB buffer when it fills, and every 200 ms when it holds anything, so a
 * line waits at most about that long (WARN and ERROR lines not at all), and Logback's shutdown
 * hook, installed here, writes what is left when the JVM exits. One appender with an encoder per
 * logger, not an appender each, so that lines reach stdout in the order they were logged and a
 * WARN writes out the access lines before it too: {@code App} logs a WARN right before it halts
 * the JVM on a second signal, and a halt runs no shutdown hook.
 *
 * <p>Why code and not {@code logback.xml}: reading the XML loads Logback's whole configuration
 * language (Joran, SAX, the model processors), about 80 ms of the example's start-up on one
 * core (docs/BENCHMARKS.md), for five settings. Logback finds this class through
 * {@code META-INF/services/ch.qos.logback.classic.spi.Configurator}.
 *
 * <p>{@code -Dlogback.configurationFile=/path/to/logback.xml} still replaces all of it: then this
 * configurator steps aside and Logback reads that file as usual.
 */
public final class JsonLogging extends ContextAwareBase implements Configurator {
  static final String CONFIG_FILE_PROPERTY = "logback.configurationFile";
  /** AccessLog's logger. */
  static final String ACCESS_LOGGER = "phalanx.access";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty(CONFIG_FILE_PROPERTY) != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    JsonEncoder json = new JsonEncoder();
    json.setContext(context);
    json.setWithFormattedMessage(true); // the readable message, not "{}" plus arguments
    json.setWithMessage(false);
    json.setWithArguments(false);
    json.setWithContext(false); // the logger context is the same on every line
    json.setWithSequenceNumber(false);
    json.start();
    LayoutWrappingEncoder<ILoggingEvent> messageOnly = new LayoutWrappingEncoder<>();
    messageOnly.setContext(context);
    messageOnly.setCharset(StandardCharsets.UTF_8); // JSON text is UTF-8 (RFC 8259)
    MessageLine layout = new MessageLine();
    layout.setContext(context);
    layout.start();
    messageOnly.setLayout(layout);
    messageOnly.start();
    ByLogger encoder = new ByLogger(ACCESS_LOGGER, messageOnly, json);
    encoder.setContext(context);
    encoder.start();
    BufferedConsoleAppender stdout = new BufferedConsoleAppender();
    stdout.setContext(context);
    stdout.setName("JSON");
    stdout.setEncoder(encoder);
    stdout.start();

    ch.qos.logback.classic.Logger accessLogger = context.getLogger(ACCESS_LOGGER);
    accessLogger.setLevel(Level.INFO);
    accessLogger.setAdditive(false);
    accessLogger.addAppender(stdout);
    // Netty and grpc-java are chatty at DEBUG; keep their warnings
    context.getLogger("io.netty").setLevel(Level.INFO);
    context.getLogger("io.grpc").setLevel(Level.INFO);
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stdout);
    // stops the context at exit, which writes out the appenders' buffers (<shutdownHook/>)
    DefaultShutdownHook hook = new DefaultShutdownHook();
    hook.setContext(context);
    new ContextUtil(context).addOrReplaceShutdownHook(hook);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * The access log's events (their message is a JSON object already) through one encoder, the
   * others through another: the single appender's buffer keeps one order for both.
   */
  static final class ByLogger extends EncoderBase<ILoggingEvent> {
    private final String logger;
    private final Encoder<ILoggingEvent> forLogger;
    private final Encoder<ILoggingEvent> others;

    ByLogger(String logger, Encoder<ILoggingEvent> forLogger, Encoder<ILoggingEvent> others) {
      this.logger = logger;
      this.forLogger = forLogger;
      this.others = others;
    }

    @Override
    public byte[] headerBytes() {
      return others.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
      return (logger.equals(event.getLoggerName()) ? forLogger : others).encode(event);
    }

    @Override
    public byte[] footerBytes() {
      return others.footerBytes();
    }
  }

  /**
   * The formatted message and a newline: what {@code %msg%n} gives, without the pattern parser
   * and its intermediate buffer. Public so that a {@code logback.xml} can name it as the layout
   * of a {@code LayoutWrappingEncoder} (benchmarks/obs-logback.xml does).
   */
  public static final class MessageLine extends LayoutBase<ILoggingEvent> {
    @Override
    public String doLayout(ILoggingEvent event) {
      return event.getFormattedMessage() + System.lineSeparator();
    }
  }
}
