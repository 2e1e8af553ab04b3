package io.phalanx.core.resilience;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.resilience.internal.BbrLimiter;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Server-side adaptive concurrency limiting in the style of Kratos' BBR limiter: while CPU usage
 * is at or over {@code cpuThreshold} (per mille, default 800 = 80 %), and for {@code coolDown}
 * (1 s) after the first drop of an overload (as Kratos: counted from when dropping began, not
 * extended while it goes on), a request is refused with 429 {@code RATE_LIMITED} when more than
 * {@code maxInFlight} requests are in flight, where
 *
 * <pre>maxInFlight = floor(maxPass · minRT · bucketsPerSecond / 1000 + 0.5)</pre>
 *
 * {@code maxPass} being the most requests completed in one bucket and {@code minRT} the lowest
 * bucket-average response time (ms, rounded up) over the last {@code window} (10 s) split into
 * {@code buckets} (100, so 100 ms buckets), the current bucket excluded: the throughput the
 * process has shown it sustains, times the latency it has when not queueing (Little's law). One
 * request in flight is always allowed.
 *
 * <p>CPU: {@code com.sun.management.OperatingSystemMXBean#getProcessCpuLoad} (this JVM's share of
 * all CPUs) or {@code getCpuLoad} (the whole machine, {@link Builder#systemCpu}), sampled at most
 * every {@code cpuInterval} (500 ms) and smoothed with {@code cpu = cpu·0.95 + sample·0.05}, as
 * Kratos. The EMA reacts within seconds, not milliseconds: BBR protects against sustained
 * overload, a {@link Bulkhead} or {@link RateLimiter} against bursts. There is no Retry-After:
 * when the limit lifts depends on load, not on a clock.
 *
 * <p>One limiter per middleware instance (the whole server, like Kratos); use {@link
 * io.phalanx.core.Middleware#when} to protect only some operations.
 *
 * <p>Threading: thread-safe, lock-free.
 */
public final class AdaptiveLimiter implements Middleware {
  private final BbrLimiter bbr;

  private AdaptiveLimiter(Builder b) {
    DoubleSupplier cpu = b.cpu != null ? b.cpu : jvmCpu(b.systemCpu);
    long bucketNanos = b.window.toNanos() / b.buckets;
    this.bbr = new BbrLimiter(b.buckets, bucketNanos, b.cpuThreshold, b.coolDown.toNanos(),
        b.cpuInterval.toNanos(), b.cpuDecay, cpu, System::nanoTime);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Kratos' defaults. */
  public static AdaptiveLimiter create() {
    return builder().build();
  }

  public static AdaptiveLimiter from(AdaptiveLimitSettings s) {
    return builder().settings(s).build();
  }

  /** Smoothed CPU usage in per mille. */
  public long cpu() {
    return bbr.cpu();
  }

  /** The current concurrency estimate the limiter enforces under high CPU. */
  public long maxInFlight() {
    return bbr.maxInFlight();
  }

  public long inFlight() {
    return bbr.inFlight();
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      long token = bbr.tryAcquire();
      if (BbrLimiter.dropped(token)) {
        throw ResilienceErrors.rateLimited("server overloaded: adaptive concurrency limit "
            + bbr.maxInFlight() + " reached");
      }
      try {
        return next.handle(ctx, request);
      } finally {
        bbr.done(token);
      }
    };
  }

  private static DoubleSupplier jvmCpu(boolean system) {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return system ? sun::getCpuLoad : sun::getProcessCpuLoad;
    }
    // No CPU figure on this JVM: report "unknown" so the limiter never engages rather than
    // guessing from the load average.
    return () -> -1;
  }

  /** Builds an {@link AdaptiveLimiter}. Not thread-safe. */
  public static final class Builder {
    private Duration window = Duration.ofSeconds(10);
    private int buckets = 100;
    private int cpuThreshold = 800;
    private Duration coolDown = Duration.ofSeconds(1);
    private Duration cpuInterval = Duration.ofMillis(500);
    private double cpuDecay = 0.95;
    private boolean systemCpu;
    private DoubleSupplier cpu;

    private Builder() {}

    /** Statistics window (10 s) and its buckets (100). */
    public Builder window(Duration window, int buckets) {
      if (buckets < 1 || window.toNanos() / buckets < 1_000_000) {
        throw new IllegalArgumentException("buckets must be >= 1 and at least 1 ms long");
      }
      this.window = window;
      this.buckets = buckets;
      return this;
    }

    /** CPU usage in per mille from which requests are limited (800). */
    public Builder cpuThreshold(int permille) {
      if (permille < 0 || permille > 1000) {
        throw new IllegalArgumentException("cpuThreshold must be in 0..1000: " + permille);
      }
      this.cpuThreshold = permille;
      return this;
    }

    /** How long limiting continues after the last drop once CPU fell below threshold (1 s). */
    public Builder coolDown(Duration coolDown) {
      this.coolDown = Objects.requireNonNull(coolDown, "coolDown");
      return this;
    }

    /** CPU sample interval (500 ms) and EMA decay (0.95: weight of the previous value). */
    public Builder cpuSampling(Duration interval, double decay) {
      if (!(decay >= 0 && decay < 1)) {
        throw new IllegalArgumentException("decay must be in [0, 1): " + decay);
      }
      this.cpuInterval = Objects.requireNonNull(interval, "interval");
      this.cpuDecay = decay;
      return this;
    }

    /** Use the machine's CPU load instead of this process's. */
    public Builder systemCpu(boolean system) {
      this.systemCpu = system;
      return this;
    }

    /** A custom CPU source in [0, 1] (negative: unknown); for containers with quotas, tests. */
    public Builder cpu(DoubleSupplier cpu) {
      this.cpu = Objects.requireNonNull(cpu, "cpu");
      return this;
    }

    public Builder settings(AdaptiveLimitSettings s) {
      window(s.window().orElse(window), s.buckets().orElse(buckets));
      s.cpuThreshold().ifPresent(this::cpuThreshold);
      s.coolDown().ifPresent(this::coolDown);
      cpuSampling(s.cpuInterval().orElse(cpuInterval), s.cpuDecay().orElse(cpuDecay));
      s.cpuSource().ifPresent(v -> {
        switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
          case "process" -> systemCpu(false);
          case "system" -> systemCpu(true);
          default -> throw new IllegalArgumentException("unknown cpu-source '" + v
              + "': expected process or system");
        }
      });
      return this;
    }

    public AdaptiveLimiter build() {
      return new AdaptiveLimiter(this);
    }
  }
}
