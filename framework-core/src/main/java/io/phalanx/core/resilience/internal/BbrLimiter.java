package io.phalanx.core.resilience.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Kratos' BBR adaptive concurrency limiter ({@code internal/ratelimit/bbr.go}): drops requests
 * when CPU usage is over a threshold (or was, less than a cool-down ago) and more requests are in
 * flight than the system has shown it can handle: {@code maxInFlight = maxPass · minRT ·
 * bucketsPerSecond / 1000} (Little's law on the best bucket throughput and the best bucket
 * latency in the window, the current bucket excluded).
 *
 * <p>CPU is sampled on the request path, at most once per sample interval, by whichever request
 * first finds the sample stale: no background thread, and when no request arrives there is
 * nothing to limit. EMA: {@code cpu = cpu·decay + sample·(1 − decay)}, in per mille.
 *
 * <p>Threading: thread-safe, lock-free.
 */
public final class BbrLimiter {
  private static final long NONE = Long.MIN_VALUE;

  private final RollingCounter stats; // a = passed (completed) requests, b = sum of RT in µs
  private final double bucketsPerSecond;
  private final long cpuThreshold;
  private final long coolDownNanos;
  private final long sampleNanos;
  private final double decay;
  private final DoubleSupplier cpu;
  private final LongSupplier clock;

  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong prevDrop = new AtomicLong(NONE);
  private final AtomicLong lastSample;
  private volatile long cpuPermille;
  private volatile long maxPassCache = -1;
  private volatile long maxPassPeriod = NONE;
  private volatile long minRtCache = -1;
  private volatile long minRtPeriod = NONE;

  /**
   * @param cpu CPU usage in [0, 1] (negative = unknown, ignored)
   */
  public BbrLimiter(int buckets, long bucketNanos, long cpuThreshold, long coolDownNanos,
      long sampleNanos, double decay, DoubleSupplier cpu, LongSupplier clock) {
    this.stats = new RollingCounter(buckets, bucketNanos, clock);
    this.bucketsPerSecond = 1e9 / bucketNanos;
    this.cpuThreshold = cpuThreshold;
    this.coolDownNanos = coolDownNanos;
    this.sampleNanos = sampleNanos;
    this.decay = decay;
    this.cpu = cpu;
    this.clock = clock;
    this.lastSample = new AtomicLong(clock.getAsLong() - sampleNanos);
  }

  /** CPU usage EMA in per mille, sampling first if the sample is stale. */
  public long cpu() {
    long now = clock.getAsLong();
    long last = lastSample.get();
    if (now - last >= sampleNanos && lastSample.compareAndSet(last, now)) {
      double u = cpu.getAsDouble();
      if (u >= 0) {
        long cur = Math.round(Math.min(1, u) * 1000);
        cpuPermille = Math.round(cpuPermille * decay + cur * (1 - decay));
      }
    }
    return cpuPermille;
  }

  public long inFlight() {
    return inFlight.get();
  }

  /** Largest number of completed requests in one completed bucket of the window (at least 1). */
  public long maxPass() {
    long p = stats.period();
    if (maxPassPeriod == p && maxPassCache > 0) {
      return maxPassCache;
    }
    long[] max = {1};
    stats.forEachCompleted((pass, rt) -> max[0] = Math.max(max[0], pass));
    maxPassCache = max[0];
    maxPassPeriod = p;
    return max[0];
  }

  /** Smallest bucket-average response time in ms, rounded up (at least 1). */
  public long minRtMillis() {
    long p = stats.period();
    if (minRtPeriod == p && minRtCache > 0) {
      return minRtCache;
    }
    double[] min = {Double.MAX_VALUE};
    stats.forEachCompleted((pass, rtMicros) -> {
      if (pass > 0) {
        min[0] = Math.min(min[0], Math.ceil(rtMicros / 1000.0 / pass));
      }
    });
    long v = min[0] == Double.MAX_VALUE ? 1 : Math.max(1, (long) min[0]);
    minRtCache = v;
    minRtPeriod = p;
    return v;
  }

  /** {@code floor(maxPass · minRT · bucketsPerSecond / 1000 + 0.5)}. */
  public long maxInFlight() {
    return (long) Math.floor(maxPass() * minRtMillis() * bucketsPerSecond / 1000.0 + 0.5);
  }

  /** Whether the next request should be dropped, following Kratos' {@code shouldDrop}. */
  public boolean shouldDrop() {
    long now = clock.getAsLong();
    if (cpu() < cpuThreshold) {
      long prev = prevDrop.get();
      if (prev == NONE) {
        return false;
      }
      if (now - prev <= coolDownNanos) {
        return overloaded();
      }
      prevDrop.compareAndSet(prev, NONE);
      return false;
    }
    boolean drop = overloaded();
    if (drop) {
      prevDrop.compareAndSet(NONE, now);
    }
    return drop;
  }

  private boolean overloaded() {
    long f = inFlight.get();
    return f > 1 && f > maxInFlight();
  }

  /** Admits a request: returns its start time for {@link #done}, or {@link #NONE} to drop. */
  public long tryAcquire() {
    if (shouldDrop()) {
      return NONE;
    }
    inFlight.incrementAndGet();
    return clock.getAsLong();
  }

  /** Whether {@code token} from {@link #tryAcquire} means "dropped". */
  public static boolean dropped(long token) {
    return token == NONE;
  }

  /** Records the completion of a request admitted at {@code start}. */
  public void done(long start) {
    long rtMicros = Math.max(0, (clock.getAsLong() - start) / 1000);
    stats.add(1, rtMicros);
    inFlight.decrementAndGet();
  }
}
