package io.phalanx.core.health;

import java.util.Objects;

/**
 * The result of one {@link HealthCheck}.
 *
 * @param healthy whether the check passed
 * @param detail a short human-readable explanation (empty when there is nothing to say)
 */
public record CheckResult(boolean healthy, String detail) {

  public CheckResult {
    detail = detail == null ? "" : detail;
  }

  public static CheckResult up() {
    return new CheckResult(true, "");
  }

  public static CheckResult up(String detail) {
    return new CheckResult(true, detail);
  }

  public static CheckResult down(String detail) {
    return new CheckResult(false, Objects.requireNonNull(detail, "detail"));
  }
}
