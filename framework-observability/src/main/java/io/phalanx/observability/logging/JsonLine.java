package io.phalanx.observability.logging;

import io.opentelemetry.api.trace.SpanContext;
import io.phalanx.core.Transport;
import io.phalanx.core.internal.JsonStrings;
import io.phalanx.observability.internal.call.CallFacts;
import org.slf4j.event.Level;

/**
 * Writes one access-log record as a compact JSON object in a single pass over a
 * {@link StringBuilder}: no intermediate strings per field, numbers written as digits, and
 * escaping only where a value can hold arbitrary text (operation, reason, peer, error).
 *
 * <p>Stateless; safe from any thread.
 */
final class JsonLine {
  private JsonLine() {}

  /** The record of {@link AccessLog.Format#JSON}; {@code peer}, {@code error} may be null. */
  static String of(long epochMillis, Level level, String loggerName, Transport t,
      String operation, CallFacts facts, long micros, String peer, SpanContext span,
      String error) {
    // sized for the whole line (about 250 fixed characters with trace ids, plus the variable
    // text), so the builder never grows: one buffer plus the final string per record
    StringBuilder sb = new StringBuilder(280 + loggerName.length() + operation.length()
        + facts.reason().length() + (peer == null ? 0 : peer.length())
        + (error == null ? 0 : 16 + error.length()));
    sb.append("{\"timestamp\":").append(epochMillis)
        .append(",\"level\":\"").append(level.name())
        .append("\",\"loggerName\":");
    quote(sb, loggerName);
    sb.append(",\"kind\":\"").append(t.kind().label())
        .append("\",\"side\":\"").append(t.side().label())
        .append("\",\"operation\":");
    quote(sb, operation);
    sb.append(",\"code\":").append(facts.code()).append(",\"reason\":");
    quote(sb, facts.reason());
    sb.append(",\"duration_ms\":");
    appendMillis(sb, micros);
    if (peer != null) {
      sb.append(",\"peer\":");
      quote(sb, peer);
    }
    if (facts.requestBytes() >= 0) {
      sb.append(",\"request_bytes\":").append(facts.requestBytes());
    }
    if (facts.responseBytes() >= 0) {
      sb.append(",\"response_bytes\":").append(facts.responseBytes());
    }
    if (span.isValid()) {
      // hex digits by the W3C format: nothing to escape
      sb.append(",\"trace_id\":\"").append(span.getTraceId())
          .append("\",\"span_id\":\"").append(span.getSpanId()).append('"');
    }
    if (error != null) {
      sb.append(",\"error\":");
      quote(sb, error);
    }
    return sb.append('}').toString();
  }

  /** {@code micros} as milliseconds with exactly three decimals ({@code 12.034}). */
  static StringBuilder appendMillis(StringBuilder sb, long micros) {
    if (micros < 0) {
      sb.append('-');
      micros = -micros;
    }
    long frac = micros % 1000;
    sb.append(micros / 1000).append('.');
    if (frac < 100) {
      sb.append(frac < 10 ? "00" : "0");
    }
    return sb.append(frac);
  }

  /** {@code s} as a JSON string (see {@link JsonStrings#quote}). */
  static void quote(StringBuilder sb, String s) {
    JsonStrings.quote(sb, s);
  }
}
