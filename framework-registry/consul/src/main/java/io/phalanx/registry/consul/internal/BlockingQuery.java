package io.phalanx.registry.consul.internal;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A blocking-query loop over one Consul read, following the rules Consul documents for
 * blocking-query clients ("Implementation details" of its blocking-queries page):
 *
 * <ol>
 *   <li>the first read (and any after a reset) has no index and returns at once;
 *   <li>if X-Consul-Index goes backwards (snapshot restore, a new leader with an older state, a
 *       reaped KV tombstone), the index is reset instead of blocking on a number the agent may
 *       not reach for a long time;
 *   <li>an index below 1 (0 is a Consul bug that makes every query return at once) becomes 1,
 *       which also turns a reset into an immediate re-read;
 *   <li>reads start at least {@code minInterval} apart, so a storm of changes (or that bug)
 *       cannot turn the long poll into a busy loop against the agent;
 *   <li>errors back off exponentially, capped, and are retried until {@link #close()}; after an
 *       error the index is reset, because it may belong to a state the agent no longer has.
 * </ol>
 *
 * <p>It decides neither what is a change nor how failures are reported: every successful answer
 * and every failed read goes to the {@link Sink}, which compares, logs or passes them on.
 *
 * <p>Threading: the loop runs on a daemon thread of its own and calls the sink there, one call at
 * a time. {@link #close()} may be called from any thread, the sink's included; it interrupts a
 * read or backoff in progress (the HTTP exchange is cancelled) but does not wait for a sink call
 * to return: owners that promise "nothing after close" guard their sink themselves.
 *
 * @param <T> what one read yields
 */
public final class BlockingQuery<T> {
  private static final Logger LOG = LoggerFactory.getLogger(BlockingQuery.class);

  /** One read; with {@code index > 0} a blocking query that waits for the index to move. */
  @FunctionalInterface
  public interface Read<T> {
    Result<T> read(long index) throws Exception;
  }

  /** What a read yields and the X-Consul-Index it is valid at (0 when the agent sent none). */
  public record Result<T>(T value, long index) {}

  /** Receives the loop's outcomes, on the loop's thread, one call at a time. */
  public interface Sink<T> {
    /** A successful read; may equal the previous one (a wait that elapsed with no change). */
    void answer(T value);

    /** A failed read (each one); the loop backs off and retries by itself. */
    void failed(Exception error);
  }

  private final String what;
  private final Read<T> read;
  private final Sink<T> sink;
  private final Duration minInterval;
  private final Backoff backoff;
  private final Thread thread;
  private volatile boolean closed;

  /**
   * @param threadName the loop thread's name, which thread dumps show
   * @param what names the watched resource in logs, e.g. {@code service greeter}
   */
  public BlockingQuery(String threadName, String what, Read<T> read, Sink<T> sink,
      Duration minInterval, Backoff backoff) {
    this.what = what;
    this.read = read;
    this.sink = sink;
    this.minInterval = minInterval;
    this.backoff = backoff;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /** Stops the loop; idempotent. A sink call in progress is not waited for. */
  public void close() {
    closed = true;
    thread.interrupt();
  }

  public boolean isClosed() {
    return closed;
  }

  /**
   * The index of the next read after an answer at {@code answered} to a read at {@code previous}:
   * Consul's two rules in its order. An index that went backwards resets to 0; then anything
   * below 1 becomes 1. Index 1 returns at once for any real state, so a reset re-reads
   * immediately, and a buggy 0 cannot become an endless index-less spin.
   */
  static long nextIndex(long previous, long answered) {
    long next = answered < previous ? 0 : answered;
    return Math.max(next, 1);
  }

  private void run() {
    long index = 0;
    int errors = 0;
    long lastStart = 0;
    while (!closed) {
      Result<T> result;
      try {
        long pause = lastStart + minInterval.toNanos() - System.nanoTime();
        if (lastStart != 0 && pause > 0) {
          Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
        }
        lastStart = System.nanoTime();
        result = read.read(index);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        index = 0;
        call(() -> sink.failed(e));
        try {
          Thread.sleep(backoff.delay(errors++).toMillis());
        } catch (InterruptedException ie) {
          return;
        }
        continue;
      }
      index = nextIndex(index, result.index());
      errors = 0;
      if (closed) {
        return;
      }
      call(() -> sink.answer(result.value()));
    }
  }

  /** A sink that throws must not stop the loop (nor count as a failed read). */
  private void call(Runnable sinkCall) {
    try {
      sinkCall.run();
    } catch (RuntimeException e) {
      LOG.warn("the receiver of the Consul watch of {} threw", what, e);
    }
  }
}
