package io.phalanx.core.selector;

import java.time.Duration;
import java.util.Objects;

/**
 * Passive outlier ejection: a node whose last {@code consecutiveFailures} calls all failed is
 * taken out of rotation for {@code baseEjection x 2^(times ejected before)}, capped at {@code
 * maxEjection}; it then gets calls again. The count of past ejections resets once the node went
 * {@code maxEjection} without being ejected. The last node not ejected is never ejected: calls
 * to a sick node beat certain 503s.
 *
 * @param consecutiveFailures failures in a row that eject; 0 disables ejection
 * @param baseEjection the first ejection's length
 * @param maxEjection the longest ejection
 *
 * <p>Threading: an immutable value (the settings); the ejection state lives in the
 * {@link Selector} that applies them, which is thread-safe.
 */
public record OutlierEjection(int consecutiveFailures, Duration baseEjection,
    Duration maxEjection) {

  public OutlierEjection {
    if (consecutiveFailures < 0) {
      throw new IllegalArgumentException("consecutiveFailures must be >= 0: "
          + consecutiveFailures);
    }
    Objects.requireNonNull(baseEjection, "baseEjection");
    Objects.requireNonNull(maxEjection, "maxEjection");
    if (baseEjection.isNegative() || baseEjection.isZero()) {
      throw new IllegalArgumentException("baseEjection must be > 0: " + baseEjection);
    }
    if (maxEjection.compareTo(baseEjection) < 0) {
      throw new IllegalArgumentException("maxEjection " + maxEjection
          + " is shorter than baseEjection " + baseEjection);
    }
  }

  /** 5 failures in a row, ejected for 10 s, doubling up to 5 min. */
  public static OutlierEjection defaults() {
    return new OutlierEjection(5, Duration.ofSeconds(10), Duration.ofMinutes(5));
  }

  /** Never ejects. */
  public static OutlierEjection disabled() {
    return new OutlierEjection(0, Duration.ofSeconds(10), Duration.ofSeconds(10));
  }

  public OutlierEjection withConsecutiveFailures(int consecutiveFailures) {
    return new OutlierEjection(consecutiveFailures, baseEjection, maxEjection);
  }

  public OutlierEjection withBaseEjection(Duration baseEjection) {
    return new OutlierEjection(consecutiveFailures, baseEjection,
        maxEjection.compareTo(baseEjection) < 0 ? baseEjection : maxEjection);
  }

  public OutlierEjection withMaxEjection(Duration maxEjection) {
    return new OutlierEjection(consecutiveFailures, baseEjection, maxEjection);
  }
}
