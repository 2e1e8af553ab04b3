package io.phalanx.core.selector;

/**
 * The live state of one {@link Node} as the {@link Selector} tracks it: in-flight calls, the
 * peak-EWMA latency and success rate Kratos' P2C keeps ({@code selector/node/ewma}), and the
 * outlier-ejection state. Balancers read it to choose.
 *
 * <p>Kept per {@linkplain Node#endpoint() endpoint} across discovery updates (Kratos rebuilds
 * it on every update and so forgets what it learnt); dropped when the endpoint disappears.
 *
 * <p>Threading: thread-safe. Updates take this object's lock (one node's calls rarely contend);
 * reads of single values need no lock. Times are {@link Selector}-ticker nanoseconds.
 */
public final class NodeStats {
  /** Kratos' EWMA decay time constant: 600 ms. */
  static final double TAU_NANOS = 600e6;
  /** How many in-flight start times are tracked for the latency prediction (Kratos: 200). */
  static final int TRACKED_INFLIGHT = 200;
  /** Success rate scale: 1000 = every call succeeded. */
  static final double SUCCESS_MAX = 1000;

  /** {@link #lastPick} of a node never picked: as in Kratos, it is due for a probe at once. */
  private static final long NEVER = Long.MIN_VALUE;

  private volatile Node node;
  private final long[] starts = new long[TRACKED_INFLIGHT];
  private long requests;
  // starts at 1 as in Kratos: load is latency x in-flight, an idle node must not weigh zero
  private volatile long inflight = 1;
  private volatile double lag;
  private volatile double success = SUCCESS_MAX;
  private volatile long stamp;
  private volatile long lastPick;
  private int consecutiveFailures;
  private int ejections;
  private volatile long ejectedUntil;
  private long lastEjectedAt;
  private long calls;
  private long failures;

  /** When the node joined a selector that already had nodes; {@link #NEVER} for the first set. */
  private final long joinedAt;

  NodeStats(Node node, long now, boolean joinedLater) {
    this.node = node;
    this.stamp = now;
    this.lastPick = NEVER;
    this.joinedAt = joinedLater ? now : NEVER;
  }

  public Node node() {
    return node;
  }

  void node(Node node) {
    this.node = node;
  }

  /** Calls sent and not yet done, plus the one Kratos counts for an idle node. */
  public long inflight() {
    return inflight;
  }

  /** The EWMA of call latency in nanoseconds; 0 until the first call is done. */
  public double latencyNanos() {
    return lag;
  }

  /** The EWMA success rate, 0..1000 (1000 = all fine). */
  public double successRate() {
    return success;
  }

  /** Nanoseconds since this node was last picked; {@link Long#MAX_VALUE} if never. */
  public long sinceLastPick(long now) {
    long last = lastPick;
    return last == NEVER ? Long.MAX_VALUE : now - last;
  }

  /**
   * Nanoseconds since this node joined the selector, when it joined after the first set of
   * nodes (a new or restarted instance); {@link Long#MAX_VALUE} for a node of the first set, which
   * is not new to the service, only to this client.
   */
  public long sinceJoined(long now) {
    return joinedAt == NEVER ? Long.MAX_VALUE : now - joinedAt;
  }

  /** Whether this node is ejected as an outlier at {@code now}. */
  public boolean ejected(long now) {
    long until = ejectedUntil;
    return until != 0 && now - until < 0;
  }

  /** How often this node has been ejected (decays back to 0 after a quiet period). */
  public synchronized int ejections() {
    return ejections;
  }

  /** Calls done through this node since it was first seen. */
  public synchronized long calls() {
    return calls;
  }

  /** Of {@link #calls()}, the ones that counted as node failures. */
  public synchronized long failures() {
    return failures;
  }

  /**
   * Kratos' P2C load at {@code now}: with no latency sample yet, {@code penalty x in-flight};
   * else {@code sqrt(max(lag, predicted) + 5 ms) x in-flight}, where the prediction is the mean
   * age of the tracked in-flight calls older than {@code lag} when they are a majority (a node
   * that suddenly stalls looks slow before its calls come back).
   */
  double load(long now) {
    double avg = lag;
    long inFlight = inflight;
    if (avg == 0) {
      return P2cBalancer.PENALTY_NANOS * inFlight;
    }
    double predict = predict(avg, now);
    if (predict > avg) {
      avg = predict;
    }
    avg += P2cBalancer.DELAY_ADJUST_NANOS;
    return Math.sqrt(avg) * inFlight;
  }

  private synchronized double predict(double avg, long now) {
    int total = 0;
    int slow = 0;
    double sum = 0;
    for (long start : starts) {
      if (start == 0) {
        continue;
      }
      total++;
      long age = now - start;
      if (age > avg) {
        slow++;
        sum += age;
      }
    }
    return slow >= total / 2 + 1 ? sum / slow : 0;
  }

  /** Kratos' P2C weight: success rate over load; higher is better. */
  double weight(long now) {
    return success * 1000 * 10 / load(now);
  }

  /** Records a pick; returns the slot for {@link #end}, or -1 if the tracking ring is full. */
  synchronized int begin(long now) {
    lastPick = now;
    inflight++;
    requests++;
    int slot = (int) (requests % TRACKED_INFLIGHT);
    if (starts[slot] == 0) {
      // 0 marks a free slot: a ticker at exactly 0 is nudged so the call is still tracked
      starts[slot] = now == 0 ? 1 : now;
      return slot;
    }
    return -1;
  }

  /**
   * Records the end of a call picked at {@code start}: updates the EWMAs (weight {@code
   * exp(-sinceLastDone / tau)} on the old value) and the failure streak.
   *
   * @return true when the failure streak reached {@code threshold} and the node should be ejected
   */
  synchronized boolean end(int slot, long start, long now, boolean failed, int threshold) {
    if (slot >= 0) {
      starts[slot] = 0;
    }
    inflight--;
    long td = Math.max(0, now - stamp);
    stamp = now;
    double rtt = Math.max(0, now - start);
    // as Kratos: the first completed call replaces both averages (its latency and its success),
    // so a new node whose first call fails fast is not preferred for that low latency
    double w = lag == 0 ? 0 : Math.exp(-td / TAU_NANOS);
    lag = lag * w + rtt * (1 - w);
    double sample = failed ? 0 : SUCCESS_MAX;
    success = success * w + sample * (1 - w);
    calls++;
    if (!failed) {
      consecutiveFailures = 0;
      return false;
    }
    failures++;
    consecutiveFailures++;
    return threshold > 0 && consecutiveFailures >= threshold && !ejected(now);
  }

  /** Ejects until {@code now + min(base x 2^ejections, max)}. */
  synchronized void eject(long now, long baseNanos, long maxNanos) {
    long backoff = baseNanos;
    for (int i = 0; i < ejections && backoff < maxNanos; i++) {
      backoff *= 2;
    }
    backoff = Math.min(backoff, maxNanos);
    long until = now + backoff;
    ejectedUntil = until == 0 ? 1 : until;
    ejections++;
    lastEjectedAt = now;
    consecutiveFailures = 0;
  }

  /** Resets the ejection count once the node stayed out of trouble for {@code quietNanos}. */
  synchronized void decay(long now, long quietNanos) {
    if (ejections > 0 && !ejected(now) && now - lastEjectedAt > quietNanos
        && consecutiveFailures == 0) {
      ejections = 0;
    }
  }

  /** Whether a failure streak is kept back from ejection (the last healthy node). */
  synchronized void spare() {
    consecutiveFailures = 0;
  }

  @Override
  public String toString() {
    return "NodeStats{" + node.endpoint() + ", inflight=" + inflight + ", lagMs="
        + String.format(java.util.Locale.ROOT, "%.2f", lag / 1e6) + ", success="
        + String.format(java.util.Locale.ROOT, "%.0f", success) + ", ejected=" + (ejectedUntil != 0)
        + "}";
  }
}
