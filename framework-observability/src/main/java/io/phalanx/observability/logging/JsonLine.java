package io.phalanx.observability.logging;

import io.opentelemetry.api.trace.SpanContext;
import io.phalanx.core.Transport;
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
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private JsonLine() {}

  /** The record of {@link AccessLog.Format#JSON}; {@code peer}, {@code error} may be null. */
  static String of(long epochMillis, Level level, String loggerName, Transport t,
      CallFacts facts, long micros, String peer, SpanContext span, String error) {
    // sized for the whole line (about 250 fixed characters with trace ids, plus the variable
    // text), so the builder never grows: one buffer plus the final string per record
    StringBuilder sb = new StringBuilder(280 + loggerName.length() + t.operation().length()
        + facts.reason().length() + (peer == null ? 0 : peer.length())
        + (error == null ? 0 : 16 + error.length()));
    sb.append("{\"timestamp\":").append(epochMillis)
        .append(",\"level\":\"").append(level.name())
        .append("\",\"loggerName\":");
    quote(sb, loggerName);
    sb.append(",\"kind\":\"").append(t.kind().label())
        .append("\",\"side\":\"").append(t.side().label())
        .append("\",\"operation\":");
    quote(sb, t.operation());
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

  /** {@code s} as a JSON string (RFC 8259 escapes; control characters as {@code \\u00XX}). */
  static void quote(StringBuilder sb, String s) {
    int first = firstToEscape(s);
    if (first < 0) {
      // the usual case (operations, peers, reasons): one bulk copy, not a char-by-char append
      sb.append('"').append(s).append('"');
      return;
    }
    sb.append('"').append(s, 0, first);
    for (int i = first; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  private static int firstToEscape(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        return i;
      }
    }
    return -1;
  }
}
