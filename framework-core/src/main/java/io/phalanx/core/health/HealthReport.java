package io.phalanx.core.health;

import java.util.Map;

/**
 * The outcome of all liveness or all readiness checks.
 *
 * @param up whether every check passed (and, for readiness, the app is serving)
 * @param checks each check's result by name, in registration order
 */
public record HealthReport(boolean up, Map<String, CheckResult> checks) {

  public HealthReport {
    checks = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(checks));
  }

  /**
   * The report as JSON: {@code {"status":"UP","checks":{"db":{"status":"DOWN","detail":"…"}}}}.
   */
  public String toJson() {
    StringBuilder sb = new StringBuilder(64);
    sb.append("{\"status\":\"").append(up ? "UP" : "DOWN").append("\",\"checks\":{");
    boolean first = true;
    for (Map.Entry<String, CheckResult> e : checks.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      quote(sb, e.getKey());
      sb.append(":{\"status\":\"").append(e.getValue().healthy() ? "UP" : "DOWN").append('"');
      if (!e.getValue().detail().isEmpty()) {
        sb.append(",\"detail\":");
        quote(sb, e.getValue().detail());
      }
      sb.append('}');
    }
    return sb.append("}}").toString();
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }
}
