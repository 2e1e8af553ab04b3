package io.phalanx.core;

import java.net.URI;
import java.time.Duration;

/**
 * A network server run by an {@link App}: HTTP, gRPC, an admin endpoint…
 *
 * <p>Lifecycle: {@link #start} once, then {@link #stop} once. {@code start} returns when the server
 * accepts connections (its port is bound); {@code stop} stops accepting, lets in-flight requests
 * finish for up to {@code grace}, then closes what is left, and returns when all of it is done.
 * The app calls these from one thread; {@link #endpoint()} may be called from any thread after
 * start.
 */
public interface Server {

  /**
   * Starts serving. App-wide middleware comes in {@code context} and runs outside this server's
   * own middleware.
   *
   * @throws Exception if the server cannot start; the message names what failed (a port in use
   *     names the port)
   */
  void start(StartContext context) throws Exception;

  /** Starts outside an {@link App}, with no app-wide middleware. */
  default void start() throws Exception {
    start(StartContext.standalone());
  }

  /**
   * Stops accepting new work, waits up to {@code grace} for in-flight requests, then forces the
   * rest closed. Idempotent; never throws.
   */
  void stop(Duration grace);

  /** Where clients reach this server, e.g. {@code http://10.0.0.5:8000}; valid after start. */
  URI endpoint();

  /** A short name for messages and logs, e.g. {@code http :8000}. */
  default String name() {
    return getClass().getSimpleName();
  }
}
