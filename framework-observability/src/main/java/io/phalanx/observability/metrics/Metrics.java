package io.phalanx.observability.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.phalanx.core.AppInfo;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.Transport;
import io.phalanx.observability.internal.call.CallFacts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Middleware that records Micrometer metrics for every call, on HTTP and gRPC, server and client
 * side. Meters ({@code <side>} is {@code server} or {@code client}; Prometheus names in brackets):
 *
 * <ul>
 *   <li>{@code phalanx.<side>.requests} — Timer with histogram, tags kind, operation, code,
 *       reason [{@code phalanx_<side>_requests_seconds_count|sum|bucket}]
 *   <li>{@code phalanx.<side>.requests.active} — Gauge of calls in flight, tags kind, operation
 *       [{@code phalanx_<side>_requests_active}]
 *   <li>{@code phalanx.<side>.request.size}, {@code phalanx.<side>.response.size} —
 *       DistributionSummary in bytes, tags kind, operation, recorded when the size is known
 *       [{@code phalanx_<side>_request_size_bytes_count|sum|max}]
 * </ul>
 *
 * plus the common tags of the builder (service, version, env…) on every meter. Operations beyond
 * {@link Builder#maxOperations} distinct values are tagged {@value #OTHER_OPERATION}.
 *
 * <p>Threading: safe for concurrent use; meters are looked up once per tag combination and cached.
 */
public final class Metrics implements Middleware {

  /** The operation tag of calls beyond the cap. */
  public static final String OTHER_OPERATION = "OTHER";

  public static final String SERVER_REQUESTS = "phalanx.server.requests";
  public static final String CLIENT_REQUESTS = "phalanx.client.requests";

  private final MeterRegistry registry;
  private final Tags common;
  private final Duration[] slos;
  private final OperationLimit operations;
  private final ConcurrentMap<TimerKey, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentMap<SeriesKey, AtomicInteger> active = new ConcurrentHashMap<>();
  private final ConcurrentMap<SeriesKey, Sizes> sizes = new ConcurrentHashMap<>();

  private record TimerKey(Transport.Side side, Transport.Kind kind, String operation, int code,
      String reason) {}

  private record SeriesKey(Transport.Side side, Transport.Kind kind, String operation) {}

  private record Sizes(DistributionSummary request, DistributionSummary response) {}

  private Metrics(Builder b) {
    this.registry = b.registry;
    this.common = Tags.of(b.tags);
    this.slos = b.slos.clone();
    this.operations = new OperationLimit(b.maxOperations);
  }

  /** Metrics into {@code registry} with default options and no common tags. */
  public static Metrics create(MeterRegistry registry) {
    return builder(registry).build();
  }

  public static Builder builder(MeterRegistry registry) {
    return new Builder(registry);
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      Transport t = ctx.transport();
      SeriesKey series = new SeriesKey(t.side(), t.kind(), operations.tag(t.operation()));
      AtomicInteger inFlight = active.computeIfAbsent(series, this::activeGauge);
      inFlight.incrementAndGet();
      long start = System.nanoTime();
      Object reply = null;
      Throwable failure = null;
      try {
        reply = next.handle(ctx, request);
        return reply;
      } catch (Throwable e) {
        failure = e;
        throw e;
      } finally {
        long nanos = System.nanoTime() - start;
        inFlight.decrementAndGet();
        CallFacts facts = CallFacts.of(t, request, reply, failure);
        timers.computeIfAbsent(new TimerKey(series.side(), series.kind(), series.operation(),
            facts.code(), facts.reason()), this::timer).record(nanos, TimeUnit.NANOSECONDS);
        if (facts.requestBytes() >= 0 || facts.responseBytes() >= 0) {
          Sizes s = sizes.computeIfAbsent(series, this::sizes);
          if (facts.requestBytes() >= 0) {
            s.request().record(facts.requestBytes());
          }
          if (facts.responseBytes() >= 0) {
            s.response().record(facts.responseBytes());
          }
        }
      }
    };
  }

  private static String prefix(Transport.Side side) {
    return "phalanx." + side.label();
  }

  private Tags seriesTags(SeriesKey k) {
    return common.and("kind", k.kind().label(), "operation", k.operation());
  }

  private Timer timer(TimerKey k) {
    Timer.Builder b = Timer.builder(prefix(k.side()) + ".requests")
        .description("Phalanx " + k.side().label() + " calls")
        .tags(common.and("kind", k.kind().label(), "operation", k.operation(),
            "code", Integer.toString(k.code()), "reason", k.reason()));
    if (slos.length > 0) {
      b.serviceLevelObjectives(slos);
    } else {
      // bounded default buckets: 1 ms .. 30 s keeps about 40 per series
      b.publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
          .maximumExpectedValue(Duration.ofSeconds(30));
    }
    return b.register(registry);
  }

  private AtomicInteger activeGauge(SeriesKey k) {
    AtomicInteger value = new AtomicInteger();
    // the map keeps the strong reference Micrometer's gauge does not
    Gauge.builder(prefix(k.side()) + ".requests.active", value, AtomicInteger::get)
        .description("Phalanx " + k.side().label() + " calls in flight")
        .tags(seriesTags(k)).register(registry);
    return value;
  }

  private Sizes sizes(SeriesKey k) {
    return new Sizes(
        DistributionSummary.builder(prefix(k.side()) + ".request.size").baseUnit("bytes")
            .description("request body size").tags(seriesTags(k)).register(registry),
        DistributionSummary.builder(prefix(k.side()) + ".response.size").baseUnit("bytes")
            .description("response body size").tags(seriesTags(k)).register(registry));
  }

  /** Options of {@link Metrics}. Not thread-safe. */
  public static final class Builder {
    private final MeterRegistry registry;
    private final List<Tag> tags = new ArrayList<>();
    private Duration[] slos = new Duration[0];
    private int maxOperations = 1000;

    private Builder(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** A tag on every meter, e.g. {@code tag("env", "prod")}. */
    public Builder tag(String key, String value) {
      tags.add(Tag.of(key, value));
      return this;
    }

    /** Tags {@code service} and {@code version} from the application's identity. */
    public Builder appInfo(AppInfo app) {
      tag("service", app.name());
      return tag("version", app.version());
    }

    /**
     * Histogram buckets of the request timers, e.g. 5 ms, 25 ms, 100 ms, 500 ms; replaces the
     * default percentile histogram (1 ms to 30 s).
     */
    public Builder serviceLevelObjectives(Duration... buckets) {
      for (Duration d : buckets) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("SLO buckets must be positive: " + d);
        }
      }
      this.slos = Arrays.copyOf(buckets, buckets.length);
      return this;
    }

    /** Distinct operation tag values before the rest become {@value #OTHER_OPERATION}. */
    public Builder maxOperations(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxOperations must be at least 1: " + max);
      }
      this.maxOperations = max;
      return this;
    }

    public Metrics build() {
      return new Metrics(this);
    }
  }
}
