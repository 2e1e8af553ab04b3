package io.phalanx.observability.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.ImmutableTag;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.phalanx.core.AppInfo;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.SentReply;
import io.phalanx.core.StreamingCall;
import io.phalanx.core.Transport;
import io.phalanx.core.error.ServiceException;
import io.phalanx.observability.internal.call.CallFacts;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

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
 * plus the common tags of the builder (service, version, env…) on every meter. A call is recorded
 * with the code the server sent: on the HTTP server also a 406 or 500 it answered after the
 * chain returned (see {@link SentReply}), and a request it refused without running the chain (a
 * full handler pool's 503, a deadline passed in its queue's 504; see {@link RefusalListener}),
 * timed as zero. Operations beyond
 * {@link Builder#maxOperations} distinct values are tagged {@value #OTHER_OPERATION}. Each
 * operation keeps at most {@value #MAX_OUTCOMES} (code, reason) series; later reasons are tagged
 * {@value #OTHER_REASON}, since a client's reasons come from the remote server, which may put
 * ids in them.
 *
 * <p>Several instances on one registry with the same tags (two servers of an app, an app
 * restarted in the same JVM) share their timers and summaries, as Micrometer registers a meter
 * once per id; the in-flight gauge reports the calls of all of them that are still reachable (the
 * gauge holds each instance's counter weakly, so instances that are gone drop out; a call in
 * flight keeps its instance's counter).
 *
 * <p>Threading: safe for concurrent use. Meters are registered once per tag combination and held
 * per operation, so a call costs one map read by operation name and, on its usual outcome, no
 * lookup key objects.
 */
public final class Metrics implements Middleware, RefusalListener {

  /** The operation tag of calls beyond the cap. */
  public static final String OTHER_OPERATION = "OTHER";
  /** The reason tag of outcomes beyond {@value #MAX_OUTCOMES} per operation. */
  public static final String OTHER_REASON = "OTHER";
  /** The most (code, reason) series one operation gets. */
  public static final int MAX_OUTCOMES = 32;

  public static final String SERVER_REQUESTS = "phalanx.server.requests";
  public static final String CLIENT_REQUESTS = "phalanx.client.requests";

  private static final int KINDS = Transport.Kind.values().length;
  private static final int SLOTS = Transport.Side.values().length * KINDS;

  private final MeterRegistry registry;
  private final Tags common;
  private final Duration[] slos;
  private final int maxOperations;
  /** Admitted operations by name; at most {@code maxOperations} entries. */
  private final ConcurrentMap<String, OperationMeters> operations = new ConcurrentHashMap<>();
  private final OperationMeters other = new OperationMeters(OTHER_OPERATION);

  private Metrics(Builder b) {
    this.registry = b.registry;
    this.common = Tags.of(b.tags);
    this.slos = b.slos.clone();
    this.maxOperations = b.maxOperations;
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
      Series series = operation(CallFacts.operation(t)).series(t.side(), t.kind());
      series.active.incrementAndGet();
      long start = System.nanoTime();
      Object reply = null;
      Throwable failure = null;
      boolean streaming = false;
      try {
        reply = next.handle(ctx, request);
        if (request instanceof StreamingCall call) {
          // the chain returned as the stream started: the call is recorded when it ends
          streaming = true;
          call.onEnd((c, error) -> record(series, t, request, null, error, start));
        }
        return reply;
      } catch (Throwable e) {
        failure = e;
        throw e;
      } finally {
        if (!streaming) {
          if (t instanceof SentReply sent && !CallFacts.settled(reply, failure)) {
            // the transport may answer otherwise after the chain (406, 500): recorded when it
            // says what it sent
            Object mine = reply;
            Throwable myFailure = failure;
            sent.onSent((chainReply, replaced) -> record(series, t, request, mine,
                CallFacts.sentFailure(mine, myFailure, chainReply, replaced), start));
          } else {
            record(series, t, request, reply, failure, start);
          }
        }
      }
    };
  }

  /**
   * Counts a request the server answered without running the chain (a full handler pool's 503,
   * a deadline passed in the queue's 504) under its operation and that code, with no time spent.
   * Not in flight: it never was.
   */
  @Override
  public void refused(Context ctx, Object request, ServiceException answer) {
    Transport t = ctx.transport();
    Series series = operation(CallFacts.operation(t)).series(t.side(), t.kind());
    CallFacts facts = CallFacts.of(t, request, null, answer);
    series.timer(facts.code(), facts.reason()).record(0, TimeUnit.NANOSECONDS);
    if (facts.requestBytes() >= 0) {
      series.sizes().request().record(facts.requestBytes());
    }
    if (facts.responseBytes() >= 0) {
      series.sizes().response().record(facts.responseBytes());
    }
  }

  private static void record(Series series, Transport t, Object request, Object reply,
      Throwable failure, long start) {
    long nanos = System.nanoTime() - start;
    series.active.decrementAndGet();
    CallFacts facts = CallFacts.of(t, request, reply, failure);
    series.timer(facts.code(), facts.reason()).record(nanos, TimeUnit.NANOSECONDS);
    if (facts.requestBytes() >= 0 || facts.responseBytes() >= 0) {
      Sizes s = series.sizes();
      if (facts.requestBytes() >= 0) {
        s.request().record(facts.requestBytes());
      }
      if (facts.responseBytes() >= 0) {
        s.response().record(facts.responseBytes());
      }
    }
  }

  /**
   * The meters of {@code name}: one map lookup on the hot path. The first
   * {@code maxOperations} distinct names are admitted; later ones share {@link #other}, and are
   * not remembered, so a flood of distinct raw paths cannot grow the map.
   */
  private OperationMeters operation(String name) {
    OperationMeters op = operations.get(name);
    return op != null ? op : admit(name);
  }

  private synchronized OperationMeters admit(String name) {
    OperationMeters op = operations.get(name);
    if (op != null) {
      return op;
    }
    if (operations.size() >= maxOperations || OTHER_OPERATION.equals(name)) {
      return other;
    }
    op = new OperationMeters(name);
    operations.put(name, op);
    return op;
  }

  private static String prefix(Transport.Side side) {
    return "phalanx." + side.label();
  }

  /**
   * The meters of one operation tag value, one {@link Series} per side and kind, each made on
   * its first call. Why per operation rather than keyed by (side, kind, operation, code,
   * reason) records: the lookup per call is then one string-keyed map read and an array read,
   * with nothing allocated.
   */
  private final class OperationMeters {
    private final String tag;
    private final AtomicReferenceArray<Series> slots = new AtomicReferenceArray<>(SLOTS);

    OperationMeters(String tag) {
      this.tag = tag;
    }

    Series series(Transport.Side side, Transport.Kind kind) {
      int i = side.ordinal() * KINDS + kind.ordinal();
      Series s = slots.get(i);
      return s != null ? s : create(i, side, kind);
    }

    // under a lock: one series per slot, since each joins the in-flight board (see
    // InFlightBoard) and a racing loser's counter would stay there until collected
    private synchronized Series create(int i, Transport.Side side, Transport.Kind kind) {
      Series s = slots.get(i);
      if (s == null) {
        s = new Series(side, kind, tag);
        slots.set(i, s);
      }
      return s;
    }
  }

  private record Outcome(int code, String reason) {}

  private record CachedTimer(int code, String reason, Timer timer) {}

  private record Sizes(DistributionSummary request, DistributionSummary response) {}

  /**
   * The calls in flight of every live series gauged under one meter id, by all the instances on
   * the registry. Why shared: Micrometer registers one gauge per id and reads only the state it
   * was registered with, so a second {@code Metrics} on the same registry with the same tags (two
   * servers of an app, an app restarted in the same JVM) must count on the first one's board. It
   * is one flat list, read in a loop: a chain of gauges each reading the one it replaced overflowed
   * the stack with enough instances. Why weak: an instance that is gone (its server stopped and
   * dropped) must not stay on the board for good; a call in flight keeps its series, and so its
   * counter, reachable.
   *
   * <p>Threading: {@link #join} (once per series, when it is made) and {@link #read} (a scrape)
   * take the board's monitor; the calls themselves only touch their own counter.
   */
  static final class InFlightBoard {
    private final List<WeakReference<AtomicInteger>> counters = new ArrayList<>();
    /** A gauge of someone else's that this board's gauge replaced, or null. */
    private final Gauge foreign;
    /** The size at which {@link #join} next drops the counters of collected series. */
    private int pruneAt = 8;

    InFlightBoard(Gauge foreign) {
      this.foreign = foreign;
    }

    synchronized void join(AtomicInteger counter) {
      if (counters.size() >= pruneAt) {
        // amortised: an app that is never scraped still keeps only its live series (plus
        // at most as many collected ones), and joining stays O(1) on average
        counters.removeIf(ref -> ref.get() == null);
        pruneAt = Math.max(8, counters.size() * 2);
      }
      counters.add(new WeakReference<>(counter));
    }

    synchronized double read() {
      counters.removeIf(ref -> ref.get() == null);
      long sum = 0;
      for (WeakReference<AtomicInteger> ref : counters) {
        AtomicInteger counter = ref.get();
        sum += counter == null ? 0 : counter.get();
      }
      double earlier = foreign == null ? 0 : foreign.value();
      // NaN: a gauge of someone else's whose state was collected
      return sum + (Double.isNaN(earlier) ? 0 : earlier);
    }

    /** The counters on the board that are not known to be collected (for tests). */
    synchronized int size() {
      return counters.size();
    }
  }

  /**
   * The {@code kind} tag of an in-flight gauge, carrying its board. Micrometer does not expose
   * a gauge's state object, but a registered meter's id keeps the {@link Tag} objects it was
   * registered with, so a later instance finds the board on the gauge it takes out.
   * It equals (and hashes as) {@code Tag.of("kind", value)}: {@link ImmutableTag} compares keys
   * and values of any {@code ImmutableTag}, so ids, lookups and exports see a plain tag.
   */
  static final class BoardTag extends ImmutableTag {
    final InFlightBoard board;

    BoardTag(String value, InFlightBoard board) {
      super("kind", value);
      this.board = board;
    }

    /** The board behind {@code gauge}, or null when it is not an in-flight gauge of ours. */
    static InFlightBoard of(Gauge gauge) {
      for (Tag tag : gauge.getId().getTagsAsIterable()) {
        if (tag instanceof BoardTag b) {
          return b.board;
        }
      }
      return null;
    }
  }

  /** The meters of one (side, kind, operation). Safe for concurrent use. */
  private final class Series {
    private final Transport.Side side;
    private final Transport.Kind kind;
    private final String operation;
    /** Calls in flight, read by the registry's gauge (see {@link InFlightBoard}). */
    final AtomicInteger active;
    private final ConcurrentMap<Outcome, Timer> timers = new ConcurrentHashMap<>();
    /**
     * The timer of the last outcome recorded: an operation nearly always ends the same way
     * (200, no reason), so this skips the map and the key allocation on almost every call.
     */
    private volatile CachedTimer last;
    private volatile Sizes sizes;

    Series(Transport.Side side, Transport.Kind kind, String operation) {
      this.side = side;
      this.kind = kind;
      this.operation = operation;
      this.active = gaugeInFlight();
    }

    private AtomicInteger gaugeInFlight() {
      String name = prefix(side) + ".requests.active";
      AtomicInteger counter = new AtomicInteger();
      // The gauge is taken out and registered again with the same board rather than registered
      // a second time: Micrometer would keep the first one all the same, but log a warning.
      // Under the registry's monitor: another instance taking the gauge out between our removal
      // and our registration would otherwise start a board of its own, and one of the two
      // boards' calls would be lost.
      synchronized (registry) {
        Meter before = registry.removeByPreFilterId(
            new Meter.Id(name, seriesTags(), null, null, Meter.Type.GAUGE));
        InFlightBoard board = before instanceof Gauge g ? BoardTag.of(g) : null;
        if (board == null) {
          // none yet, or a gauge registered under this id by someone else: ours adds its value
          board = new InFlightBoard(before instanceof Gauge g ? g : null);
        }
        registerInFlight(name, board);
        board.join(counter);
      }
      return counter;
    }

    private void registerInFlight(String name, InFlightBoard board) {
      Tags tags = common.and(new BoardTag(kind.label(), board), Tag.of("operation", operation));
      // strongly held: the board is reachable from the registry only
      Gauge.builder(name, board, InFlightBoard::read)
          .description("Phalanx " + side.label() + " calls in flight")
          .tags(tags).strongReference(true).register(registry);
    }

    Timer timer(int code, String reason) {
      CachedTimer c = last;
      if (c != null && c.code() == code && c.reason().equals(reason)) {
        return c.timer();
      }
      Outcome outcome = new Outcome(code, reason);
      Timer timer = timers.get(outcome);
      if (timer == null) {
        // past the cap a new reason shares its code's OTHER series (codes themselves are few)
        timer = timers.computeIfAbsent(timers.size() < MAX_OUTCOMES ? outcome
            : new Outcome(code, OTHER_REASON), this::register);
      }
      last = new CachedTimer(code, reason, timer);
      return timer;
    }

    Sizes sizes() {
      Sizes s = sizes;
      if (s == null) {
        synchronized (this) {
          s = sizes;
          if (s == null) {
            s = new Sizes(
                DistributionSummary.builder(prefix(side) + ".request.size").baseUnit("bytes")
                    .description("request body size").tags(seriesTags()).register(registry),
                DistributionSummary.builder(prefix(side) + ".response.size").baseUnit("bytes")
                    .description("response body size").tags(seriesTags()).register(registry));
            sizes = s;
          }
        }
      }
      return s;
    }

    private Tags seriesTags() {
      return common.and("kind", kind.label(), "operation", operation);
    }

    private Timer register(Outcome o) {
      Timer.Builder b = Timer.builder(prefix(side) + ".requests")
          .description("Phalanx " + side.label() + " calls")
          .tags(common.and("kind", kind.label(), "operation", operation,
              "code", Integer.toString(o.code()), "reason", o.reason()));
      if (slos.length > 0) {
        b.serviceLevelObjectives(slos);
      } else {
        // bounded default buckets: 1 ms .. 30 s keeps about 40 per series
        b.publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30));
      }
      return b.register(registry);
    }
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
