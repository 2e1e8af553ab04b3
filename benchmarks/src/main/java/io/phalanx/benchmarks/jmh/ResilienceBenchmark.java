package io.phalanx.benchmarks.jmh;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Metadata;
import io.phalanx.core.Transport;
import io.phalanx.core.resilience.AdaptiveLimiter;
import io.phalanx.core.resilience.BreakerAlgorithm;
import io.phalanx.core.resilience.Bulkhead;
import io.phalanx.core.resilience.CircuitBreaker;
import io.phalanx.core.resilience.RateLimiter;
import io.phalanx.core.resilience.Retry;
import io.phalanx.core.resilience.Timeout;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-call overhead of the resilience middleware on the admitting path (every call succeeds and
 * is let through), around a trivial handler. Limits are set so high that nothing is ever
 * refused: this measures bookkeeping, not rejection. Two threads, so the shared counters see
 * some contention (the machine this was written on has two cores).
 *
 * <p>Run briefly: {@code java -jar target/benchmarks.jar ResilienceBenchmark -f 1 -wi 2 -w 1s -i 3
 * -r 1s}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@Threads(2)
public class ResilienceBenchmark {
  private Context ctx;
  private Handler handler;
  private Handler sre;
  private Handler r4j;
  private Handler rateLimiter;
  private Handler bulkhead;
  private Handler adaptive;
  private Handler retry;
  private Handler timeout;

  @Setup
  public void setUp() {
    ctx = Context.of(Transport.of(Transport.Kind.HTTP, Transport.Side.SERVER,
        "GET /hello/{name}", Metadata.of("content-type", "application/json")));
    handler = (c, req) -> req;
    sre = CircuitBreaker.builder().build().wrap(handler);
    r4j = CircuitBreaker.builder().algorithm(BreakerAlgorithm.resilience4j(
        CircuitBreakerConfig.ofDefaults())).build().wrap(handler);
    rateLimiter = RateLimiter.builder().limit(Integer.MAX_VALUE / 2)
        .period(Duration.ofSeconds(1)).build().wrap(handler);
    bulkhead = Bulkhead.builder().maxConcurrent(1_000_000).build().wrap(handler);
    adaptive = AdaptiveLimiter.builder().cpu(() -> 0.0).build().wrap(handler);
    retry = Retry.builder().build().wrap(handler);
    timeout = Timeout.of(Duration.ofSeconds(10)).wrap(handler);
  }

  @Benchmark
  public Object baseline() throws Exception {
    return handler.handle(ctx, "x");
  }

  @Benchmark
  public Object breakerSre() throws Exception {
    return sre.handle(ctx, "x");
  }

  @Benchmark
  public Object breakerResilience4j() throws Exception {
    return r4j.handle(ctx, "x");
  }

  @Benchmark
  public Object rateLimiter() throws Exception {
    return rateLimiter.handle(ctx, "x");
  }

  @Benchmark
  public Object bulkhead() throws Exception {
    return bulkhead.handle(ctx, "x");
  }

  @Benchmark
  public Object adaptiveLimiter() throws Exception {
    return adaptive.handle(ctx, "x");
  }

  @Benchmark
  public Object retry() throws Exception {
    return retry.handle(ctx, "x");
  }

  /** Server side without a shorter incoming deadline: this includes the watchdog schedule. */
  @Benchmark
  public Object timeoutWithWatchdog() throws Exception {
    return timeout.handle(ctx, "x");
  }
}
