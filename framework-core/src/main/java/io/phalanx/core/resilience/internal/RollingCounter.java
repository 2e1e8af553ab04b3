package io.phalanx.core.resilience.internal;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Two counters ({@code a}, {@code b}) over a sliding window of {@code buckets} time buckets, as
 * Kratos' rolling window: a bucket older than the window is reset on its next use.
 *
 * <p>Lock-free: a bucket is claimed for a new period by a CAS on its period number, then zeroed.
 * An increment racing with that reset can be lost, a bounded, rare undercount that statistical
 * algorithms (SRE, BBR) tolerate; a lock would cost every call.
 *
 * <p>Threading: thread-safe.
 */
public final class RollingCounter {
  private final int buckets;
  private final long bucketNanos;
  private final LongSupplier clock;
  private final AtomicLongArray periods;
  private final AtomicLongArray a;
  private final AtomicLongArray b;

  /**
   * @param buckets number of buckets in the window
   * @param bucketNanos length of one bucket
   * @param clock a nanosecond clock ({@code System::nanoTime}; tests pass a fake one)
   */
  public RollingCounter(int buckets, long bucketNanos, LongSupplier clock) {
    if (buckets < 1 || bucketNanos < 1) {
      throw new IllegalArgumentException("buckets and bucket length must be positive");
    }
    this.buckets = buckets;
    this.bucketNanos = bucketNanos;
    this.clock = clock;
    this.periods = new AtomicLongArray(buckets);
    this.a = new AtomicLongArray(buckets);
    this.b = new AtomicLongArray(buckets);
    for (int i = 0; i < buckets; i++) {
      periods.set(i, Long.MIN_VALUE);
    }
  }

  /** The current period number (bucket index since the clock's origin). */
  public long period() {
    return Math.floorDiv(clock.getAsLong(), bucketNanos);
  }

  public int buckets() {
    return buckets;
  }

  public long bucketNanos() {
    return bucketNanos;
  }

  /** Adds to the current bucket. */
  public void add(long da, long db) {
    long p = period();
    int i = (int) Math.floorMod(p, (long) buckets);
    long seen = periods.get(i);
    if (seen != p) {
      if (seen < p && periods.compareAndSet(i, seen, p)) {
        a.set(i, 0);
        b.set(i, 0);
      }
    }
    if (da != 0) {
      a.addAndGet(i, da);
    }
    if (db != 0) {
      b.addAndGet(i, db);
    }
  }

  /** Sums of both counters over the window, current bucket included: {@code [a, b]}. */
  public long[] sums() {
    long p = period();
    long sa = 0;
    long sb = 0;
    for (int i = 0; i < buckets; i++) {
      long q = periods.get(i);
      if (q <= p && q > p - buckets) {
        sa += a.get(i);
        sb += b.get(i);
      }
    }
    return new long[] {sa, sb};
  }

  /**
   * Visits the completed buckets of the window (the current one excluded, as BBR wants), oldest
   * or newest first in no particular order; buckets never used in the window are skipped.
   */
  public void forEachCompleted(BucketVisitor visitor) {
    long p = period();
    for (int i = 0; i < buckets; i++) {
      long q = periods.get(i);
      if (q < p && q > p - buckets) {
        visitor.visit(a.get(i), b.get(i));
      }
    }
  }

  /** Receives one bucket's counters. */
  @FunctionalInterface
  public interface BucketVisitor {
    void visit(long a, long b);
  }
}
