package io.phalanx.core;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

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
   *     names the port). A start that throws has released whatever it took (threads, sockets):
   *     the app stops only the servers that started.
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

  /**
   * What this server serves, for listings such as the admin server's {@code /debug/routes}:
   * HTTP routes as declared, gRPC methods as the HTTP/2 requests that call them. Fixed once the
   * server is built; may be called from any thread. Empty by default.
   */
  default List<Route> routes() {
    return List.of();
  }

  /**
   * One thing a server answers.
   *
   * @param method the HTTP method ({@code POST} for every gRPC method)
   * @param path the path template ({@code /hello/{name}}) or gRPC path ({@code /pkg.Service/Method})
   * @param operation what {@link Transport#operation()} reports for it, the name metrics, logs
   *     and operation matchers use
   */
  record Route(String method, String path, String operation) {
    public Route {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(operation, "operation");
    }
  }
}
