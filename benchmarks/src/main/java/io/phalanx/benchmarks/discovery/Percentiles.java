package io.phalanx.benchmarks.discovery;

import java.util.Arrays;

/** Nearest-rank percentiles of a sample, in the unit it was recorded in. Not thread-safe. */
final class Percentiles {

  private final long[] sorted;

  Percentiles(long[] samples, int count) {
    this.sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
  }

  long at(double percentile) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  int count() {
    return sorted.length;
  }

  /** {@code p50=… p90=… p99=… max=…} with the values divided by {@code divisor}. */
  String summary(double divisor, String unit) {
    return String.format("n=%d p50=%.2f%s p90=%.2f%s p99=%.2f%s max=%.2f%s", count(),
        at(50) / divisor, unit, at(90) / divisor, unit, at(99) / divisor, unit,
        at(100) / divisor, unit);
  }
}
