package io.phalanx.observability.logging;

import io.opentelemetry.api.trace.SpanContext;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.SentReply;
import io.phalanx.core.StreamingCall;
import io.phalanx.core.Transport;
import io.phalanx.core.error.ServiceException;
import io.phalanx.observability.internal.call.CallFacts;
import io.phalanx.observability.tracing.Tracing;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Middleware that writes one access-log record per call through SLF4J 2's fluent API, with
 * key-value pairs a structured backend (logback's JSON encoders, log4j2's JsonTemplateLayout)
 * turns into fields:
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><td>{@code kind}</td><td>{@code http} or {@code grpc}</td></tr>
 *   <tr><td>{@code side}</td><td>{@code server} or {@code client}</td></tr>
 *   <tr><td>{@code operation}</td><td>{@code GET /hello/{name}}, {@code /pkg.Svc/Method}; a HEAD
 *       answered by a GET route is {@code HEAD /hello/{name}}</td></tr>
 *   <tr><td>{@code code}</td><td>HTTP-style: 200 (or the reply's status), the
 *       {@code ServiceException} code, 500 for any other exception</td></tr>
 *   <tr><td>{@code reason}</td><td>the error reason, empty on success</td></tr>
 *   <tr><td>{@code duration_ms}</td><td>time in the rest of the chain, fractional ms</td></tr>
 *   <tr><td>{@code peer}</td><td>the remote address ({@code 10.0.0.7:51234}), when known</td></tr>
 *   <tr><td>{@code request_bytes}, {@code response_bytes}</td><td>body sizes, when known (see
 *       the module README)</td></tr>
 *   <tr><td>{@code trace_id}, {@code span_id}</td><td>when a span is active</td></tr>
 * </table>
 *
 * <p>The code is the one the server sent: on the HTTP server also a 406 or 500 it answered after
 * the chain returned (see {@link SentReply}), and a request it refused without running the chain
 * (a full handler pool's 503, a deadline passed in its queue's 504; see
 * {@link RefusalListener}) is logged too, with a duration of zero and no trace id.
 *
 * <p>Level: ERROR for codes 500 and above, WARN for 4xx, INFO otherwise. Errors (code 400 and
 * above) are always logged; other calls pass the slow-only threshold and then the sampling ratio.
 * Sampling is decided on the trace id when there is one, so every service that samples at the same
 * ratio logs the same traces; a call without a trace is sampled at random.
 *
 * <p>{@link Format#JSON} writes the same fields as one JSON object in the message instead, for
 * an appender that writes the message alone (much cheaper than a generic JSON encoder).
 *
 * <p>Install it inside {@link Tracing} so the trace id is known. Threading: immutable, safe for
 * concurrent use; the record is written on the thread that ran the chain.
 */
public final class AccessLog implements Middleware, RefusalListener {

  /** The default logger name; route it to its own appender to keep access logs apart. */
  public static final String DEFAULT_LOGGER = "phalanx.access";

  private final Logger logger;
  private final long slowNanos;
  private final double sampleRatio;
  private final Format format;

  /** How a record is written. */
  public enum Format {
    /**
     * The fields as SLF4J key-value pairs and a short human-readable message
     * ({@code server http GET /hello/{name} 200 in 0.153 ms}): for structured backends that
     * render key-value pairs (logback's {@code JsonEncoder}, log4j2's JsonTemplateLayout).
     */
    KEY_VALUES,
    /**
     * The message is the whole record as one compact JSON object, no key-value pairs:
     * {@code {"timestamp":1700000000000,"level":"INFO","loggerName":"phalanx.access",
     * "kind":"http",…,"duration_ms":0.153,…}} (numbers as JSON numbers, the fields of
     * {@link #KEY_VALUES} with the same names). Meant for an appender that writes the message
     * alone ({@code %msg%n}): generic JSON encoders escape and copy every key-value pair, the
     * MDC and the event's metadata per record, several times the cost of this line, which is
     * written in one pass.
     */
    JSON
  }

  private AccessLog(Builder b) {
    this.logger = b.logger != null ? b.logger : LoggerFactory.getLogger(b.loggerName);
    this.slowNanos = b.slowThreshold.toNanos();
    this.sampleRatio = b.sampleRatio;
    this.format = b.format;
  }

  /** Every call, logger {@value #DEFAULT_LOGGER}. */
  public static AccessLog create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      long start = System.nanoTime();
      Object reply = null;
      Throwable failure = null;
      boolean streaming = false;
      try {
        reply = next.handle(ctx, request);
        if (request instanceof StreamingCall call) {
          // the chain returned as the stream started: one line when it ends, with its outcome
          streaming = true;
          call.onEnd((c, error) -> record(ctx, request, null, error, System.nanoTime() - start));
        }
        return reply;
      } catch (Throwable t) {
        failure = t;
        throw t;
      } finally {
        if (!streaming) {
          if (ctx.transport() instanceof SentReply sent && !CallFacts.settled(reply, failure)) {
            // the transport may answer otherwise after the chain (406, 500): logged when it says
            // what it sent
            Object mine = reply;
            Throwable myFailure = failure;
            sent.onSent((chainReply, replaced) -> record(ctx, request, mine,
                CallFacts.sentFailure(mine, myFailure, chainReply, replaced),
                System.nanoTime() - start));
          } else {
            record(ctx, request, reply, failure, System.nanoTime() - start);
          }
        }
      }
    };
  }

  /**
   * Logs a request the server answered without running the chain (a full handler pool's 503, a
   * deadline passed in its queue's 504), with a duration of zero. The line is handed to the
   * logger on the calling thread, often a network event loop of an overloaded server: an
   * appender that writes synchronously blocks that loop for its write, so the access logger of
   * such a server belongs behind an asynchronous appender that never blocks (see the README).
   */
  @Override
  public void refused(Context ctx, Object request, ServiceException answer) {
    record(ctx, request, null, answer, 0);
  }

  private void record(Context ctx, Object request, Object reply, Throwable failure,
      long nanos) {
    Transport t = ctx.transport();
    CallFacts facts = CallFacts.of(t, request, reply, failure);
    SpanContext span = Tracing.spanContext(ctx);
    if (!facts.isError() && (nanos < slowNanos || !sampled(span))) {
      return;
    }
    Level level = facts.code() >= 500 ? Level.ERROR : facts.code() >= 400 ? Level.WARN
        : Level.INFO;
    if (!logger.isEnabledForLevel(level)) {
      return;
    }
    // rounded to whole microseconds once, so the field and the message agree
    long micros = (nanos + 500) / 1000;
    String peer = t.remoteAddress().map(AccessLog::address).orElse(null);
    String error = failure != null && facts.code() >= 500 ? failure.toString() : null;
    String operation = CallFacts.operation(t);
    if (format == Format.JSON) {
      String line = JsonLine.of(System.currentTimeMillis(), level, logger.getName(), t,
          operation, facts, micros, peer, span, error);
      switch (level) {
        case ERROR -> logger.error(line);
        case WARN -> logger.warn(line);
        default -> logger.info(line);
      }
      return;
    }
    LoggingEventBuilder e = logger.atLevel(level)
        .addKeyValue("kind", t.kind().label())
        .addKeyValue("side", t.side().label())
        .addKeyValue("operation", operation)
        .addKeyValue("code", facts.code())
        .addKeyValue("reason", facts.reason())
        .addKeyValue("duration_ms", micros / 1000.0);
    if (peer != null) {
      e.addKeyValue("peer", peer);
    }
    if (facts.requestBytes() >= 0) {
      e.addKeyValue("request_bytes", facts.requestBytes());
    }
    if (facts.responseBytes() >= 0) {
      e.addKeyValue("response_bytes", facts.responseBytes());
    }
    if (span.isValid()) {
      e.addKeyValue("trace_id", span.getTraceId()).addKeyValue("span_id", span.getSpanId());
    }
    if (error != null) {
      // the message of an unexpected exception is for the log, never for the caller
      e.addKeyValue("error", error);
    }
    // The finished text, not a "{}" pattern: String.format and SLF4J's MessageFormatter were a
    // large share of the per-request cost of this middleware, for a message of fixed shape.
    StringBuilder message = new StringBuilder(64 + operation.length())
        .append(t.side().label()).append(' ').append(t.kind().label()).append(' ');
    appendPrintable(message, operation).append(' ').append(facts.code()).append(" in ");
    JsonLine.appendMillis(message, micros).append(" ms");
    e.setMessage(message.toString());
    e.log();
  }

  /**
   * Appends {@code s} with control characters as {@code \\uXXXX}: an operation can be a raw
   * client path, and a line break in it would forge log lines in a plain-text appender.
   */
  static StringBuilder appendPrintable(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb;
  }

  private boolean sampled(SpanContext span) {
    if (sampleRatio >= 1.0) {
      return true;
    }
    if (sampleRatio <= 0.0) {
      return false;
    }
    if (span.isValid()) {
      // the low 64 bits of the trace id, as OpenTelemetry's ratio sampler reads them
      long bits = Long.parseUnsignedLong(span.getTraceId().substring(16), 16);
      // Math.abs(Long.MIN_VALUE) is still negative, below every bound, so that id was always
      // kept; its magnitude, 2^63, is above the bound of every ratio under 1. OpenTelemetry's
      // sampler keeps that one id in 2^64, so the two disagree on it alone.
      return bits != Long.MIN_VALUE && Math.abs(bits) < (long) (sampleRatio * Long.MAX_VALUE);
    }
    return ThreadLocalRandom.current().nextDouble() < sampleRatio;
  }

  private static String address(SocketAddress a) {
    if (a instanceof InetSocketAddress in && in.getAddress() != null) {
      String ip = in.getAddress().getHostAddress();
      return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + in.getPort();
    }
    return a.toString();
  }

  /** Options of {@link AccessLog}. Not thread-safe. */
  public static final class Builder {
    private Logger logger;
    private String loggerName = DEFAULT_LOGGER;
    private Duration slowThreshold = Duration.ZERO;
    private double sampleRatio = 1.0;
    private Format format = Format.KEY_VALUES;

    private Builder() {}

    /** How records are written; default {@link Format#KEY_VALUES}. */
    public Builder format(Format format) {
      this.format = Objects.requireNonNull(format, "format");
      return this;
    }

    /** The SLF4J logger's name; default {@value #DEFAULT_LOGGER}. */
    public Builder loggerName(String name) {
      this.loggerName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** The logger itself, replacing {@link #loggerName} (tests, adapters). */
    public Builder logger(Logger logger) {
      this.logger = Objects.requireNonNull(logger, "logger");
      return this;
    }

    /** Log only successful calls at least this slow (errors always); default zero: all. */
    public Builder slowThreshold(Duration threshold) {
      if (threshold.isNegative()) {
        throw new IllegalArgumentException("slowThreshold must not be negative: " + threshold);
      }
      this.slowThreshold = threshold;
      return this;
    }

    /** Fraction (0..1) of successful calls to log; errors are always logged. Default 1. */
    public Builder sampleRatio(double ratio) {
      if (!(ratio >= 0.0 && ratio <= 1.0)) {
        throw new IllegalArgumentException("sampleRatio must be within [0, 1]: " + ratio);
      }
      this.sampleRatio = ratio;
      return this;
    }

    public AccessLog build() {
      return new AccessLog(this);
    }
  }
}
